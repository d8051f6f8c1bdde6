"""Power-cut simulation for a whole store directory, recorded at the `os` boundary.

`FsRecorder.install(monkeypatch)` wraps `os.fsync`, `os.replace`, `os.rename` and `os.unlink`
(the engine's snapshot code and the WAL's file layer both call them through the `os` module).
At every fsync it records what that fsync made durable: for a file, its whole content (read
back through /proc/self/fd, so writes made by C code such as hnswlib's `save_index` count);
for a directory, its entries. Processes forked by the recorded one (the engine writes its
snapshots in a forked child) keep recording into a spool file; `events` merges everything by
a system-wide monotonic clock. `rebuild(k, dest)` then lays out what a power cut just before
event k leaves: the entries of each directory as of its last fsync, each file with the content
of its last fsync (empty if it never had one). Files are keyed by (inode, generation) so that a
reused inode is never mistaken for the file that died before it.
"""

from __future__ import annotations

import os
import pickle
import stat
import struct
import threading
import time
from pathlib import Path
from typing import Any

import pytest

_real_fsync = os.fsync
_real_replace = os.replace
_real_rename = os.rename
_real_unlink = os.unlink
_LEN = struct.Struct("<I")

_ACTIVE: FsRecorder | None = None  # the installed recorder (set through monkeypatch, so undone with it)


def _before_fork() -> None:
    if _ACTIVE is not None:
        _ACTIVE._lock.acquire()  # no fsync half-recorded by another thread when the child is made


def _after_fork_in_parent() -> None:
    if _ACTIVE is not None:
        _ACTIVE._lock.release()


def _after_fork_in_child() -> None:
    if _ACTIVE is not None:
        _ACTIVE._become_child()


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                    after_in_child=_after_fork_in_child)


class FsRecorder:
    def __init__(self, root: Path, spool: Path | None = None) -> None:
        self.root = str(Path(root).resolve())
        self.spool = Path(spool) if spool else Path(self.root + ".spool")
        self.spool.mkdir(parents=True, exist_ok=True)
        self._events: list[tuple[Any, ...]] = []
        self._lock = threading.RLock()
        self._spool_fd: int | None = None
        self._merged: list[tuple[Any, ...]] | None = None

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(os, "fsync", self._fsync)
        monkeypatch.setattr(os, "replace", self._replacer(_real_replace))
        monkeypatch.setattr(os, "rename", self._replacer(_real_rename))
        monkeypatch.setattr(os, "unlink", self._unlink)
        monkeypatch.setattr(f"{__name__}._ACTIVE", self)

    @property
    def events(self) -> list[tuple[Any, ...]]:
        """Every event of this process and its forked children, in time order: (kind, ...)."""
        if self._merged is None or len(self._merged) < len(self._events):
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
            self._merged = [e[1:] for e in timed]
        return self._merged

    def mark(self, *event: Any) -> None:
        """A test-level event (e.g. an acknowledgement), ordered with the I/O."""
        with self._lock:
            self._add(("mark", *event))

    # --- recording -------------------------------------------------------------------------
    def _add(self, event: tuple[Any, ...]) -> None:
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

    def _rel(self, path: str) -> str | None:
        path = os.path.abspath(path)
        if path == self.root:
            return "."
        if path.startswith(self.root + os.sep):
            return os.path.relpath(path, self.root)
        return None

    def _fsync(self, fd: int) -> None:
        with self._lock:
            _real_fsync(fd)
            rel = self._rel(os.readlink(f"/proc/self/fd/{fd}"))
            if rel is None:
                return
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                with os.scandir(os.path.join(self.root, rel)) as it:
                    listing = {e.name: (e.inode(), e.is_dir(follow_symlinks=False)) for e in it}
                self._add(("dir", rel, listing))
            else:
                with open(f"/proc/self/fd/{fd}", "rb") as f:
                    self._add(("file", st.st_ino, f.read()))

    def _replacer(self, real: Any) -> Any:
        def replace(src: Any, dst: Any, *a: Any, **kw: Any) -> None:
            with self._lock:
                try:
                    old = os.lstat(dst).st_ino
                except FileNotFoundError:
                    old = None
                real(src, dst, *a, **kw)
                if old is not None and old != os.lstat(dst).st_ino:
                    self._add(("dies", old))
        return replace

    def _unlink(self, path: Any, *a: Any, **kw: Any) -> None:
        with self._lock:
            try:
                ino = os.lstat(path).st_ino
            except FileNotFoundError:
                ino = None
            _real_unlink(path, *a, **kw)
            if ino is not None:
                self._add(("dies", ino))

    # --- the power cut ---------------------------------------------------------------------
    def rebuild(self, k: int, dest: Path) -> list[tuple[Any, ...]]:
        """Lay out in `dest` what a power cut before events[k] leaves; returns the marks before it."""
        gen: dict[int, int] = {}
        files: dict[tuple[int, int], bytes] = {}
        dirs: dict[str, dict[str, tuple[int, int, bool]]] = {}
        marks = []
        for ev in self.events[:k]:
            kind = ev[0]
            if kind == "file":
                files[(ev[1], gen.get(ev[1], 0))] = ev[2]
            elif kind == "dir":
                dirs[ev[1]] = {name: (ino, gen.get(ino, 0), is_dir) for name, (ino, is_dir) in ev[2].items()}
            elif kind == "dies":
                gen[ev[1]] = gen.get(ev[1], 0) + 1
            else:
                marks.append(ev[1:])

        def build(rel: str, target: Path) -> None:
            target.mkdir(parents=True, exist_ok=True)
            for name, (ino, g, is_dir) in dirs.get(rel, {}).items():
                if is_dir:
                    build(os.path.normpath(os.path.join(rel, name)), target / name)
                else:
                    (target / name).write_bytes(files.get((ino, g), b""))

        build(".", dest)
        return marks
