"""Build a large store from templates whose questions need reasoning paths, and measure it.

Each template group i states seven facts:
  compound i causes reaction i; reaction i leads to outcome i   (questions need 1 or 2 joined facts)
  device i is a kind of machine (i mod 500)                      (hierarchy, machines shared by many devices)
  assembly i contains part i and seal i                         (composition, two answers)
  sensor i is located in room i                                 (every tenth sensor moves later: changed over time)
  mixing i happens before curing i                              (temporal)
  batch i was inspected on a weekday                            (no relation asked: a direct match)
about 21 concepts per group, so 100K concepts are about 4,800 groups.

Library use (the API benchmark imports it): `fill(store, concepts) -> facts learned`,
`question_set(n_facts, k, seed) -> [(question, expected answer, kind)]`, `questions(n_facts, k, seed)`.

As a script it builds the store in-process (on disk with --path, else in memory), prints the
learn rate beside the storage-only rate of the same writes, then asks sampled questions and prints
how many answers came through paths, as direct matches or as "nothing known", their accuracy,
and per-ask latency beside the time spent inside the store calls; then the same questions again
(the facts they read already parsed, as in a server asked the same things twice) and other
questions with `as_of` (the knowledge as it stood at a moment). With `--baseline REV` it runs
against revision REV and this tree in turn (bench/baseline.py) and prints each figure for both.

Usage: python bench/gen_store.py [--concepts 100000] [--path DIR] [--asks 500] [--baseline REV]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import baseline  # bench/baseline.py: which tree's sutra_stack this run measures

baseline.setup_path()

from sutra_stack.limits import MAX_BATCH_ITEMS  # noqa: E402
from sutra_stack.reasoning import Reasoner  # noqa: E402
from sutra_stack.reasoning.learner import plan_text  # noqa: E402

if TYPE_CHECKING:  # a type only: --baseline runs this script against revisions where it lived elsewhere
    from sutra_stack.storage.store_protocol import KnowledgeStore

FACTS_PER_GROUP = 7
CONCEPTS_PER_GROUP = 21  # measured: 7 facts, 13 entities, and the shared machines
MACHINES = 500
MOVE_EVERY = 10  # every tenth sensor moves to another room, learned after everything else
BATCH = 2_000


def group_facts(i: int) -> list[str]:
    return [
        f"Compound {i} causes reaction {i}.",
        f"Reaction {i} leads to outcome {i}.",
        f"Device {i} is a kind of machine {i % MACHINES}.",
        f"Assembly {i} contains part {i} and seal {i}.",
        f"Sensor {i} is located in room {i}.",
        f"Mixing {i} happens before curing {i}.",
        f"Batch {i} was inspected on {inspection_day(i)}.",
    ]


DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def inspection_day(i: int) -> str:
    return DAYS[i % 7]


def moved_room(i: int) -> int:
    return i + 100_000


def facts(start: int, n_groups: int) -> list[str]:
    return [f for i in range(start, start + n_groups) for f in group_facts(i)]


def fill(store: KnowledgeStore, concepts: int, batch: int = BATCH) -> int:
    """Learn template groups until the store holds about `concepts` concepts, then the moves.

    Returns the number of facts learned (groups × FACTS_PER_GROUP; the moves not counted).
    """
    reasoner = Reasoner(store)
    groups = max(1, concepts // CONCEPTS_PER_GROUP)
    per_batch = max(1, batch // FACTS_PER_GROUP)
    for start in range(0, groups, per_batch):
        reasoner.learn_batch(facts(start, min(per_batch, groups - start)))
    moves = [f"Sensor {i} is located in room {moved_room(i)}." for i in range(0, groups, MOVE_EVERY)]
    for start in range(0, len(moves), batch):
        reasoner.learn_batch(moves[start : start + batch])
    return groups * FACTS_PER_GROUP


def question_set(n_facts: int, k: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """k questions (question, expected answer fragment, kind) about the first n_facts facts."""
    groups = max(1, n_facts // FACTS_PER_GROUP)
    rng = random.Random(seed)
    out: list[tuple[str, str, str]] = []
    while len(out) < k:
        i = rng.randrange(groups)
        if rng.random() < 0.1:  # a sensor that moved: the latest fact must win
            i = rng.randrange(0, groups, MOVE_EVERY)
            out.append((f"Where is sensor {i} located now?", f"room {moved_room(i)}", "changed"))
            continue
        out.append(rng.choice([
            (f"What does compound {i} cause?", f"reaction {i}", "single"),
            (f"What does compound {i} ultimately lead to?", f"outcome {i}", "join"),
            (f"What causes outcome {i}?", f"reaction {i}", "single"),
            (f"What kind of thing is device {i}?", f"machine {i % MACHINES}", "single"),
            (f"Does compound {i} lead to outcome {i}?", "yes", "join"),
            (f"What does assembly {i} contain?", f"part {i}", "single"),
            (f"Where is sensor {i} located?", f"room {moved_room(i) if i % MOVE_EVERY == 0 else i}", "single"),
            (f"When was batch {i} inspected?", inspection_day(i), "direct"),
            (f"What happens after mixing {i}?", f"curing {i}", "single"),
            (f"What does widget {i} contain?", "nothing relevant", "none"),
        ]))
    return out


def questions(n_facts: int, k: int, seed: int = 7) -> list[str]:
    return [q for q, _e, _k in question_set(n_facts, k, seed)]


class TimedStore:
    """Wraps a real store and adds up the time spent inside its calls (the storage-only share)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.seconds = 0.0
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.store, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t
                self.calls += 1

        return call


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000


