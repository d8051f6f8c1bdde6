// Answers recorded from a real sutra-api (tests/web/record_api_fixtures.py), and a fetch that serves
// them by route, for components that need API data.
import askTwoHops from "./fixtures/ask_two_hops.json";
import askSuperseded from "./fixtures/ask_superseded.json";
import askNothing from "./fixtures/ask_nothing.json";
import learnBatch from "./fixtures/learn_batch.json";
import search from "./fixtures/search.json";
import concept from "./fixtures/concept.json";
import neighbors from "./fixtures/neighbors.json";
import stats from "./fixtures/stats.json";
import error422 from "./fixtures/error_422.json";
import openapi from "./fixtures/openapi.json";

export const recorded = { askTwoHops, askSuperseded, askNothing, learnBatch, search, concept, neighbors, stats, error422, openapi };

export function serveRecorded(routes: Record<string, { status?: number; body: unknown }>): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input.toString();
    const key = `${init?.method ?? "GET"} ${url.replace(/\?.*$/, "")}`;
    const hit = routes[key];
    if (!hit) return new Response(JSON.stringify({ error: { code: "NOT_FOUND", message: `no ${key}` } }), { status: 404 });
    return new Response(JSON.stringify(hit.body), {
      status: hit.status ?? 200,
      headers: { "content-type": "application/json" },
    });
  }) as typeof fetch;
}
