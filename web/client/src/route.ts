// Hash routes: #/ask, #/learn, #/search, #/stats, #/concept/<id>.
import { useEffect, useState } from "react";

export type Route = { page: "ask" | "learn" | "search" | "stats" } | { page: "concept"; id: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/");
  if (parts[0] === "concept" && parts[1]) return { page: "concept", id: parts[1] };
  if (parts[0] === "learn" || parts[0] === "search" || parts[0] === "stats") return { page: parts[0] };
  return { page: "ask" };
}

export function conceptHref(id: string): string {
  return `#/concept/${id}`;
}

export function go(hash: string): void {
  window.location.hash = hash;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}
