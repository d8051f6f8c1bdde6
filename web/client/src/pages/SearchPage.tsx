// Search: concepts similar to a text, each with its similarity and how it matched (sutra-api's
// /search is a vector search; a hit that also shares words with the query is marked as a text match).
import { useState } from "react";
import { api } from "../api";
import type { SearchHit } from "../types";
import { ErrorBox, Spinner } from "../components/bits";
import { conceptHref } from "../route";

export function matchOf(hit: SearchHit, query: string): "text" | "vector" {
  if (hit.match) return hit.match;
  const words = new Set(query.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []);
  const shared = (hit.content.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []).some((w) => words.has(w));
  return shared ? "text" : "vector";
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
              <th scope="col">Similarity</th>
              <th scope="col">Match</th>
            </tr>
          </thead>
          <tbody>
            {hits.results.map((h) => {
              const m = matchOf(h, hits.query);
              return (
                <tr key={h.concept_id}>
                  <td>
                    <a href={conceptHref(h.concept_id)}>{h.content}</a>
                  </td>
                  <td>{h.similarity.toFixed(3)}</td>
                  <td>
                    <span className={`tag tag-${m}`}>{m === "text" ? "text + vector" : "vector"}</span>
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
