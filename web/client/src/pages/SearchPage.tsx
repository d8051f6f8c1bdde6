// Search: concepts near a text (vector search, cosine similarity) and sharing its words (text search,
// BM25), each hit once with how it was found (sutra-api's /search in mode "both").
import { useState } from "react";
import { api } from "../api";
import type { SearchHit } from "../types";
import { ErrorBox, Spinner } from "../components/bits";
import { conceptHref } from "../route";

export const MATCH_LABELS = { vector: "vector", text: "text", both: "text + vector" } as const;

export function matchOf(hit: SearchHit): keyof typeof MATCH_LABELS {
  return hit.match ?? "vector";
}

export function scoreOf(hit: SearchHit): string {
  return matchOf(hit) === "text" ? `BM25 ${hit.similarity.toFixed(2)}` : hit.similarity.toFixed(3);
}

export function SearchPage() {
  const [query, setQuery] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [hits, setHits] = useState<{ query: string; results: SearchHit[] } | null>(null);

  async function search() {
    setBusy(true);
    setError(null);
    try {
      const q = query.trim();
      const r = await api.search(q);
      setHits({ query: q, results: r.results });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page search">
      <h1>Search</h1>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (query.trim()) void search();
        }}
      >
        <label htmlFor="search-q" className="sr-only">
          Search text
        </label>
        <input id="search-q" type="search" value={query} placeholder="Velmora" onChange={(e) => setQuery(e.target.value)} />
        <button type="submit" disabled={busy || !query.trim()}>
          Search
        </button>
      </form>
      {busy && <Spinner label="Searching…" />}
      <ErrorBox error={error} />
      {hits && hits.results.length === 0 && <p role="status">Nothing found for “{hits.query}”.</p>}
      {hits && hits.results.length > 0 && (
        <table className="results" data-testid="search-results">
          <caption>Results for “{hits.query}”</caption>
          <thead>
            <tr>
              <th scope="col">Concept</th>
              <th scope="col">Similarity (text hits: BM25)</th>
              <th scope="col">Match</th>
            </tr>
          </thead>
          <tbody>
            {hits.results.map((h) => {
              const m = matchOf(h);
              return (
                <tr key={h.concept_id}>
                  <td>
                    <a href={conceptHref(h.concept_id)}>{h.content}</a>
                  </td>
                  <td>{scoreOf(h)}</td>
                  <td>
                    <span className={`tag tag-${m}`}>{MATCH_LABELS[m]}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
