// Concept: its content, metadata, strength/confidence and times, its neighbours as a graph that
// grows when a node is clicked, and delete with a confirmation.
import { useEffect, useRef, useState } from "react";
import { api } from "../api";
import type { Concept } from "../types";
import { ErrorBox, Confidence, Spinner, when } from "../components/bits";
import { GraphView } from "../components/GraphView";
import { addNeighbors, type GEdge, type GNode } from "../graph";
import { go } from "../route";

export function ConceptPage({ id }: { id: string }) {
  const [concept, setConcept] = useState<Concept | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [graph, setGraph] = useState<{ nodes: GNode[]; edges: GEdge[] } | null>(null);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const [deleted, setDeleted] = useState(false);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const [c, n] = await Promise.all([api.concept(id), api.neighbors(id)]);
        if (!live) return;
        setConcept(c);
        setGraph(addNeighbors({ nodes: [{ id, label: c.content, role: "focus" }], edges: [] }, id, n.neighbors));
        setExpanded(new Set([id]));
      } catch (e) {
        if (live) setError(e);
      }
    })();
    return () => {
      live = false;
    };
  }, [id]);

  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  async function expand(nodeId: string) {
    if (expanded.has(nodeId) || !graph) return;
    try {
      const n = await api.neighbors(nodeId);
      setGraph((g) => (g ? addNeighbors(g, nodeId, n.neighbors) : g));
      setExpanded((s) => new Set(s).add(nodeId));
    } catch (e) {
      setError(e);
    }
  }

  async function remove() {
    try {
      await api.deleteConcept(id);
      setDeleted(true);
      setConfirming(false);
    } catch (e) {
      setError(e);
      setConfirming(false);
    }
  }

  if (deleted) {
    return (
      <div className="page concept">
        <h1>Concept deleted</h1>
        <p role="status" data-testid="deleted">
          The concept and its links are gone. <a href="#/ask">Back to Ask</a>
        </p>
      </div>
    );
  }
  return (
    <div className="page concept">
      <h1>Concept</h1>
      <ErrorBox error={error} />
      {!concept && !error && <Spinner label="Loading…" />}
      {concept && (
        <>
          <p className="content" data-testid="concept-content">
            {concept.content}
          </p>
          <dl className="facts">
            <dt>Id</dt>
            <dd>
              <code>{concept.id}</code>
            </dd>
            <dt>Strength</dt>
            <dd>{concept.strength.toFixed(2)}</dd>
            <dt>Confidence</dt>
            <dd>
              <Confidence value={concept.confidence} showLabel={false} />
            </dd>
            <dt>Created</dt>
            <dd>{when(concept.created)}</dd>
            <dt>Last accessed</dt>
            <dd>
              {when(concept.last_accessed)} ({concept.access_count} reads)
            </dd>
            <dt>Metadata</dt>
            <dd>
              {Object.keys(concept.metadata).length ? (
                <pre>{JSON.stringify(concept.metadata, null, 2)}</pre>
              ) : (
                "none"
              )}
            </dd>
          </dl>
          <h2>Neighbours</h2>
          {graph && graph.nodes.length > 1 ? (
            <>
              <p className="muted">Click a concept to add its neighbours; open it from the list below.</p>
              <GraphView graph={graph} onNode={(n) => void expand(n)} label={`Neighbours of ${concept.content}`} />
              <ul className="neighbour-links">
                {graph.nodes
                  .filter((n) => n.id !== id)
                  .map((n) => (
                    <li key={n.id}>
                      <a href={`#/concept/${n.id}`}>{n.label}</a>
                    </li>
                  ))}
              </ul>
            </>
          ) : (
            <p>No linked concepts.</p>
          )}
          {!confirming ? (
            <button type="button" className="danger" ref={deleteButton} onClick={() => setConfirming(true)}>
              Delete concept
            </button>
          ) : (
            <div role="alertdialog" aria-labelledby="confirm-title" className="confirm">
              <p id="confirm-title">Delete this concept and all its links? This cannot be undone.</p>
              <button type="button" className="danger" ref={confirmButton} onClick={() => void remove()}>
                Yes, delete
              </button>
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  setConfirming(false);
                  setTimeout(() => deleteButton.current?.focus());
                }}
              >
                Keep it
              </button>
            </div>
          )}
        </>
      )}
      <p>
        <button type="button" className="link" onClick={() => go("#/ask")}>
          Back to Ask
        </button>
      </p>
    </div>
  );
}
