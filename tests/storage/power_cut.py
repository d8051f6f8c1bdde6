"""The power-cut harness: record every change a store (or a bare WAL) makes to its disk through
the `FileOps` seam, then rebuild the tree as a power cut after any event would leave it.

`RecordingOps` records every create, write, truncate, fsync, rename, unlink, mkdir and directory
fsync under a root (forked snapshot children included); `power_cut` rebuilds: only bytes covered
by an fsync of their file, only entries covered by an fsync of their directory (optionally plus a
prefix of the later directory changes and a torn prefix of the unsynced bytes).
"""

from __future__ import annotations

import os
import pickle
import random
import struct
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from sutra_stack.storage.wal.fileops import DIR_MODE, FILE_MODE, FileOps

_LEN = struct.Struct("<I")

DIR = -1  # the file id of a directory entry in the power-cut model
_RECORDERS: weakref.WeakSet[RecordingOps] = weakref.WeakSet()


def _before_fork() -> None:
    for r in list(_RECORDERS):
        r._lock.acquire()  # no event half-recorded by another thread when the child is made


def _after_fork_in_parent() -> None:
    for r in list(_RECORDERS):
        r._lock.release()


def _after_fork_in_child() -> None:
    for r in list(_RECORDERS):
        r._become_child()


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                    after_in_child=_after_fork_in_child)


