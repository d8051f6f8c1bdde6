"""Bulk learning through sutra-control: a 50,000-line file learned to 100% through the reasoner
(checked in storage and by asking sutra-api), progress, cancel and resume, resume after the control
process restarts, and bad uploads refused or kept as per-line errors."""

from __future__ import annotations

import json
import socket

import httpx

from sutra_stack.limits import MAX_BULK_UPLOAD_BYTES
from sutra_stack.storage import StorageClient
from tests.control.support import Control
from tests.supervisor.helpers import env_port
from tests.support.procs import wait_until

BIG = 50_000


def facts(tag: str, n: int) -> bytes:
    return "".join(f"{tag}town{i} is the capital of {tag}land{i}.\n" for i in range(n)).encode()


def upload(control: Control, name: str, data: bytes, **form: str) -> httpx.Response:
    with control.client() as c:
        return c.post("/admin/bulk-learn", files={"file": (name, data)}, data=form)


def concepts(control: Control) -> int:
    client = StorageClient(f"127.0.0.1:{env_port(control.d, 'SUTRA_STORAGE_PORT')}")
    try:
        return client.stats().concepts
    finally:
        client.close()


def ask(control: Control, question: str) -> str:
    r = httpx.post(f"http://127.0.0.1:{env_port(control.d, 'SUTRA_API_PORT')}/ask", json={"question": question},
                   timeout=60)
    assert r.status_code == 200, r.text
    answer: str = r.json()["answer"]
    return answer


def test_a_50000_line_file_is_learned_to_100_percent(stack: Control) -> None:
    before = concepts(stack)
    r = upload(stack, "capitals.txt", facts("Big", BIG))
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["lines_total"] == BIG and job["format"] == "txt"
    done = stack.wait_job(job["id"], "done", "failed", timeout=900)
    assert done["state"] == "done", done
    assert done["lines_done"] == BIG and done["learned"] == BIG and done["errors"] == 0 and done["percent"] == 100.0
    assert done["rate"] > 0
    assert concepts(stack) - before == done["concepts_created"] > 0
    assert "Bigtown49999" in ask(stack, "What is the capital of Bigland49999?")
    assert "Bigtown0" in ask(stack, "What is the capital of Bigland0?")
    with stack.client() as c:
        listed = c.get("/admin/bulk-learn").json()["jobs"]
    assert any(j["id"] == job["id"] and j["state"] == "done" for j in listed)


def test_cancel_then_resume(stack: Control) -> None:
    r = upload(stack, "c.txt", facts("Cancel", 20_000))
    job_id = r.json()["id"]
    running: dict = {}

    def moving() -> bool:
        nonlocal running
        running = stack.job(job_id)
        return running["state"] == "running" and running["lines_done"] > 0

    wait_until(moving, 120, 0.05, what="the job under way")
    assert running["rate"] > 0 and running["eta_seconds"] is not None and 0 < running["percent"] < 100
    with stack.client() as c:
        assert c.post(f"/admin/bulk-learn/{job_id}/cancel").status_code == 200
        cancelled = stack.wait_job(job_id, "cancelled")
        assert 0 < cancelled["lines_done"] < 20_000
        assert c.post(f"/admin/bulk-learn/{job_id}/cancel").status_code == 409  # not running any more
        assert c.post(f"/admin/bulk-learn/{job_id}/resume").status_code == 200
    done = stack.wait_job(job_id, "done", "failed")
    assert done["state"] == "done" and done["lines_done"] == done["learned"] == 20_000
    assert done["resumed_at"][0] == cancelled["lines_done"] + 1  # went on from where it stopped
    assert "Canceltown19999" in ask(stack, "What is the capital of Cancelland19999?")


