"""A store that turns read-only after a disk failure says so everywhere, keeps serving reads, and an
operator returns it to writing without a restart (ResumeWrites / `sutra storage resume-writes`).

The disk failure is real: the data directory is on a small tmpfs that a filler file fills up, so
the WAL's next segment cannot be made (storage.wal_segment_bytes is small, so that comes soon).
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sutra_stack.errors import FailedPrecondition, Unauthenticated, Unavailable
from sutra_stack.storage import StorageClient
from sutra_stack.storage.proto.convert import SERVICE_NAME, WRITABLE_HEALTH_NAME
from tests.support.procs import PYTHON, ROOT, child_env, free_port, wait_until
from tests.support.storage_server import StorageServerHandle, health_status, storage_server
from tests.support.tmpfs import fill_disk, small_tmpfs

from .conftest import TOKEN, addresses
from .test_auth_grpcurl import grpcurl

ENV = {"SUTRA_EMBEDDING_DIM": "64", "SUTRA_STORAGE_WAL_SEGMENT_BYTES": "4096"}


def sutra(*args: str, token: str = "") -> subprocess.CompletedProcess[str]:
    env = {"SUTRA_STORAGE_TOKEN": token} if token else {}
    return subprocess.run([PYTHON, "-m", "sutra_stack", *args], cwd=ROOT, env=child_env(env), capture_output=True,
                          text=True, timeout=60)


def grpcurl_health(srv: StorageServerHandle, service: str) -> str:
    r = grpcurl("-plaintext", "-d", json.dumps({"service": service}), srv.address, "grpc.health.v1.Health/Check")
    assert r.returncode == 0, r.stderr
    return str(json.loads(r.stdout)["status"])


def gauge(metrics_port: int, name: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
    return float(next(line.split()[1] for line in text.splitlines() if line.startswith(name + " ")))


def write_until_read_only(c: StorageClient) -> tuple[str, FailedPrecondition]:
    """Learn concepts until the store refuses writes as read-only; returns (an acknowledged id, the refusal)."""
    acked = ""
    for i in range(5000):
        try:
            acked = c.learn_concept(f"filling the disk {i} {uuid.uuid4().hex} " + "x" * 200)
        except Unavailable as e:
            assert "moved to a new segment" in e.message, e.message  # the log moved on; the next write may fail
        except FailedPrecondition as e:
            assert acked, "the first write already failed"
            return acked, e
    raise AssertionError("the store never turned read-only on a full disk")


@pytest.fixture
def full_disk_server(tmp_path: Path) -> Iterator[tuple[StorageServerHandle, int, Path]]:
    """A server (token TOKEN, metrics on) whose data directory is on a small tmpfs; and the filler's path."""
    metrics_port = free_port()
    with small_tmpfs(tmp_path / "mnt") as mnt, storage_server(
            mnt / "data", token=TOKEN, log=tmp_path / "storage.log",
            env={**ENV, "SUTRA_STORAGE_METRICS_PORT": str(metrics_port)}) as srv:
        yield srv, metrics_port, mnt / "filler"


