"""Bulk-learning jobs: an uploaded file learned line by line through the Reasoner, as `/learn` does.

Each job lives in its own directory under `<state dir>/control/jobs/<id>/`: `upload` (the file, as
received), `job.json` (what it is and how far it got: the byte offset of the next line to learn,
rewritten after every batch) and `errors.jsonl` (one `{"line", "error"}` per line that could not be
learned; at most `MAX_BULK_LINE_ERRORS` are kept, the rest counted). Lines are learned in batches of
`BATCH_LINES` through `Reasoner.learn_batch` on a `StorageClient`, one job at a time on one thread.

Formats: `txt` (each non-blank line is a text), `jsonl` (objects with a string `content`, optional
`source` and `metadata`), `csv` (one record per line; `column` names the text's column, by header
name, the first row being the header, or by 0-based index, no header). A line that is not valid
UTF-8, not valid JSON, lacks the column, or is longer than MAX_LEARN_TEXT_BYTES is a per-line error,
not the end of the job.

States: queued, running, done, failed, cancelled, interrupted. A job `running` when the process
stopped (a reload, a crash) is found `interrupted` at start and resumed from its offset at once; a
cancelled, failed or interrupted one resumes on request. A batch learned just before a crash and
not yet recorded is learned again on resume (learning the same text twice adds no concept).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import queue
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sutra_stack.errors import FailedPrecondition, InvalidArgument, NotFound
from sutra_stack.limits import MAX_BULK_LINE_ERRORS, MAX_LEARN_TEXT_BYTES, MAX_METADATA_BYTES

BATCH_LINES = 256  # texts per learn_batch call, as `sutra learn --file` sends them
FORMATS = ("txt", "jsonl", "csv")
ACTIVE = ("queued", "running")
RESUMABLE = ("cancelled", "failed", "interrupted")


@dataclass
class Job:
    id: str
    filename: str
    format: str
    column: str = ""
    state: str = "queued"
    bytes_total: int = 0
    lines_total: int = 0
    offset: int = 0  # byte offset of the next line to learn
    line_no: int = 0  # lines read so far (the next line is line_no + 1)
    lines_done: int = 0  # lines read and handled (learned, skipped blank or in error)
    learned: int = 0
    errors: int = 0
    concepts_created: int = 0
    associations_created: int = 0
    header: list[str] = field(default_factory=list)
    resumed_at: list[int] = field(default_factory=list)  # the line each later run began with
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    message: str = ""
    rate: float = 0.0  # lines per second of the current (or last) run
    eta_seconds: float | None = None

    def view(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("header")
        d["percent"] = round(100.0 * self.offset / self.bytes_total, 1) if self.bytes_total else 100.0
        return d


def guess_format(filename: str, given: str) -> str:
    fmt = (given or Path(filename).suffix.lstrip(".")).lower()
    fmt = {"ndjson": "jsonl", "text": "txt", "": "txt"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise InvalidArgument(f"format must be one of {', '.join(FORMATS)} (from the field 'format' or the file's "
                              f"extension), got {fmt!r}", field="format")
    return fmt


class LineError(ValueError):
    pass


def parse_line(job: Job, raw: bytes) -> dict[str, Any] | None:
    """The item to learn from one line, None for a line to skip (blank, the csv header); LineError
    saying what is wrong with it."""
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError as e:
        raise LineError(f"not UTF-8 text (byte {e.start})") from None
    if not text:
        return None
    source = job.filename
    metadata = None
    if job.format == "jsonl":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise LineError(f"not JSON: {e.msg} at column {e.colno}") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("content"), str):
            raise LineError("each line must be a JSON object with a string field 'content'")
        content = obj["content"]
        if obj.get("source") is not None:
            if not isinstance(obj["source"], str):
                raise LineError("'source' must be a string")
            source = obj["source"]
        if obj.get("metadata") is not None:
            if not isinstance(obj["metadata"], dict):
                raise LineError("'metadata' must be a JSON object")
            if len(json.dumps(obj["metadata"]).encode()) > MAX_METADATA_BYTES:
                raise LineError(f"'metadata' is over {MAX_METADATA_BYTES} bytes (MAX_METADATA_BYTES)")
            metadata = obj["metadata"]
    elif job.format == "csv":
        try:
            row = next(csv.reader([text]))
        except (csv.Error, StopIteration) as e:
            raise LineError(f"not a CSV record: {e}") from None
        if job.column.isdigit():
            idx = int(job.column)
        else:
            if not job.header:
                job.header = [c.strip() for c in row]
                if job.column not in job.header:
                    raise LineError(f"the header has no column {job.column!r} (columns: {', '.join(job.header)})")
                return None
            if job.column not in job.header:
                raise LineError(f"the header has no column {job.column!r}")
            idx = job.header.index(job.column)
        if idx >= len(row):
            raise LineError(f"the record has {len(row)} columns, no column {job.column}")
        content = row[idx]
    else:
        content = text
    if not content.strip():
        raise LineError("the text is empty")
    size = len(content.encode("utf-8"))
    if size > MAX_LEARN_TEXT_BYTES:
        raise LineError(f"text is {size} bytes; the limit is {MAX_LEARN_TEXT_BYTES} (MAX_LEARN_TEXT_BYTES)")
    return {"content": content, "source": source, "metadata": metadata}


class Jobs:
    """Every job under `root`, and the one thread that runs them in turn."""

    def __init__(self, root: Path, reasoner_factory: Any) -> None:
        self.root = root
        for d in (root.parent, root):  # <state dir>/control/jobs, both 0700: uploads are private
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(d, 0o700)
        self.reasoner_factory = reasoner_factory  # () -> (Reasoner, store to close)
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.todo: queue.Queue[str | None] = queue.Queue()
        self.cancelled: set[str] = set()
        for d in sorted(root.iterdir()) if root.exists() else []:
            with contextlib.suppress(OSError, ValueError, TypeError):
                job = Job(**json.loads((d / "job.json").read_text(encoding="utf-8")))
                self.jobs[job.id] = job
        self.thread = threading.Thread(target=self._run, name="bulk-learn", daemon=True)
        self.thread.start()
        for job in sorted(self.jobs.values(), key=lambda j: j.created):
            if job.state in ACTIVE:  # the process stopped under it: go on from where it was
                if job.state == "running":
                    job.state, job.message = "interrupted", "the control process stopped; resumed at start"
                self._enqueue(job)

    # ---- files -------------------------------------------------------------------------------------
    def dir(self, job_id: str) -> Path:
        return self.root / job_id

    def _save(self, job: Job) -> None:
        path = self.dir(job.id) / "job.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(job)), encoding="utf-8")
        os.replace(tmp, path)

    def new_dir(self) -> tuple[str, Path]:
        job_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        d = self.dir(job_id)
        d.mkdir(mode=0o700)
        return job_id, d

    # ---- requests ----------------------------------------------------------------------------------
    def add(self, job: Job) -> Job:
        with self.lock:
            self.jobs[job.id] = job
            self._save(job)
        self._enqueue(job)
        return job

    def get(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise NotFound(f"no bulk-learn job {job_id!r}")
        return job

    def listing(self) -> list[dict[str, Any]]:
        return [j.view() for j in sorted(self.jobs.values(), key=lambda j: j.created, reverse=True)]

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.state not in ACTIVE:
            raise FailedPrecondition(f"job {job_id} is {job.state}: only a queued or running job can be cancelled")
        self.cancelled.add(job_id)
        if job.state == "queued":
            with self.lock:
                job.state, job.message = "cancelled", "cancelled before it started"
                self._save(job)
        return job

    def resume(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.state not in RESUMABLE:
            raise FailedPrecondition(f"job {job_id} is {job.state}: only a {', '.join(RESUMABLE)} job resumes")
        with self.lock:
            job.state, job.message = "queued", f"resumed at line {job.line_no + 1}"
            self._save(job)
        self._enqueue(job)
        return job

    def errors_path(self, job_id: str) -> Path:
        self.get(job_id)
        return self.dir(job_id) / "errors.jsonl"

    def _enqueue(self, job: Job) -> None:
        self.cancelled.discard(job.id)
        if job.state != "interrupted":
            job.state = "queued"
        self.todo.put(job.id)

    def close(self) -> None:
        self.todo.put(None)

    # ---- the worker --------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            job_id = self.todo.get()
            if job_id is None:
                return
            job = self.jobs[job_id]
            if job.state not in ("queued", "interrupted") or job_id in self.cancelled:
                continue
            try:
                self._learn(job)
            except Exception as e:  # noqa: BLE001 - the job says why, the next one runs
                with self.lock:
                    job.state = "failed" if not isinstance(e, (ConnectionError, OSError)) else "interrupted"
                    job.message = getattr(e, "message", None) or f"{e.__class__.__name__}: {e}"
                    job.finished = time.time()
                    self._save(job)

    def _learn(self, job: Job) -> None:
        reasoner, store = self.reasoner_factory()
        errors_file = open(self.dir(job.id) / "errors.jsonl", "ab")  # noqa: SIM115 - closed below
        try:
            with self.lock:
                if job.line_no:
                    job.resumed_at.append(job.line_no + 1)
                job.state, job.started, job.finished = "running", time.time(), None
                self._save(job)
            t0, done0 = time.monotonic(), job.lines_done
            with open(self.dir(job.id) / "upload", "rb") as f:
                f.seek(job.offset)
                while True:
                    if job.id in self.cancelled:
                        with self.lock:
                            job.state, job.message, job.finished = "cancelled", "cancelled", time.time()
                            self._save(job)
                        return
                    batch: list[tuple[int, dict[str, Any]]] = []
                    bad: list[tuple[int, str]] = []
                    read = 0
                    offset = job.offset
                    while len(batch) < BATCH_LINES:
                        raw = f.readline()
                        if not raw:
                            break
                        offset += len(raw)
                        read += 1
                        line_no = job.line_no + read
                        try:
                            item = parse_line(job, raw)
                        except LineError as e:
                            bad.append((line_no, str(e)))
                            continue
                        if item is not None:
                            batch.append((line_no, item))
                    if not read:
                        break
                    bad += self._learn_batch(reasoner, job, batch)
                    for line_no, why in bad:
                        if job.errors < MAX_BULK_LINE_ERRORS:
                            errors_file.write(json.dumps({"line": line_no, "error": why}).encode() + b"\n")
                        job.errors += 1
                    errors_file.flush()
                    with self.lock:
                        job.offset, job.line_no = offset, job.line_no + read
                        job.lines_done = job.line_no
                        elapsed = time.monotonic() - t0
                        job.rate = round((job.lines_done - done0) / elapsed, 1) if elapsed > 0 else 0.0
                        left = max(0, job.lines_total - job.lines_done)
                        job.eta_seconds = round(left / job.rate, 1) if job.rate else None
                        self._save(job)
            with self.lock:
                job.state, job.finished, job.eta_seconds = "done", time.time(), 0.0
                job.message = f"learned {job.learned} of {job.lines_done} lines, {job.errors} errors"
                self._save(job)
        finally:
            errors_file.close()
            close = getattr(store, "close", None)
            if close is not None:
                close()

    def _learn_batch(self, reasoner: Any, job: Job, batch: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, str]]:
        """Learn the batch at once; when the reasoner refuses it, each text alone, to tell which lines fail."""
        if not batch:
            return []
        try:
            results = reasoner.learn_batch([item for _, item in batch])
        except InvalidArgument:
            results = None
        bad: list[tuple[int, str]] = []
        if results is None:
            results = []
            for line_no, item in batch:
                try:
                    results += reasoner.learn_batch([item])
                except InvalidArgument as e:
                    bad.append((line_no, e.message))
        for r in results:
            job.concepts_created += r.concepts_created
            job.associations_created += r.associations_created
        job.learned += len(results)
        return bad
