"""bAbI-style tasks from our own generator, through /ask on a real sutra-api: accuracy per task.

Starts a storage server and sutra-api on loopback ports, learns every story of a fresh set from
tests/reasoning/babi_gen.py (tasks 1-15, 17, 18, 19; --per-task stories each, a new seed each run
unless --seed) through POST /learn/batch (each story one text, facts in order), and only then
asks every question through POST /ask. Prints accuracy per task (the gate in `make test` is 95%
per task on a fixed seed), the wrong answers (--show N), and the /ask latency (median, p95) of
story questions. `--baseline REV` runs the same against another revision in the same run.

Usage: python bench/bench_babi.py [--per-task 60] [--seed N] [--show 5] [--baseline REV]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import baseline  # bench/baseline.py: which tree's sutra_stack this run measures

baseline.setup_path()

import httpx  # noqa: E402

from tests.support.procs import free_port, running, wait_until  # noqa: E402

PY = sys.executable
GEN_PATH = Path(__file__).resolve().parents[1] / "tests" / "reasoning" / "babi_gen.py"  # this checkout's
BATCH = 100  # stories per /learn/batch call
TARGET = 0.95


def _load(name: str, path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def _generator():  # type: ignore[no-untyped-def]
    """This checkout's generator (and its words), whichever tree's sutra_stack is measured."""
    _load("tests.reasoning.babi_vocab", GEN_PATH.with_name("babi_vocab.py"))
    return _load("babi_gen", GEN_PATH)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p * len(s)))] if s else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-task", type=int, default=60, help="stories per task (one question each)")
    ap.add_argument("--seed", type=int, default=None, help="the generator's seed (default: a new one each run)")
    ap.add_argument("--show", type=int, default=5, help="wrong answers printed")
    baseline.add_arguments(ap)
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 1 << 30)
        if args.baseline:  # both sides must ask the same stories
            sys.argv += ["--seed", str(args.seed)]
    baseline.compare_if_asked(__file__, args)
    gen = _generator()
    stories = gen.generate(args.seed, args.per_task)
    print(f"seed {args.seed}: {len(stories)} stories, {len(gen.TASKS)} tasks, "
          f"{sum(len(s.sentences) for s in stories)} facts")

    tmp = Path(tempfile.mkdtemp(prefix="bench-babi-"))
    sport, fport, aport = free_port(), free_port(), free_port()
    senv = {"SUTRA_STORAGE_PATH": str(tmp / "data"), "SUTRA_STORAGE_PORT": str(sport),
            "SUTRA_STORAGE_FAST_PORT": str(fport), "SUTRA_LOG_LEVEL": "WARNING"}
    aenv = {"SUTRA_API_PORT": str(aport), "SUTRA_STORAGE_SERVER": f"127.0.0.1:{sport}",
            "SUTRA_LOG_LEVEL": "WARNING"}
    with running([PY, "-m", "sutra_stack.storage.server"], env=senv, log=tmp / "storage.log", stop_timeout=60), \
            running([PY, "-m", "sutra_stack.apps.api"], env=aenv, log=tmp / "api.log", stop_timeout=60):
        base = f"http://127.0.0.1:{aport}"
        wait_until(lambda: httpx.get(f"{base}/ready", timeout=2).status_code == 200, 120, 0.05,
                   what="sutra-api ready")
        with httpx.Client(base_url=base, timeout=120) as http:
            t = time.perf_counter()
            for i in range(0, len(stories), BATCH):
                r = http.post("/learn/batch", json={"items": [{"content": s.text} for s in stories[i:i + BATCH]]})
                r.raise_for_status()
            learn_s = time.perf_counter() - t
            right, asked = Counter[int](), Counter[int]()
            wrong: list[str] = []
            lat: list[float] = []
            for s in stories:
                t = time.perf_counter()
                r = http.post("/ask", json={"question": s.question})
                lat.append(time.perf_counter() - t)
                r.raise_for_status()
                answer = r.json()["answer"]
                asked[s.task] += 1
                if gen.is_right(s, answer):
                    right[s.task] += 1
                else:
                    wrong.append(f"  [{s.task}] {s.text}\n      {s.question} -> {answer!r}, expected {s.answer!r}")
    print(f"learned in {learn_s:.1f} s through /learn/batch ({BATCH} stories a call)")
    print(f"{'task':>5} {'right':>6} {'asked':>6} {'accuracy':>9}")
    for task in gen.TASKS:
        acc = right[task] / max(1, asked[task])
        flag = "" if acc >= TARGET else f"  below {TARGET:.0%}"
        print(f"{task:>5} {right[task]:>6} {asked[task]:>6} {acc:>9.1%}{flag}")
        baseline.record(f"task {task} accuracy", acc * 100, "%")
    total = sum(right.values()) / max(1, sum(asked.values()))
    print(f"  all {sum(right.values()):>6} {sum(asked.values()):>6} {total:>9.1%}")
    print(f"/ask latency: median {statistics.median(lat) * 1000:.1f} ms, p95 {pct(lat, 0.95) * 1000:.1f} ms")
    baseline.record("accuracy, all tasks", total * 100, "%")
    baseline.record("/ask median latency", statistics.median(lat) * 1000, "ms", higher_is_better=False)
    for w in wrong[:args.show]:
        print(w)


if __name__ == "__main__":
    main()
