"""Which tree a benchmark measures, and `--baseline REV`: the same benchmark run against another
revision's code and this tree's, alternately, in one run.

A benchmark script calls `setup_path()` before it imports `sutra_stack`, adds `add_arguments(ap)`
to its parser, calls `compare_if_asked(__file__, args)` once it has parsed them, and passes every
figure it prints to `record()`.

`compare` extracts revision REV (`git archive`) into a temporary folder, then runs the script
(without `--baseline`/`--rounds`/`--this-rev`) `rounds` times per side against the baseline and
this tree (the work tree, or revision `--this-rev` extracted the same way) in turn, the first of
each round's pair changing sides from round to round (A B B A A B ...), each run a
fresh process whose working directory, `PYTHONPATH` and `BENCH_TREE` name the tree under test, so
that it and every process it starts (`python -m sutra_stack...`, tests.support's servers) import
that tree's `sutra_stack` and `tests.support`. The measuring code is always this checkout's
script. Each run writes its figures (and the `sutra_stack.__file__` it imported) to a file named
by `BENCH_FIGURES`; `compare` checks each side imported its own tree, prints each figure for both
sides with the min–max of the rounds and the ratio this/baseline, and removes the folder.
Without `BENCH_FIGURES`, `record` does nothing: a plain run prints what it always printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]  # this checkout: the measuring scripts
TREE_ENV = "BENCH_TREE"  # the tree whose sutra_stack is measured (not SUTRA_*: tests.support drops those)
FIGURES_ENV = "BENCH_FIGURES"  # where record() appends this run's figures (JSON lines)
SIDES = ("baseline", "this")


def tree() -> Path:
    """The tree under test: BENCH_TREE, or this checkout."""
    return Path(os.environ.get(TREE_ENV) or ROOT).resolve()


def setup_path() -> Path:
    """Put the tree under test first on sys.path (its sutra_stack and tests.support), this checkout
    after it (bench/ and anything the tree lacks); return the tree."""
    under_test = tree()
    for p in dict.fromkeys((str(ROOT), str(under_test))):
        while p in sys.path:
            sys.path.remove(p)
        sys.path.insert(0, p)
    return under_test


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--baseline", metavar="REV", default="",
                    help="run this benchmark against git revision REV and this tree alternately, "
                         "then print each figure for both and the ratio this/baseline")
    ap.add_argument("--rounds", type=int, default=3, help="with --baseline: runs per side (default 3)")
    ap.add_argument("--this-rev", metavar="REV", default="",
                    help="with --baseline: measure revision REV as 'this' instead of the work tree")


_seen: dict[str, int] = {}


def record(name: str, value: float, unit: str, *, anchor: float | None = None, higher_is_better: bool = True) -> None:
    """One figure of this run, for `compare` (a no-op in a plain run). `anchor`: the figure of the
    bare library or socket measured beside it in the same run (not our code; it tracks the load)."""
    path = os.environ.get(FIGURES_ENV)
    if not path:
        return
    n = _seen[name] = _seen.get(name, 0) + 1
    mod = sys.modules.get("sutra_stack")
    line = {"name": name if n == 1 else f"{name} #{n}", "value": float(value), "unit": unit,
            "anchor": None if anchor is None else float(anchor), "higher": higher_is_better,
            "module": getattr(mod, "__file__", None)}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


# --- the comparison -------------------------------------------------------------------------------

@contextlib.contextmanager
def checkout(rev: str) -> Iterator[tuple[Path, str]]:
    """Revision `rev` of this repository extracted into a temporary folder (removed at the end):
    yields (folder, full commit id). Touches neither the index nor the work tree."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", f"{rev}^{{commit}}"],
                            capture_output=True, text=True, check=True).stdout.strip()
    folder = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    try:
        archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", "--format=tar", commit],
                                   stdout=subprocess.PIPE)
        assert archive.stdout is not None
        with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
            tar.extractall(folder, filter="data")
        if archive.wait() != 0:
            raise RuntimeError(f"git archive {commit} failed with {archive.returncode}")
        yield folder, commit
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def side_env(under_test: Path, figures: Path) -> dict[str, str]:
    """The environment of one run: the tree under test first on PYTHONPATH (this checkout's bench/
    after it, so a script outside bench/ finds this module), BENCH_TREE and BENCH_FIGURES."""
    env = dict(os.environ)
    paths = [str(under_test), str(ROOT / "bench"), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env[TREE_ENV] = str(under_test)
    env[FIGURES_ENV] = str(figures)
    return env


PROBE = "import sutra_stack, tests.support.procs as p; print(sutra_stack.__file__); print(p.ROOT)"


def probe_tree(under_test: Path, python: str = sys.executable) -> list[str]:
    """What a process the run starts the way tests.support does (`python -m/-c` in procs.ROOT,
    the run's environment) imports: failures, if that is not `under_test`'s code."""
    done = subprocess.run([python, "-c", PROBE], cwd=under_test, env=side_env(under_test, under_test / "unused"),
                          capture_output=True, text=True)
    if done.returncode != 0:
        return [f"a process started from {under_test} cannot import sutra_stack and tests.support: "
                f"{done.stderr.strip().splitlines()[-1:]}"]
    out = done.stdout.split("\n")
    module, support_root = Path(out[0]).resolve(), Path(out[1]).resolve()
    return [f"a process started from {under_test} imports {found}"
            for found in (module, support_root) if not found.is_relative_to(under_test.resolve())]


def compare_if_asked(script: str | Path, args: argparse.Namespace) -> None:
    """With --baseline: run the comparison instead of the benchmark and exit (1 if a side imported
    the wrong tree)."""
    if args.baseline:
        sys.exit(compare(script, sys.argv[1:], args.baseline, args.rounds, args.this_rev).exit_code)


OPTIONS = ("--baseline", "--rounds", "--this-rev")


def strip_options(argv: Sequence[str]) -> list[str]:
    """argv without --baseline REV, --rounds N and --this-rev REV (either spelling)."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in OPTIONS:
            skip = True
        elif not arg.startswith(tuple(f"{o}=" for o in OPTIONS)):
            out.append(arg)
    return out


@dataclass
class Figure:
    name: str
    unit: str
    higher: bool
    values: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})
    anchors: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})

    def complete(self, rounds: int) -> bool:
        return all(len(self.values[s]) == rounds for s in SIDES)

    def anchored(self, side: str) -> list[float]:
        """The figure over its anchor, per round (what the load does to both cancels out); [] without one."""
        if len(self.anchors[side]) != len(self.values[side]):
            return []
        return [v / a for v, a in zip(self.values[side], self.anchors[side], strict=True) if a]

    def verdict(self) -> str:
        """'within spread' when the two sides' rounds overlap (anchored ones when there is an anchor),
        else 'better' or 'worse' for this tree."""
        use_anchor = all(len(self.anchored(s)) == len(self.values[s]) > 0 for s in SIDES)
        b, t = (self.anchored(s) if use_anchor else self.values[s] for s in SIDES)
        if max(b) >= min(t) and max(t) >= min(b):
            return "within spread"
        return "better" if (statistics.median(t) > statistics.median(b)) == self.higher else "worse"


@dataclass
class Comparison:
    commit: str
    baseline_tree: Path  # removed by the time compare() returns
    rounds: int
    figures: dict[str, Figure]
    modules: dict[str, set[str]]  # side -> the sutra_stack.__file__ its runs imported
    failures: list[str]

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


def exited(pid: int) -> bool:
    """Whether child `pid` has exited, without reaping it."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def run_side(script: Path, argv: Sequence[str], under_test: Path, figures: Path, label: str,
             python: str = sys.executable) -> tuple[int, list[dict[str, Any]]]:
    """One run of `script` against `under_test`, its output printed with `label` in front: its exit
    status and the figures it recorded. The run is over when its process exits, not when its
    output ends (a process it left behind may hold the output open): what is left of its process
    group then is ended."""
    figures.unlink(missing_ok=True)
    proc = subprocess.Popen([python, str(script), *argv], cwd=under_test, env=side_env(under_test, figures),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    assert proc.stdout is not None
    fd, pending, exited_at = proc.stdout.fileno(), b"", None
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            chunk = os.read(fd, 65536) if sel.select(0.2) else None
            if chunk == b"":  # end of output
                break
            if chunk:
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    print(f"[{label}] {line.decode(errors='replace')}", flush=True)
            if exited_at is None and exited(proc.pid):
                exited_at = time.monotonic()
            if exited_at is not None and time.monotonic() - exited_at > 1.0:  # exited, output still held open
                break
    if pending:
        print(f"[{label}] {pending.decode(errors='replace')}", flush=True)
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # not reaped yet: its group id stays ours
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # what the run left behind in its group
    code = proc.wait()
    proc.stdout.close()
    got = [json.loads(x) for x in figures.read_text(encoding="utf-8").splitlines() if x] if figures.exists() else []
    return code, got


def compare(script: str | Path, argv: Sequence[str], rev: str, rounds: int = 3, this_rev: str = "",
            python: str = sys.executable) -> Comparison:
    """Run `script` (with `argv` minus the options above) against revision `rev` and this tree (or
    revision `this_rev`), alternately, `rounds` times each; print both sides' figures and the
    ratios; see the module doc."""
    script, args = Path(script).resolve(), strip_options(argv)
    figures: dict[str, Figure] = {}
    modules: dict[str, set[str]] = {s: set() for s in SIDES}
    failures: list[str] = []
    with contextlib.ExitStack() as stack:
        folder, commit = stack.enter_context(checkout(rev))
        this, this_name = ROOT, f"{ROOT} (work tree)"
        if this_rev:
            this, this_commit = stack.enter_context(checkout(this_rev))
            this_name = f"{this_rev} ({this_commit[:10]}) extracted to {this}"
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-figures-"))
        trees = {"baseline": folder, "this": this}
        for t in trees.values():
            failures += probe_tree(t, python)
        print(f"{script.name} {' '.join(args)}: baseline {rev} ({commit[:10]}) extracted to {folder}, "
              f"this = {this_name}; {rounds} rounds, each side in turn (A B B A ...)", flush=True)
        for r in range(rounds):
            for side in SIDES if r % 2 == 0 else SIDES[::-1]:  # A B B A ...: a drift in load favours neither
                code, got = run_side(script, args, trees[side], Path(tmp) / f"{side}{r}.jsonl",
                                     f"{side} {r + 1}/{rounds}", python)
                if code != 0:  # its figures so far still count; the rest show as not measured
                    failures.append(f"the {side} run {r + 1} of {script.name} exited with {code}")
                imported = {str(fig["module"]) for fig in got}
                modules[side] |= imported
                failures += [f"the {side} run {r + 1} imported sutra_stack from {mod}, not from {trees[side]}"
                             for mod in sorted(imported) if not Path(mod).resolve().is_relative_to(trees[side])]
                for fig in got:
                    f = figures.setdefault(str(fig["name"]), Figure(str(fig["name"]), str(fig["unit"]),
                                                                    bool(fig["higher"])))
                    f.values[side].append(float(fig["value"]))
                    if fig["anchor"] is not None:
                        f.anchors[side].append(float(fig["anchor"]))
        result = Comparison(commit, folder, rounds, figures, modules, failures)
    print_table(result)
    return result


def fmt(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}" if abs(v) >= 0.01 else f"{v:.2e}"


def spread(values: list[float]) -> str:
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}–{fmt(max(values))}]"


