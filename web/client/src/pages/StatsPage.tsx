// Stats: concepts, associations and storage health, refreshed live.
import { useEffect, useState } from "react";
import { api } from "../api";
import type { Stats } from "../types";
import type { Health } from "../health";
import { ErrorBox, when } from "../components/bits";

export const STATS_REFRESH_MS = 2000;

export function StatsPage({ health }: { health: Health }) {
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    const tick = () =>
      api.stats().then(
        (s) => live && (setStats(s), setError(null)),
        (e) => live && setError(e),
      );
    void tick();
    const t = window.setInterval(tick, STATS_REFRESH_MS);
    return () => {
      live = false;
      window.clearInterval(t);
    };
  }, []);
  const storage =
    health === "ok" ? (stats?.read_only ? "up, read-only" : "up") : health === "unknown" ? "checking…" : "down";
  return (
    <div className="page stats">
      <h1>Stats</h1>
      <ErrorBox error={error} />
      <dl className="facts" aria-live="polite">
        <dt>Storage</dt>
        <dd data-testid="storage-health">{storage}</dd>
        <dt>Concepts</dt>
        <dd data-testid="stat-concepts">{stats?.concepts ?? "–"}</dd>
        <dt>Associations</dt>
        <dd data-testid="stat-associations">{stats?.associations ?? "–"}</dd>
        <dt>Vectors</dt>
        <dd>{stats?.vectors ?? "–"}</dd>
        <dt>Embedder</dt>
        <dd>{stats ? `${stats.embedder} (${stats.dimension} dimensions)` : "–"}</dd>
        <dt>Write-ahead log</dt>
        <dd>{stats ? `${(stats.wal_bytes / 1024).toFixed(1)} KiB` : "–"}</dd>
        <dt>Last snapshot</dt>
        <dd>{stats ? when(stats.last_snapshot) : "–"}</dd>
        <dt>Storage memory</dt>
        <dd>{stats ? `${(stats.memory_bytes / 1048576).toFixed(1)} MiB` : "–"}</dd>
      </dl>
      <p className="muted">Refreshed every {STATS_REFRESH_MS / 1000} s.</p>
    </div>
  );
}
