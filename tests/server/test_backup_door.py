"""The server's Backup: a caller names a backup, the server writes it under storage.backup_dir (0700), never
anywhere else; the token guards it; a read-only server refuses it; a backup directory that overlaps the data
directory stops the start. Real server processes, real clients (StorageClient, raw fast door, grpcurl)."""

from __future__ import annotations

import os
import stat
import subprocess
import uuid
from pathlib import Path

import pytest

from sutra_stack import limits
from sutra_stack.errors import AlreadyExists, FailedPrecondition, InvalidArgument, Unauthenticated
from sutra_stack.storage import StorageClient
from tests.support.procs import PYTHON, ROOT, child_env
from tests.support.storage_server import StorageServerHandle, storage_server

from .conftest import FAST_ENV, TOKEN, addresses
from .rawfast import RawFast
from .test_auth_grpcurl import grpcurl

DOORS = ("grpc", "tcp")


def tree(path: Path) -> dict[str, int]:
    """Every file under `path` with its size: what a refused call must leave as it was."""
    return {str(p.relative_to(path)): p.stat().st_size for p in sorted(path.rglob("*")) if p.is_file()}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("door", DOORS)
def test_a_named_backup_goes_under_the_backup_dir_in_private_folders(server: StorageServerHandle, door: str) -> None:
    backup_dir = server.path.with_name(server.path.name + "-backups")  # the default: beside the data directory
    name = f"nightly-{door}.{uuid.uuid4().hex[:6]}"
    with StorageClient(addresses(server)[door]) as c:
        cid = c.learn_concept(f"kept in the backup {uuid.uuid4().hex}")
        assert c.backup(name) == str(backup_dir.resolve() / name)
        folder = backup_dir / name
        assert (folder / "store.json").is_file() and any(folder.iterdir())
        assert mode(backup_dir) == 0o700 and mode(folder) == 0o700
        inside = list(folder.rglob("*"))
        assert inside and all(mode(f) == (0o700 if f.is_dir() else 0o600) for f in inside), \
            {str(f): oct(mode(f)) for f in inside}
        with pytest.raises(AlreadyExists) as exc:
            c.backup(name)
        assert name in str(exc.value) and str(backup_dir.resolve()) in str(exc.value)
        assert c.query_concept(cid) is not None and c.health()["status"] == "SERVING"
    with storage_server(folder, env=FAST_ENV) as restored, StorageClient(restored.address) as c:
        assert c.query_concept(cid) is not None


# Paths, not names: each is refused before anything is written, on either door.
NOT_NAMES = [
    "wal/wal-99999999.log", "../data/wal/wal-99999999.log", "/proc/self/mem", "/tmp/x", "a\x00b", "garbage/dir",
    ".", "..", ".hidden", "-rf", "a b", "x" * (limits.MAX_BACKUP_NAME_CHARS + 1), "naïve",
]


@pytest.mark.parametrize("door", DOORS)
def test_paths_and_bad_names_are_refused_and_change_nothing(server: StorageServerHandle, door: str) -> None:
    backup_dir = server.path.with_name(server.path.name + "-backups").resolve()
    with StorageClient(addresses(server)[door]) as c:
        c.learn_concept(f"before the bad backups {uuid.uuid4().hex}")
        c.flush()
        data_before = tree(server.path)
        backups_before = sorted(os.listdir(backup_dir)) if backup_dir.exists() else []
        for bad in [*NOT_NAMES, str(server.path / "wal" / "wal-99999999.log"), str(backup_dir / "x")]:
            with pytest.raises(InvalidArgument) as exc:
                c.backup(bad)
            message = str(exc.value)
            assert "storage.backup_dir" in message and str(backup_dir) in message, (bad, message)
            assert "MAX_BACKUP_NAME_CHARS" in message, message
        with pytest.raises(InvalidArgument, match="path"):
            c.backup("")
        assert tree(server.path) == data_before
        assert (sorted(os.listdir(backup_dir)) if backup_dir.exists() else []) == backups_before
        assert not (ROOT / "garbage").exists() and not (server.path / "wal" / "wal-99999999.log").exists()
        assert c.health()["status"] == "SERVING"
    assert "Traceback" not in server.log_text()


def test_a_backup_name_of_another_type_is_an_invalid_argument(server: StorageServerHandle) -> None:
    conn = RawFast(server.fast_port)
    try:
        for rid, value in enumerate([5, 1.5, True, None, b"nightly", ["nightly"], {"name": "nightly"}], start=1):
            reply = conn.call("backup", {"path": value}, rid=rid)
            assert reply["id"] == rid and reply["error"]["code"] == "INVALID_ARGUMENT", (value, reply)
            assert "path must be a backup name" in reply["error"]["message"], reply
        assert conn.call("health", None, rid=99)["result"]["status"] == "SERVING"
    finally:
        conn.close()
    assert "Traceback" not in server.log_text()


@pytest.mark.parametrize("door", ("grpc", "tcp"))
def test_backup_needs_the_token_when_one_is_set(token_server: StorageServerHandle, door: str) -> None:
    backup_dir = token_server.path.with_name(token_server.path.name + "-backups")
    name = f"guarded-{door}"
    for bad in ("", "wrong-token"):
        with StorageClient(addresses(token_server)[door], token=bad) as c, pytest.raises(Unauthenticated):
            c.backup(name)
    assert not (backup_dir / name).exists()
    with StorageClient(addresses(token_server)[door], token=TOKEN) as c:
        assert c.backup(name) == str(backup_dir.resolve() / name)


