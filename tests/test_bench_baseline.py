"""bench/baseline.py: `--baseline REV` runs a benchmark against REV's code and this tree's, each side
importing its own sutra_stack, and leaves no checkout behind."""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import baseline  # noqa: E402

from tests.support.procs import wait_until  # noqa: E402

# A trivial benchmark: where its sutra_stack and tests.support came from, and one figure.
PROBE = """
import argparse, sys
import baseline

baseline.setup_path()
import sutra_stack
import tests.support.procs as procs

ap = argparse.ArgumentParser()
ap.add_argument("--size", type=int, default=1)
baseline.add_arguments(ap)
a = ap.parse_args()
baseline.compare_if_asked(__file__, a)
print("support", procs.ROOT)
baseline.record("probe size", a.size, "items")
baseline.record("probe size", a.size * 2, "items", anchor=a.size, higher_is_better=False)
"""


def test_compare_against_head_imports_each_tree_and_removes_the_checkout(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    result = baseline.compare(script, ["--size", "7", "--baseline", "HEAD", "--rounds=2"], "HEAD", rounds=2)
    out = capsys.readouterr().out

    assert result.failures == [] and result.exit_code == 0
    checkout = result.baseline_tree
    assert not checkout.exists(), "the temporary checkout is removed at the end"
    # each side imported sutra_stack (and the tests.support that starts servers) from its own tree
    assert result.modules["this"] == {str(ROOT / "sutra_stack" / "__init__.py")}
    assert result.modules["baseline"] == {str(checkout / "sutra_stack" / "__init__.py")}
    assert f"[baseline 1/2] support {checkout}" in out and f"[this 2/2] support {ROOT}" in out
    # the script ran with its own options, not --baseline again, twice per side
    probe, second = result.figures["probe size"], result.figures["probe size #2"]
    assert probe.values == {"baseline": [7.0, 7.0], "this": [7.0, 7.0]}
    assert second.anchors == {"baseline": [7.0, 7.0], "this": [7.0, 7.0]} and not second.higher
    assert probe.verdict() == "within spread"
    assert "probe size #2" in out and "(lower is better)" in out


def test_a_side_that_imports_another_tree_is_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "probe.py"
    # a benchmark that puts this checkout first itself, whatever tree it was given
    script.write_text(PROBE.replace("baseline.setup_path()", f"sys.path.insert(0, {str(ROOT)!r})"))
    result = baseline.compare(script, [], "HEAD", rounds=1)
    assert result.exit_code == 1
    assert result.failures == [f"the baseline run 1 imported sutra_stack from {ROOT / 'sutra_stack' / '__init__.py'}, "
                               f"not from {result.baseline_tree}"]
    assert "FAILED: the baseline run" in capsys.readouterr().out


def test_verdict_follows_the_figure_direction() -> None:
    fig = baseline.Figure("rate", "/s", higher=True)
    fig.values = {"baseline": [100.0, 102.0], "this": [90.0, 91.0]}
    assert fig.verdict() == "worse"
    fig.higher = False
    assert fig.verdict() == "better"
    # over the anchor the load cancels out: this run was slower only because the machine was
    fig.higher = True
    fig.anchors = {"baseline": [200.0, 204.0], "this": [180.0, 182.0]}
    assert fig.verdict() == "within spread"


def test_a_run_that_fails_is_reported_and_its_figures_still_count(tmp_path: Path) -> None:
    script = tmp_path / "probe.py"
    script.write_text(PROBE + "sys.exit(3)\n")
    result = baseline.compare(script, [], "HEAD", rounds=1)
    assert result.exit_code == 1
    assert result.failures == [f"the {side} run 1 of probe.py exited with 3" for side in ("baseline", "this")]
    assert result.figures["probe size"].values == {"baseline": [1.0], "this": [1.0]}


def test_a_run_is_over_when_it_exits_even_if_what_it_started_holds_its_output(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "probe.py"
    # a benchmark that fails and leaves a process behind holding its output (an echo server, say)
    script.write_text(PROBE + "import subprocess\n"
                      "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
                      "print('left', p.pid, flush=True)\nraise SystemExit(2)\n")
    result = baseline.compare(script, [], "HEAD", rounds=1)
    assert result.exit_code == 1 and result.figures["probe size"].values == {"baseline": [1.0], "this": [1.0]}
    left = [int(pid) for pid in re.findall(r"\] left (\d+)", capsys.readouterr().out)]
    assert len(left) == 2
    for pid in left:  # ended with the run (at most a zombie until its new parent reaps it)
        wait_until(functools.partial(gone, pid), 10, what=f"process {pid} gone")


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_the_tree_probe_names_a_tree_whose_processes_import_other_code(tmp_path: Path) -> None:
    assert baseline.probe_tree(ROOT) == []
    # a tree without sutra_stack (the installed one answers) whose tests.support starts processes elsewhere
    (tmp_path / "tests" / "support").mkdir(parents=True)
    (tmp_path / "tests" / "__init__.py").write_text("")
    (tmp_path / "tests" / "support" / "__init__.py").write_text("")
    (tmp_path / "tests" / "support" / "procs.py").write_text("ROOT = '/elsewhere'\n")
    assert baseline.probe_tree(tmp_path) == [
        f"a process started from {tmp_path} imports {ROOT / 'sutra_stack' / '__init__.py'}",
        f"a process started from {tmp_path} imports /elsewhere"]
    (tmp_path / "tests" / "support" / "procs.py").unlink()
    assert "cannot import sutra_stack and tests.support" in baseline.probe_tree(tmp_path)[0]
