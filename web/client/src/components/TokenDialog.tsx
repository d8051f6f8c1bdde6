// Asks for sutra-api's token once (api.token is set on the server); the app keeps it for the tab.
import { useEffect, useRef, useState } from "react";

export function TokenDialog({ why, onDone }: { why: string; onDone: (token: string) => void }) {
  const [token, setToken] = useState("");
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <div className="overlay">
      <form
        role="dialog"
        aria-modal="true"
        aria-labelledby="token-title"
        className="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          onDone(token.trim());
        }}
        onKeyDown={(e) => e.key === "Escape" && onDone("")}
      >
        <h2 id="token-title">This server needs a token</h2>
        <p>
          Writing to this knowledge base needs the token set in <code>api.token</code> (
          <code>SUTRA_API_TOKEN</code>). It is kept for this tab only.
        </p>
        <p className="muted">{why}</p>
        <label htmlFor="token-input">API token</label>
        <input
          id="token-input"
          ref={input}
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        <div className="row">
          <button type="submit" disabled={!token.trim()}>
            Use token
          </button>
          <button type="button" className="secondary" onClick={() => onDone("")}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