class RecordingOps(FileOps):
    """Real operations on files under `root`, plus an event log: what a power cut at any point
    would have kept. The one power-cut harness, for a bare WAL as for a whole store.

    Events (paths relative to `root`): ("create", path, id), ("known", path, id, content) for a
    file that existed before it was first opened here, ("mkdir", path), ("write", id, offset,
    bytes), ("truncate", id, size), ("content", id, bytes) when a file is fsynced whose bytes were
    written past the seam (hnswlib writes its index from C++: its content is read back at the
    fsync), ("fsync", id), ("rename", src, dst), ("unlink", path), ("fsync_dir", dir), and
    ("mark", ...) for test-level events such as acknowledgements. A file id is (pid, n): forked
    children (the engine writes snapshots from one) record into a spool file, and `events` merges
    everything by a system-wide monotonic clock.
    """

    def __init__(self, root: Path, spool: Path | None = None) -> None:
        self.root = Path(root).resolve()
        self.spool = Path(spool) if spool else Path(str(self.root) + ".spool")
        self.spool.mkdir(parents=True, exist_ok=True)
        self._events: list[tuple] = []
        self._lock = threading.RLock()
        self._spool_fd: int | None = None
        self._fds: dict[int, tuple[tuple[int, int], int]] = {}  # fd -> (file id, flags)
        self._names: dict[str, tuple[int, int]] = {}  # path -> file id, as this process knows them
        self._sizes: dict[tuple[int, int], int] = {}  # file id -> size as recorded
        self._next = 0
        self._merged: list[tuple] | None = None
        _RECORDERS.add(self)

    # --- the log ---------------------------------------------------------------------------
    @property
    def events(self) -> list[tuple]:
        """Every event of this process and its forked children, in time order."""
        with self._lock:
            timed = list(self._events)
        for f in sorted(self.spool.glob("child-*.events")):
            data = f.read_bytes()
            pos = 0
            while pos + _LEN.size <= len(data):
                (n,) = _LEN.unpack_from(data, pos)
                if pos + _LEN.size + n > len(data):
                    break  # a child killed mid-write: its last event never happened
                timed.append(pickle.loads(data[pos + _LEN.size : pos + _LEN.size + n]))
                pos += _LEN.size + n
        timed.sort(key=lambda e: e[0])
        return [e[1:] for e in timed]

    def mark(self, *event: object) -> None:
        """Record a test-level event (e.g. ("ack", lsn, payload)) in order with the I/O."""
        with self._lock:
            self._add(("mark", *event))

    def rebuild(self, k: int, dest: Path, rng: random.Random | None = None) -> list[tuple]:
        """`power_cut` of this log before event k into `dest`; returns the marks before it."""
        return power_cut(self.events, k, dest, rng)

    def _add(self, event: tuple) -> None:
        timed = (time.monotonic_ns(), *event)
        if self._spool_fd is None:
            self._events.append(timed)
        else:
            blob = pickle.dumps(timed)
            os.write(self._spool_fd, _LEN.pack(len(blob)) + blob)

    def _become_child(self) -> None:
        self._lock = threading.RLock()
        self._events = []
        self._spool_fd = os.open(self.spool / f"child-{os.getpid()}.events", os.O_WRONLY | os.O_CREAT | os.O_APPEND)

    def _rel(self, path: Path | str) -> str | None:
        rel = os.path.relpath(os.path.abspath(path), self.root)
        return None if rel == ".." or rel.startswith(".." + os.sep) else rel

    def _new_id(self) -> tuple[int, int]:
        self._next += 1
        return (os.getpid(), self._next)

    # --- the operations --------------------------------------------------------------------
    def open(self, path: Path, flags: int, mode: int = FILE_MODE) -> int:
        with self._lock:
            rel = self._rel(path)
            existed = os.path.exists(path)
            fd = super().open(path, flags, mode)
            if rel is None:
                return fd
            if not existed:
                fid = self._names[rel] = self._new_id()
                self._sizes[fid] = 0
                self._add(("create", rel, fid))
            elif rel not in self._names:
                fid = self._names[rel] = self._new_id()
                content = Path(path).read_bytes()
                self._sizes[fid] = len(content)
                self._add(("known", rel, fid, content))
            self._fds[fd] = (self._names[rel], flags)
            return fd

    def write(self, fd: int, data: bytes | memoryview) -> int:
        with self._lock:
            if fd not in self._fds:
                return super().write(fd, data)
            fid, flags = self._fds[fd]
            offset = os.fstat(fd).st_size if flags & os.O_APPEND else os.lseek(fd, 0, os.SEEK_CUR)
            n = super().write(fd, data)
            self._add(("write", fid, offset, bytes(data[:n])))
            self._sizes[fid] = max(self._sizes.get(fid, 0), offset + n)
            return n

    def ftruncate(self, fd: int, size: int) -> None:
        with self._lock:
            super().ftruncate(fd, size)
            if fd in self._fds:
                fid = self._fds[fd][0]
                self._add(("truncate", fid, size))
                self._sizes[fid] = size

    def fsync(self, fd: int) -> None:
        with self._lock:
            super().fsync(fd)
            if fd not in self._fds:
                return
            fid = self._fds[fd][0]
            size = os.fstat(fd).st_size
            if size != self._sizes.get(fid):  # written past the seam: take what the fsync made durable
                content = os.pread(fd, size, 0)
                self._add(("content", fid, content))
                self._sizes[fid] = size
            self._add(("fsync", fid))

    def close(self, fd: int) -> None:
        with self._lock:
            self._fds.pop(fd, None)
            super().close(fd)

    def unlink(self, path: Path) -> None:
        with self._lock:
            super().unlink(path)
            rel = self._rel(path)
            if rel is not None:
                self._names.pop(rel, None)
                self._add(("unlink", rel))

    def rename(self, src: Path, dst: Path) -> None:
        with self._lock:
            super().rename(src, dst)
            a, b = self._rel(src), self._rel(dst)
            if a is not None and b is not None:
                fid = self._names.pop(a, None)
                if fid is not None:
                    self._names[b] = fid
                self._add(("rename", a, b))

    def fsync_dir(self, path: Path) -> None:
        with self._lock:
            super().fsync_dir(path)
            rel = self._rel(path)
            if rel is not None:
                self._add(("fsync_dir", rel))

    def mkdir(self, path: Path) -> None:
        with self._lock:
            missing = []
            p = Path(path)
            while not p.exists():
                missing.append(p)
                p = p.parent
            for d in reversed(missing):
                os.mkdir(d, DIR_MODE)
                rel = self._rel(d)
                if rel is not None and rel != ".":
                    self._add(("mkdir", rel))
                self.fsync_dir(d.parent)


