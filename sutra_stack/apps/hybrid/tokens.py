"""The one tokenizer rule of sutra-hybrid's `usage` counts, `max_tokens` and streamed pieces.

A token is a word (a run of letters, digits and underscores) or any other single character that is
not white space: "Smoking causes lung cancer." is 5 tokens. `prompt_tokens` counts the text of every
message of the request, `completion_tokens` the reply's content, by this rule. It is not OpenAI's
BPE: figures are comparable between requests to this server, not with a hosted model's bills.
"""

from __future__ import annotations

import re

TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_PIECE_RE = re.compile(r"\s*(?:\w+|[^\w\s])|\s+$")


def count_tokens(text: str) -> int:
    return sum(1 for _ in TOKEN_RE.finditer(text))


def truncate(text: str, max_tokens: int) -> tuple[str, bool]:
    """`text` cut after its first `max_tokens` tokens, and whether anything was cut."""
    for i, m in enumerate(TOKEN_RE.finditer(text)):
        if i == max_tokens:
            return text[:m.start()].rstrip(), True
    return text, False


def pieces(text: str) -> list[str]:
    """`text` as streamed: one token with the white space before it per piece; they join back to `text`."""
    return [m.group(0) for m in _PIECE_RE.finditer(text)] or ([text] if text else [])
