"""`Op.args` (the per-call fast path) and `bind` (the general check) agree: for every operation
and any arguments a client may send, the same keyword arguments or the same error (type, message
and field)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sutra_stack.errors import SutraError
from sutra_stack.storage.server.ops import OPS, Op, bind

scalars = (st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
           | st.text(max_size=12) | st.binary(max_size=24))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


def _item_maps(op: Op) -> st.SearchStrategy[Any]:
    """Batch items: maps over the item fields (known ones mostly), or anything else."""
    fields = ["content", "concept_id", "embedding", "strength", "confidence", "metadata", "source", "target",
              "type", "weight"]
    return st.dictionaries(st.sampled_from([*fields, "bogus"]), values, max_size=4)


@st.composite
def calls(draw: st.DrawFn) -> tuple[Op, Any]:
    op = draw(st.sampled_from(sorted(OPS.values(), key=lambda o: o.name)))
    keys = [*op.params, "bogus", "Content", ""]
    field_values = values | st.lists(_item_maps(op), max_size=3)
    args = draw(st.one_of(
        st.dictionaries(st.sampled_from(keys), field_values, max_size=len(keys)),
        st.fixed_dictionaries({k: field_values for k in op.params}),  # every field, so the fast path runs
        st.none(), st.lists(values, max_size=2), scalars,
    ))
    return op, args


def outcome(fn: Any, op: Op, args: Any) -> tuple[str, Any]:
    try:
        return "ok", normal(fn(op, args))
    except SutraError as e:
        return type(e).__name__, (e.message, e.field)


def normal(v: Any) -> Any:
    """Comparable form: dicts by sorted items, arrays as (dtype, values), model inputs by their fields."""
    if isinstance(v, dict):
        return sorted((k, normal(x)) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return [normal(x) for x in v]
    if isinstance(v, np.ndarray):
        return ("array", str(v.dtype), v.tolist())
    if hasattr(v, "__dataclass_fields__"):
        return (type(v).__name__, [(k, normal(getattr(v, k))) for k in v.__dataclass_fields__])
    if isinstance(v, float) and v != v:
        return "nan"
    return repr(v)


def general(op: Op, args: Any) -> Any:
    """What the table says an operation's arguments are: `bind`, with no arguments meaning none."""
    return bind(op.params, {} if args is None else args)


@settings(max_examples=500, deadline=None)
@given(calls())
@example((OPS["stats"], []))
@example((OPS["stats"], 0))
@example((OPS["health"], ""))
@example((OPS["vector_search"], {"vector": b"\x00\x00\x80?"}))
@example((OPS["vector_search"], {"vector": b"\x00\x00\x80"}))
@example((OPS["learn_concept"], {"content": "x", "embedding": b"abc"}))
def test_the_fast_path_gives_what_bind_gives(call: tuple[Op, Any]) -> None:
    op, args = call
    assert outcome(Op.args, op, args) == outcome(general, op, args)
