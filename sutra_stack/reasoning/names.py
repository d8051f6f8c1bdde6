"""What a name looks like to the reasoner: the building blocks of every name pattern.

A capital letter of any Latin script ("José", "Łukasz", "Ørsted"), a capitalised word, a title
or place abbreviation that belongs to the name after it ("St. Alden Hospital", "Mt. Hood",
"Dr. Ana Ruiz"), and the particles that join the words of a family name ("Jan van Dijk").
Modules compose these into their own shapes (one word or several, with or without particles,
what must follow); none writes its own capital class or word pattern.
"""

from __future__ import annotations

# a capital of a Latin script (Latin Extended-A/B hold both cases: "Łucja", "Ørsted")
UPPER = "A-ZÀ-ÖØ-ÞĀ-ɏ"
CAPITAL = f"[{UPPER}]"
# abbreviations written with a dot that are part of the name they precede
ABBREVIATIONS = ("Mrs", "Mr", "Ms", "St", "Mt", "Dr", "Ft")
ABBREV = rf"(?:{'|'.join(ABBREVIATIONS)})\.(?=\s+{CAPITAL})"  # "St." only with a name after it
# lower-case words inside a family name ("van Dijk", "da Silva", "bin Salman")
PARTICLES = "van|von|de|del|der|da|di|le|la|al|bin"
PARTICLE = rf"(?:{PARTICLES})\b"

WORD_TAIL = r"[\w'\-]*"  # the rest of a capitalised word: letters, digits, apostrophes, hyphens
# a plain word never ends at an abbreviation's dot before a name: "Dr. Nadia Osman" is read whole
# (else "succeeded Dr. Nadia Osman as ..." reads "succeeded Dr" and a sentence's end); "Main St." stays
NOT_AN_ABBREVIATION = "".join(rf"(?!(?<=\b{a})\.\s+{CAPITAL})" for a in ABBREVIATIONS)


def word(tail: str = WORD_TAIL) -> str:
    """A capitalised word (a capital, then `tail`) or an abbreviation with its dot before one."""
    return rf"(?:{ABBREV}|{CAPITAL}{tail}{NOT_AN_ABBREVIATION})"


def name(tail: str = WORD_TAIL, *, more: str = "*", joiner: str = "", particles: bool = False) -> str:
    """Capitalised words in a row: the first, then `more` (a quantifier) further ones, each after
    whitespace and an optional `joiner` (e.g. r"(?:of\\s+)?"); with `particles`, family-name
    particles may stand before a word ("Ana de la Cruz")."""
    w = word(tail)
    join = rf"(?:{PARTICLE}\s+)*" if particles else ""
    return rf"{w}(?:\s+{joiner}{join}{w}){more}"


WORD = word()  # "Alden", "O'Neill", "St." before a name
NAME = name()  # "St. Alden Hospital", "Farah Haddad", "Łukasz Żak"

# words a sentence may start with that are never a person's name
NOT_A_PERSON = ("The", "A", "An", "This", "That", "These", "Those", "It", "Its", "There", "Then", "In", "On", "At",
                "If", "When", "While", "After", "Before", "Since", "By", "During", "Perhaps", "Maybe")


def person(*also: str) -> str:
    """A person named by one or more capitalised words, with family-name particles ("Bram de Vries"),
    not starting with one of `NOT_A_PERSON` (nor of `also`)."""
    return rf"(?!(?:{'|'.join((*NOT_A_PERSON, *also))})\b){name(particles=True)}"
