"""Power-cut simulation for a whole store directory, recorded at the `os` boundary of this process.

`FsRecorder.install(monkeypatch)` wraps `os.fsync`, `os.replace`, `os.rename` and `os.unlink`
(the engine's snapshot code and the WAL's file layer both call them through the `os` module).
At every fsync it records what that fsync made durable: for a file, its whole content (read
back through /proc/self/fd, so writes made by C code such as hnswlib's `save_index` count);
for a directory, its entries. `rebuild(k, dest)` then lays out what a power cut just before
event k leaves: the entries of each directory as of its last fsync, each file with the content
of its last fsync (empty if it never had one). Files are keyed by (inode, generation) so a
reused inode is never mistaken for the file that died before it.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

_real_fsync = os.fsync
_real_replace = os.replace
_real_rename = os.rename
_real_unlink = os.unlink


class FsRecorder:
    def __init__(self, root: Path) -> None:
        self.root = str(Path(root).resolve())
        self.events: list[tuple[Any, ...]] = []
        self._lock = threading.RLock()
        self._gen: dict[int, int] = {}

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(os, "fsync", self._fsync)
        monkeypatch.setattr(os, "replace", self._replacer(_real_replace))
        monkeypatch.setattr(os, "rename", self._replacer(_real_rename))
        monkeypatch.setattr(os, "unlink", self._unlink)

    def mark(self, *event: Any) -> None:
        """A test-level event (e.g. an acknowledgement), ordered with the I/O."""
        with self._lock:
            self.events.append(("mark", *event))

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
                listing = {}
                with os.scandir(os.path.join(self.root, rel)) as it:
                    for e in it:
                        ino = e.inode()
                        listing[e.name] = (ino, self._gen.get(ino, 0), e.is_dir(follow_symlinks=False))
                self.events.append(("dir", rel, listing))
            else:
                with open(f"/proc/self/fd/{fd}", "rb") as f:
                    data = f.read()
                self.events.append(("file", st.st_ino, self._gen.get(st.st_ino, 0), data))

    def _replacer(self, real: Any) -> Any:
        def replace(src: Any, dst: Any, *a: Any, **kw: Any) -> None:
            with self._lock:
                try:
                    old = os.lstat(dst).st_ino
                except FileNotFoundError:
                    old = None
                real(src, dst, *a, **kw)
                if old is not None and old != os.lstat(dst).st_ino:
                    self._gen[old] = self._gen.get(old, 0) + 1
        return replace

    def _unlink(self, path: Any, *a: Any, **kw: Any) -> None:
        with self._lock:
            try:
                ino = os.lstat(path).st_ino
            except FileNotFoundError:
                ino = None
            _real_unlink(path, *a, **kw)
            if ino is not None:
                self._gen[ino] = self._gen.get(ino, 0) + 1

    def rebuild(self, k: int, dest: Path) -> list[tuple[Any, ...]]:
        """Lay out in `dest` what a power cut before events[k] leaves; returns the marks before it."""
        files: dict[tuple[int, int], bytes] = {}
        dirs: dict[str, dict[str, tuple[int, int, bool]]] = {}
        marks = []
        for ev in self.events[:k]:
            if ev[0] == "file":
                files[(ev[1], ev[2])] = ev[3]
            elif ev[0] == "dir":
                dirs[ev[1]] = ev[2]
            else:
                marks.append(ev[1:])

        def build(rel: str, target: Path) -> None:
            target.mkdir(parents=True, exist_ok=True)
            for name, (ino, gen, is_dir) in dirs.get(rel, {}).items():
                if is_dir:
                    build(os.path.normpath(os.path.join(rel, name)), target / name)
                else:
                    (target / name).write_bytes(files.get((ino, gen), b""))

        build(".", dest)
        return marks
