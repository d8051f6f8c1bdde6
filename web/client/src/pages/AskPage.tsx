// Ask: a question, the answer with its confidence and explanation, the reasoning paths as a graph
// (click a concept to open it), superseded facts named, and the questions of this tab.
import { useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api";
import type { AskResponse } from "../types";
import { ErrorBox, Confidence, Spinner } from "../components/bits";
import { GraphView } from "../components/GraphView";
import { isSuperseded, pathsToGraph, period } from "../graph";
import { conceptHref, go } from "../route";

export interface AskEntry {
  question: string;
  answer: AskResponse;
}

export const EXAMPLE_FACTS = [
  "The Amberlight Museum is located in Velmora.",
  "Velmora is the capital of Ostrelia.",
];

interface Props {
  history: AskEntry[];
  setHistory: (f: (h: AskEntry[]) => AskEntry[]) => void;
  healthy: boolean;
}

export function AskPage({ history, setHistory, healthy }: Props) {
  const [question, setQuestion] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [shown, setShown] = useState<AskEntry | null>(history[0] ?? null);
  const [empty, setEmpty] = useState(false);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    if (!healthy) return;
    api.stats().then((s) => setEmpty(s.concepts === 0), () => undefined);
  }, [healthy]);
  useEffect(() => () => abort.current?.abort(), []);

  async function ask(q: string) {
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    setBusy(true);
    setError(null);
    try {
      const answer = await api.ask(q, ctl.signal);
      const entry = { question: q, answer };
      setShown(entry);
      setHistory((h) => [entry, ...h.filter((e) => e.question !== q)].slice(0, 50));
    } catch (e) {
      if ((e as Error).name !== "AbortError") setError(e);
    } finally {
      if (abort.current === ctl) {
        setBusy(false);
        abort.current = null;
      }
    }
  }

  async function learnExample() {
    setError(null);
    try {
      await api.learnBatch(EXAMPLE_FACTS.map((content) => ({ content, source: "first-run example" })));
      setEmpty(false);
      setQuestion("In which country is the Amberlight Museum?");
    } catch (e) {
      setError(e);
    }
  }

  return (
    <div className="page ask">
      <h1>Ask</h1>
      {empty && (
        <section className="hint" aria-labelledby="first-run">
          <h2 id="first-run">The knowledge base is empty</h2>
          <p>Teach it a few facts on the <a href="#/learn">Learn</a> page, or start with an example:</p>
          <ul>
            {EXAMPLE_FACTS.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
          <button type="button" onClick={learnExample}>
            Learn the example
          </button>
        </section>
      )}
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (question.trim()) void ask(question.trim());
        }}
      >
        <label htmlFor="question" className="sr-only">
          Question
        </label>
        <input
          id="question"
          type="text"
          placeholder="e.g. In which country is the Amberlight Museum?"
          value={question}
          onChange={(e) => setQuestion(e.target.value)}
          autoFocus
        />
        <button type="submit" disabled={busy || !question.trim()}>
          Ask
        </button>
        {busy && (
          <button type="button" className="secondary" onClick={() => abort.current?.abort()}>
            Cancel
          </button>
        )}
      </form>
      {busy && <Spinner label="Thinking…" />}
      <ErrorBox error={error} />
      {shown && <AnswerView entry={shown} />}
      {history.length > 0 && (
        <section aria-labelledby="history-title" className="history">
          <h2 id="history-title">Asked in this tab</h2>
          <ol>
            {history.map((h) => (
              <li key={h.question}>
                <button
                  type="button"
                  className="link"
                  onClick={() => {
                    setQuestion(h.question);
                    setShown(h);
                  }}
                >
                  {h.question}
                </button>{" "}
                <span className="muted">→ {h.answer.answer}</span>
              </li>
            ))}
          </ol>
        </section>
      )}
    </div>
  );
}

export function AnswerView({ entry }: { entry: AskEntry }) {
  const a = entry.answer;
  const graph = useMemo(() => pathsToGraph(a.paths, a.answer_concept_id), [a]);
  const seen = new Set<string>();
  const superseded = a.paths
    .flatMap((p) => p.steps.filter((s) => isSuperseded(s)))
    .filter((s) => {
      const key = s.superseded_by || s.concept_id; // the fact and the concept it leads to: one line
      return !seen.has(key) && seen.add(key) !== undefined;
    });
  return (
    <section className="answer" aria-labelledby="answer-title" data-testid="answer">
      <h2 id="answer-title">
        Answer: <span data-testid="answer-text">{a.answer}</span>
      </h2>
      <p>
        <Confidence value={a.confidence} /> <span className="tag">{a.kind}</span>
      </p>
      <p className="explanation">{a.explanation}</p>
      {superseded.length > 0 && (
        <div className="superseded-list" data-testid="superseded">
          <h3>Facts that no longer hold</h3>
          <ul>
            {superseded.map((s) => (
              <li key={s.concept_id}>
                {s.content} <span className="muted">(held {period(s) ?? "earlier"}; superseded)</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {graph.nodes.length > 0 && (
        <GraphView graph={graph} onNode={(id) => go(conceptHref(id))} label={`Reasoning paths for: ${entry.question}`} />
      )}
    </section>
  );
}
