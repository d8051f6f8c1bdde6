"""Damaged store directories opened by the real Engine: a torn WAL tail loses only the torn
records; a flipped byte anywhere in the log or the snapshot is refused with the file named (or,
in padding no data lives in, changes nothing) — never a silent start with wrong or missing data."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from sutra_stack.errors import DataLoss
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.wal import framing as fmt
from tests.storage.crash_writer import ENGINE_SETTINGS

NO_SNAPSHOTS = dict(ENGINE_SETTINGS, **{"storage.snapshot_wal_bytes": 1 << 40, "storage.wal_segment_bytes": 8192})


def copy_store(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("LOCK"))
    return dest


def segments(store: Path) -> list[Path]:
    return sorted(p for p in (store / "wal").iterdir() if fmt.parse_segment_name(p.name) is not None)


def record_ends(data: bytes) -> list[int]:
    """Offset just past each record of a segment."""
    ends, pos = [], fmt.HEADER_SIZE
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "little")
        pos += fmt.RECORD_HEADER.size + length
        ends.append(pos)
    return ends


@pytest.fixture(scope="module")
def live_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A store whose every concept is only in the WAL (no snapshot), one record per concept, as a
    crash would leave it: copied while the engine is still open."""
    root = tmp_path_factory.mktemp("live")
    eng = Engine.open(root / "store", NO_SNAPSHOTS)
    ids = [eng.learn_concept(f"concept number {i} of the corruption tests") for i in range(120)]
    frozen = copy_store(root / "store", root / "frozen")
    eng.close()
    assert len(segments(frozen)) >= 2
    return frozen, ids


def test_truncating_the_newest_segment_at_random_offsets_loses_only_the_torn_records(
    live_store: tuple[Path, list[str]], tmp_path: Path
) -> None:
    frozen, ids = live_store
    newest = segments(frozen)[-1]
    data = newest.read_bytes()
    ends = record_ends(data)
    in_newest = len(ends)
    before = len(ids) - in_newest  # concepts whose records sit in older, sealed segments
    rng = random.Random(3)
    offsets = sorted({rng.randrange(fmt.HEADER_SIZE, len(data)) for _ in range(12)} | {fmt.HEADER_SIZE, len(data) - 1})
    for n, off in enumerate(offsets):
        store = copy_store(frozen, tmp_path / f"t{n}")
        (store / "wal" / newest.name).write_bytes(data[:off])
        kept = before + sum(1 for e in ends if e <= off)
        with Engine.open(store, NO_SNAPSHOTS) as eng:
            got = eng.query_concepts(ids)
            assert [c is not None for c in got] == [True] * kept + [False] * (len(ids) - kept), off
            assert eng.stats().concepts == kept
            new = eng.learn_concept("written after the repair")
        with Engine.open(store, NO_SNAPSHOTS) as eng:
            assert eng.query_concept(new) is not None and eng.stats().concepts == kept + 1


def test_flipped_byte_in_the_middle_of_the_log_is_refused(live_store: tuple[Path, list[str]], tmp_path: Path) -> None:
    frozen, _ = live_store
    rng = random.Random(4)
    for n, seg in enumerate(segments(frozen)):
        data = seg.read_bytes()
        ends = record_ends(data)
        # a byte inside any record but the last of the newest segment (that one may be a torn tail)
        limit = ends[-2] if seg == segments(frozen)[-1] else len(data)
        for m in range(3):
            pos = rng.randrange(fmt.HEADER_SIZE, limit)
            store = copy_store(frozen, tmp_path / f"f{n}-{m}")
            damaged = bytearray(data)
            damaged[pos] ^= 0x10
            (store / "wal" / seg.name).write_bytes(bytes(damaged))
            with pytest.raises(DataLoss) as info:
                Engine.open(store, NO_SNAPSHOTS)
            assert seg.name in str(info.value) and "offset" in str(info.value)
            assert (store / "wal" / seg.name).read_bytes() == bytes(damaged), "a damaged log was truncated"


def view(eng: Engine, ids: list[str]) -> tuple[list[str | None], list[int], list[str]]:
    return ([c.content if c else None for c in eng.query_concepts(ids)], [len(eng.get_neighbors(i)) for i in ids],
            [h.concept_id for h in eng.vector_search(text="snapshotted concept 7", k=5)])


def test_flipped_byte_in_snapshot_files_is_refused_or_harmless(tmp_path: Path) -> None:
    rng = random.Random(6)
    # explicit ids (last byte non-zero: ids ending in 0x00 have their own test in test_crash_engine)
    with Engine.open(tmp_path / "src", ENGINE_SETTINGS) as eng:
        ids = [eng.learn_concept(f"snapshotted concept {i}", concept_id=(rng.randbytes(15) + b"\x5a").hex())
               for i in range(60)]
        for a, b in zip(ids, ids[1:], strict=False):
            eng.learn_association(a, b, "causal", confidence=0.7)
        eng.flush()
    with Engine.open(tmp_path / "src", ENGINE_SETTINGS) as eng:
        want = view(eng, ids)
    files = [p for p in (tmp_path / "src").iterdir() if p.name == "storage.dat" or p.name.startswith("index-")]
    assert len(files) == 2
    refused = 0
    for n in range(16):
        target = files[n % 2]
        store = copy_store(tmp_path / "src", tmp_path / f"s{n}")
        data = bytearray((store / target.name).read_bytes())
        data[rng.randrange(len(data))] ^= 0x04
        (store / target.name).write_bytes(bytes(data))
        try:
            eng = Engine.open(store, ENGINE_SETTINGS)
        except DataLoss as e:
            assert target.name in str(e), str(e)
            refused += 1
            continue
        with eng:  # the byte was padding: the store must be exactly as it was
            assert view(eng, ids) == want, f"a flipped byte in {target.name} silently changed the store"
    assert refused >= 8, f"only {refused} of 16 flipped bytes were noticed"
