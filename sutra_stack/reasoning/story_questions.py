"""Questions about stories: "Where is the lantern?", "Who gave the book to Fred?", "How do you go
from the hallway to the garden?" and the rest, read into a `StoryQuestion` (or None: not one).

Pure; names and phrases come back lower-case without "the".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sutra_stack.reasoning.story_parse import POSITIONS, _alt

_X = r"(?:the\s+)?(?P<x>[\w'\- ]+?)"
_P = r"(?:the\s+)?(?P<p>[\w'\- ]+?)"
_END = r"\s*\??\s*$"
_WHERE_TAIL = r"(?:\s+(?:located|now|right\s+now|at\s+the\s+moment|to\s+be\s+found))*"
_CARRY = r"(?:carrying|holding|having|keeping|taking|bringing|carrying around|holding on to)"
_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((k, re.compile(p, re.I)) for k, p in (
    ("before", rf"^where\s+was\s+{_X}\s+before\s+{_P}{_END}"),
    ("after", rf"^where\s+was\s+{_X}\s+after\s+{_P}{_END}"),
    ("count", rf"^how\s+many\s+(?:objects|things|items)\s+(?:is|was)\s+{_X}\s+{_CARRY}{_END}"),
    ("carry", rf"^what\s+(?:is|was)\s+{_X}\s+{_CARRY}{_END}"),
    ("path", rf"^how\s+do\s+(?:you|i|we|one)\s+(?:go|get|walk|travel)\s+from\s+{_X}\s+to\s+{_P}{_END}"),
    ("dir_of", rf"^what\s+is\s+(?:to\s+the\s+)?(?P<d>north|south|east|west)\s+of\s+{_P}{_END}"),
    ("of_dir", rf"^what\s+is\s+{_X}\s+(?:to\s+the\s+)?(?P<d>north|south|east|west)\s+of{_END}"),
    ("giver", rf"^who\s+(?:gave|handed|passed)\s+the\s+(?P<t>[\w'\- ]+?)\s+to\s+(?P<r>[\w'\- ]+?){_END}"),
    ("giver", rf"^who\s+(?:gave|handed|passed)\s+(?:the\s+)?(?P<t>[\w'\- ]+?)(?:\s+away)?{_END}"),
    ("thing", rf"^what\s+did\s+(?P<g>[\w'\- ]+?)\s+(?:give|hand|pass)\s+(?:over\s+)?to\s+(?P<r>[\w'\- ]+?){_END}"),
    ("thing", rf"^what\s+did\s+(?P<r>[\w'\- ]+?)\s+(?:receive|get)\s+from\s+(?P<g>[\w'\- ]+?){_END}"),
    ("to", rf"^(?:who|whom)\s+did\s+(?P<g>[\w'\- ]+?)\s+(?:give|hand|pass)\s+the\s+(?P<t>[\w'\- ]+?)\s+to{_END}"),
    ("to", rf"^who\s+(?:received|got|was\s+given)\s+the\s+(?P<t>[\w'\- ]+?){_END}"),
    ("did_give", rf"^did\s+(?P<g>[\w'\- ]+?)\s+(?:give|hand|pass)\s+the\s+(?P<t>[\w'\- ]+?)\s+to\s+"
                 rf"(?P<r>[\w'\- ]+?){_END}"),
    ("is_afraid", rf"^(?:is|are)\s+{_X}\s+(?:afraid|scared|frightened|terrified|wary|fearful)\s+of\s+"
                  rf"(?P<o>[\w'\- ]+?){_END}"),
    ("is_carrying", rf"^is\s+{_X}\s+{_CARRY}\s+the\s+(?P<t>[\w'\- ]+?){_END}"),
    ("is_dir", rf"^is\s+the\s+(?P<a>[\w'\- ]+?)\s+(?:to\s+the\s+)?(?P<d>north|south|east|west)\s+of\s+"
               rf"the\s+(?P<b>[\w'\- ]+?){_END}"),
    ("afraid", rf"^what\s+(?:is|are)\s+{_X}\s+(?:afraid|scared|frightened|terrified|wary|fearful)\s+of{_END}"),
    ("size", rf"^(?:is|are)\s+the\s+(?P<a>[\w'\- ]+?)\s+(?P<c>bigger|larger|greater|smaller|tinier)\s+than\s+"
             rf"the\s+(?P<b>[\w'\- ]+?){_END}"),
    ("fits", rf"^(?:does|do|will|can|would)\s+the\s+(?P<a>[\w'\- ]+?)\s+fit\s+(?:in|inside|into)\s+"
             rf"the\s+(?P<b>[\w'\- ]+?){_END}"),
    ("position", rf"^is\s+the\s+(?P<a>[\w'\- ]+?)\s+(?P<r>{_alt(tuple(POSITIONS))})\s+the\s+(?P<b>[\w'\- ]+?){_END}"),
    ("is_in", rf"^(?:is|was)\s+{_X}\s+(?:still\s+|now\s+)?(?:in|at|inside)\s+{_P}{_END}"),
    ("where", rf"^where\s+(?:is|are)\s+{_X}{_WHERE_TAIL}{_END}"),
))


@dataclass(frozen=True, slots=True)
class StoryQuestion:
    kind: str
    args: dict[str, str]

    def names(self) -> list[str]:
        """The people or things the question is about (to find the story by), most telling first."""
        order = ("x", "t", "g", "r", "a", "b")
        return [self.args[k] for k in order if self.args.get(k)]


def _clean(v: str | None) -> str:
    v = (v or "").strip().lower()
    return re.sub(r"^(?:the|a|an)\s+", "", v)


@lru_cache(maxsize=4096)
def parse_story_question(question: str) -> StoryQuestion | None:
    q = " ".join(question.split())
    for kind, pat in _SHAPES:
        m = pat.match(q)
        if m:
            args = {k: _clean(v) for k, v in m.groupdict().items() if v}
            if kind in ("giver",) and "r" not in args:
                args["r"] = ""
            return StoryQuestion(kind, args)
    return None
