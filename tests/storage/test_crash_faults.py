"""EIO and ENOSPC from the disk under the real Engine, injected at the `os` boundary of the WAL's
files: the failed writes raise and never appear, acknowledged ones all survive a reopen, and the
store either keeps going on a new segment or turns read-only (reads still answered)."""

from __future__ import annotations

import errno
import os
import random
from pathlib import Path
from typing import Any

import pytest

from sutra_stack.errors import FailedPrecondition, Unavailable
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.model import content_id
from tests.storage.crash_writer import ENGINE_SETTINGS

SETTINGS = dict(ENGINE_SETTINGS, **{"storage.snapshot_wal_bytes": 1 << 40})
_real = {"write": os.write, "fsync": os.fsync, "open": os.open}


class DiskFaults:
    """Fails the next armed os.write / os.fsync on a WAL segment, or the creation of one."""

    def __init__(self, wal_dir: Path) -> None:
        self.wal_dir = str(wal_dir.resolve())
        self.armed: list[tuple[str, int]] = []
        self.hits = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(os, "write", self._write)
        monkeypatch.setattr(os, "fsync", self._fsync)
        monkeypatch.setattr(os, "open", self._open)

    def arm(self, op: str, err: int) -> None:
        self.armed.append((op, err))

    def _take(self, op: str, path: str) -> int | None:
        if not (path.startswith(self.wal_dir + os.sep) and path.endswith(".log")):
            return None
        for i, (o, err) in enumerate(self.armed):
            if o == op:
                del self.armed[i]
                self.hits += 1
                return err
        return None

    def _fd_path(self, fd: int) -> str:
        try:
            return os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return ""

    def _write(self, fd: int, data: Any) -> int:
        err = self._take("write", self._fd_path(fd))
        if err is not None:
            _real["write"](fd, bytes(data[: len(data) // 2]))  # half of it reaches the file
            raise OSError(err, os.strerror(err))
        return _real["write"](fd, data)

    def _fsync(self, fd: int) -> None:
        err = self._take("fsync", self._fd_path(fd))
        if err is not None:
            raise OSError(err, os.strerror(err))
        _real["fsync"](fd)

    def _open(self, path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        if flags & os.O_CREAT:
            err = self._take("create", os.path.abspath(os.fspath(path)))
            if err is not None:
                raise OSError(err, os.strerror(err), str(path))
        return _real["open"](path, flags, mode, **kw)


def test_failed_writes_raise_and_the_store_moves_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s"
    eng = Engine.open(store, SETTINGS)
    faults = DiskFaults(store / "wal")
    faults.install(monkeypatch)
    rng = random.Random(9)
    acked: dict[str, str] = {}
    failed: list[str] = []
    try:
        for i in range(80):
            if i % 8 == 4:
                faults.arm(rng.choice(["write", "fsync"]), rng.choice([errno.EIO, errno.ENOSPC]))
            content = f"fault test concept {i}"
            try:
                acked[eng.learn_concept(content)] = content
            except Unavailable as e:
                assert "not stored" in str(e)
                failed.append(content)
        assert faults.hits == len(failed) == 10
        assert not eng.stats().read_only
        assert all(eng.query_concept(content_id(c)) is None for c in failed)
        assert [c.content for c in eng.query_concepts(list(acked))] == list(acked.values())
    finally:
        monkeypatch.undo()
        eng.close()
    with Engine.open(store, SETTINGS) as eng:
        assert [c.content if c else None for c in eng.query_concepts(list(acked))] == list(acked.values())
        assert all(eng.query_concept(content_id(c)) is None for c in failed)
        assert eng.stats().concepts == len(acked)


def test_store_turns_read_only_when_no_new_segment_can_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "s"
    eng = Engine.open(store, SETTINGS)
    kept = eng.learn_concept("written before the disk failed")
    faults = DiskFaults(store / "wal")
    faults.install(monkeypatch)
    try:
        faults.arm("fsync", errno.EIO)
        faults.arm("create", errno.ENOSPC)
        with pytest.raises(FailedPrecondition, match="read-only"):
            eng.learn_concept("lost to the failure")
        assert eng.stats().read_only
        with pytest.raises(FailedPrecondition, match="read-only"):
            eng.learn_concept("refused while read-only")
        assert eng.query_concept(kept) is not None  # reads still answered
        assert eng.text_search("written before", k=1)[0].concept_id == kept
    finally:
        monkeypatch.undo()
        eng.close()
    with Engine.open(store, SETTINGS) as eng:  # a healthy disk again
        assert eng.query_concept(kept) is not None
        assert eng.query_concept(content_id("lost to the failure")) is None
        assert not eng.stats().read_only
        eng.learn_concept("writable again")
