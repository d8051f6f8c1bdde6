"""The reasoning evaluation set: accuracy, supporting facts on paths, and ask/learn cost beside the store's.

Learns an evaluation set (tests/data/reasoning_eval.json, or the plain-text set with
--set text, or its development set with --set dev) into a fresh
in-process engine, asks every question (as of its `as_of` date when it
has one), and prints:
  * accuracy overall and per kind of question (target >= 90%; `make test` fails below it),
  * precision of the answers given at confidence >= 0.5 (target >= 90% on the text set),
  * the wrong answers apart (a wrong answer is worse than "nothing known"),
  * how often the returned paths contain the facts that support the answer,
  * how answers came (through paths, as direct matches, or "nothing known"),
  * per-ask latency (median, p95) beside the time spent inside the store calls of the same asks
    (the storage-only share; the rest is the reasoning library's own work), and the ratio,
  * learn_batch time for the set beside the store's share of it,
  * with --server: the same asks through a real storage server (StorageClient, fast door), beside
    in-process, so the network's share is visible.

Usage: python bench/bench_reasoning_eval.py [--set rules|text|dev|PATH] [--repeat 5] [--server]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gen_store import TimedStore, pct  # noqa: E402

from sutra_stack.reasoning import Reasoner  # noqa: E402
from sutra_stack.reasoning.evaluate import learn_set, load, score  # noqa: E402
from sutra_stack.reasoning.timeline import parse_as_of  # noqa: E402
from sutra_stack.storage.engine.store import Engine  # noqa: E402

SETS = {"rules": ROOT / "tests" / "data" / "reasoning_eval.json",
        "text": ROOT / "tests" / "data" / "reasoning_text_eval.json",
        "dev": ROOT / "tests" / "data" / "reasoning_text_dev.json"}
TARGET = 0.90
CONFIDENT = 0.5  # answers at or above this confidence are judged for precision


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="times each question is asked for the timings")
    ap.add_argument("--server", action="store_true", help="also ask through a real storage server")
    ap.add_argument("--set", default="rules", help="rules (reasoning_eval.json), text (reasoning_text_eval.json), "
                    "dev (reasoning_text_dev.json) "
                    "or the path of a set")
    args = ap.parse_args()
    data = load(SETS.get(args.set, Path(args.set)))
    engine = Engine.in_memory()
    timed = TimedStore(engine)
    reasoner = Reasoner(timed)
    t = time.perf_counter()
    n_facts = learn_set(reasoner, data)
    learn_s = time.perf_counter() - t
    learn_store = timed.seconds
    st = engine.stats()

    report = score(reasoner, data)
    print(f"evaluation set: {n_facts} facts in {len(data['batches'])} batches -> {st.concepts} concepts, "
          f"{st.associations} associations; {len(report.outcomes)} questions")
    print(f"accuracy: {report.accuracy:.1%} (target >= {TARGET:.0%})  by kind: "
          + ", ".join(f"{k} {r}/{n}" for k, (r, n) in report.by_kind().items()))
    judged = [o for o in report.outcomes if o.correct and o.support_found is not None]
    print(f"supporting facts on the returned paths (or the direct match): {report.support_rate:.1%} "
          f"of {len(judged)} correct answers that list them")
    print(f"answers came: {report.answer_kinds()} (path / direct match / nothing known)")
    precision, given = report.precision_at(CONFIDENT)
    print(f"precision at confidence >= {CONFIDENT}: {precision:.1%} of {given} answers given")
    missed = [o for o in report.failures() if o.answer.kind == "none"]
    wrong = [o for o in report.failures() if o.answer.kind != "none"]
    print(f"wrong answers ({len(wrong)}; worse than nothing known):")
    for o in wrong:
        print(f"  wrong [{o.kind}] {o.question!r} -> {o.answer.answer!r} ({o.answer.kind} "
              f"{o.answer.confidence:.2f}); expected {o.expect}")
    print(f"nothing known where an answer was expected ({len(missed)}):")
    for o in missed:
        print(f"  missed [{o.kind}] {o.question!r}; expected {o.expect}")

    questions = [(q["question"], q.get("as_of")) for q in data["questions"]]
    lat: list[float] = []
    inside: list[float] = []
    calls_before = timed.calls
    for _ in range(args.repeat):
        for q, as_of in questions:
            before = timed.seconds
            t = time.perf_counter()
            reasoner.ask(q, as_of=parse_as_of(as_of) if as_of else None)
            lat.append(time.perf_counter() - t)
            inside.append(timed.seconds - before)
    calls = (timed.calls - calls_before) / len(lat)
    print()
    print(f"{'figure':34} {'Reasoner':>12} {'store only':>12} {'ratio':>7}")
    print(f"{'ask p50 (in-process engine)':34} {pct(lat, 50):9.2f} ms {pct(inside, 50):9.2f} ms "
          f"{pct(lat, 50) / max(1e-9, pct(inside, 50)):6.2f}x")
    print(f"{'ask p95':34} {pct(lat, 95):9.2f} ms {pct(inside, 95):9.2f} ms "
          f"{pct(lat, 95) / max(1e-9, pct(inside, 95)):6.2f}x")
    print(f"{'ask mean':34} {statistics.mean(lat) * 1000:9.2f} ms {statistics.mean(inside) * 1000:9.2f} ms")
    print(f"{'store calls per ask (mean)':34} {calls:12.2f}")
    print(f"{'learn_batch, whole set':34} {learn_s * 1000:9.1f} ms {learn_store * 1000:9.1f} ms "
          f"{learn_s / max(1e-9, learn_store):6.2f}x")
    engine.close()
    if args.server:
        remote(data, questions, args.repeat, lat)
    if report.accuracy < TARGET or (args.set == "text" and precision < TARGET):
        raise SystemExit(f"accuracy {report.accuracy:.1%} / precision {precision:.1%} is below {TARGET:.0%}")
    if report.accuracy < TARGET:
        raise SystemExit(f"accuracy {report.accuracy:.1%} is below {TARGET:.0%}")


def remote(data: dict, questions: list[tuple[str, str | None]], repeat: int, local_lat: list[float]) -> None:
    from sutra_stack.storage import StorageClient
    from tests.support.storage_server import storage_server

    with storage_server(env={"SUTRA_STORAGE_FSYNC": "off", "SUTRA_LOG_LEVEL": "WARNING"}) as srv, \
            StorageClient(srv.address) as client:
        timed = TimedStore(client)
        reasoner = Reasoner(timed)
        learn_set(reasoner, data)
        report = score(reasoner, data)
        lat: list[float] = []
        inside: list[float] = []
        for _ in range(repeat):
            for q, as_of in questions:
                before = timed.seconds
                t = time.perf_counter()
                reasoner.ask(q, as_of=parse_as_of(as_of) if as_of else None)
                lat.append(time.perf_counter() - t)
                inside.append(timed.seconds - before)
    print(f"through a storage server (StorageClient {srv.address}): accuracy {report.accuracy:.1%}")
    print(f"{'ask p50 over the network':34} {pct(lat, 50):9.2f} ms {pct(inside, 50):9.2f} ms "
          f"{pct(lat, 50) / max(1e-9, pct(inside, 50)):6.2f}x  (in-process {pct(local_lat, 50):.2f} ms)")
    print(f"{'ask p95 over the network':34} {pct(lat, 95):9.2f} ms {pct(inside, 95):9.2f} ms "
          f"{pct(lat, 95) / max(1e-9, pct(inside, 95)):6.2f}x  (in-process {pct(local_lat, 95):.2f} ms)")


if __name__ == "__main__":
    main()