def storage_only_learn(engine: Any, items: list[str], batch: int = BATCH) -> float:
    """Seconds the store alone takes for the writes learn_batch makes for `items` (same batches)."""
    total = 0.0
    for start in range(0, len(items), batch):
        plans = [plan_text(t, {}, 0.0, i) for i, t in enumerate(items[start : start + batch])]
        concepts = {c.concept_id: c for p in plans for c in p.concepts}
        edges = {(a.source, a.target, a.type): a for p in plans for a in p.associations}
        t = time.perf_counter()
        cs, es = list(concepts.values()), list(edges.values())
        for i in range(0, len(cs), MAX_BATCH_ITEMS):
            engine.query_concepts([c.concept_id for c in cs[i : i + MAX_BATCH_ITEMS]])
            engine.learn_batch(cs[i : i + MAX_BATCH_ITEMS])
        for i in range(0, len(es), MAX_BATCH_ITEMS):
            engine.learn_associations(es[i : i + MAX_BATCH_ITEMS])
        total += time.perf_counter() - t
    return total


def main() -> None:
    from sutra_stack.storage.engine.store import Engine

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concepts", type=int, default=100_000)
    ap.add_argument("--path", type=Path, default=None, help="build an on-disk store here (default: in memory)")
    ap.add_argument("--asks", type=int, default=500)
    baseline.add_arguments(ap)
    args = ap.parse_args()
    baseline.compare_if_asked(__file__, args)

    # first, in a fresh process: the same writes by the store alone beside Reasoner.learn_batch (20K concepts)
    sample = facts(10_000_000, 20_000 // CONCEPTS_PER_GROUP)
    bare_runs, full_runs, made = [], [], 0
    for _ in range(2):  # alternate, best of two each
        fresh = Engine.in_memory()
        bare_runs.append(storage_only_learn(fresh, sample))
        made = fresh.stats().concepts
        fresh.close()
        slice_engine = Engine.in_memory()
        slice_reasoner = Reasoner(slice_engine)
        t = time.perf_counter()
        for start in range(0, len(sample), BATCH):
            slice_reasoner.learn_batch(sample[start : start + BATCH])
        full_runs.append(time.perf_counter() - t)
        slice_engine.close()
    bare, full = min(bare_runs), min(full_runs)
    print(f"20K concepts into an empty store: Reasoner.learn_batch {made / full:,.0f} concepts/s beside the store "
          f"alone {made / bare:,.0f} concepts/s (ratio {bare / full:.2f})", flush=True)
    baseline.record("learn_batch 20K into an empty store", made / full, "concepts/s", anchor=made / bare)

    engine = Engine.open(args.path) if args.path else Engine.in_memory()
    timed = TimedStore(engine)
    t0 = time.perf_counter()
    n_facts = fill(timed, args.concepts)
    build = time.perf_counter() - t0
    st = engine.stats()
    print(f"store: {st.concepts} concepts, {st.associations} associations from {n_facts} template facts "
          f"(+{len(range(0, n_facts // FACTS_PER_GROUP, MOVE_EVERY))} moves) in {build:.1f} s")
    print(f"learn_batch: {st.concepts / build:,.0f} concepts/s end to end in-process; time inside the store "
          f"{timed.seconds:.1f} s ({timed.seconds / build:.0%}); target for the API >= 2,000 concepts/s")
    baseline.record("learn_batch filling the store", st.concepts / build, "concepts/s")
    qs = question_set(n_facts, args.asks)
    reasoner = Reasoner(timed)
    for q, _e, _k in qs[:50]:
        reasoner.ask(q)  # warm up
    kinds: dict[str, int] = {}
    right: dict[str, list[int]] = {}
    lat: list[float] = []
    store_lat: list[float] = []
    for q, expected, kind in qs:
        before = timed.seconds
        t = time.perf_counter()
        a = reasoner.ask(q)
        lat.append(time.perf_counter() - t)
        store_lat.append(timed.seconds - before)
        kinds[a.kind] = kinds.get(a.kind, 0) + 1
        ok = (a.kind == "none") if kind == "none" else (a.kind != "none" and expected.lower() in a.answer.lower())
        right.setdefault(kind, [0, 0])
        right[kind][0] += ok
        right[kind][1] += 1
    total_right = sum(v[0] for v in right.values())
    print(f"answers of {len(qs)} asks: {dict(sorted(kinds.items()))} "
          "(path = through reasoning paths, direct = best direct match, none = nothing known)")
    print(f"accuracy {total_right / len(qs):.1%}; by kind: "
          + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(right.items())))
    print(f"Reasoner.ask in-process: p50 {pct(lat, 50):.2f} ms, p95 {pct(lat, 95):.2f} ms; "
          f"inside the store: p50 {pct(store_lat, 50):.2f} ms, p95 {pct(store_lat, 95):.2f} ms "
          f"(ratio p50 {pct(lat, 50) / max(1e-9, pct(store_lat, 50)):.2f}x; API target p50 <= 5 ms through HTTP)")
    print(f"mean {statistics.mean(lat) * 1000:.2f} ms per ask")
    baseline.record("Reasoner.ask p50, first time asked", pct(lat, 50), "ms", higher_is_better=False)
    baseline.record("Reasoner.ask p95, first time asked", pct(lat, 95), "ms", higher_is_better=False)
    again = timed_asks(reasoner, [q for q, _e, _k in qs])
    print(f"the same questions again (their facts parsed before): p50 {pct(again, 50):.2f} ms, "
          f"p95 {pct(again, 95):.2f} ms")
    baseline.record("Reasoner.ask p50, asked again", pct(again, 50), "ms", higher_is_better=False)
    other = [q for q, _e, _k in question_set(n_facts, args.asks, seed=8)]
    try:
        as_of = timed_asks(reasoner, other, as_of=time.time())
    except TypeError:  # a revision from before as_of
        print("as_of: not taken by this tree's Reasoner.ask")
    else:
        print(f"other questions with as_of (now): p50 {pct(as_of, 50):.2f} ms, p95 {pct(as_of, 95):.2f} ms")
        baseline.record("Reasoner.ask p50 with as_of, first time asked", pct(as_of, 50), "ms",
                        higher_is_better=False)
    engine.close()


def timed_asks(reasoner: Reasoner, qs: list[str], **kw: Any) -> list[float]:
    """Seconds each ask took."""
    lat = []
    for q in qs:
        t = time.perf_counter()
        reasoner.ask(q, **kw)
        lat.append(time.perf_counter() - t)
    return lat


if __name__ == "__main__":
    main()
