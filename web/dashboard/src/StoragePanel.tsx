// Storage and API traffic: concepts and associations over time, WAL and snapshot size and age, fsync
// mode, a READ-ONLY banner when the store is, snapshot and backup buttons; requests per second of
// sutra-api and sutra-hybrid from their /metrics.
import { useState } from "react";
import { Sparkline } from "./Sparkline";
import { formatBytes, formatDuration } from "./state";

export interface StoragePoint {
  at: number;
  concepts: number;
  associations: number;
  requests: Record<string, number>; // app -> requests_total
}

export type Storage = Record<string, unknown> | null;
export type Apps = Record<string, Record<string, unknown>> | null;

const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

/** Requests per second of one app between the last two points. */
export function rate(points: StoragePoint[], app: string): number | null {
  if (points.length < 2) return null;
  const a = points[points.length - 2];
  const b = points[points.length - 1];
  if (a.requests[app] == null || b.requests[app] == null || b.at <= a.at) return null;
  return Math.max(0, (b.requests[app] - a.requests[app]) / (b.at - a.at));
}

export function StoragePanel({ storage, apps, points, canAct, onSnapshot, onBackup }: {
  storage: Storage;
  apps: Apps;
  points: StoragePoint[];
  canAct: boolean;
  onSnapshot: () => Promise<void>;
  onBackup: (name: string) => Promise<string>;
}) {
  const [message, setMessage] = useState("");
  const [name, setName] = useState("");
  const run = async (what: string, f: () => Promise<string>) => {
    setMessage(`${what}…`);
    try {
      setMessage(await f());
    } catch (e) {
      setMessage(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const s = storage ?? {};
  const reachable = s.reachable === true;
  return (
    <section className="panel" aria-labelledby="storage-h">
      <h2 id="storage-h">Storage</h2>
      {!storage ? <p className="muted">Waiting for the first status…</p> : null}
      {storage && !reachable ? (
        <p className="note error" role="alert">The storage server at {String(s.server)} cannot be reached: {String(s.error)}</p>
      ) : null}
      {s.read_only === true ? <p className="banner" role="alert">READ-ONLY: the store refuses writes.</p> : null}
      {reachable ? (
        <dl className="facts">
          <div><dt>Concepts</dt><dd data-testid="concepts">{num(s.concepts)?.toLocaleString("en")}</dd>
            <dd><Sparkline values={points.map((p) => p.concepts)} label="Concepts since the page opened" /></dd></div>
          <div><dt>Associations</dt><dd data-testid="associations">{num(s.associations)?.toLocaleString("en")}</dd>
            <dd><Sparkline values={points.map((p) => p.associations)} label="Associations since the page opened" /></dd></div>
          <div><dt>WAL</dt><dd>{formatBytes(num(s.wal_bytes))} in {String(s.wal_segments ?? "–")} segment(s)</dd></div>
          <div><dt>Snapshot</dt><dd data-testid="snapshot">
            {s.last_snapshot ? `${formatBytes(num(s.snapshot_bytes))}, ${formatDuration(num(s.snapshot_age_seconds))} old`
              : "none yet"}</dd></div>
          <div><dt>fsync</dt><dd>{String(s.fsync ?? "–")}</dd></div>
          <div><dt>Health</dt><dd>{String(s.health ?? "–")}</dd></div>
        </dl>
      ) : null}
      {canAct && reachable ? (
        <div className="controls">
          <button type="button" onClick={() => void run("snapshot", async () => {
            await onSnapshot();
            return "snapshot taken";
          })}>Take snapshot</button>
          <label htmlFor="backup-name">Backup name</label>
          <input id="backup-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="nightly-1" />
          <button type="button" disabled={!name.trim()}
            onClick={() => void run("backup", async () => `backup written to ${await onBackup(name.trim())}`)}>
            Take backup</button>
        </div>
      ) : null}
      <p className="status-line" role="status" aria-live="polite">{message}</p>
      <h3 id="traffic-h">API traffic</h3>
      <div className="table-wrap" tabIndex={0} role="region" aria-label="API traffic table (scrolls sideways)">
      <table className="services" aria-labelledby="traffic-h">
        <thead><tr><th scope="col">App</th><th scope="col">Up</th><th scope="col">Requests/s</th>
          <th scope="col">Requests</th><th scope="col">Over time</th></tr></thead>
        <tbody>
          {Object.entries(apps ?? {}).map(([app, a]) => {
            const r = rate(points, app);
            const series = points.slice(1).map((p, i) => Math.max(0, (p.requests[app] ?? 0) - (points[i].requests[app] ?? 0)));
            return (
              <tr key={app}>
                <th scope="row">{app}</th>
                <td>{a.up ? "yes" : `no${a.error ? `: ${String(a.error)}` : ""}`}</td>
                <td data-testid={`rps-${app}`}>{r == null ? "–" : r.toFixed(1)}</td>
                <td>{num(a.requests_total)?.toLocaleString("en") ?? "–"}</td>
                <td><Sparkline values={series} label={`Requests of ${app} since the page opened`} /></td>
              </tr>
            );
          })}
        </tbody>
      </table>
      </div>
    </section>
  );
}
