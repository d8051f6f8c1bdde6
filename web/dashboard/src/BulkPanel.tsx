// Bulk learning: drop (or choose) a txt / jsonl / csv file, pick the csv column from its header, watch
// the bar (lines, rate, ETA), read the per-line errors, cancel, resume; the jobs listed with their outcome.
import { useCallback, useEffect, useState } from "react";
import { api } from "./api";
import { formatDuration } from "./state";

export interface Job {
  id: string;
  filename: string;
  format: string;
  column: string;
  state: string;
  lines_total: number;
  lines_done: number;
  learned: number;
  errors: number;
  percent: number;
  rate: number;
  eta_seconds: number | null;
  message: string;
  created: number;
  resumed_at?: number[]; // the line each later run began with
}

interface LineError {
  line: number;
  error: string;
}

const POLL_MS = 500;
const ACTIVE = ["queued", "running"];
const RESUMABLE = ["cancelled", "failed", "interrupted"];

export function formatOf(name: string): string {
  const ext = name.toLowerCase().split(".").pop() || "";
  return ext === "csv" ? "csv" : ext === "jsonl" || ext === "ndjson" ? "jsonl" : "txt";
}

/** The header names of a csv's first line (a simple split: quoted commas are rare in headers). */
export function csvHeader(firstLine: string): string[] {
  return firstLine.replace(/\r$/, "").split(",").map((h) => h.trim().replace(/^"(.*)"$/, "$1")).filter(Boolean);
}

export function BulkPanel({ token }: { token: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [columns, setColumns] = useState<string[]>([]);
  const [column, setColumn] = useState("");
  const [jobs, setJobs] = useState<Job[]>([]);
  const [errors, setErrors] = useState<Record<string, LineError[]>>({});
  const [message, setMessage] = useState("");
  const [over, setOver] = useState(false);
  const [inputKey, setInputKey] = useState(0); // a new input after an upload: no stale file name shown

  const load = useCallback(async () => {
    try {
      setJobs((await api<{ jobs: Job[] }>("/admin/bulk-learn", token)).jobs);
    } catch {
      /* shown on the next try */
    }
  }, [token]);

  const active = jobs.some((j) => ACTIVE.includes(j.state));
  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), active ? POLL_MS : POLL_MS * 4);
    return () => clearInterval(t);
  }, [load, active]);

  const choose = async (f: File | null) => {
    setFile(f);
    setColumns([]);
    setColumn("");
    setMessage("");
    if (f && formatOf(f.name) === "csv") {
      const head = await f.slice(0, 64 * 1024).text();
      const cols = csvHeader(head.split("\n", 1)[0]);
      setColumns(cols);
      setColumn(cols[0] ?? "");
    }
  };

  const upload = async () => {
    if (!file) return;
    const form = new FormData();
    form.append("format", formatOf(file.name));
    if (column) form.append("column", column);
    form.append("file", file);
    setMessage(`uploading ${file.name}…`);
    try {
      const job = await api<Job>("/admin/bulk-learn", token, { method: "POST", body: form });
      setMessage(`job ${job.id} started`);
      setFile(null);
      setColumns([]);
      setInputKey((k) => k + 1);
      await load();
    } catch (e) {
      setMessage(`upload refused: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const act = async (job: Job, action: "cancel" | "resume") => {
    try {
      await api(`/admin/bulk-learn/${job.id}/${action}`, token, { method: "POST" });
      await load();
    } catch (e) {
      setMessage(`${action} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const showErrors = async (job: Job) => {
    const res = await fetch(`/admin/bulk-learn/${job.id}/errors`, { headers: { authorization: `Bearer ${token}` } });
    const lines = (await res.text()).split("\n").filter(Boolean).slice(0, 200).map((l) => JSON.parse(l) as LineError);
    setErrors((e) => ({ ...e, [job.id]: lines }));
  };

  return (
    <section className="panel" aria-labelledby="bulk-h">
      <h2 id="bulk-h">Bulk learning</h2>
      <div className={`drop ${over ? "over" : ""}`}
        onDragOver={(e) => { e.preventDefault(); setOver(true); }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => { e.preventDefault(); setOver(false); void choose(e.dataTransfer.files[0] ?? null); }}>
        <label htmlFor="bulk-file">Drop a .txt, .jsonl or .csv file here, or choose one</label>
        <input key={inputKey} id="bulk-file" type="file" accept=".txt,.jsonl,.ndjson,.csv,text/plain,text/csv"
          onChange={(e) => void choose(e.target.files?.[0] ?? null)} />
        {columns.length ? (
          <>
            <label htmlFor="bulk-column">Column holding the text</label>
            <select id="bulk-column" value={column} onChange={(e) => setColumn(e.target.value)}>
              {columns.map((c) => <option key={c} value={c}>{c}</option>)}
            </select>
          </>
        ) : null}
        <button type="button" disabled={!file} onClick={() => void upload()}>Learn this file</button>
      </div>
      <p className="status-line" role="status" aria-live="polite">{message}</p>
      {jobs.length === 0 ? <p className="muted">No jobs yet.</p> : (
        <ul className="jobs" aria-label="Bulk-learning jobs">
          {jobs.map((j) => (
            <li key={j.id} data-job={j.id}>
              <div className="job-head">
                <strong>{j.filename}</strong> <span className={`badge job-${j.state}`} data-testid="job-state">{j.state}</span>
                {ACTIVE.includes(j.state) ? <button type="button" onClick={() => void act(j, "cancel")}
                  aria-label={`Cancel ${j.filename}`}>Cancel</button> : null}
                {RESUMABLE.includes(j.state) ? <button type="button" onClick={() => void act(j, "resume")}
                  aria-label={`Resume ${j.filename}`}>Resume</button> : null}
              </div>
              <progress max={100} value={j.percent} aria-label={`Progress of ${j.filename}`}>{j.percent}%</progress>
              <span className="num" data-testid="job-percent">{j.percent.toFixed(1)}%</span>
              <span className="muted job-stats">
                {j.lines_done.toLocaleString("en")} / {j.lines_total.toLocaleString("en")} lines,
                {" "}{j.learned.toLocaleString("en")} learned, {j.rate.toFixed(0)} lines/s
                {ACTIVE.includes(j.state) && j.eta_seconds != null ? `, ETA ${formatDuration(j.eta_seconds)}` : ""}
                {j.resumed_at?.length ? ` · resumed at line ${j.resumed_at.map((n) => n.toLocaleString("en")).join(", ")}` : ""}
                {j.message ? ` · ${j.message}` : ""}
              </span>
              {j.errors > 0 ? (
                <div>
                  <button type="button" onClick={() => void showErrors(j)}>{j.errors} line error(s)</button>
                  {errors[j.id] ? (
                    <ul className="line-errors" aria-label={`Line errors of ${j.filename}`}>
                      {errors[j.id].map((e) => <li key={e.line}>line {e.line}: {e.error}</li>)}
                    </ul>
                  ) : null}
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
