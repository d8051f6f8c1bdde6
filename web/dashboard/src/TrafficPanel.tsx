// API traffic: for sutra-api and sutra-hybrid, requests per second, errors (4xx and 5xx) and a table per
// route (requests/s, requests, errors, p50 and p99 latency), as sutra-control's /api/status reads them
// from each app's /metrics. A figure the status does not carry (yet) shows "—".
import { Sparkline } from "./Sparkline";
import { figure } from "./state";
import type { Apps, StoragePoint } from "./StoragePanel";

export interface RouteTraffic {
  method: string;
  route: string;
  requests_total: number | null;
  errors_4xx: number | null;
  errors_5xx: number | null;
  requests_per_second: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  monitoring?: boolean; // read by monitors; not in the app's totals
}

const APP_NAMES: Record<string, string> = { api: "sutra-api", hybrid: "sutra-hybrid" };

const bad = (v: unknown): string | undefined => (typeof v === "number" && v > 0 ? "bad" : undefined); // 5xx seen
const count = (v: unknown): string => (typeof v === "number" ? v.toLocaleString("en") : "—");

/** Requests per second of one app between the last two points (the page's own reckoning). */
export function rate(points: StoragePoint[], app: string): number | null {
  if (points.length < 2) return null;
  const a = points[points.length - 2];
  const b = points[points.length - 1];
  if (a.requests[app] == null || b.requests[app] == null || b.at <= a.at) return null;
  return Math.max(0, (b.requests[app] - a.requests[app]) / (b.at - a.at));
}

/** The app's requests per second: sutra-control's figure; the page's own from the totals only when the
 * status has no such key (a sutra-control of an earlier release). */
export function appRate(a: Record<string, unknown>, points: StoragePoint[], app: string): number | null {
  if (!("requests_per_second" in a)) return rate(points, app);
  return typeof a.requests_per_second === "number" ? a.requests_per_second : null;
}

/** An app's routes, busiest first (routes missing from the status: null). */
export function routesOf(a: Record<string, unknown>): RouteTraffic[] | null {
  if (!Array.isArray(a.routes)) return null;
  return [...(a.routes as RouteTraffic[])].sort((x, y) => (y.requests_total ?? 0) - (x.requests_total ?? 0)
    || `${x.route} ${x.method}`.localeCompare(`${y.route} ${y.method}`));
}

export function TrafficPanel({ apps, points }: { apps: Apps; points: StoragePoint[] }) {
  const entries = Object.entries(apps ?? {});
  return (
    <section className="panel" aria-labelledby="traffic-h">
      <h2 id="traffic-h">API traffic</h2>
      {!apps ? <p className="muted">Waiting for the first status…</p> : null}
      <div className="table-wrap" tabIndex={0} role="region" aria-label="API traffic table (scrolls sideways)">
        <table className="services" aria-labelledby="traffic-h">
          <thead><tr><th scope="col">App</th><th scope="col">Up</th><th scope="col">Requests/s</th>
            <th scope="col">Requests</th><th scope="col">Errors 4xx</th><th scope="col">Errors 5xx</th>
            <th scope="col">Errors/s</th><th scope="col">Over time</th></tr></thead>
          <tbody>
            {entries.map(([app, a]) => {
              const r = appRate(a, points, app);
              const series = points.slice(1).map((p, i) => Math.max(0, (p.requests[app] ?? 0) - (points[i].requests[app] ?? 0)));
              return (
                <tr key={app} data-app={app}>
                  <th scope="row">{APP_NAMES[app] ?? app}</th>
                  <td>{a.up ? "yes" : `no${a.error ? `: ${String(a.error)}` : ""}`}</td>
                  <td data-testid={`rps-${app}`}>{figure(r)}</td>
                  <td>{count(a.requests_total)}</td>
                  <td data-testid={`errors-4xx-${app}`}>{count(a.errors_4xx)}</td>
                  <td data-testid={`errors-5xx-${app}`} className={bad(a.errors_5xx)}>{count(a.errors_5xx)}</td>
                  <td>{figure(a.errors_per_second)}</td>
                  <td><Sparkline values={series} label={`Requests of ${APP_NAMES[app] ?? app} since the page opened`} /></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {entries.map(([app, a]) => <Routes key={app} app={app} routes={routesOf(a)} />)}
    </section>
  );
}

function Routes({ app, routes }: { app: string; routes: RouteTraffic[] | null }) {
  const name = APP_NAMES[app] ?? app;
  const id = `routes-${app}-h`;
  return (
    <>
      <h3 id={id}>Routes of {name}</h3>
      {routes === null ? <p className="muted">Per-route figures: —</p> : routes.length === 0 ? (
        <p className="muted">No requests yet.</p>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label={`Routes of ${name} (scrolls sideways)`}>
          <table className="services routes" aria-labelledby={id}>
            <thead><tr><th scope="col">Route</th><th scope="col">Requests/s</th><th scope="col">Requests</th>
              <th scope="col">4xx</th><th scope="col">5xx</th><th scope="col">p50</th><th scope="col">p99</th></tr></thead>
            <tbody>
              {routes.map((r) => (
                <tr key={`${r.method} ${r.route}`} data-route={`${r.method} ${r.route}`}>
                  <th scope="row"><span className="method">{r.method}</span> {r.route}</th>
                  <td>{figure(r.requests_per_second)}</td>
                  <td data-testid="route-requests">{count(r.requests_total)}</td>
                  <td>{count(r.errors_4xx)}</td>
                  <td className={bad(r.errors_5xx)}>{count(r.errors_5xx)}</td>
                  <td data-testid="route-p50">{figure(r.p50_ms, 1, " ms")}</td>
                  <td data-testid="route-p99">{figure(r.p99_ms, 1, " ms")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {routes?.some((r) => r.route === "/metrics") ? (
        <p className="muted note-small">
          GET /metrics counts sutra-control's own readings of it too; /metrics, /health and /ready are left out
          of the app's totals.
        </p>
      ) : null}
    </>
  );
}
