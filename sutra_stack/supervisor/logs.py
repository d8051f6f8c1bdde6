"""Logs: each child's output to its own rotated file under `.sutra/logs/`, and to one console.

A child's stdout and stderr share one pipe, read without blocking by the event loop. Output
is cut into whole lines before anything is written, so a line is never split between two
files nor interleaved with another service's line on the console. Each file line starts
with a UTC timestamp (`sutra logs --since` reads it). Writes are synchronous: when the
console or disk is slower than a child, the child's pipe fills and the child waits — no
line is dropped. Files rotate by size, between lines, keeping N (`name.log.1` newest).
"""

from __future__ import annotations

import asyncio
import collections
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sutra_stack.limits import MAX_LOG_LINE_BYTES

if TYPE_CHECKING:
    from sutra_stack.supervisor.spec import StackSpec

COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "bright_red", "bright_cyan", "bright_magenta")
READ_CHUNK = 256 * 1024
TAIL_LINES = 10  # last lines of output each pump keeps for error messages


def log_dir(stack: StackSpec) -> Path:
    """Where a stack's service logs are written: `<supervisor.state_dir>/logs`."""
    return stack.supervisor.state_dir / "logs"


def stamp(t: float | None = None) -> bytes:
    return datetime.fromtimestamp(t or time.time(), UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3].encode() + b"Z "


class RotatingFile:
    """Append-only log file rotated by size between writes of whole lines."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        self.path, self.max_bytes, self.backups = path, max_bytes, backups
        path.parent.mkdir(parents=True, exist_ok=True)
        self._open()

    def _open(self) -> None:
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self.size = os.fstat(self.fd).st_size

    def write(self, data: bytes) -> None:
        if self.size and self.size + len(data) > self.max_bytes:
            self.rotate()
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.size += len(data)

    def rotate(self) -> None:
        os.close(self.fd)
        for i in range(self.backups - 1, 0, -1):
            src = self.path.with_name(f"{self.path.name}.{i}")
            if src.exists():
                os.replace(src, self.path.with_name(f"{self.path.name}.{i + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
        self._open()

    def close(self) -> None:
        os.close(self.fd)


class Console:
    """The merged foreground output: `name | line`, the name coloured per service (rich styles)."""

    def __init__(self, stream: TextIO | None = None, colour: bool | None = None, width: int = 8) -> None:
        self.out = (stream or sys.stdout).buffer if hasattr(stream or sys.stdout, "buffer") else None
        self.stream = stream or sys.stdout
        self.colour = self.stream.isatty() if colour is None else colour
        self.width = width
        self._prefixes: dict[str, bytes] = {}
        self.closed = False

    def prefix(self, name: str) -> bytes:
        p = self._prefixes.get(name)
        if p is None:
            text = f"{name:<{self.width}} | "
            if self.colour:
                from rich.style import Style  # only for a terminal

                colour = "white" if name == "sutra" else COLOURS[len(self._prefixes) % len(COLOURS)]
                text = Style(color=colour, bold=True).render(text)
            p = self._prefixes[name] = text.encode()
        return p

    def write_lines(self, name: str, lines: list[bytes]) -> None:
        if self.closed:
            return
        p = self.prefix(name)
        data = b"".join(p + line + b"\n" for line in lines)
        try:
            if self.out is not None:
                self.out.write(data)
                self.out.flush()
            else:
                self.stream.write(data.decode(errors="replace"))
                self.stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            self.closed = True  # the terminal went away: the files still get every line


class ServiceLog:
    """Where one service's lines go: its file, and the console when there is one."""

    def __init__(self, name: str, log_dir: Path, max_bytes: int, backups: int, console: Console | None) -> None:
        self.name = name
        self.file = RotatingFile(log_dir / f"{name}.log", max_bytes, backups)
        self.console = console
        self.lines = 0

    def emit(self, lines: list[bytes]) -> None:
        if not lines:
            return
        ts = stamp()
        self.file.write(b"".join(ts + line + b"\n" for line in lines))
        if self.console is not None:
            self.console.write_lines(self.name, lines)
        self.lines += len(lines)

    def note(self, text: str) -> None:
        self.emit([text.encode()])

    def close(self) -> None:
        self.file.close()