def _parent(rel: str) -> str:
    return os.path.dirname(rel) or "."


def power_cut(events: list[tuple], k: int, dest: Path, rng: random.Random | None = None) -> list[tuple]:
    """Rebuild in `dest` the directory tree as a power cut just before events[k] leaves it.

    Without `rng`: in each directory, the entries of its last fsync, each file with the bytes of
    its last fsync. With `rng`: also a random prefix of each directory's changes after its last
    fsync, and for each file a torn (random-length, possibly zero-ended) prefix of the bytes
    written after its last fsync. Returns the test-level events (marks) before the cut.
    """
    volatile: dict[Any, bytearray] = {}
    durable: dict[Any, bytes] = {}
    names: dict[str, Any] = {}  # path -> file id (DIR for a directory), as the running system saw them
    listed: dict[str, dict[str, Any]] = {}  # directory -> {name: id} as of its last fsync
    pending: dict[str, list[tuple[str, Any]]] = {}  # directory -> changes since then: (name, id or None)
    marks: list[tuple] = []

    def change(rel: str, fid: Any) -> None:
        pending.setdefault(_parent(rel), []).append((os.path.basename(rel), fid))

    for ev in events[:k]:
        kind = ev[0]
        if kind == "create":
            volatile[ev[2]], durable[ev[2]] = bytearray(), b""
            names[ev[1]] = ev[2]
            change(ev[1], ev[2])
        elif kind == "known":
            volatile[ev[2]], durable[ev[2]] = bytearray(ev[3]), ev[3]
            names[ev[1]] = ev[2]
            listed.setdefault(_parent(ev[1]), {})[os.path.basename(ev[1])] = ev[2]
        elif kind == "mkdir":
            names[ev[1]] = DIR
            change(ev[1], DIR)
        elif kind == "write":
            buf = volatile[ev[1]]
            off, data = ev[2], ev[3]
            if len(buf) < off:
                buf.extend(b"\0" * (off - len(buf)))
            buf[off : off + len(data)] = data
        elif kind == "truncate":
            del volatile[ev[1]][ev[2] :]
        elif kind == "content":
            volatile[ev[1]] = bytearray(ev[2])
        elif kind == "fsync":
            durable[ev[1]] = bytes(volatile[ev[1]])
        elif kind == "unlink":
            names.pop(ev[1], None)
            change(ev[1], None)
        elif kind == "rename":
            fid = names.pop(ev[1], None)
            names[ev[2]] = fid
            change(ev[1], None)
            change(ev[2], fid)
        elif kind == "fsync_dir":
            d = ev[1]
            listed[d] = {os.path.basename(n): f for n, f in names.items() if _parent(n) == d and n != "."}
            pending[d] = []
        elif kind == "mark":
            marks.append(ev[1:])

    def build(rel: str, target: Path) -> None:
        target.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        entries = dict(listed.get(rel, {}))
        todo = pending.get(rel, [])
        if rng is not None and todo:
            for name, fid in todo[: rng.randint(0, len(todo))]:
                if fid is None:
                    entries.pop(name, None)
                else:
                    entries[name] = fid
        for name, fid in entries.items():
            path = name if rel == "." else os.path.join(rel, name)
            if fid == DIR:
                build(path, target / name)
                continue
            data = durable[fid]
            if rng is not None:
                vol = bytes(volatile[fid])
                extra = vol[len(data) :] if vol[: len(data)] == data else b""
                if extra:
                    torn = extra[: rng.randint(0, len(extra))]
                    if torn and rng.random() < 0.3:
                        z = rng.randint(1, len(torn))
                        torn = torn[:-z] + b"\0" * z
                    data += torn
            (target / name).write_bytes(data)

    build(".", dest)
    return marks
