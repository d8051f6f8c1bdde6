"""What kind of answer a question word asks for when the relation alone does not say, and whether an answer is of it.

"When does Bea teach?" follows the same verb as "What does Bea teach?", but only a time
answers it (not "chemistry"); "Who does Jon play?" wants a person or a body of people, not
"chess". A `Frame` carries the kind (`wants`); the asker drops the paths whose answer is not of it.
"""

from __future__ import annotations

import re

from sutra_stack.reasoning.predicates import KIN_NOUNS, ROLE_NOUNS
from sutra_stack.reasoning.text import singular, wordset

TIME, PERSON = "time", "person"
_TIME = re.compile(
    r"\d|\b(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekends?|weekdays?|spring|summer|autumn|fall|"
    r"winter|morning|mornings|afternoons?|evenings?|nights?|noon|midnight|dawn|dusk|daily|weekly|monthly|yearly|"
    r"annually|every|each|christmas|easter|year|years|month|months|week|weeks|day|days|century|decade|"
    r"o'clock|am|pm|today|tomorrow|yesterday|season|holidays?)\b",
    re.I,
)
_PEOPLE = KIN_NOUNS | ROLE_NOUNS | wordset(
    "friend neighbour neighbor student pupil tenant colleague family team club company council committee "
    "museum school society band choir church firm people person man woman boy girl child children crew staff "
    "owner buyer seller teacher doctor nurse farmer"
)


def of_kind(wants: str | None, answer: str) -> bool:
    """Whether an answer, as shown, can be of the kind asked for (unknown kinds: yes)."""
    if wants == TIME:
        return bool(_TIME.search(answer))
    if wants == PERSON:
        if any(w[:1].isupper() for w in answer.split()):
            return True
        last = answer.lower().split()[-1] if answer.split() else ""
        return singular(last) in _PEOPLE
    return True
