// Learn: a text, or a file (.txt one fact per line, .jsonl) learned in batches with a progress bar;
// per-line errors; the concepts created as links.
import { useState } from "react";
import { api, ApiError } from "../api";
import { ErrorBox, Spinner } from "../components/bits";
import { conceptHref } from "../route";
import { MAX_UPLOAD_BYTES, parseUpload, UPLOAD_BATCH, type LineError, type UploadItem } from "../upload";

interface Created {
  id: string;
  text: string;
}

export function LearnPage() {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<Created[]>([]);
  const [summary, setSummary] = useState("");
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [lineErrors, setLineErrors] = useState<LineError[]>([]);

  async function learnText() {
    setBusy(true);
    setError(null);
    try {
      const r = await api.learn(text);
      setCreated([{ id: r.concept_id, text }]);
      setSummary(`Learned: ${r.concepts_created} concepts and ${r.associations_created} links created.`);
      setText("");
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  async function learnItems(items: UploadItem[], errors: LineError[]) {
    const out: Created[] = [];
    const lines = items.length + errors.length;
    let concepts = 0;
    setProgress({ done: 0, total: items.length });
    for (let i = 0; i < items.length; i += UPLOAD_BATCH) {
      const batch = items.slice(i, i + UPLOAD_BATCH);
      try {
        const r = await api.learnBatch(batch.map(({ content, source, metadata }) => ({ content, source, metadata })));
        r.results.forEach((res, j) => out.push({ id: res.concept_id, text: batch[j].content }));
        concepts += r.concepts_created;
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 422) throw e;
        for (const item of batch) {
          // one by one, so that each bad line is named with sutra-api's reason
          try {
            const r = await api.learnBatch([{ content: item.content, source: item.source, metadata: item.metadata }]);
            out.push({ id: r.results[0].concept_id, text: item.content });
            concepts += r.concepts_created;
          } catch (e2) {
            if (!(e2 instanceof ApiError) || e2.status !== 422) throw e2;
            errors.push({ line: item.line, message: e2.message });
          }
        }
      }
      setProgress({ done: Math.min(i + UPLOAD_BATCH, items.length), total: items.length });
    }
    errors.sort((a, b) => a.line - b.line);
    setLineErrors([...errors]);
    setCreated(out);
    setSummary(`Learned ${out.length} of ${lines} lines (${concepts} concepts created).`);
  }

  async function learnFile(file: File) {
    setError(null);
    setLineErrors([]);
    setCreated([]);
    setSummary("");
    setProgress(null);
    if (file.size > MAX_UPLOAD_BYTES) {
      setError(new Error(`${file.name} is ${file.size} bytes; files up to ${MAX_UPLOAD_BYTES} bytes can be learned`));
      return;
    }
    setBusy(true);
    try {
      const { items, errors } = parseUpload(file.name, await file.text());
      if (items.length === 0) {
        setLineErrors(errors);
        setSummary(errors.length ? "Nothing learned: no line could be read." : `${file.name} has no facts in it.`);
        return;
      }
      await learnItems(items, errors);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page learn">
      <h1>Learn</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) void learnText();
        }}
      >
        <label htmlFor="learn-text">Facts to learn (plain sentences)</label>
        <textarea
          id="learn-text"
          rows={4}
          value={text}
          placeholder="Velmora is the capital of Ostrelia."
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" disabled={busy || !text.trim()}>
          Learn
        </button>
      </form>
      <div className="upload">
        <label htmlFor="learn-file">Or learn a file: .txt (one fact per line) or .jsonl</label>
        <input
          id="learn-file"
          type="file"
          accept=".txt,.jsonl,text/plain"
          disabled={busy}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void learnFile(f);
            e.target.value = "";
          }}
        />
      </div>
      {progress && (
        <div className="progress">
          <label htmlFor="upload-progress">
            Lines sent: {progress.done} of {progress.total}
          </label>
          <progress id="upload-progress" max={progress.total} value={progress.done} />
        </div>
      )}
      {busy && <Spinner label="Learning…" />}
      <ErrorBox error={error} />
      {summary && <p role="status">{summary}</p>}
      {lineErrors.length > 0 && (
        <section aria-labelledby="line-errors" className="error-list" data-testid="line-errors">
          <h2 id="line-errors">Lines not learned</h2>
          <ul>
            {lineErrors.map((e) => (
              <li key={`${e.line}:${e.message}`}>
                {e.line > 0 ? `Line ${e.line}: ` : ""}
                {e.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {created.length > 0 && (
        <section aria-labelledby="created-title">
          <h2 id="created-title">Concepts</h2>
          <ul className="created" data-testid="created">
            {created.map((c) => (
              <li key={c.id}>
                <a href={conceptHref(c.id)}>{c.text}</a>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
