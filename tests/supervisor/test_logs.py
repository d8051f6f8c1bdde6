"""Logs: rotation loses no line, lines are never split or interleaved in files or on the console."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

from sutra_stack.supervisor.logs import log_files, read_history, read_lines
from tests.support.procs import ROOT, child_env, wait_until

from .helpers import child, write_config

N = 40_000
LINE = re.compile(rb"^line (\d{8}) x{40}$")


def test_rotation_and_console_lose_no_line(tmp_path: Path) -> None:
    write_config(tmp_path, f"""
[supervisor]
log_max_bytes = 100000
log_backups = 200
[services.one]
command = {child("lines.py", str(N))}
[services.two]
command = {child("lines.py", str(N))}
""")
    console = tmp_path / "console.out"
    with open(console, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "sutra_stack", "up"], cwd=tmp_path, stdout=out,
                                stderr=subprocess.STDOUT, env=child_env({"PYTHONPATH": str(ROOT)}),
                                start_new_session=True)
        try:
            logs = tmp_path / ".sutra" / "logs"
            for name in ("one", "two"):
                wait_until(lambda n=name: any("done writing" in t for _, t in read_lines(logs, n, 3)), 60,
                           what=f"{name} wrote everything")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    for name in ("one", "two"):
        files = log_files(logs, name)
        assert len(files) > 20  # it rotated many times
        assert all(f.stat().st_size <= 100000 for f in files)
        got = [t for _, t in read_lines(logs, name) if t.startswith("line ")]
        assert [int(t.split()[1]) for t in got] == list(range(N))
        assert all(LINE.match(t.encode()) for t in got)
    seen: dict[str, list[int]] = {"one": [], "two": []}
    for raw in console.read_bytes().splitlines():
        name, _, text = raw.partition(b" | ")
        name = name.strip().decode()
        if text.startswith(b"line "):
            m = LINE.match(text)
            assert m, raw  # whole, never interleaved with another line
            seen[name].append(int(m.group(1)))
    assert seen["one"] == list(range(N)) and seen["two"] == list(range(N))


def test_rotation_keeps_n_files(tmp_path: Path) -> None:
    from sutra_stack.supervisor.logs import ServiceLog

    log = ServiceLog("svc", tmp_path, 2000, 3, None)
    for i in range(1000):
        log.emit([b"entry %04d" % i])
    log.close()
    files = log_files(tmp_path, "svc")
    assert [f.name for f in files] == ["svc.log.3", "svc.log.2", "svc.log.1", "svc.log"]
    got = [int(t.split()[1]) for _, t in read_lines(tmp_path, "svc")]
    assert got == list(range(got[0], 1000)) and got[0] > 0  # the oldest were dropped, the rest in order


def test_following_starts_right_after_the_history_it_printed(tmp_path: Path) -> None:
    log = tmp_path / "svc.log"
    log.write_bytes(b"t1 one\nt2 two\nt3 thr")  # the last line is still being written
    lines, tail = read_history(tmp_path, "svc", n=1)
    assert lines == [("t2", "two")]  # a partial line is not history
    with open(log, "ab") as f:
        f.write(b"ee\nt4 four\n")  # written after the history was read, before the tail's first look
    assert tail.new_lines() == [b"t3 three", b"t4 four"]
    assert tail.new_lines() == []
    log.rename(tmp_path / "svc.log.1")  # rotation: the rest of the old file first, then the new one
    with open(tmp_path / "svc.log.1", "ab") as f:
        f.write(b"t5 five\n")
    log.write_bytes(b"t6 six\n")
    assert tail.new_lines() == [b"t5 five", b"t6 six"]