def test_backup_over_grpcurl_needs_the_token_and_takes_only_a_name(token_server: StorageServerHandle) -> None:
    method = "sutra.storage.StorageService/Backup"
    denied = grpcurl("-plaintext", "-d", '{"path": "by-grpcurl"}', token_server.address, method)
    assert denied.returncode != 0 and "Unauthenticated" in denied.stderr
    auth = ("-H", f"authorization: Bearer {TOKEN}")
    path = grpcurl("-plaintext", *auth, "-d", '{"path": "/proc/self/mem"}', token_server.address, method)
    assert path.returncode != 0 and "InvalidArgument" in path.stderr and "storage.backup_dir" in path.stderr
    ok = grpcurl("-plaintext", *auth, "-d", '{"path": "by-grpcurl"}', token_server.address, method)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout and "by-grpcurl" in ok.stdout
    assert (token_server.path.with_name(token_server.path.name + "-backups") / "by-grpcurl" / "store.json").is_file()


def test_a_read_only_server_refuses_backups_and_says_what_to_do(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with storage_server(data, env=FAST_ENV) as srv, StorageClient(srv.address) as c:
        c.learn_concept("kept for a read-only server")
    before = tree(data)
    with storage_server(data, env=FAST_ENV | {"SUTRA_STORAGE_READ_ONLY": "true"}) as srv:
        for address in (srv.grpc_address, srv.fast_address):
            with StorageClient(address) as c, pytest.raises(FailedPrecondition) as exc:
                c.backup("while-read-only")
            assert "read-only" in str(exc.value) and "sutra storage backup" in str(exc.value)
        assert "Traceback" not in srv.log_text()
    assert not (tmp_path / "data-backups" / "while-read-only").exists()
    assert tree(data).keys() == before.keys()


@pytest.mark.parametrize("existing", [False, True])
def test_a_configured_backup_dir_is_made_private_and_used(tmp_path: Path, existing: bool) -> None:
    where = tmp_path / "elsewhere" / "sutra-backups"
    if existing:  # made by someone else, open to other users: narrowed to its owner
        where.mkdir(parents=True)
        where.chmod(0o755)
    with storage_server(tmp_path / "data", env=FAST_ENV | {"SUTRA_STORAGE_BACKUP_DIR": str(where)}) as srv, \
            StorageClient(srv.address) as c:
        c.learn_concept("configured backup dir")
        assert c.backup("first") == str(where / "first")
        assert mode(where) == 0o700 and mode(where / "first") == 0o700
        assert (where / "first" / "store.json").is_file()
        assert not (tmp_path / "data-backups").exists()


def test_links_cannot_send_a_backup_into_the_data_directory(tmp_path: Path) -> None:
    data, where = tmp_path / "data", tmp_path / "bk"
    where.mkdir()
    with storage_server(data, env=FAST_ENV | {"SUTRA_STORAGE_BACKUP_DIR": str(where)}) as srv, \
            StorageClient(srv.address) as c:
        c.learn_concept("links")
        c.flush()
        before = tree(data)
        (where / "into-wal").symlink_to(data / "wal" / "new-folder")  # a dangling link into the data directory
        with pytest.raises(AlreadyExists):
            c.backup("into-wal")
        assert not (data / "wal" / "new-folder").exists()
        (where / "into-wal").unlink()
        where.rmdir()
        where.symlink_to(data)  # the backup directory itself replaced by a link to the data directory
        with pytest.raises(FailedPrecondition) as exc:
            c.backup("swapped")
        assert "storage.backup_dir" in str(exc.value) and "data directory" in str(exc.value)
        assert tree(data) == before
        assert c.health()["status"] == "SERVING"


@pytest.mark.parametrize("where", ["data", "data/backups", ".", "data/../data"])
def test_a_backup_dir_overlapping_the_data_directory_stops_the_start(tmp_path: Path, where: str) -> None:
    env = child_env(FAST_ENV | {"SUTRA_STORAGE_PATH": str(tmp_path / "data"), "SUTRA_STORAGE_PORT": "0",
                                "SUTRA_STORAGE_FAST_PORT": "0", "SUTRA_STORAGE_BACKUP_DIR": str(tmp_path / where)})
    out = subprocess.run([PYTHON, "-m", "sutra_stack.storage.server"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2, out.stderr
    assert "storage.backup_dir" in out.stderr and "data directory" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "data" / "backups").exists()


@pytest.mark.parametrize("dest", ["data", "data/wal/wal-99999999.log", "data/backup", "."])
def test_the_offline_backup_refuses_a_destination_overlapping_the_store(tmp_path: Path, dest: str) -> None:
    data = tmp_path / "data"
    with storage_server(data, env=FAST_ENV) as srv, StorageClient(srv.address) as c:
        c.learn_concept("a stopped store")
    before = tree(data)
    out = subprocess.run([PYTHON, "-m", "sutra_stack", "storage", "backup", str(tmp_path / dest), "--storage",
                          str(data)], cwd=ROOT, env=child_env(FAST_ENV), capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "data directory" in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert tree(data) == before
    ok = subprocess.run([PYTHON, "-m", "sutra_stack", "storage", "backup", str(tmp_path / "elsewhere"), "--storage",
                         str(data)], cwd=ROOT, env=child_env(FAST_ENV), capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr

