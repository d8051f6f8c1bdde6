"""What the README tells a newcomer holds: which commands take --json, the hash embedder matching
words and not meaning, and the two lines that switch to a semantic embedder."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from sutra_stack.cli import app
from sutra_stack.config import BY_ENV
from tests.support.procs import PYTHON, ROOT, child_env
from tests.support.storage_server import StorageServerHandle, storage_server

README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands(cmd: Any = None, prefix: str = "") -> Iterator[str]:
    """Every command of `sutra`, as typed after it ("learn", "storage serve", ...)."""
    if cmd is None:
        cmd = typer.main.get_command(app)
    subcommands = getattr(cmd, "commands", None)
    if subcommands is None:
        yield prefix
        return
    for name, sub in subcommands.items():
        yield from commands(sub, f"{prefix} {name}".strip())


def sutra(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "sutra_stack", *args], cwd=cwd,
                          env=child_env({"PYTHONPATH": str(ROOT), "COLUMNS": "200"}),
                          capture_output=True, text=True, timeout=120)


def test_the_commands_the_readme_says_take_json_do_and_no_other() -> None:
    sentence = re.search(r"`--json` is taken by (.+?);", README, re.S)
    assert sentence, "the README says which commands take --json"
    said = set(re.findall(r"`([a-z -]+)`", sentence.group(1)))
    assert "every command takes --json" not in README
    listed = list(commands())
    assert {"learn", "status", "storage serve"} <= set(listed) and said <= set(listed)
    for command in listed:
        r = sutra(*command.split(), "-h")
        assert r.returncode == 0, r.stderr
        takes = bool(re.search(r"--json(?!l)", r.stdout))  # not --jsonl
        assert takes == (command in said), f"sutra {command}: README and -h disagree on --json"


def test_the_semantic_switch_names_a_real_extra_and_real_settings() -> None:
    block = re.search(r"```bash\n(pip install 'sutra-stack\[([a-z-]+)\]'\n(SUTRA_\S+ .*sutra up))\n```", README)
    assert block, "the README shows the switch to a semantic embedder in two lines"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert block.group(2) in extras
    assigned = dict(re.findall(r"(SUTRA_[A-Z_]+)=(\S+)", block.group(3)))
    assert set(assigned) <= set(BY_ENV)
    assert assigned["SUTRA_EMBEDDER"] == block.group(2) and "SUTRA_STORAGE_PATH" in assigned


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StorageServerHandle]:
    with storage_server(tmp_path_factory.mktemp("storage") / "data", env={"SUTRA_STORAGE_FSYNC": "off"}) as s:
        yield s


def test_hash_embedder_matches_words_not_meaning(storage: StorageServerHandle, tmp_path: Path) -> None:
    assert "`hash` matches words, not meaning" in README
    assert sutra("learn", "Smoking causes lung cancer.", "--server", storage.address, cwd=tmp_path).returncode == 0

    def ask(question: str) -> dict[str, object]:
        r = sutra("ask", question, "--server", storage.address, "--json", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        out: dict[str, object] = json.loads(r.stdout)
        return out

    assert "lung cancer" in str(ask("What does smoking cause?")["answer"]).lower()
    other_words = ask("What does tobacco lead to?")
    assert other_words["paths"] == [] and other_words["confidence"] == 0
