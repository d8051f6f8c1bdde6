// Services: a row per service (state badge, uptime, restarts, health, ports, CPU and memory over the
// last hour, last exit), start / stop / restart behind a confirmation, and the recent transitions.
import { useState } from "react";
import { Sparkline } from "./Sparkline";
import { type Dashboard, formatBytes, formatDuration, series } from "./state";

const ACTIONS = ["start", "stop", "restart"] as const;
type Action = (typeof ACTIONS)[number];

export function ServicesPanel({ d, now, canAct, onAction }: {
  d: Dashboard;
  now: number;
  canAct: boolean;
  onAction: (service: string, action: Action) => Promise<void>;
}) {
  const [confirm, setConfirm] = useState<{ service: string; action: Action } | null>(null);
  const [busy, setBusy] = useState("");
  const [message, setMessage] = useState("");

  const run = async (service: string, action: Action) => {
    setConfirm(null);
    setBusy(service);
    setMessage(`${action} ${service}…`);
    try {
      await onAction(service, action);
      setMessage(`${action} ${service}: done`);
    } catch (e) {
      setMessage(`${action} ${service} failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy("");
    }
  };

  return (
    <section className="panel" aria-labelledby="services-h">
      <h2 id="services-h">Services</h2>
      {!d.processControl && d.services.length > 0 ? (
        <p className="note">Process control is not available: sutra-control runs outside <code>sutra up</code>, so
          the configured addresses are probed instead.</p>
      ) : null}
      {d.error ? <p className="note error" role="alert">{d.error}</p> : null}
      <div className="table-wrap" tabIndex={0} role="region" aria-label="Services table (scrolls sideways)">
        <table className="services">
          <thead>
            <tr>
              <th scope="col">Service</th><th scope="col">State</th><th scope="col">Uptime</th>
              <th scope="col">Restarts</th><th scope="col">Health</th><th scope="col">Ports</th>
              <th scope="col">CPU (1 h)</th><th scope="col">Memory (1 h)</th><th scope="col">Last exit</th>
              {canAct ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {d.services.map((r) => {
              const running = r.state === "running" || r.state === "ready" || r.state === "healthy";
              const uptime = r.uptime == null ? null : r.uptime + (running ? Math.max(0, now - d.fetchedAt) : 0);
              return (
                <tr key={r.name} data-service={r.name}>
                  <th scope="row">{r.name}</th>
                  <td><span className={`badge state-${r.state}`} data-testid={`state-${r.name}`}>{r.state}</span></td>
                  <td>{formatDuration(uptime)}</td>
                  <td>{r.restarts ?? "–"}</td>
                  <td className="health">{r.health || "–"}</td>
                  <td className="ports">{r.ports.join(", ") || "–"}</td>
                  <td>
                    <Sparkline values={series(d.samples, r.name, "cpu_percent")} max={100}
                      label={`CPU of ${r.name} over the last hour`} />
                    <span className="num">{r.cpu_percent == null ? "–" : `${r.cpu_percent.toFixed(1)}%`}</span>
                  </td>
                  <td>
                    <Sparkline values={series(d.samples, r.name, "memory_bytes")}
                      label={`Memory of ${r.name} over the last hour`} />
                    <span className="num">{formatBytes(r.memory_bytes)}</span>
                  </td>
                  <td>{r.last_exit ?? "–"}</td>
                  {canAct ? (
                    <td className="actions">
                      {confirm?.service === r.name ? (
                        <span role="group" aria-label={`Confirm ${confirm.action} of ${r.name}`}>
                          <button type="button" className="danger" onClick={() => run(r.name, confirm.action)}
                            aria-label={`Yes, ${confirm.action} ${r.name}`}>
                            Yes, {confirm.action}
                          </button>
                          <button type="button" onClick={() => setConfirm(null)}>Cancel</button>
                        </span>
                      ) : (
                        ACTIONS.map((a) => (
                          <button key={a} type="button" disabled={busy === r.name}
                            aria-label={`${a} ${r.name}`} onClick={() => setConfirm({ service: r.name, action: a })}>
                            {a}
                          </button>
                        ))
                      )}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="status-line" role="status" aria-live="polite">{message}</p>
      <h3>Recent transitions</h3>
      {d.timeline.length === 0 ? <p className="muted">None since the page opened.</p> : (
        <ol className="timeline" aria-label="Recent transitions">
          {d.timeline.slice(0, 15).map((t, i) => (
            <li key={`${t.at}-${t.service}-${i}`}>
              <time dateTime={new Date(t.at * 1000).toISOString()}>{new Date(t.at * 1000).toLocaleTimeString()}</time>{" "}
              <strong>{t.service}</strong> {t.old} → <span className={`badge state-${t.state}`}>{t.state}</span>
              {t.why ? <span className="muted"> ({t.why})</span> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
