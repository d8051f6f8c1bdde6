// One live stream per tab (`GET /api/stream`, read with fetch): it reconnects by itself after the
// control process or the network blinks, sending `Last-Event-ID` so the events in between follow.
import { SseParser, type StreamEvent } from "./sse";

export interface StreamOptions {
  token: string;
  logs: string[]; // services whose new log lines come as `log` events
  onEvent: (ev: StreamEvent) => void;
  onConnected: (connected: boolean, why?: string) => void;
  onUnauthorized: (message: string) => void;
  lastId?: string;
}

const RETRY_MS = [250, 500, 1000, 2000, 3000];

/** Opens the stream; answers a function that closes it for good (and the last event id seen). */
export function openStream(opts: StreamOptions): () => string {
  let lastId = opts.lastId || "";
  let closed = false;
  let abort = new AbortController();
  let attempt = 0;

  const run = async (): Promise<void> => {
    while (!closed) {
      abort = new AbortController();
      const headers: Record<string, string> = { authorization: `Bearer ${opts.token}` };
      if (lastId) headers["last-event-id"] = lastId;
      const q = opts.logs.length ? `?logs=${encodeURIComponent(opts.logs.join(","))}` : "";
      try {
        const res = await fetch(`/api/stream${q}`, { headers, signal: abort.signal, cache: "no-store" });
        if (res.status === 401) {
          const body = await res.json().catch(() => null);
          // a stream closed meanwhile (reopened for other logs) says nothing: its successor answers
          if (!closed) opts.onUnauthorized(body?.error?.message || "the admin token was refused");
          return;
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        opts.onConnected(true);
        attempt = 0;
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        const parser = new SseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
            if (ev.id) lastId = ev.id;
            opts.onEvent(ev);
          }
        }
        if (!closed) opts.onConnected(false, "the stream ended");
      } catch (e) {
        if (closed) return;
        opts.onConnected(false, e instanceof Error ? e.message : String(e));
      }
      await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]));
    }
  };
  void run();
  return () => {
    closed = true;
    abort.abort();
    return lastId;
  };
}
