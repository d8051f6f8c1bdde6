"""The server process: loading state, shutdown, crashes, consistency between processes, online backup."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from sutra_stack.errors import SutraError, Unavailable
from sutra_stack.storage import StorageClient
from sutra_stack.storage.model import AssociationInput, ConceptInput
from tests.support.procs import PYTHON, ROOT, child_env, free_port
from tests.support.storage_server import health_status, storage_server

from .conftest import FAST_ENV

BUILD_STORE = """
import os, sys
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.model import ConceptInput
e = Engine.open(sys.argv[1], {"storage.fsync": "off"})
n = int(sys.argv[2])
for i in range(0, n, 1000):
    e.learn_batch([ConceptInput(f"concept {j} of a large store, topic {j % 97}") for j in range(i, i + 1000)])
os._exit(0)  # no close: no snapshot, so the server has the whole WAL to replay
"""


def test_not_serving_while_a_large_store_loads(tmp_path: Path) -> None:
    data = tmp_path / "big"
    subprocess.run([PYTHON, "-c", BUILD_STORE, str(data), "5000"], check=True, timeout=120, cwd=ROOT,
                   env=child_env())
    seen: list[str] = []
    with storage_server(data, wait_serving=False) as srv:
        refused = None
        while True:
            status = health_status(srv.host, srv.port)
            seen.append(status)
            if status == "SERVING":
                break
            if refused is None:  # a StorageService call while loading: UNAVAILABLE, saying why
                try:
                    with StorageClient(srv.grpc_address) as early:
                        early.stats()
                except Unavailable as e:
                    refused = e
            assert srv.proc.poll() is None
            time.sleep(0.02)
        assert seen[0] == "NOT_SERVING", seen[:3]
        assert refused is not None and "loading" in str(refused)
        with StorageClient(srv.address) as c:
            assert c.stats().concepts == 5000
            assert health_status(srv.host, srv.port, "sutra.storage.StorageService") == "SERVING"


def _writer(client: StorageClient, acked: list[str], stop: threading.Event, batch: int = 1,
            errors: list[BaseException] | None = None) -> None:
    """Write until told to stop; `acked` gets every id the server acknowledged. Errors: retry later."""
    while not stop.is_set():
        texts = [f"w {uuid.uuid4().hex}" for _ in range(batch)]
        try:
            if batch > 1:
                ids = client.learn_batch([ConceptInput(t) for t in texts])
            else:
                ids = [client.learn_concept(texts[0])]
        except SutraError as e:
            if errors is not None:
                errors.append(e)
            time.sleep(0.05)
            continue
        acked.extend(ids)


@pytest.mark.parametrize("door", ["fast", "grpc"])
def test_sigterm_during_bulk_load_loses_no_acknowledged_write(tmp_path: Path, door: str) -> None:
    data = tmp_path / "data"
    acked: list[str] = []
    stop = threading.Event()
    errors: list[BaseException] = []
    with storage_server(data, env={"SUTRA_EMBEDDING_DIM": "64"}) as srv:
        client = StorageClient(srv.address if door == "fast" else srv.grpc_address)
        writers = [threading.Thread(target=_writer, args=(client, acked, stop, 50, errors)) for _ in range(3)]
        for w in writers:
            w.start()
        while len(acked) < 600:
            time.sleep(0.01)
        os.killpg(srv.proc.pid, signal.SIGTERM)
        assert srv.proc.wait(60) == 0
        stop.set()
        for w in writers:
            w.join(30)
        client.close()
        log = srv.log_text()
        assert "received SIGTERM" in log and "snapshot taken" in log and "stopped" in log
    assert errors, "the writers should have seen the server go away"
    assert all(isinstance(e, Unavailable) for e in errors), errors[:3]
    with storage_server(data, env={"SUTRA_EMBEDDING_DIM": "64"}) as srv, StorageClient(srv.address) as c:
        got = c.query_concepts(acked)
        missing = [i for i, g in zip(acked, got, strict=True) if g is None]
        assert not missing, f"{len(missing)} acknowledged writes lost: {missing[:5]}"
        assert c.stats().concepts >= len(set(acked))


def test_sigkill_and_restart_loop_through_the_network(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port, fast_port = free_port(), free_port()
    rng = random.Random(7)
    acked: list[str] = []
    client = StorageClient(f"127.0.0.1:{port}")  # one client for every incarnation: it reconnects by itself
    env = {"SUTRA_EMBEDDING_DIM": "64", "SUTRA_STORAGE_FSYNC": "always"}
    for cycle in range(4):
        with storage_server(data, port=port, fast_port=fast_port, env=env) as srv:
            present = client.query_concepts(acked) if acked else []
            assert all(p is not None for p in present), f"cycle {cycle}: acknowledged writes lost"
            stop = threading.Event()
            threads = [threading.Thread(target=_writer, args=(client, acked, stop)) for _ in range(4)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.3, 0.8))
            os.killpg(srv.proc.pid, signal.SIGKILL)
            srv.proc.wait(10)
            stop.set()
            for t in threads:
                t.join(30)
    with storage_server(data, port=port, fast_port=fast_port, env=env):
        got = client.query_concepts(acked)
        assert len(acked) > 20
        missing = [i for i, g in zip(acked, got, strict=True) if g is None]
        assert not missing, f"{len(missing)} acknowledged writes lost: {missing[:5]}"
    client.close()


def test_two_client_processes_see_each_others_writes(tmp_path: Path) -> None:
    with storage_server(tmp_path / "data", env=FAST_ENV | {"SUTRA_STORAGE_FSYNC": "always"}) as srv:
        def start(address: str) -> subprocess.Popen[str]:
            return subprocess.Popen([PYTHON, "-m", "tests.server.client_proc", address], cwd=ROOT, env=child_env(),
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

        writer, reader = start(srv.address), start(srv.address)
        try:
            assert writer.stdin and writer.stdout and reader.stdin and reader.stdout
            for i in range(30):
                writer.stdin.write(f"learn fact {i} {uuid.uuid4().hex}\n")
                writer.stdin.flush()
                cid = writer.stdout.readline().strip()
                assert len(cid) == 32, cid
                reader.stdin.write(f"get {cid}\n")  # the very next read, from another process
                reader.stdin.flush()
                assert reader.stdout.readline().strip() == "found", f"write {i} not visible to the other process"
        finally:
            for p in (writer, reader):
                p.kill()
                p.wait(10)


def test_online_backup_during_writes_restores_a_consistent_store(tmp_path: Path) -> None:
    backup_dir = (tmp_path / "data-backups" / "during-writes").resolve()  # under the default storage.backup_dir
    acked: list[str] = []
    attempted: list[str] = []
    stop = threading.Event()

    def chain_writer(client: StorageClient) -> None:
        prev: str | None = None
        while not stop.is_set():
            texts = [f"b {uuid.uuid4().hex}" for _ in range(20)]
            attempted.extend(ConceptInput(t).content for t in texts)
            ids = client.learn_batch([ConceptInput(t) for t in texts])
            links = [AssociationInput(a, b, "causal", 0.9) for a, b in zip(ids, ids[1:], strict=False)]
            if prev:
                links.append(AssociationInput(prev, ids[0], "temporal", 0.8))
            client.learn_associations(links)
            acked.extend(ids)
            prev = ids[-1]

    with storage_server(tmp_path / "data", env=FAST_ENV) as srv, StorageClient(srv.address) as c:
        t = threading.Thread(target=chain_writer, args=(c,))
        t.start()
        while len(acked) < 400:
            time.sleep(0.01)
        before = list(acked)
        assert c.backup(backup_dir.name) == str(backup_dir)
        time.sleep(0.2)
        stop.set()
        t.join(30)
        assert len(acked) > len(before)

    from sutra_stack.storage.model import content_id

    with storage_server(backup_dir, env=FAST_ENV) as srv, StorageClient(srv.address) as c:
        got = c.query_concepts(before)
        missing = [i for i, g in zip(before, got, strict=True) if g is None]
        assert not missing, f"writes acknowledged before the backup are missing: {missing[:5]}"
        all_ids = [content_id(t) for t in attempted]
        present = [g for g in c.query_concepts(all_ids) if g is not None]
        assert c.stats().concepts == len(present)
        ids = {g.id for g in present}
        edges = 0
        for cid in ids:
            for n in c.get_neighbors(cid):
                assert n.concept_id in ids, "an edge points at a concept the backup does not have"
                edges += 1
        assert edges // 2 == c.stats().associations


def test_read_only_server_refuses_writes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with storage_server(data, env=FAST_ENV) as srv, StorageClient(srv.address) as c:
        cid = c.learn_concept("kept for a read-only server")
    with storage_server(data, env=FAST_ENV | {"SUTRA_STORAGE_READ_ONLY": "true"}) as srv:
        for address in (srv.address, srv.grpc_address):
            with StorageClient(address) as c:
                assert c.query_concept(cid) is not None
                assert c.server_info()["read_only"] is True
                for write in (lambda: c.learn_concept("nope"), lambda: c.delete_concept(cid), c.flush):
                    with pytest.raises(SutraError) as exc:
                        write()
                    assert exc.value.code == "FAILED_PRECONDITION" and "read-only" in str(exc.value)


def test_second_server_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with storage_server(data, env=FAST_ENV):
        env = child_env({"SUTRA_STORAGE_PATH": str(data), "SUTRA_STORAGE_PORT": "0", "SUTRA_STORAGE_FAST_PORT": "0"})
        out = subprocess.run([PYTHON, "-m", "sutra_stack.storage.server"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode != 0
        assert "cannot open the store" in out.stderr and str(data) in out.stderr


def test_cli_serve_flags_override_settings_and_sigint_stops_cleanly(tmp_path: Path) -> None:
    import httpx

    from tests.support.storage_server import LISTEN_RE

    metrics_port = free_port()
    log = tmp_path / "cli.log"
    env = child_env({"SUTRA_STORAGE_PORT": "1", "SUTRA_STORAGE_FAST_PORT": "2", "SUTRA_STORAGE_PATH": "/nonexistent",
                     "SUTRA_STORAGE_METRICS_PORT": str(metrics_port), "SUTRA_LOG_LEVEL": "WARNING"} | FAST_ENV)
    sutra = Path(PYTHON).parent / "sutra"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(sutra), "storage", "serve", "--storage", str(tmp_path / "d"), "--port", "0",
                                 "--fast-port", "0", "--host", "127.0.0.1"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (m := LISTEN_RE.search(log.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        port = int(m.group(2))
        assert port not in (1, 0) and int(m.group(4)) not in (2, 0)
        while health_status("127.0.0.1", port) != "SERVING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with StorageClient(f"127.0.0.1:{port}") as c:
            c.learn_concept("metrics count me")
            c.stats()
        text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        assert 'sutra_storage_calls_total{code="OK",door="fast",op="learn_concept"} 1.0' in text
        assert "sutra_storage_call_seconds_bucket" in text and "sutra_storage_concepts 1.0" in text
        # the engine's figures: records and group commits of the WAL (and its fsyncs), snapshots
        records = re.search(r"^sutra_storage_engine_wal_records_total (\S+)$", text, re.M)
        assert records is not None and float(records.group(1)) >= 1.0
        for name in ("wal_group_commits_total", "wal_fsyncs_total", "snapshots_total", "snapshot_last_seconds"):
            assert f"sutra_storage_engine_{name} " in text, name
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(60) == 0
        assert (tmp_path / "d").is_dir()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
