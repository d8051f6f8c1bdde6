"""`sutra learn / ask / stats` as real subprocesses against a real storage server."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from sutra_stack.limits import MAX_LEARN_TEXT_BYTES
from tests.support.procs import PYTHON, ROOT, child_env
from tests.support.storage_server import StorageServerHandle


def sutra(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "sutra_stack", *args], cwd=cwd or ROOT, env=child_env({"COLUMNS": "160"}),
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    return tmp_path  # no sutra.toml here: defaults plus the flags


def test_learn_one_text_then_ask_and_stats(storage: StorageServerHandle, cwd: Path) -> None:
    r = sutra("learn", "Caffeine causes alertness.", "--storage", storage.address, "--json", cwd=cwd)
    assert r.returncode == 0, r.stderr
    learned = json.loads(r.stdout)
    assert len(learned["concept_id"]) == 32 and learned["concept_id"] in learned["concept_ids"]

    r = sutra("ask", "What does caffeine cause?", "--storage", storage.address, "--json", cwd=cwd)
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert "alertness" in answer["answer"].lower()
    assert 0 <= answer["confidence"] <= 1 and answer["paths"]

    r = sutra("ask", "What does caffeine cause?", "--storage", storage.address, cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert "path 1" in r.stdout and "--causal-->" in r.stdout and "confidence" in r.stdout

    r = sutra("stats", "--storage", storage.address, "--json", cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["concepts"] >= 2
    r = sutra("stats", "--storage", storage.address, cwd=cwd)
    assert r.returncode == 0 and "concepts" in r.stdout


def test_learn_a_text_file_and_a_jsonl_file(storage: StorageServerHandle, cwd: Path) -> None:
    txt = cwd / "facts.txt"
    txt.write_text("Pollen causes sneezing.\n\nA tulip is a kind of flower.\nThe kit contains a map.\n")
    r = sutra("learn", "--file", str(txt), "--storage", storage.address, "--json", cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["texts"] == 3

    jl = cwd / "facts.jsonl"
    jl.write_text("\n".join(json.dumps({"content": f"Widget {i} is a kind of tool.", "source": "jl"})
                            for i in range(300)) + "\n")
    r = sutra("learn", "--file", str(jl), "--storage", storage.address, cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert "learned 300 texts" in r.stdout
    assert "texts/s" in r.stderr  # the progress bar with its rate

    r = sutra("ask", "What is a tulip?", "--storage", storage.address, "--json", cwd=cwd)
    assert "flower" in json.loads(r.stdout)["answer"].lower()


def test_bad_files_name_the_line_and_learn_nothing(storage: StorageServerHandle, cwd: Path) -> None:
    before = json.loads(sutra("stats", "--storage", storage.address, "--json", cwd=cwd).stdout)
    bad = cwd / "bad.jsonl"
    bad.write_text('{"content": "Fine fact one."}\n{"text": "no content field"}\n')
    r = sutra("learn", "--file", str(bad), "--storage", storage.address, cwd=cwd)
    assert r.returncode == 2 and "bad.jsonl:2" in r.stderr and "content" in r.stderr
    big = cwd / "big.txt"
    big.write_text("ok line\n" + "x" * (MAX_LEARN_TEXT_BYTES + 1) + "\n")
    r = sutra("learn", "--file", str(big), "--storage", storage.address, cwd=cwd)
    assert r.returncode == 2 and "big.txt:2" in r.stderr and "MAX_LEARN_TEXT_BYTES" in r.stderr
    r = sutra("learn", "   ", "--storage", storage.address, cwd=cwd)  # the library refuses it, by field
    assert r.returncode == 2 and "text" in r.stderr and "Traceback" not in r.stderr
    after = json.loads(sutra("stats", "--storage", storage.address, "--json", cwd=cwd).stdout)
    assert after["concepts"] == before["concepts"]


def test_usage_errors_and_unreachable_storage(cwd: Path, dead_storage: str) -> None:
    r = sutra("learn", "--storage", dead_storage, cwd=cwd)
    assert r.returncode == 2 and "TEXT or --file" in r.stderr
    r = sutra("ask", "why?", "--max-depth", "99", cwd=cwd)
    assert r.returncode == 2
    for args in (("stats",), ("ask", "why?"), ("learn", "Facts are facts.")):
        r = sutra(*args, "--storage", dead_storage, cwd=cwd, timeout=60)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert dead_storage in r.stderr and "Traceback" not in r.stderr


def test_storage_default_comes_from_the_config(storage: StorageServerHandle, cwd: Path) -> None:
    (cwd / "sutra.toml").write_text(f'[storage]\nserver = "{storage.address}"\n')
    r = sutra("stats", "--json", cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["concepts"] >= 0