def test_a_full_disk_turns_the_store_read_only_visibly_and_resume_writes_returns_it(
    full_disk_server: tuple[StorageServerHandle, int, Path],
) -> None:
    srv, metrics_port, filler = full_disk_server
    with StorageClient(srv.address, token=TOKEN) as c:
        first = c.learn_concept(f"written before the disk filled {uuid.uuid4().hex}")
        assert grpcurl_health(srv, WRITABLE_HEALTH_NAME) == "SERVING"
        assert gauge(metrics_port, "sutra_storage_read_only") == 0

        fill_disk(filler)
        last, refusal = write_until_read_only(c)
        assert "read-only" in refusal.message

        # Writability is its own health name, flipped by the failed write; reads stay SERVING.
        wait_until(lambda: health_status(srv.host, srv.port, WRITABLE_HEALTH_NAME) == "NOT_SERVING", 10,
                   what="the writable health name to turn NOT_SERVING")
        assert grpcurl_health(srv, WRITABLE_HEALTH_NAME) == "NOT_SERVING"
        assert grpcurl_health(srv, "") == "SERVING"
        assert grpcurl_health(srv, SERVICE_NAME) == "SERVING"
        assert "READ-ONLY" in srv.log_text()

        # Reads are served on both doors; every report says read-only; writes are refused with what to do.
        for door, address in addresses(srv).items():
            with StorageClient(address, token=TOKEN) as r:
                assert r.query_concept(first) is not None and r.query_concept(last) is not None, door
                assert r.stats().read_only and r.health()["read_only"] and r.server_info()["read_only"], door
                with pytest.raises(FailedPrecondition) as exc:
                    r.learn_concept(f"refused on {door}")
                assert "resume-writes" in exc.value.message, door
        assert gauge(metrics_port, "sutra_storage_read_only") == 1

        # The admin call needs the token.
        with StorageClient(srv.address, token="wrong") as bad, pytest.raises(Unauthenticated):
            bad.resume_writes()
        no_token = sutra("storage", "resume-writes", "--storage", srv.address)
        assert no_token.returncode == 1 and "token" in no_token.stderr, no_token.stderr

        # Still full: the resume answers with the OS error and the store stays read-only.
        with pytest.raises(FailedPrecondition) as exc:
            c.resume_writes()
        assert "No space left on device" in exc.value.message and "stays read-only" in exc.value.message
        assert c.stats().read_only
        assert health_status(srv.host, srv.port, WRITABLE_HEALTH_NAME) == "NOT_SERVING"

        # Space is back: the operator resumes writes without a restart.
        filler.unlink()
        resumed = sutra("storage", "resume-writes", "--storage", srv.address, token=TOKEN)
        assert resumed.returncode == 0, resumed.stderr
        assert "writes resumed" in resumed.stdout
        wait_until(lambda: health_status(srv.host, srv.port, WRITABLE_HEALTH_NAME) == "SERVING", 10,
                   what="the writable health name to turn SERVING again")
        assert grpcurl_health(srv, "") == "SERVING"
        after = c.learn_concept(f"written after the resume {uuid.uuid4().hex}")
        assert not c.stats().read_only and c.query_concept(after) is not None
        assert gauge(metrics_port, "sutra_storage_read_only") == 0
        assert "accepts writes again" in srv.log_text()

        # A second resume is a harmless no-op with a clear answer.
        again = sutra("storage", "resume-writes", "--storage", srv.address, "--json", token=TOKEN)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout) == {"resumed": False, "read_only": False,
                                            "message": "the store already accepts writes; nothing to do"}
        expected = c.stats().concepts
    assert srv.proc.pid and srv.proc.poll() is None  # never restarted

    # What was acknowledged before the failure and after the resume survives a restart.
    srv.proc.terminate()
    assert srv.proc.wait(60) == 0, srv.log_text()[-2000:]
    with storage_server(srv.path, token=TOKEN, env=ENV, log=srv.log) as again_srv, \
            StorageClient(again_srv.address, token=TOKEN) as c2:
        assert c2.stats().concepts == expected
        for cid in (first, last, after):
            assert c2.query_concept(cid) is not None


def test_resume_on_a_healthy_store_is_a_no_op(tmp_path: Path) -> None:
    with storage_server(tmp_path / "data", env=ENV) as srv:
        for door, address in addresses(srv).items():
            with StorageClient(address) as c:
                assert c.resume_writes() == {"resumed": False, "read_only": False,
                                             "message": "the store already accepts writes; nothing to do"}, door
                assert c.learn_concept(f"still writable via {door}")
        assert health_status(srv.host, srv.port, WRITABLE_HEALTH_NAME) == "SERVING"


def test_a_store_configured_read_only_is_not_resumable(tmp_path: Path) -> None:
    with storage_server(tmp_path / "data", env=ENV) as srv, StorageClient(srv.address) as c:
        c.learn_concept("kept while writable")
    with storage_server(tmp_path / "data", env={**ENV, "SUTRA_STORAGE_READ_ONLY": "true"}) as srv:
        assert health_status(srv.host, srv.port) == "SERVING"
        assert health_status(srv.host, srv.port, WRITABLE_HEALTH_NAME) == "NOT_SERVING"
        for door, address in addresses(srv).items():
            with StorageClient(address) as c:
                with pytest.raises(FailedPrecondition) as exc:
                    c.resume_writes()
                assert "storage.read_only" in exc.value.message, door
                assert c.stats().read_only and c.stats().concepts == 1
        cli = sutra("storage", "resume-writes", "--storage", srv.address)
        assert cli.returncode == 1 and "configured read-only" in cli.stderr, cli.stderr
        assert health_status(srv.host, srv.port, WRITABLE_HEALTH_NAME) == "NOT_SERVING"


def test_resume_writes_cli_names_an_unreachable_server() -> None:
    r = sutra("storage", "resume-writes", "--storage", f"127.0.0.1:{free_port()}")
    assert r.returncode == 1 and "error:" in r.stderr
