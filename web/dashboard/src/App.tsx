// The dashboard: the admin token asked once per tab (sent as a header), the live stream with it, or
// the status polled read-only without it; the panels below read the same state.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError, savedToken, saveToken } from "./api";
import { ServicesPanel } from "./ServicesPanel";
import { LogsPanel, type LogLine } from "./LogsPanel";
import { BulkPanel } from "./BulkPanel";
import { StoragePanel, type StoragePoint } from "./StoragePanel";
import { TrafficPanel } from "./TrafficPanel";
import { applyEvent, type Dashboard, empty, type Sample, type StatusBody, withSamples, withStatus } from "./state";
import { openStream } from "./stream";

const POLL_MS = 2000; // /api/status (storage and the apps' traffic; the rows too when read-only) this often
const POINTS_KEPT = 1800; // storage and traffic points kept (an hour at POLL_MS)
const REFRESH_AFTER_STATE_MS = 300; // a state change: the rows' pid, ports and health fetched a moment later

export function App() {
  const [token, setToken] = useState(savedToken);
  const [draft, setDraft] = useState("");
  const [tokenError, setTokenError] = useState("");
  const [d, setD] = useState<Dashboard>(empty);
  const [connected, setConnected] = useState<boolean | null>(null);
  const [now, setNow] = useState(() => Date.now() / 1000);
  const [logServices, setLogServices] = useState<string[]>([]);
  const [points, setPoints] = useState<StoragePoint[]>([]);
  const [connections, setConnections] = useState(0);
  const logSink = useRef<(service: string, lines: LogLine[]) => void>(() => {});
  const lastId = useRef("");
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  // the stream is reopened only when the followed services really change
  const follow = useCallback((names: string[]) => {
    setLogServices((prev) => (prev.join(",") === names.join(",") ? prev : names));
  }, []);

  const refresh = useCallback(async () => {
    try {
      const s = await api<StatusBody>("/api/status", "");
      const at = Date.now() / 1000;
      setD((x) => withStatus(x, s, at));
      const st = s.storage ?? {};
      if (st.reachable) {
        const requests: Record<string, number> = {};
        for (const [app, a] of Object.entries(s.apps ?? {})) if (typeof a.requests_total === "number") requests[app] = a.requests_total;
        const p = { at, concepts: Number(st.concepts) || 0, associations: Number(st.associations) || 0, requests };
        setPoints((ps) => [...ps, p].slice(-POINTS_KEPT));
      }
    } catch {
      /* the stream or the next poll tells */
    }
  }, []);

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => clearInterval(t);
  }, []);

  // the last hour of samples, once (the stream adds one a second)
  useEffect(() => {
    api<{ samples: Sample[] }>("/api/history", "").then((h) => setD((x) => withSamples(x, h.samples))).catch(() => {});
    void refresh();
  }, [refresh]);

  // the status polled: storage and traffic (and, read-only, the rows the stream would bring)
  useEffect(() => {
    const t = setInterval(() => void refresh(), POLL_MS);
    return () => clearInterval(t);
  }, [refresh]);

  // with the token: one stream, reopened (resuming by event id) when the followed logs change
  useEffect(() => {
    if (!token) return;
    const close = openStream({
      token,
      logs: logServices,
      lastId: lastId.current,
      onConnected: (ok) => {
        setConnected(ok);
        if (ok) {
          setConnections((n) => n + 1);
          void refresh();
        }
      },
      onUnauthorized: (message) => {
        saveToken("");
        setToken("");
        setTokenError(message);
        setConnected(null);
      },
      onEvent: (ev) => {
        let data: unknown;
        try {
          data = JSON.parse(ev.data);
        } catch {
          return;
        }
        if (ev.event === "log") {
          const l = data as { service: string; lines: LogLine[] };
          logSink.current(l.service, l.lines);
          return;
        }
        setD((x) => applyEvent(x, ev.event, data, Date.now() / 1000));
        if (ev.event === "state") {
          if (refreshTimer.current) clearTimeout(refreshTimer.current);
          refreshTimer.current = setTimeout(() => void refresh(), REFRESH_AFTER_STATE_MS);
        }
      },
    });
    return () => {
      lastId.current = close();
    };
  }, [token, logServices, refresh]);

  const submitToken = (e: React.FormEvent) => {
    e.preventDefault();
    const t = draft.trim();
    if (!t) return;
    saveToken(t);
    setTokenError("");
    setDraft("");
    setToken(t);
  };

  const forget = () => {
    saveToken("");
    setToken("");
    setConnected(null);
  };

  const act = async (service: string, action: string) => {
    try {
      await api(`/api/services/${encodeURIComponent(service)}/${action}`, token, { method: "POST" });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) forget();
      throw e;
    }
    await refresh();
  };

  return (
    <div className="page">
      <header className="top">
        <h1>Sutra control</h1>
        <span className={`live ${token ? (connected ? "on" : "off") : "ro"}`} role="status" data-testid="live">
          {token ? (connected ? "live" : connected === null ? "connecting…" : "reconnecting…") : "read-only"}
        </span>
        {token ? <button type="button" onClick={forget}>Forget token</button> : null}
      </header>
      {!token ? (
        <form className="token" onSubmit={submitToken} aria-labelledby="token-h">
          <h2 id="token-h">Admin token</h2>
          <p>
            You are seeing the status read-only. The admin token unlocks the live stream, starting, stopping and
            restarting services, the logs, snapshots and backups, and bulk learning. <code>sutra status</code> says
            where it is; it is kept in this tab only and sent as a header.
          </p>
          <label htmlFor="token-input">Token</label>
          <input id="token-input" type="password" autoComplete="off" value={draft}
            onChange={(e) => setDraft(e.target.value)} />
          <button type="submit">Unlock</button>
          {tokenError ? <p className="error" role="alert">{tokenError}</p> : null}
        </form>
      ) : null}
      <main>
        <ServicesPanel d={d} now={now} canAct={!!token} onAction={act} />
        <StoragePanel storage={d.storage} points={points} canAct={!!token}
          onSnapshot={async () => {
            await api("/api/storage/snapshot", token, { method: "POST" });
            await refresh();
          }}
          onBackup={async (name) => {
            const out = await api<{ path: string }>("/api/storage/backup", token, {
              method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }),
            });
            return out.path;
          }} />
        <TrafficPanel apps={d.apps} points={points} />
        {token ? <BulkPanel token={token} /> : null}
        {token ? (
          <LogsPanel services={d.services.map((r) => r.name)} token={token} follow={follow} connections={connections}
            sink={logSink} />
        ) : null}
      </main>
    </div>
  );
}
