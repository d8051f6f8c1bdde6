// Services: a row per service (state badge, uptime, restarts, health, ports, CPU and memory over the
// last hour, last exit), start / stop / restart behind a confirmation, and the recent transitions.
import { Fragment, useEffect, useRef, useState } from "react";
import { Sparkline } from "./Sparkline";
import { type Dashboard, formatBytes, formatDuration, series } from "./state";

const ACTIONS = ["start", "stop", "restart"] as const;
type Action = (typeof ACTIONS)[number];
const COLUMNS = 9; // without Actions
const QUESTIONS: Record<Action, (name: string) => string> = {
  start: (n) => `Start ${n}?`,
  stop: (n) => `Stop ${n}? Its clients are refused until it is started again.`,
  restart: (n) => `Restart ${n}?`,
};

export function ServicesPanel({ d, now, canAct, onAction }: {
  d: Dashboard;
  now: number;
  canAct: boolean;
  onAction: (service: string, action: Action) => Promise<void>;
}) {
  const [confirm, setConfirm] = useState<{ service: string; action: Action } | null>(null);
  const [busy, setBusy] = useState("");
  const [message, setMessage] = useState("");
  const cancelRef = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement | null>(null);
  useEffect(() => cancelRef.current?.focus(), [confirm]); // the question asked: the safe answer has the focus
  const cancel = () => {
    setConfirm(null);
    opener.current?.focus(); // back where the question came from
  };

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
              <th scope="col">CPU (1&nbsp;h)</th><th scope="col">Memory (1&nbsp;h)</th><th scope="col">Last exit</th>
              {canAct ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {d.services.map((r) => {
              const running = r.state === "running" || r.state === "ready" || r.state === "healthy";
              const uptime = r.uptime == null ? null : r.uptime + (running ? Math.max(0, now - d.fetchedAt) : 0);
              const asking = canAct && confirm?.service === r.name ? confirm : null;
              return (
                <Fragment key={r.name}>
                  <tr data-service={r.name} className={asking ? "asking" : undefined}>
                    <th scope="row">{r.name}</th>
                    <td><span className={`badge state-${r.state}`} data-testid={`state-${r.name}`}>{r.state}</span></td>
                    <td>{formatDuration(uptime)}</td>
                    <td>{r.restarts ?? "–"}</td>
                    <td className="health">{r.health || "–"}</td>
                    <td className="ports">{r.ports.length ? r.ports.map((p) => <div key={p}>{p}</div>) : "–"}</td>
                    <td className="metric">
                      <span className="num">{r.cpu_percent == null ? "–" : `${r.cpu_percent.toFixed(1)}%`}</span>
                      <Sparkline values={series(d.samples, r.name, "cpu_percent")} max={100}
                        label={`CPU of ${r.name} over the last hour`} />
                    </td>
                    <td className="metric">
                      <span className="num">{formatBytes(r.memory_bytes)}</span>
                      <Sparkline values={series(d.samples, r.name, "memory_bytes")}
                        label={`Memory of ${r.name} over the last hour`} />
                    </td>
                    <td>{r.last_exit ?? "–"}</td>
                    {canAct ? (
                      <td className="actions">
                        {ACTIONS.map((a) => (
                          <button key={a} type="button" disabled={busy === r.name}
                            aria-label={`${a} ${r.name}`} onClick={(e) => {
                              opener.current = e.currentTarget;
                              setConfirm({ service: r.name, action: a });
                            }}>
                            {a}
                          </button>
                        ))}
                      </td>
                    ) : null}
                  </tr>
                  {asking ? (
                    // a row of its own under the service's: the question never widens the table, and it stays
                    // in sight on a phone however far the table is scrolled sideways
                    <tr className="confirm-row">
                      <td colSpan={COLUMNS + 1}>
                        <div role="group" aria-label={`Confirm ${asking.action} of ${r.name}`} className="confirm">
                          <span>{QUESTIONS[asking.action](r.name)}</span>
                          <button type="button" className="danger" onClick={() => run(r.name, asking.action)}
                            aria-label={`Yes, ${asking.action} ${r.name}`}>
                            Yes, {asking.action}
                          </button>
                          <button type="button" ref={cancelRef} onClick={cancel}
                            onKeyDown={(e) => e.key === "Escape" && cancel()}>Cancel</button>
                        </div>
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="status-line" role="status" aria-live="polite">{message}</p>
      <h3>Recent transitions</h3>
      {d.timeline.length === 0 ? <p className="muted">None recently.</p> : (
        <ol className="timeline" aria-label="Recent transitions">
          {d.timeline.slice(0, 15).map((t, i) => (
            <li key={`${t.at}-${t.service}-${i}`}>
              <time dateTime={new Date(t.at * 1000).toISOString()}>{new Date(t.at * 1000).toLocaleTimeString()}</time>{" "}
              <strong>{t.service}</strong> {t.old ? `${t.old} → ` : "→ "}<span className={`badge state-${t.state}`}>{t.state}</span>
              {t.why ? <span className="muted"> ({t.why})</span> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