class Pump:
    """Reads a child's output pipe as data arrives and emits whole lines."""

    def __init__(self, fd: int, log: ServiceLog) -> None:
        self.fd, self.log, self.partial = fd, log, b""
        self._tail: collections.deque[bytes] = collections.deque(maxlen=TAIL_LINES)
        os.set_blocking(fd, False)
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().add_reader(fd, self._readable)

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.close()
            return
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        if len(self.partial) > MAX_LOG_LINE_BYTES:
            lines.append(self.partial)
            self.partial = b""
        self.log.emit(lines)
        self._tail.extend(line for line in lines[-TAIL_LINES:] if line.strip())  # only the last: no cost per line

    def tail(self) -> list[str]:
        """The last non-blank lines the child wrote (quoted when it exits before it is ready)."""
        return [line.decode(errors="replace")[:300] for line in self._tail]

    def close(self) -> None:
        if self.done.done():
            return
        asyncio.get_running_loop().remove_reader(self.fd)
        if self.partial:
            self.log.emit([self.partial])
            self._tail.append(self.partial)
            self.partial = b""
        os.close(self.fd)
        self.done.set_result(None)


# ---- reading the files back (sutra logs) ---------------------------------------------------

def log_files(log_dir: Path, name: str) -> list[Path]:
    """A service's log files, oldest first."""
    base = log_dir / f"{name}.log"
    rotated = sorted(log_dir.glob(f"{name}.log.*"), key=lambda p: -int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0)
    return [p for p in rotated if p.suffix[1:].isdigit()] + ([base] if base.exists() else [])


def read_lines(log_dir: Path, name: str, n: int | None = None, since: float | None = None) -> list[tuple[str, str]]:
    """(timestamp, text) of a service's last n lines (all when n is None), at or after `since`."""
    return read_history(log_dir, name, n, since)[0]


def read_history(log_dir: Path, name: str, n: int | None = None,
                 since: float | None = None) -> tuple[list[tuple[str, str]], LogTail]:
    """The lines `read_lines` gives, and a `LogTail` that starts right after the last of them.

    A line written while the history is read is either in the history or the first the tail
    gives, never in both and never in neither.
    """
    out: list[tuple[str, str]] = []
    ino, offset = None, 0
    base = log_dir / f"{name}.log"
    for path in log_files(log_dir, name):
        with open(path, "rb") as f:
            pos = 0
            for raw in f:
                if not raw.endswith(b"\n"):
                    break  # a line still being written: the tail gives it once it is whole
                pos += len(raw)
                ts, _, text = raw[:-1].partition(b" ")
                out.append((ts.decode(errors="replace"), text.decode(errors="replace")))
            if path == base:
                ino, offset = os.fstat(f.fileno()).st_ino, pos
    if since is not None:
        cut = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        out = [x for x in out if x[0] >= cut]
    return (out[max(0, len(out) - n):] if n is not None else out), LogTail(base, ino, offset)  # n = 0: none


class LogTail:
    """New whole lines of a log file across rotations (the rest of `name.log.1` is read first)."""

    def __init__(self, path: Path, ino: int | None, offset: int) -> None:
        self.path, self.partial, self.ino, self.offset = path, b"", ino, offset

    def _read(self, path: Path, start: int) -> int:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read()
        self.partial += data
        return start + len(data)

    def new_lines(self) -> list[bytes]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return []
        if st.st_ino != self.ino:  # rotated (or created): finish the old file, then start the new one
            old = self.path.with_name(self.path.name + ".1")
            if self.ino is not None and old.exists() and old.stat().st_ino == self.ino:
                self._read(old, self.offset)
            self.ino, self.offset = st.st_ino, 0
        if st.st_size > self.offset:
            self.offset = self._read(self.path, self.offset)
        lines = self.partial.split(b"\n")
        self.partial = lines.pop()
        return lines


