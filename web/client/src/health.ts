// Whether the stack answers: sutra-api's /health (with storage's status inside), polled while the
// page is open, faster while something is down so the app recovers as soon as it is back.
import { useEffect, useState } from "react";
import { api } from "./api";

export type Health = "ok" | "storage-down" | "api-down" | "unknown";

export const POLL_OK_MS = 5000;
export const POLL_DOWN_MS = 1000;

export function useHealth(): Health {
  const [health, setHealth] = useState<Health>("unknown");
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const tick = async () => {
      let next: Health;
      try {
        const h = await api.health();
        next = h.storage.status === "up" ? "ok" : "storage-down";
      } catch {
        next = "api-down";
      }
      if (stopped) return;
      setHealth(next);
      timer = window.setTimeout(tick, next === "ok" ? POLL_OK_MS : POLL_DOWN_MS);
    };
    void tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, []);
  return health;
}
