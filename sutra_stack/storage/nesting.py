"""How deep a value nests: the one check of MAX_METADATA_DEPTH, on a decoded value and on JSON text.

Both run without recursion, before anything recursive (json.loads, json.dumps, repr) touches
the value, so a metadata object nested ten thousand levels deep is an InvalidArgument that
names the limit, not a RecursionError. The top object is level 1: `{"a": {"b": 1}}` nests 2.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

from sutra_stack import limits
from sutra_stack.errors import InvalidArgument

# A JSON string (escapes included): what is inside one is text, not structure.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def too_deep(field: str, limit: int = limits.MAX_METADATA_DEPTH) -> InvalidArgument:
    return InvalidArgument(
        f"{field} nests objects and lists more than {limit} levels deep, over the limit MAX_METADATA_DEPTH = {limit}",
        field=field,
    )


def check_value(value: Any, field: str, limit: int = limits.MAX_METADATA_DEPTH) -> None:
    """Raise InvalidArgument when maps and lists in `value` nest deeper than `limit` levels."""
    stack = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, level = pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, (list, tuple)):
            children = node
        else:
            continue
        if level > limit:
            raise too_deep(field, limit)
        for child in children:
            if isinstance(child, (dict, list, tuple)):
                push((child, level + 1))


def check_json(text: str, field: str, limit: int = limits.MAX_METADATA_DEPTH) -> None:
    """Raise InvalidArgument when the JSON `text` nests deeper than `limit` levels (before it is parsed)."""
    if text.count("[") + text.count("{") <= limit:  # the common case: too few brackets to nest that deep
        return
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    if max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit:
        raise too_deep(field, limit)
