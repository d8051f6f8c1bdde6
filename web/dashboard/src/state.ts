// What the page knows of the stack, and how each stream event (or a fetched status) changes it.

export interface Transition {
  at: number;
  state: string;
  why: string;
}

export interface ServiceRow {
  name: string;
  state: string;
  pid: number | null;
  uptime: number | null;
  restarts: number | null;
  health: string;
  ports: string[];
  cpu_percent: number | null;
  memory_bytes: number | null;
  last_exit: number | string | null;
  last_error?: string | null;
  transitions: Transition[];
}

export interface StatusBody {
  services: ServiceRow[];
  process_control: boolean;
  error: string;
  storage?: Record<string, unknown>;
  apps?: Record<string, Record<string, unknown>>;
  at?: number;
}

export interface Sample {
  at: number;
  services: Record<string, { cpu_percent: number | null; memory_bytes: number | null; state: string | null }>;
}

export interface TimelineEntry {
  at: number;
  service: string;
  old: string;
  state: string;
  why: string;
}

export interface Dashboard {
  services: ServiceRow[];
  fetchedAt: number; // when the rows' uptimes were true (epoch seconds)
  processControl: boolean;
  error: string;
  samples: Sample[];
  timeline: TimelineEntry[];
  storage: Record<string, unknown> | null;
  apps: Record<string, Record<string, unknown>> | null;
}

export const HISTORY_SECONDS = 3600;
const TIMELINE_KEPT = 50;
const SAME_TRANSITION_SECONDS = 0.25; // a row's transition and the stream's event of it: the same instant, a few ms apart

export const empty: Dashboard = {
  services: [], fetchedAt: 0, processControl: false, error: "", samples: [], timeline: [], storage: null, apps: null,
};

/** The transitions each row carries (the supervisor's recent ones), as timeline entries: the state
 * before each is the one before it in that row's list (unknown, "", for the oldest). */
export function rowTransitions(rows: ServiceRow[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const r of rows) {
    const ts = [...(r.transitions ?? [])].sort((a, b) => a.at - b.at);
    ts.forEach((t, i) => out.push({ at: t.at, service: r.name, old: i > 0 ? ts[i - 1].state : "", state: t.state,
      why: t.why ?? "" }));
  }
  return out;
}

/** Both lists as one timeline, newest first, each transition once: the same service reaching the same
 * state for the same reason at the same instant is one transition (the entry that knows the old state kept). */
export function mergeTimeline(a: TimelineEntry[], b: TimelineEntry[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const t of [...a, ...b].sort((x, y) => y.at - x.at)) {
    const i = out.findIndex((o) => o.service === t.service && o.state === t.state && o.why === t.why
      && Math.abs(o.at - t.at) < SAME_TRANSITION_SECONDS);
    if (i < 0) out.push(t);
    else if (!out[i].old && t.old) out[i] = { ...out[i], old: t.old };
  }
  return out.slice(0, TIMELINE_KEPT);
}

export function withStatus(d: Dashboard, s: StatusBody, now: number): Dashboard {
  return {
    ...d,
    services: s.services,
    timeline: mergeTimeline(d.timeline, rowTransitions(s.services ?? [])),
    fetchedAt: now,
    processControl: s.process_control,
    error: s.error,
    storage: s.storage ?? d.storage,
    apps: s.apps ?? d.apps,
  };
}

export function withSamples(d: Dashboard, samples: Sample[]): Dashboard {
  const all = [...d.samples, ...samples].sort((a, b) => a.at - b.at);
  const out: Sample[] = [];
  for (const s of all) if (!out.length || out[out.length - 1].at < s.at) out.push(s);
  const newest = out.length ? out[out.length - 1].at : 0;
  return { ...d, samples: out.filter((s) => s.at > newest - HISTORY_SECONDS) };
}

/** One stream event applied (log events are the Logs panel's). */
export function applyEvent(d: Dashboard, event: string, data: unknown, now: number): Dashboard {
  if (event === "snapshot") return withStatus(d, data as StatusBody, now);
  if (event === "state") {
    const t = data as TimelineEntry;
    return {
      ...d,
      services: d.services.map((r) => (r.name === t.service ? { ...r, state: t.state } : r)),
      timeline: mergeTimeline(d.timeline, [t]),
    };
  }
  if (event === "metrics") {
    const s = data as Sample;
    const services = d.services.map((r) => {
      const m = s.services[r.name];
      return m ? { ...r, cpu_percent: m.cpu_percent, memory_bytes: m.memory_bytes, state: m.state ?? r.state } : r;
    });
    return withSamples({ ...d, services }, [s]);
  }
  return d;
}

export function series(samples: Sample[], name: string, key: "cpu_percent" | "memory_bytes"): number[] {
  return samples.map((s) => s.services[name]?.[key] ?? 0);
}

export function formatBytes(n: number | null | undefined): string {
  if (n == null) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A figure the server may not have yet (a key missing or null): "—" until it has. */
export function figure(v: unknown, digits = 1, unit = ""): string {
  return typeof v === "number" && Number.isFinite(v) ? `${v.toFixed(digits)}${unit}` : "—";
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null) return "–";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}
