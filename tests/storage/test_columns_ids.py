"""The engine's row storage and id index on their own: a row-wise table keeps every field through
growth and loading, and the id directory finds every id, however the ids are spread."""

from __future__ import annotations

import random

import numpy as np
import pytest

from sutra_stack.storage.engine.columns import Table
from sutra_stack.storage.engine.graph import CONCEPT_SCHEMA, FOLD_RECENT, IdIndex

SCHEMA: dict[str, tuple[str, float | int | bytes]] = {
    "key": ("S16", b""), "flag": ("bool", False), "x": ("float32", 0.5), "n": ("int64", -1),
}


@pytest.mark.parametrize("rowwise", (False, True))
def test_a_table_keeps_its_rows_through_growth_and_loading(rowwise: bool) -> None:
    t = Table(SCHEMA, capacity=4, rowwise=rowwise)
    for i in range(3000):  # several doublings
        row = t.append(1)
        t["key"][row] = f"k{i}".encode()
        t["n"][row] = i * 7
        if i % 3 == 0:
            t["flag"][row] = True
    first = t.append(5)  # unset rows get their fill values
    assert t["x"][first:first + 5].tolist() == [0.5] * 5 and t["n"][first:first + 5].tolist() == [-1] * 5
    arrays = t.arrays()
    assert len(arrays["n"]) == 3005 and arrays["key"][2999] == b"k2999" and arrays["n"][2999] == 2999 * 7
    assert int(arrays["flag"].sum()) == 1000
    # what a snapshot holds and a reopened store adopts: one array per column, with room beyond n
    loaded = {name: np.concatenate([np.ascontiguousarray(a), np.zeros(100, dtype=a.dtype)])
              for name, a in arrays.items()}
    back = Table(SCHEMA, rowwise=rowwise)
    back.adopt(3005, loaded)
    assert back.n == 3005 and back.cap == 3105
    for name in SCHEMA:
        assert np.array_equal(back.arrays()[name], arrays[name]), name
    row = back.append(1)
    assert row == 3005 and back["n"][row] == -1
    with pytest.raises(ValueError, match="column n has dtype"):
        Table(SCHEMA, rowwise=rowwise).adopt(1, {**loaded, "n": loaded["n"].astype(np.int32)})


def test_a_row_wise_concept_row_is_one_record() -> None:
    t = Table(CONCEPT_SCHEMA, rowwise=True)
    assert t.record is not None and t.record.itemsize <= 128  # two cache lines at most
    assert all(col.base is t["ids"].base for col in t.cols.values())  # views of one array


def _reference_check(index: IdIndex, truth: dict[bytes, int], absent: list[bytes]) -> None:
    for key, row in truth.items():
        assert index.get(key) == row, key.hex()
    for key in absent:
        assert index.get(key) == -1, key.hex()


def test_the_id_directory_finds_random_clustered_and_nul_ending_ids() -> None:
    rng = random.Random(7)
    keys = [rng.randbytes(16) for _ in range(5000)]
    keys += [bytes(14) + i.to_bytes(2, "big") for i in range(3000)]  # one bucket: sequential, chosen ids
    keys += [b"\xff\xff" + rng.randbytes(13) + b"\0" for _ in range(200)]  # last bucket, trailing NULs
    keys += [rng.randbytes(8) + bytes(8) for _ in range(200)]  # many trailing NULs
    keys = list(dict.fromkeys(keys))
    truth = {k: i for i, k in enumerate(keys)}
    arr = np.array(keys, dtype="S16")
    index = IdIndex()
    index.set_base(*IdIndex.build(arr, np.ones(len(arr), dtype=bool)))
    absent = [rng.randbytes(16) for _ in range(500)] + [bytes(16), b"\xff" * 16, bytes(14) + b"\xff\xff"]
    absent = [k for k in absent if k not in truth]
    _reference_check(index, truth, absent)


def test_ids_added_after_loading_are_found_before_and_after_they_are_folded_in() -> None:
    rng = random.Random(11)
    base = [rng.randbytes(16) for _ in range(1000)]
    index = IdIndex()
    index.set_base(*IdIndex.build(np.array(base, dtype="S16"), np.ones(len(base), dtype=bool)))
    truth = {k: i for i, k in enumerate(base)}
    for i in range(FOLD_RECENT + 10):  # crosses one fold
        key = rng.randbytes(15) + b"\0" if i % 5 == 0 else rng.randbytes(16)
        truth[key] = 1000 + i
        index.put(key, 1000 + i)
    relearned = base[3]
    truth[relearned] = 99_999
    index.put(relearned, 99_999)
    index.fold()
    assert not index.recent
    _reference_check(index, truth, [rng.randbytes(16) for _ in range(200)])