def print_table(c: Comparison) -> None:
    for side in SIDES:
        print(f"{side}: sutra_stack imported from {', '.join(sorted(c.modules[side])) or '(no figures recorded)'}")
    w = max([len("figure"), *(len(name) for name in c.figures)])
    print(f"\n{'figure':<{w}} {'unit':<10} {'baseline median [min–max]':>28} {'this median [min–max]':>28} "
          f"{'this/baseline':>13} {'per round':>13} {'÷ anchor: this/baseline':>24}  verdict")
    for f in c.figures.values():
        if not f.complete(c.rounds):
            print(f"{f.name:<{w}} (not measured in every round)")
            continue
        b, t = f.values["baseline"], f.values["this"]
        per_round = [x / y for x, y in zip(t, b, strict=True) if y]
        ratio = statistics.median(t) / statistics.median(b) if statistics.median(b) else float("nan")
        rounds = f"{min(per_round):.2f}–{max(per_round):.2f}" if per_round else ""
        anchored = ""
        if all(f.anchored(s) for s in SIDES):
            ab, at = f.anchored("baseline"), f.anchored("this")
            anchored = f"{statistics.median(at) / statistics.median(ab):.2f} [{min(at) / max(ab):.2f}–" \
                       f"{max(at) / min(ab):.2f}]"
        print(f"{f.name:<{w}} {f.unit:<10} {spread(b):>28} {spread(t):>28} {ratio:>13.3f} {rounds:>13} "
              f"{anchored:>24}  {f.verdict()}{'' if f.higher else ' (lower is better)'}")
    print("per round: this/baseline of each round's pair (min–max); ÷ anchor: the figure over the bare library "
          "or socket measured beside it in the same run, this/baseline of the medians [widest pairing]; "
          "verdict: 'within spread' when the two sides' rounds overlap (anchored ones where there is an anchor).")
    for failure in c.failures:
        print(f"FAILED: {failure}")
