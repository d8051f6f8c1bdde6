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

export const empty: Dashboard = {
  services: [], fetchedAt: 0, processControl: false, error: "", samples: [], timeline: [], storage: null, apps: null,
};

export function withStatus(d: Dashboard, s: StatusBody, now: number): Dashboard {
  return {
    ...d,
    services: s.services,
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
      timeline: [t, ...d.timeline].slice(0, TIMELINE_KEPT),
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

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null) return "–";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}
