"""Bulk-learning jobs: an uploaded file learned line by line through the Reasoner, as `/learn` does.

Each job lives in its own directory under `<state dir>/control/jobs/<id>/`: `upload` (the file, as
received), `job.json` (what it is and how far it got: the byte offset of the next line to learn,
rewritten after every batch) and `errors.jsonl` (one `{"line", "error"}` per line that could not be
learned; at most `MAX_BULK_LINE_ERRORS` are kept, the rest counted). Lines are learned in batches of
`BATCH_LINES` through `Reasoner.learn_batch` on a `StorageClient`, one job at a time, each in a worker
process (`worker.py`): its memory goes with it, and it never competes with the control process's
event loop. The worker holds `lock` (flock) while it runs, so a job is learned by one worker at a
time even while a reloaded control process and its predecessor overlap; `cancel` (a file) asks it
to stop after its batch.

Formats: `txt` (each non-blank line is a text), `jsonl` (objects with a string `content`, optional
`source` and `metadata`), `csv` (one record per line; `column` names the text's column, by header
name, the first row being the header, or by 0-based index, no header). A line that is not valid
UTF-8, not valid JSON, lacks the column, or is longer than MAX_LEARN_TEXT_BYTES is a per-line error,
not the end of the job.

States: queued, running, done, failed, cancelled, interrupted. A job queued, running or interrupted
when the control process starts (after a reload, a crash, storage being away) is resumed from its
offset at once; a cancelled, failed or interrupted one resumes on request. A batch learned just before a crash and
not yet recorded is learned again on resume (learning the same text twice adds no concept).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sutra_stack.errors import FailedPrecondition, InvalidArgument, NotFound
from sutra_stack.limits import MAX_LEARN_TEXT_BYTES, MAX_METADATA_BYTES

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


def load_job(d: Path) -> Job:
    return Job(**json.loads((d / "job.json").read_text(encoding="utf-8")))


def save_job(d: Path, job: Job) -> None:
    tmp = d / "job.json.tmp"
    tmp.write_text(json.dumps(asdict(job)), encoding="utf-8")
    os.replace(tmp, d / "job.json")


class Jobs:
    """Every job under `root` (read from its `job.json`, which the worker rewrites as it goes), and the
    thread that runs them in turn, each in a worker process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for d in (root.parent, root):  # <state dir>/control/jobs, both 0700: uploads are private
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(d, 0o700)
        self.lock = threading.Lock()
        self.todo: queue.Queue[str | None] = queue.Queue()
        self.worker: subprocess.Popen[bytes] | None = None
        self.thread = threading.Thread(target=self._run, name="bulk-learn", daemon=True)
        self.thread.start()
        found = []
        for d in root.iterdir():
            with contextlib.suppress(OSError, ValueError, TypeError):
                found.append(load_job(d))
        for job in sorted(found, key=lambda j: j.created):
            if job.state in (*ACTIVE, "interrupted"):  # stopped under it: go on from where it was
                self.todo.put(job.id)

    def dir(self, job_id: str) -> Path:
        if not job_id or "/" in job_id or job_id.startswith("."):
            raise NotFound(f"no bulk-learn job {job_id!r}")
        return self.root / job_id

    def new_dir(self) -> tuple[str, Path]:
        job_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        d = self.dir(job_id)
        d.mkdir(mode=0o700)
        return job_id, d

    def add(self, job: Job) -> Job:
        save_job(self.dir(job.id), job)
        self.todo.put(job.id)
        return job

    def get(self, job_id: str) -> Job:
        try:
            return load_job(self.dir(job_id))
        except (OSError, ValueError, TypeError):
            raise NotFound(f"no bulk-learn job {job_id!r}") from None

    def listing(self) -> list[dict[str, Any]]:
        found = []
        for d in self.root.iterdir():
            with contextlib.suppress(OSError, ValueError, TypeError):
                found.append(load_job(d))
        return [j.view() for j in sorted(found, key=lambda j: j.created, reverse=True)]

    def cancel(self, job_id: str) -> Job:
        with self.lock:
            job = self.get(job_id)
            if job.state not in (*ACTIVE, "interrupted"):
                raise FailedPrecondition(f"job {job_id} is {job.state}: only a queued, running or interrupted job "
                                         "can be cancelled")
            (self.dir(job_id) / "cancel").touch()  # the worker stops after its batch; a queued job never starts
            if job.state != "running":
                job.state, job.message = "cancelled", "cancelled before it ran"
                save_job(self.dir(job_id), job)
        return job

    def resume(self, job_id: str) -> Job:
        with self.lock:
            job = self.get(job_id)
            if job.state not in RESUMABLE:
                raise FailedPrecondition(f"job {job_id} is {job.state}: only a {', '.join(RESUMABLE)} job resumes")
            with contextlib.suppress(FileNotFoundError):
                (self.dir(job_id) / "cancel").unlink()
            job.state, job.message = "queued", f"to resume at line {job.line_no + 1}"
            save_job(self.dir(job_id), job)
        self.todo.put(job_id)
        return job

    def errors_path(self, job_id: str) -> Path:
        self.get(job_id)
        return self.dir(job_id) / "errors.jsonl"

    def close(self) -> None:
        self.todo.put(None)
        w = self.worker
        if w is not None and w.poll() is None:
            w.terminate()  # it stops after its batch, its offset saved; the next start resumes the job

    def _run(self) -> None:
        while True:
            job_id = self.todo.get()
            if job_id is None:
                return
            d = self.dir(job_id)
            if (d / "cancel").exists():
                continue
            self.worker = subprocess.Popen([sys.executable, "-m", "sutra_stack.apps.control.worker", str(d)],
                                           stdin=subprocess.DEVNULL)
            code = self.worker.wait()
            with self.lock, contextlib.suppress(OSError, ValueError, TypeError):
                job = load_job(d)
                if job.state in ("running", "queued") and code != 0:
                    job.state, job.message = "interrupted", f"the worker exited with {code}; resume it"
                    job.finished = time.time()
                    save_job(d, job)
