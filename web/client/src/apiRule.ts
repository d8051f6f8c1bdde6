// The one rule of every front (Vite's proxy, the static server in sutra_stack/apps/client, a
// production proxy): the page calls /api/X and sutra-api receives /X.
export const API_PREFIX = "/api";

export function stripApiPrefix(path: string): string {
  if (path === API_PREFIX) return "/";
  return path.startsWith(API_PREFIX + "/") ? path.slice(API_PREFIX.length) : path;
}

export function apiTarget(host: string | undefined, port: string | undefined): string {
  let h = host || "127.0.0.1";
  if (h === "0.0.0.0" || h === "::" || h === "") h = "127.0.0.1";
  if (h.includes(":")) h = `[${h}]`;
  return `http://${h}:${port || "8000"}`;
}
