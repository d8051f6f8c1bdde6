"""The generated units' hardening holds with our dependencies: the storage server (numpy, hnswlib,
grpcio, snapshot children) and sutra-api (uvicorn, httptools, two workers) run and serve under the
same kernel rules systemd would set from their units (tests/deploy/sandbox.py: no new privileges,
MemoryDenyWriteExecute, the SystemCallFilter= seccomp filter, RestrictAddressFamilies=, a read-only
file system but /tmp and /dev, a /proc of processes only)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sutra_stack.storage import StorageClient
from tests.deploy.configs import generate
from tests.deploy.harness import NotifySocket
from tests.support.procs import PYTHON, child_env, free_port, running
from tests.support.storage_server import health_status, listening_ports

SANDBOX = Path(__file__).parent / "sandbox.py"
FAST = {"SUTRA_STORAGE_FSYNC": "off", "SUTRA_EMBEDDING_DIM": "64"}
KERNEL = tuple(int(x) for x in os.uname().release.split("-")[0].split(".")[:2])
pytestmark = pytest.mark.skipif((KERNEL < (6, 3) or os.geteuid() != 0) and os.environ.get("CI") != "true",
                                reason="the sandbox needs Linux 6.3+ (PR_SET_MDWE) and root (mount namespace)")


@pytest.fixture(scope="module")
def units(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("units")
    r = generate(out, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "MemoryDenyWriteExecute=yes" in (out / "sutra-storage.service").read_text()
    return out


def _sandboxed(unit: Path, *argv: str) -> list[str]:
    return [PYTHON, str(SANDBOX), str(unit), *argv]


# A file the system keeps read-only under ProtectSystem=strict (root may write there outside the sandbox).
# Not the checkout: a clone under /tmp is writable in the sandbox, as PrivateTmp= leaves /tmp to the unit.
OUTSIDE = Path("/usr/lib/sutra-sandbox-was-here")


def test_the_sandbox_enforces_the_rules(units: Path) -> None:
    probe = (
        "import mmap, os, socket\n"
        "def refused(f):\n"
        "    try: f()\n"
        "    except OSError as e: return e.errno\n"
        "print(refused(lambda: mmap.mmap(-1, 4096, prot=7)),"
        " refused(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)),"
        " refused(lambda: os.sched_setaffinity(0, {0})), refused(lambda: socket.socket().close()),"
        f" refused(lambda: open({str(OUTSIDE)!r}, 'w')), refused(lambda: open('/proc/meminfo')),"
        " refused(lambda: open('/tmp/sandbox-' + str(os.getpid()), 'w').close()))\n"
    )
    r = subprocess.run(_sandboxed(units / "sutra-storage.service", PYTHON, "-c", probe), env=child_env(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    # W+X memory: EACCES; netlink and sched_setaffinity: EPERM (SystemCallErrorNumber); TCP: allowed;
    # /usr: EROFS (ProtectSystem=strict); /proc/meminfo: ENOENT (ProcSubset=pid); /tmp: allowed
    assert r.stdout.split() == ["13", "1", "1", "None", "30", "2", "None"]
    assert not OUTSIDE.exists()


@pytest.fixture()
def sandboxed_storage(units: Path, tmp_path: Path) -> Iterator[str]:
    log = tmp_path / "storage.log"
    env = {"SUTRA_STORAGE_PATH": str(tmp_path / "data"), "SUTRA_STORAGE_PORT": "0",
           "SUTRA_STORAGE_FAST_PORT": "0", **FAST}
    argv = _sandboxed(units / "sutra-storage.service", PYTHON, "-m", "sutra_stack.storage.server")
    with running(argv, env=env, log=log, timeout=60,
                 ready=lambda: (b := listening_ports(log)) is not None and health_status(b[0], b[1]) == "SERVING"):
        host, port, _ = listening_ports(log)  # type: ignore[misc]
        yield f"{host}:{port}"


def test_storage_server_serves_under_its_units_rules(sandboxed_storage: str, tmp_path: Path) -> None:
    with StorageClient(sandboxed_storage) as c:  # hnswlib inserts and searches, numpy, grpc, the fast door
        ids = [c.learn_concept(f"concept number {i} about rivers and rain") for i in range(50)]
        c.learn_association(ids[0], ids[1], "causal", 0.9)
        hits = c.vector_search(text="concept number 7 about rivers and rain", k=5)
        assert ids[7] in [h.concept_id for h in hits]
        assert [n.concept_id for n in c.get_neighbors(ids[0])] == [ids[1]]
        c.flush()  # a snapshot, written by a forked child
        assert c.stats().concepts == 50
    assert "Traceback" not in (tmp_path / "storage.log").read_text()


@pytest.mark.parametrize("workers", [1, 2])
def test_api_serves_under_its_units_rules(units: Path, sandboxed_storage: str, tmp_path: Path, workers: int) -> None:
    port = free_port()
    env = {"SUTRA_API_PORT": str(port), "SUTRA_API_WORKERS": str(workers), "SUTRA_STORAGE_SERVER": sandboxed_storage}
    url = f"http://127.0.0.1:{port}"
    argv = _sandboxed(units / "sutra-api.service", PYTHON, "-m", "sutra_stack.apps.api")
    with NotifySocket() as ns, running(argv, env={**env, **ns.env}, log=tmp_path / "api.log", timeout=60) as proc:
        assert ns.wait_for("READY").pid == proc.pid  # notification passes RestrictAddressFamilies (AF_UNIX)
        with httpx.Client(base_url=url, timeout=30) as http:
            assert http.post("/learn", json={"content": "Smoking causes lung cancer."}).status_code == 200
            answer = http.post("/ask", json={"question": "What does smoking cause?"})
            assert answer.status_code == 200 and "cancer" in answer.text.lower()
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(60) == 0
    assert "Traceback" not in (tmp_path / "api.log").read_text()
