// Storage: concepts and associations over time, operations per second and p50 / p99 latency, WAL and
// snapshot size and age, fsync mode, a READ-ONLY banner when the store is, snapshot and backup buttons.
import { useState } from "react";
import { Sparkline } from "./Sparkline";
import { figure, formatBytes, formatDuration } from "./state";

export interface StoragePoint {
  at: number;
  concepts: number;
  associations: number;
  requests: Record<string, number>; // app -> requests_total
}

export type Storage = Record<string, unknown> | null;
export type Apps = Record<string, Record<string, unknown>> | null;

const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

export function StoragePanel({ storage, points, canAct, onSnapshot, onBackup }: {
  storage: Storage;
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
  const latency = (s.latency_ms ?? {}) as Record<string, unknown>;
  const win = num(s.window_seconds);
  const calls = num(s.calls_total);
  const opsNote = [win == null ? "" : `last ${Math.round(win)} s`,
    calls == null ? "" : `${calls.toLocaleString("en")} in all`].filter(Boolean).join(" · ");
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
          <div><dt>Concepts</dt><dd className="with-spark"><span data-testid="concepts">{num(s.concepts)?.toLocaleString("en")}</span>
            <Sparkline values={points.map((p) => p.concepts)} label="Concepts since the page opened" /></dd></div>
          <div><dt>Associations</dt><dd className="with-spark"><span data-testid="associations">{num(s.associations)?.toLocaleString("en")}</span>
            <Sparkline values={points.map((p) => p.associations)} label="Associations since the page opened" /></dd></div>
          <div><dt>Operations/s</dt><dd data-testid="ops-per-second">{figure(s.ops_per_second)}</dd>
            <dd className="muted small">{opsNote}</dd></div>
          <div><dt>Latency p50 / p99</dt><dd data-testid="latency">
            <span data-testid="latency-p50">{figure(latency.p50, 1, " ms")}</span> /{" "}
            <span data-testid="latency-p99">{figure(latency.p99, 1, " ms")}</span></dd></div>
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
    </section>
  );
}
