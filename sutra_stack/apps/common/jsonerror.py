"""Where a JSON text stops being JSON, said as a person reads it: line, column and the field.

Decoders report a character offset (FastAPI even puts it where the field name goes); `json_error`
turns it into the line and column, and the key whose value is broken when the text names one just
before it. Used by the REST apps' error handler and by `sutra learn --file` for JSON lines.
"""

from __future__ import annotations

import re
from typing import Any

_KEY_BEFORE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*$')


def json_error(doc: str | bytes | Any, pos: int, why: str) -> dict[str, str]:
    """A JSON decode error at character `pos` of `doc` as a field error: its line and column, and the field
    whose value it is in when the text names one just before it (else the field is the whole body)."""
    if not isinstance(doc, (str, bytes)):
        return {"field": "body", "message": f"not valid JSON at character {pos + 1}: {why}"}
    text = doc.decode("utf-8", "replace") if isinstance(doc, bytes) else doc
    line, column = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
    key = _KEY_BEFORE.search(text[max(0, pos - 300):pos])
    field = key.group(1) if key else "body"
    value = f" (the value of {field!r})" if key else ""
    return {"field": field, "message": f"not valid JSON at line {line}, column {column}{value}: {why}"}
