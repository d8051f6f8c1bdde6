// The app's frame: navigation, the outage banner, the token prompt, and the page of the route.
import { useEffect, useRef, useState } from "react";
import { onTokenNeeded } from "./api";
import { useHealth } from "./health";
import { useRoute } from "./route";
import { AskPage, type AskEntry } from "./pages/AskPage";
import { LearnPage } from "./pages/LearnPage";
import { SearchPage } from "./pages/SearchPage";
import { ConceptPage } from "./pages/ConceptPage";
import { StatsPage } from "./pages/StatsPage";
import { TokenDialog } from "./components/TokenDialog";

const PAGES = [
  ["ask", "Ask"],
  ["learn", "Learn"],
  ["search", "Search"],
  ["stats", "Stats"],
] as const;

export function App() {
  const route = useRoute();
  const health = useHealth();
  const [history, setHistory] = useState<AskEntry[]>([]);
  const [tokenWhy, setTokenWhy] = useState<string | null>(null);
  const tokenResolve = useRef<((t: string) => void) | null>(null);
  const main = useRef<HTMLElement>(null);

  useEffect(() => {
    onTokenNeeded(
      (why) =>
        new Promise<string>((resolve) => {
          tokenResolve.current = resolve;
          setTokenWhy(why);
        }),
    );
    return () => onTokenNeeded(null);
  }, []);

  useEffect(() => {
    const titles: Record<string, string> = { ask: "Ask", learn: "Learn", search: "Search", stats: "Stats", concept: "Concept" };
    document.title = `${titles[route.page]} · Sutra`;
  }, [route]);

  return (
    <>
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); main.current?.focus(); }}>
        Skip to content
      </a>
      <header className="top">
        <span className="brand" aria-hidden="true">Sutra</span>
        <nav aria-label="Pages">
          {PAGES.map(([page, label]) => (
            <a key={page} href={`#/${page}`} aria-current={route.page === page ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
      </header>
      {health === "storage-down" && (
        <div className="banner" role="alert" data-testid="outage-banner">
          <strong>The storage server is down.</strong> Nothing can be learned or asked until it is back: start it
          with <code>sutra start storage</code> (or <code>sutra up</code>); <code>sutra logs storage</code> says why
          it stopped. This page reconnects by itself.
        </div>
      )}
      {health === "api-down" && (
        <div className="banner" role="alert" data-testid="outage-banner">
          <strong>sutra-api cannot be reached.</strong> Start the stack with <code>sutra up</code> (or{" "}
          <code>sutra start api</code>); this page reconnects by itself.
        </div>
      )}
      <main id="main" ref={main} tabIndex={-1}>
        {route.page === "ask" && <AskPage history={history} setHistory={setHistory} healthy={health === "ok"} />}
        {route.page === "learn" && <LearnPage />}
        {route.page === "search" && <SearchPage />}
        {route.page === "stats" && <StatsPage health={health} />}
        {route.page === "concept" && <ConceptPage key={route.id} id={route.id} />}
      </main>
      {tokenWhy !== null && (
        <TokenDialog
          why={tokenWhy}
          onDone={(token) => {
            setTokenWhy(null);
            tokenResolve.current?.(token);
            tokenResolve.current = null;
          }}
        />
      )}
    </>
  );
}