# ---- pages by cursor (the control socket's `log_page`, for sutra-control) --------------------

def _cursor(ino: int, offset: int) -> str:
    return f"{ino}:{offset}"


def _parse_cursor(cursor: str) -> tuple[int, int]:
    try:
        ino, offset = cursor.split(":", 1)
        return int(ino), int(offset)
    except ValueError:
        from sutra_stack.errors import InvalidArgument

        raise InvalidArgument(f"a log cursor is INODE:OFFSET as a page gave it, got {cursor[:40]!r}",
                              field="cursor") from None


def _line_dict(ino: int, start: int, raw: bytes) -> dict[str, str]:
    ts, _, text = raw.partition(b" ")
    return {"at": ts.decode(errors="replace"), "text": text.decode(errors="replace"), "cursor": _cursor(ino, start)}


def _whole_lines(path: Path, start: int, end: int | None) -> list[tuple[int, bytes]]:
    """(offset, line without its newline) of the whole lines of `path` between byte offsets start and end."""
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read() if end is None else f.read(max(0, end - start))
    out, pos = [], start
    for raw in data.split(b"\n")[:-1]:  # the last piece is unfinished (or empty)
        out.append((pos, raw))
        pos += len(raw) + 1
    return out


def read_page(log_dir: Path, name: str, *, before: str | None = None, after: str | None = None,
              limit: int = 100, text: str = "") -> dict[str, Any]:
    """One page of a service's log across its rotated files, newest last, each line with its cursor.

    `before`: the lines (containing `text`, case-insensitive) just before that cursor, going back into
    older files (no cursor: the end of the log, a tail). `after`: the lines after it, into newer files
    (follow). A cursor names a file by inode, so it stays valid when the file is rotated; one whose file
    has been rotated away means the oldest line still kept. Answers {"lines", "first", "next"}: `first`
    pages further back, `next` follows on.
    """
    files = [(p, p.stat().st_ino, p.stat().st_size) for p in log_files(log_dir, name) if p.exists()]
    needle = text.lower().encode()

    def keep(raw: bytes) -> bool:
        return not needle or needle in raw.lower()

    if not files:
        return {"lines": [], "first": None, "next": None}
    inos = [ino for _, ino, _ in files]
    if after is not None:
        ino, offset = _parse_cursor(after)
        i = inos.index(ino) if ino in inos else 0
        if ino not in inos:
            offset = 0
        lines: list[dict[str, str]] = []
        nxt = _cursor(ino, offset) if ino in inos else _cursor(inos[0], 0)
        for j in range(i, len(files)):
            path, f_ino, _size = files[j]
            for start, raw in _whole_lines(path, offset, None):
                nxt = _cursor(f_ino, start + len(raw) + 1)
                if keep(raw):
                    lines.append(_line_dict(f_ino, start, raw))
                if len(lines) >= limit:
                    return {"lines": lines, "first": lines[0]["cursor"], "next": nxt}
            if j + 1 < len(files):
                nxt, offset = _cursor(files[j + 1][1], 0), 0
        return {"lines": lines, "first": lines[0]["cursor"] if lines else nxt, "next": nxt}
    if before is None:
        i, end = len(files) - 1, None
    else:
        ino, end_at = _parse_cursor(before)
        if ino not in inos:
            return {"lines": [], "first": before, "next": before}
        i, end = inos.index(ino), end_at
    out: list[dict[str, str]] = []
    first = None
    tail_end = None
    while i >= 0 and len(out) < limit:
        path, f_ino, _size = files[i]
        page = _whole_lines(path, 0, end)
        if tail_end is None:
            last = page[-1] if page else None
            tail_end = _cursor(f_ino, last[0] + len(last[1]) + 1) if last else _cursor(f_ino, end or 0)
        for start, raw in reversed(page):
            first = _cursor(f_ino, start)
            if keep(raw):
                out.append(_line_dict(f_ino, start, raw))
                if len(out) >= limit:
                    break
        i, end = i - 1, None
    out.reverse()
    return {"lines": out, "first": first, "next": tail_end}