def test_a_job_resumes_after_the_control_process_restarts(stack: Control) -> None:
    r = upload(stack, "r.txt", facts("Resume", 20_000))
    job_id = r.json()["id"]
    wait_until(lambda: stack.job(job_id)["lines_done"] > 0, 120, 0.05, what="the job under way")
    assert stack.sup is not None
    stack.sup.ask("restart", service="control")  # a reload, a crash: the process goes away mid-job
    done = stack.wait_job(job_id, "done", "failed")
    assert done["state"] == "done" and done["lines_done"] == done["learned"] == 20_000, done
    # resumed where it stopped (more than once when a code change reloaded it meanwhile), never from line 1
    assert done["resumed_at"] and all(line > 1 for line in done["resumed_at"])
    assert (stack.d / ".sutra" / "control" / "jobs" / job_id / "upload").exists()
    assert "Resumetown19999" in ask(stack, "What is the capital of Resumeland19999?")


def test_per_line_errors_are_kept_and_downloadable(stack: Control) -> None:
    data = (b'{"content": "Lumo is the capital of Vantria."}\n{not json\n[1, 2]\n'
            b'{"content": "Oska is the capital of Pellam."}\n')
    r = upload(stack, "facts.jsonl", data)
    assert r.status_code == 202, r.text
    done = stack.wait_job(r.json()["id"], "done", "failed")
    assert done["state"] == "done" and done["learned"] == 2 and done["errors"] == 2
    with stack.client() as c:
        errors = [json.loads(x) for x in c.get(f"/admin/bulk-learn/{done['id']}/errors").text.splitlines()]
    assert [e["line"] for e in errors] == [2, 3]
    assert "not JSON" in errors[0]["error"] and "'content'" in errors[1]["error"]


def test_csv_by_column(stack: Control) -> None:
    data = b'id,text\n1,"Mirel is the capital of Osk, a small land."\n2,Tavo is the capital of Brenn.\n'
    r = upload(stack, "facts.csv", data, column="text")
    assert r.status_code == 202, r.text
    done = stack.wait_job(r.json()["id"], "done", "failed")
    assert done["learned"] == 2 and done["errors"] == 0
    assert upload(stack, "facts.csv", data).status_code == 422  # which column?


def test_bad_uploads_are_refused_and_leave_nothing(stack: Control) -> None:
    with stack.client() as c:
        jobs_before = len(c.get("/admin/bulk-learn").json()["jobs"])
    for name, data, words in (("b.txt", b"PK\x03\x04\x00\x00binary", "binary"), ("e.txt", b"", "empty")):
        r = upload(stack, name, data)
        assert r.status_code == 422, r.text
        assert words in r.json()["error"]["message"]
    r = upload(stack, "x.pdf", b"text\n")
    assert r.status_code == 422 and "format" in r.json()["error"]["message"]
    with stack.client() as c:
        r = c.post("/admin/bulk-learn", content=b"just text", headers={"content-type": "text/plain"})
        assert r.status_code == 422 and "multipart" in r.json()["error"]["message"]
        assert len(c.get("/admin/bulk-learn").json()["jobs"]) == jobs_before
    jobs_dir = stack.d / ".sutra" / "control" / "jobs"
    assert len(list(jobs_dir.iterdir())) == jobs_before


def test_an_upload_over_the_limit_is_refused_before_it_is_read(stack: Control) -> None:
    with socket.create_connection(("127.0.0.1", stack.port), timeout=30) as s:
        s.sendall(f"POST /admin/bulk-learn HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {stack.token}\r\n"
                  f"Content-Type: multipart/form-data; boundary=x\r\n"
                  f"Content-Length: {MAX_BULK_UPLOAD_BYTES + 1}\r\n\r\n".encode())
        answer = ""
        while not answer.endswith("}"):  # headers and the JSON body, however they arrive
            chunk = s.recv(65536).decode()
            if not chunk:
                break
            answer += chunk
    assert answer.startswith("HTTP/1.1 413"), answer
    assert "MAX_BULK_UPLOAD_BYTES" in answer
    with stack.client() as c:
        assert c.get("/api/status").status_code == 200
