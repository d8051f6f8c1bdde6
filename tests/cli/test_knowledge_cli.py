"""The `sutra` command as a newcomer meets it: -h, --version, plain English, a progress bar that fits,
and errors that say which flag or variable named the server and what to run."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

import sutra_stack
from tests.support.procs import PYTHON, ROOT, child_env, free_port
from tests.support.storage_server import StorageServerHandle, storage_server


def sutra(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "sutra_stack", *args], cwd=cwd,
                          env=child_env({"PYTHONPATH": str(ROOT), "COLUMNS": "80", **(env or {})}),
                          capture_output=True, text=True, timeout=120)


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StorageServerHandle]:
    with storage_server(tmp_path_factory.mktemp("storage") / "data", env={"SUTRA_STORAGE_FSYNC": "off"}) as s:
        yield s


def test_version_and_short_help(tmp_path: Path) -> None:
    r = sutra("--version", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == f"sutra {sutra_stack.__version__}", r.stdout + r.stderr
    for args in (["-h"], ["learn", "-h"], ["storage", "-h"], ["storage", "serve", "-h"], ["status", "-h"]):
        r = sutra(*args, cwd=tmp_path)
        assert r.returncode == 0 and "Usage:" in r.stdout, (args, r.stderr)
    learn_help = sutra("learn", "-h", cwd=tmp_path).stdout
    assert "--server" in learn_help and "--storage" not in learn_help
    serve_help = sutra("storage", "serve", "-h", cwd=tmp_path).stdout
    assert "--data-dir" in serve_help and "--storage" not in serve_help
    server = subprocess.run([PYTHON, "-m", "sutra_stack.storage.server", "-h"], cwd=tmp_path,
                            env=child_env({"PYTHONPATH": str(ROOT)}), capture_output=True, text=True, timeout=60)
    assert server.returncode == 0 and "--data-dir" in server.stdout, server.stderr


def test_counts_are_plural_only_when_more_than_one(storage: StorageServerHandle, tmp_path: Path) -> None:
    one = tmp_path / "one.txt"
    one.write_text("Thunder follows lightning.\n")
    r = sutra("learn", "--file", str(one), "--server", storage.address, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"learned 1 text from {one}:" in one_line(r.stdout)
    assert not re.search(r"\b1 (texts|concepts|associations)\b", r.stdout), r.stdout


def _run_on_a_terminal(argv: list[str], cwd: Path, env: dict[str, str], columns: int) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal `columns` wide (as a person sees it); stdout is discarded."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(60), b"".join(chunks).decode("utf-8", "replace")


def test_learn_file_progress_bar_fits_in_80_columns(storage: StorageServerHandle, tmp_path: Path) -> None:
    facts = tmp_path / "a-rather-long-file-name-of-facts.jsonl"
    facts.write_text("".join(json.dumps({"content": f"Gadget {i} is a kind of device."}) + "\n" for i in range(600)))
    env = child_env({"PYTHONPATH": str(ROOT), "COLUMNS": "80", "TERM": "xterm"})
    code, screen = _run_on_a_terminal([PYTHON, "-m", "sutra_stack", "learn", "--file", str(facts), "--server",
                                       storage.address], tmp_path, env, 80)
    assert code == 0, screen
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07", "", screen)
    rows = [r for r in re.split(r"[\r\n]+", plain) if r.strip()]
    done = [r for r in rows if "600/600" in r]
    assert done, rows
    for row in rows:
        assert len(row.rstrip()) <= 80, f"{len(row.rstrip())} columns: {row!r}"
    last = done[-1]  # the whole bar on one line: name, counts, rate and time left
    assert "learning a-rather-long-f" in last and "texts/s" in last and "ETA" in last and "━" in last, last


def test_unreachable_server_names_the_flag_or_variable_and_says_sutra_up(tmp_path: Path) -> None:
    dead = f"127.0.0.1:{free_port()}"
    cases = [
        (["stats", "--server", dead], {}, "(from --server)"),
        (["ask", "why?"], {"SUTRA_STORAGE_SERVER": dead}, "(from SUTRA_STORAGE_SERVER)"),
        (["storage", "resume-writes", "--server", dead], {}, "(from --server)"),
    ]
    for args, env, source in cases:
        r = sutra(*args, cwd=tmp_path, env=env)
        err = one_line(r.stderr)
        assert r.returncode == 1, r.stderr
        assert f"cannot reach the storage server at {dead} {source}" in err, err
        assert "`sutra up`" in err and "sutra storage serve" not in err, err
        assert err.count("cannot reach") == 1 and "the address comes from" not in err, err
    r = sutra("stats", "--server", dead, cwd=tmp_path, env={"SUTRA_STORAGE_SERVER": "127.0.0.1:1"})
    assert "SUTRA_STORAGE_SERVER" not in r.stderr  # the flag won: the variable is not blamed


def test_old_storage_flag_still_works_with_a_note(storage: StorageServerHandle, tmp_path: Path) -> None:
    r = sutra("stats", "--storage", storage.address, "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["concepts"] >= 0
    assert "--storage HOST:PORT is deprecated here: use --server" in one_line(r.stderr)
    data = tmp_path / "store"
    export = tmp_path / "one.jsonl"
    export.write_text("")
    r = sutra("storage", "import", str(export), "--storage", str(data), cwd=tmp_path)
    assert r.returncode == 0 and "use --data-dir" in r.stderr, r.stderr
    r = sutra("storage", "export", "--jsonl", "-", "--data-dir", str(data), cwd=tmp_path)
    assert r.returncode == 0 and "deprecated" not in r.stderr, r.stderr


def test_invalid_json_lines_name_line_column_and_field(storage: StorageServerHandle, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"content": "Fine fact."}\n{"content": "x", "source": nope}\n')
    r = sutra("learn", "--file", str(bad), "--server", storage.address, cwd=tmp_path)
    err = one_line(r.stderr)
    assert r.returncode == 2
    assert f"{bad}:2: not valid JSON at column 28 (the value of 'source'): Expecting value" in err, err
