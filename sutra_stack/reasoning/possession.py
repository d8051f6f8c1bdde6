"""Possession beside ownership: who has a thing now (lent, borrowed, given back).

"Hugo Marsh lent his bicycle to Tilda Kerr": Tilda Kerr has it (the family `hold`, one holder
per thing) and Hugo Marsh still owns it; "Tilda Kerr borrowed the bicycle from Hugo Marsh"
says the same; "Tilda Kerr returned (gave back) the bicycle to Hugo Marsh": he has it again.
Who sold or gave a thing away, and its new owner, are the transfer shape's (open_relations.py).
Called by open_relations on a clause already cleaned of its dates; each shape is gated by its
verb (gate.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sutra_stack.reasoning.gate import gated
from sutra_stack.reasoning.predicates import HOLD, OWN, Relation
from sutra_stack.reasoning.text import Entity

_HAVE = r"(?:has\s+|have\s+|had\s+)?"
LEND = gated(
    rf"^(?P<x>.+?)\s+{_HAVE}(?:lent|lends|lend|loaned|loans)\s+(?:out\s+)?(?P<y>.+?)\s+to\s+(?P<z>.+)$",
    re.I,
    "lent lends lend loaned loans",
    "to",
)
BORROW = gated(
    rf"^(?P<z>.+?)\s+{_HAVE}(?:borrowed|borrows|borrow)\s+(?P<y>.+?)\s+from\s+(?P<x>.+)$",
    re.I,
    "borrowed borrows borrow",
    "from",
)
RETURN = gated(
    rf"^(?P<r>.+?)\s+{_HAVE}(?:(?:returned|returns)\s+(?:back\s+)?(?P<y>.+?)(?:\s+back)?|(?:gave|gives|handed|hands|"
    r"brought|brings)\s+(?:back\s+(?P<y2>.+?)|(?P<y3>.+?)\s+back))\s+to\s+(?P<z>.+)$",
    re.I,
    "returned returns back",
    "to",
)
HOLD_CONFIDENCE = 0.85

Reader = Callable[[str], Entity | None]


def possession(t: str, mask: int, person: Reader, thing: Reader) -> list[Relation]:
    """The relations of lending, borrowing and giving back a clause states (none for another
    clause): the holder, and for a loan the owner it stays with."""
    returned = RETURN.match(t, mask)
    m = returned or LEND.match(t, mask) or BORROW.match(t, mask)
    if m is None:
        return []
    holder = person(m["z"])
    what = thing(m["y"] or (m["y2"] or m["y3"] if returned else ""))
    owner = None if returned else person(m["x"])  # back with whom it was lent by: no owner said
    if holder is None or what is None or holder.key == what.key:
        return []
    out = [Relation(holder, HOLD, what, "semantic", HOLD_CONFIDENCE, "hold")]
    if owner is not None and owner.key not in (what.key, holder.key):
        out.append(Relation(owner, OWN, what, "semantic", HOLD_CONFIDENCE, "hold"))
    return out
