// Every call to sutra-api goes through `call`: the /api prefix, the token (asked once, kept for the
// tab in sessionStorage, sent as a bearer header), errors with sutra-api's own message, cancellation.
import { API_PREFIX } from "./apiRule";

const TOKEN_KEY = "sutra.api.token";

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field?: string,
    public fields?: { field: string; message: string }[],
  ) {
    super(message);
  }
}

export function getToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

// Set by the app: asks the person for the token; resolves "" when they cancel.
let askToken: ((why: string) => Promise<string>) | null = null;
export function onTokenNeeded(fn: ((why: string) => Promise<string>) | null): void {
  askToken = fn;
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON: said below by status */
  }
  const err = (body as { error?: { code?: string; message?: string; field?: string; fields?: [] } } | null)?.error;
  if (err && typeof err.message === "string") {
    return new ApiError(res.status, err.code || String(res.status), err.message, err.field, err.fields);
  }
  const text = res.status === 502 || res.status === 504 ? "sutra-api cannot be reached" : res.statusText;
  return new ApiError(res.status, String(res.status), `${res.status} ${text}`);
}

export async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const token = getToken();
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(API_PREFIX + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (e) {
      if ((e as Error).name === "AbortError") throw e;
      throw new ApiError(0, "UNAVAILABLE", "The server cannot be reached: is `sutra up` running?");
    }
    if (res.ok) return (await res.json()) as T;
    const err = await errorOf(res);
    if (res.status === 401 && askToken && attempt < 3) {
      const given = await askToken(err.message);
      if (given) {
        setToken(given);
        continue;
      }
    }
    throw err;
  }
}

export const api = {
  ask: (question: string, signal?: AbortSignal) =>
    call<import("./types").AskResponse>("POST", "/ask", { question }, signal),
  learn: (content: string) => call<import("./types").LearnResponse>("POST", "/learn", { content }),
  learnBatch: (items: { content: string; source?: string; metadata?: Record<string, unknown> }[]) =>
    call<import("./types").LearnBatchResponse>("POST", "/learn/batch", { items }),
  search: (query: string, top_k = 10) =>
    call<{ results: import("./types").SearchHit[] }>("POST", "/search", { query, top_k, mode: "both" }),
  concept: (id: string) => call<import("./types").Concept>("GET", `/concepts/${id}`),
  neighbors: (id: string) =>
    call<import("./types").NeighborsResponse>("GET", `/concepts/${id}/neighbors?limit=50`),
  deleteConcept: (id: string) => call<{ deleted: boolean }>("DELETE", `/concepts/${id}`),
  stats: () => call<import("./types").Stats>("GET", "/stats"),
  health: () => call<import("./types").Health>("GET", "/health"),
};
