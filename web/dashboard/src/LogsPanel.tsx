// Logs: a live tail of one service (or all of them, each line prefixed with its service in its own
// colour), filtered by text, paused (new lines held, not lost) and paged back by cursor.
import { type MutableRefObject, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { api } from "./api";

export interface LogLine {
  at: string | number; // the line's UTC timestamp as the log file has it (ISO 8601)
  text: string;
  cursor: string;
}

export interface ShownLine extends LogLine {
  service: string;
}

interface Page {
  lines: LogLine[];
  first: string | null;
  next: string | null;
}

const ALL = "(all)";
const TAIL = 200;
const KEPT = 5000; // lines kept in the page at most
const SUPERVISOR = "sutra"; // the supervisor's own log

/** Time order of two lines (ISO timestamps compare as text; a stable sort keeps a service's own order). */
export function byTime(x: LogLine, y: LogLine): number {
  if (typeof x.at === "number" && typeof y.at === "number") return x.at - y.at;
  const a = String(x.at);
  const b = String(y.at);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Both lists in time order, each line once (by service and cursor), the newest KEPT. */
export function mergeLines(a: ShownLine[], b: ShownLine[]): ShownLine[] {
  const seen = new Set<string>();
  const out: ShownLine[] = [];
  for (const l of [...a, ...b].sort(byTime)) {
    const k = `${l.service}\u0000${l.cursor}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(l);
    }
  }
  return out.slice(-KEPT);
}

/** HH:MM:SS (UTC, as the log files stamp it) of a line's timestamp. */
export function timeOfDay(at: string | number): string {
  return typeof at === "number" ? new Date(at * 1000).toISOString().slice(11, 19) : String(at).slice(11, 19);
}

export function matches(line: LogLine, filter: string): boolean {
  return !filter || line.text.toLowerCase().includes(filter.toLowerCase());
}

export function LogsPanel({ services, token, follow, sink, connections }: {
  services: string[];
  connections: number; // how many times the stream has (re)connected: lines missed in between are fetched
  token: string;
  follow: (services: string[]) => void;
  sink: MutableRefObject<(service: string, lines: LogLine[]) => void>;
}) {
  const [choice, setChoice] = useState(ALL);
  const [filter, setFilter] = useState("");
  const [paused, setPaused] = useState(false);
  const [lines, setLines] = useState<ShownLine[]>([]);
  const held = useRef<ShownLine[]>([]); // lines come while paused: shown on resume, never lost
  const [heldCount, setHeldCount] = useState(0);
  const [error, setError] = useState("");
  const firsts = useRef<Record<string, string | null>>({});
  const nexts = useRef<Record<string, string | null>>({}); // where each service's shown lines end
  const known = [...services, SUPERVISOR];
  const shown = choice === ALL ? known : [choice];
  const key = shown.join(",");
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const filterRef = useRef(filter);
  filterRef.current = filter;
  // a tail: the view follows the newest line while it is scrolled to the bottom, and stays put when the
  // reader has scrolled up (or paged back)
  const box = useRef<HTMLPreElement>(null);
  const atBottom = useRef(true);
  const toTop = useRef(false);

  // the tail of what is shown, then the stream's new lines for those services
  useEffect(() => {
    if (!services.length) return;
    let gone = false;
    const names = key.split(",");
    follow(names);
    setLines([]);
    atBottom.current = true;
    nexts.current = {};
    held.current = [];
    setHeldCount(0);
    const q = (svc: string) =>
      `/api/logs/${encodeURIComponent(svc)}?limit=${TAIL}${filter ? `&text=${encodeURIComponent(filter)}` : ""}`;
    Promise.all(names.map((svc) => api<Page>(q(svc), token).then((p) => ({ svc, p })).catch(() => null)))
      .then((pages) => {
        if (gone) return;
        let all: ShownLine[] = [];
        for (const got of pages) {
          if (!got) continue;
          firsts.current[got.svc] = got.p.first;
          nexts.current[got.svc] ??= got.p.next;
          all = mergeLines(all, got.p.lines.map((l) => ({ ...l, service: got.svc })));
        }
        setLines((live) => mergeLines(all, live.filter((l) => !all.some((a) => a.cursor === l.cursor))));
        setError(pages.every((p) => p === null) ? "the logs could not be read" : "");
      });
    return () => {
      gone = true;
    };
  }, [key, filter, token, follow, services.length]);

  useEffect(() => {
    sink.current = (service, got) => {
      const last = got[got.length - 1];
      if (last) nexts.current[service] = last.cursor;
      const fresh = got.filter((l) => matches(l, filterRef.current)).map((l) => ({ ...l, service }));
      if (!fresh.length) return;
      if (pausedRef.current) {
        held.current = [...held.current, ...fresh].slice(-KEPT);
        setHeldCount(held.current.length);
      } else setLines((ls) => mergeLines(ls, fresh));
    };
    return () => {
      sink.current = () => {};
    };
  }, [sink]);

  const pause = () => {
    pausedRef.current = true;
    setPaused(true);
  };

  // after a reconnect: the lines written while the stream was away (log events are not replayed)
  useEffect(() => {
    if (connections < 2) return;
    for (const svc of key.split(",")) {
      const after = nexts.current[svc];
      if (!after) continue;
      api<Page>(`/api/logs/${encodeURIComponent(svc)}?after=${encodeURIComponent(after)}&limit=${TAIL}`, token)
        .then((p) => sink.current(svc, p.lines))
        .catch(() => {});
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [connections]);

  const resume = () => {
    pausedRef.current = false;
    const h = held.current;
    held.current = [];
    setHeldCount(0);
    setPaused(false);
    setLines((ls) => mergeLines(ls, h));
  };

  const pageBack = useCallback(async () => {
    const older: ShownLine[] = [];
    for (const svc of shown) {
      const before = firsts.current[svc];
      if (!before) continue;
      const p = await api<Page>(`/api/logs/${encodeURIComponent(svc)}?before=${encodeURIComponent(before)}&limit=${TAIL}`
        + (filter ? `&text=${encodeURIComponent(filter)}` : ""), token);
      firsts.current[svc] = p.first;
      older.push(...p.lines.map((l) => ({ ...l, service: svc })));
    }
    toTop.current = true; // the older lines are what was asked for: shown from the top, the tail let go
    setLines((ls) => [...older.sort(byTime), ...ls].slice(0, KEPT));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, filter, token]);

  const canPageBack = shown.some((s) => firsts.current[s]);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (toTop.current) {
      toTop.current = false;
      atBottom.current = false;
      el.scrollTop = 0;
    } else if (atBottom.current) el.scrollTop = el.scrollHeight;
  }, [lines]);
  const onScroll = () => {
    const el = box.current;
    if (el) atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
  };

  return (
    <section className="panel" aria-labelledby="logs-h">
      <h2 id="logs-h">Logs</h2>
      <div className="controls">
        <label htmlFor="log-service">Service</label>
        <select id="log-service" value={choice} onChange={(e) => setChoice(e.target.value)}>
          <option value={ALL}>all</option>
          {known.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
        <label htmlFor="log-filter">Filter</label>
        <input id="log-filter" type="search" value={filter} onChange={(e) => setFilter(e.target.value)}
          placeholder="text in the line" />
        {paused ? (
          <button type="button" onClick={resume}>Resume ({heldCount} new)</button>
        ) : (
          <button type="button" onClick={pause}>Pause</button>
        )}
        <button type="button" onClick={() => void pageBack().catch((e) => setError(String(e)))}
          disabled={!canPageBack}>Older lines</button>
      </div>
      {error ? <p className="error" role="alert">{error}</p> : null}
      <pre className="logs" tabIndex={0} aria-label="Log lines" data-testid="log-lines" ref={box} onScroll={onScroll}>
        {lines.map((l) => (
          <div key={`${l.service}-${l.cursor}`} className="log-line">
            <time className="ts" dateTime={String(l.at)}>{timeOfDay(l.at)} </time>
            {choice === ALL ? <span className={`svc svc-${known.indexOf(l.service) % 6}`}>{l.service} | </span> : null}
            {l.text}
          </div>
        ))}
      </pre>
    </section>
  );
}
