"""`python -m sutra_stack.apps.control.worker JOB_DIR`: learn one bulk-learning job (see jobs.py) from
its saved offset to the end, a cancel, SIGTERM or an error, rewriting `job.json` after each batch.

It reads its settings from SUTRA_* variables like every process of the stack and holds the job's
`lock` while it runs. SIGTERM (the control process stopping or reloading) ends it after the batch
under way, the job left `running` with its offset saved, so the next control process resumes it.
Exit status 0 whatever the job's outcome (written in `job.json`); 1 when it could not start.
"""

from __future__ import annotations

import fcntl
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from sutra_stack.apps.common.storage import connect_storage
from sutra_stack.apps.control.jobs import BATCH_LINES, Job, LineError, load_job, parse_line, save_job
from sutra_stack.config import settings_from_env
from sutra_stack.errors import InvalidArgument
from sutra_stack.limits import MAX_BULK_LINE_ERRORS

stopping = False


def _on_term(*_: object) -> None:
    global stopping
    stopping = True


def learn_batch(reasoner: Any, job: Job, batch: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, str]]:
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


def run(d: Path, reasoner: Any) -> None:
    job = load_job(d)
    if job.state not in ("queued", "running", "interrupted") or (d / "cancel").exists():
        return
    if job.line_no:
        job.resumed_at.append(job.line_no + 1)
    job.state, job.started, job.finished, job.message = "running", time.time(), None, ""
    save_job(d, job)
    t0, done0 = time.monotonic(), job.lines_done
    with open(d / "upload", "rb") as f, open(d / "errors.jsonl", "ab") as errors:
        f.seek(job.offset)
        while True:
            if (d / "cancel").exists():
                job.state, job.message, job.finished = "cancelled", "cancelled", time.time()
                break
            if stopping:
                job.message = f"stopped at line {job.line_no + 1} (the control process stopped); resumes at its start"
                break
            batch: list[tuple[int, dict[str, Any]]] = []
            bad: list[tuple[int, str]] = []
            read, offset = 0, job.offset
            while len(batch) < BATCH_LINES:
                raw = f.readline()
                if not raw:
                    break
                offset += len(raw)
                read += 1
                try:
                    item = parse_line(job, raw)
                except LineError as e:
                    bad.append((job.line_no + read, str(e)))
                    continue
                if item is not None:
                    batch.append((job.line_no + read, item))
            if not read:
                job.state, job.finished, job.eta_seconds = "done", time.time(), 0.0
                job.message = f"learned {job.learned} of {job.lines_done} lines, {job.errors} errors"
                break
            bad += learn_batch(reasoner, job, batch)
            for line_no, why in bad:
                if job.errors < MAX_BULK_LINE_ERRORS:
                    errors.write(json.dumps({"line": line_no, "error": why}).encode() + b"\n")
                job.errors += 1
            errors.flush()
            job.offset, job.line_no = offset, job.line_no + read
            job.lines_done = job.line_no
            elapsed = time.monotonic() - t0
            job.rate = round((job.lines_done - done0) / elapsed, 1) if elapsed > 0 else 0.0
            left = max(0, job.lines_total - job.lines_done)
            job.eta_seconds = round(left / job.rate, 1) if job.rate else None
            save_job(d, job)
    save_job(d, job)


def main() -> int:
    signal.signal(signal.SIGTERM, _on_term)
    d = Path(sys.argv[1])
    with open(d / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a predecessor's worker finishes its batch first
        store = None
        try:
            from sutra_stack.reasoning import Reasoner

            store = connect_storage(settings_from_env())
            run(d, Reasoner(store))
        except Exception as e:  # noqa: BLE001 - the job says why
            job = load_job(d)
            unreachable = isinstance(e, (ConnectionError, OSError)) or getattr(e, "code", "") == "UNAVAILABLE"
            job.state = "interrupted" if unreachable else "failed"
            job.message = getattr(e, "message", None) or f"{e.__class__.__name__}: {e}"
            job.finished = time.time()
            save_job(d, job)
        finally:
            if store is not None:
                store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
