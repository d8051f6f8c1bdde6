// Requests to sutra-control (the page is served by it: same origin). The admin token, when the
// operator gave one, travels as `Authorization: Bearer`, never in a cookie or the URL.

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code: string = "") {
    super(message);
  }
}

export async function api<T>(path: string, token: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  const res = await fetch(path, { ...init, headers });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const err = (body as { error?: { message?: string; code?: string } } | null)?.error;
    throw new ApiError(res.status, err?.message || `${res.status} ${res.statusText}`, err?.code || "");
  }
  return body as T;
}

const TOKEN_KEY = "sutra-control-token";

/** The token lives in this tab's sessionStorage: asked once per tab, gone when the tab closes. */
export function savedToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  } catch {
    return "";
  }
}

export function saveToken(token: string): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage refused: the token lives as long as the page */
  }
}
