"""Turning voted paths into an Answer: consensus, the latest fact winning, and the explanation.

Answers reached by several independent paths (different facts) gain confidence; an answer
with a lone path among better-supported rivals loses some. When facts about the same subject
and single-valued relation disagree, the fact learned last wins and the others are named as
superseded.
"""

from __future__ import annotations

import math

from sutra_stack.reasoning.extract import Relation
from sutra_stack.reasoning.kinship import asked_sex
from sutra_stack.reasoning.models import Answer, PathStep, ReasoningPath
from sutra_stack.reasoning.places import SMALL_PLACES, kind, of_kind
from sutra_stack.reasoning.predicates import HOLD, OWN, is_kin, slot_by_object, slot_key
from sutra_stack.reasoning.questions import BACKWARD, Frame
from sutra_stack.reasoning.supersede import Entry, LearnKey, fact_slot, learned_key, settle, timeline, when
from sutra_stack.storage.model import Concept, GraphPath, SearchHit

LONE_OUTLIER = 0.8  # factor for an answer with one path when a rival has several
LIST_SHARE = 0.5  # other answers listed with the best when their confidence reaches this share of it
MAX_LISTED = 5
SEXED_LIST_SHARE = 0.8  # "who are X's sons": a child of unknown sex (its path at kinship.SEX_UNKNOWN) stays out
DIRECT_BASE, DIRECT_SPAN = 0.25, 0.2  # a direct match's confidence: 0.25 + 0.2 × relevance (<= 0.45)

Voted = tuple[GraphPath, list[str], bool]  # (path, facts on it, went through a learned-later hop)


def _content(concepts: dict[str, Concept], cid: str) -> str:
    c = concepts.get(cid)
    return c.content if c else cid


def to_reasoning_path(path: GraphPath, concepts: dict[str, Concept]) -> ReasoningPath:
    steps = [PathStep(path.concepts[0], _content(concepts, path.concepts[0]))]
    for hop in path.hops:
        steps.append(PathStep(hop.target, _content(concepts, hop.target), hop.type, hop.confidence, hop.predicate,
                              hop.valid_from, hop.valid_to, hop.superseded_by))
    return ReasoningPath(steps, path.confidence)


def _noisy_or(values: list[float]) -> float:
    return 1.0 - math.prod(1.0 - v for v in values)


def _deciding(frame: Frame, answer: str, facts: list[str], relations: dict[str, list[Relation]]) -> Relation | None:
    """The relation of the fact that states the answer itself."""
    fact = facts[0] if frame.direction == BACKWARD else facts[-1]
    for r in relations.get(fact, []):
        end = r.subject.id if frame.direction == BACKWARD else r.object.id
        if end == answer and frame.accepts(r.family):
            return r
    return None


def _display(frame: Frame, answer: str, votes: list[Voted], concepts: dict[str, Concept],
             relations: dict[str, list[Relation]]) -> str:
    """The answer as the fact stating it words it ("breathing problems"), else the entity's key."""
    for _p, facts, _later in sorted(votes, key=lambda v: (-v[0].confidence, v[0].concepts)):
        r = _deciding(frame, answer, facts, relations)
        if r is not None:
            return (r.subject if frame.direction == BACKWARD else r.object).display
    return _content(concepts, answer)


def _beyond(by_answer: dict[str, list[Voted]], inside: set[str], other: set[str]) -> set[str]:
    """The answers told of no kind that lie beyond a smaller place on their path (the place a
    province or county is in, the place a town is in): the country or county asked for, when
    nothing is told to be one."""
    return {a for a, votes in by_answer.items() if a not in other
            and any(c in inside for v in votes for c in v[0].concepts[:-1])}


def build_answer(question: str, frame: Frame, good: list[Voted], concepts: dict[str, Concept],
                 relations: dict[str, list[Relation]], max_paths: int, as_of: float | None = None,
                 same_thing: frozenset[str] = frozenset()) -> Answer | None:
    """The answer the voted paths support (None when, `as_of` a past moment, none of them held);
    `same_thing`: the ids naming the one thing asked about, whose owner or holder is one slot."""
    if frame.said:  # "who bought X": a fact that says how it came to them, not only that they own it
        good = [v for v in good if any(st in _content(concepts, f).lower() for f in v[1] for st in frame.said)]
    by_answer: dict[str, list[Voted]] = {}
    for v in good:
        path = v[0]
        aid = path.concepts[0] if frame.direction == BACKWARD and not frame.yes_no else path.concepts[-1]
        by_answer.setdefault(aid, []).append(v)
    classed = False
    if frame.place_class is not None:  # "in which county": answers of that kind of place
        places = {a: _display(frame, a, votes, concepts, relations) for a, votes in by_answer.items()}
        match, other, inside = of_kind(frame.place_class, places, concepts, relations)
        if not match and inside:  # "Westmark is a province of Lorrania": Lorrania; "a town in Hale": Hale
            match = _beyond(by_answer, inside, other)
        if not match and (inside or kind(frame.place_class) != "country") and frame.place_class not in SMALL_PLACES:
            return None  # a county or province on the chain is no country; nothing told is of the kind asked
        by_answer = {a: vs for a, vs in by_answer.items() if (a in match if match else a not in other)}
        classed = bool(match)
        if not by_answer:
            return None
    if frame.chain and not frame.yes_no and not classed:  # "ultimately": the ends of the chains
        inner = {i for v in good for i in v[0].concepts[1:-1]}
        ends = {a: vs for a, vs in by_answer.items() if a not in inner}
        by_answer = ends or by_answer
    shown_as = {a: _display(frame, a, votes, concepts, relations) for a, votes in by_answer.items()}
    superseded: list[tuple[str, str, str | None]] = []  # (loser answer, its fact, the fact that replaced it)
    if not frame.yes_no:
        slots: dict[str, list[Entry]] = {}
        for aid, votes in by_answer.items():
            for _p, facts, _later in votes:
                r = _deciding(frame, aid, facts, relations)
                slot = fact_slot(r) if r is not None else None
                if slot is not None and r is not None and frame.known is not None and frame.direction == BACKWARD \
                        and slot_by_object(r.family) and r.object.id in same_thing:
                    slot = f"{frame.known.key}|{r.family}"  # "the vineyard", "a small vineyard near Carrow": one thing
                if slot is not None:
                    fact = facts[0] if frame.direction == BACKWARD else facts[-1]
                    slots.setdefault(slot, []).append(Entry(aid, fact, learned_key(concepts, fact)))
        dropped = settle(slots, concepts, as_of).dropped
        if frame.former:  # "who used to own X", "who succeeded A as R of X": that value of the slot
            earlier = _former_value(frame, slots, concepts, dropped, by_answer)
            if earlier is None:
                return None
            by_answer = {earlier: by_answer[earlier]}
            dropped = {}
        for aid, (fact, by) in dropped.items():
            if aid in by_answer:
                del by_answer[aid]
                superseded.append((aid, fact, by))
        if frame.families is not None and {HOLD, OWN} <= frame.families:
            by_answer = _holder_or_owner(by_answer, slots)
        if not by_answer:
            return None
    if not by_answer:
        return None
    scores: dict[str, float] = {}
    independent: dict[str, int] = {}
    for aid, votes in by_answer.items():
        best_per_factset: dict[str, float] = {}  # paths are independent when different facts state the answer
        for p, facts, _later in votes:
            key = facts[0] if frame.direction == BACKWARD and not frame.yes_no else facts[-1]
            best_per_factset[key] = max(best_per_factset.get(key, 0.0), p.confidence)
        independent[aid] = len(best_per_factset)
        scores[aid] = _noisy_or(list(best_per_factset.values()))
    total = sum(scores.values()) or 1.0
    most = max(independent.values())
    final: dict[str, float] = {}
    for aid, s in scores.items():
        conf = s * math.sqrt(s / total)
        if independent[aid] == 1 and most >= 2:
            conf *= LONE_OUTLIER
        final[aid] = min(1.0, max(0.0, conf))
    ranked = sorted(final, key=lambda a: (-final[a], a))
    winner = ranked[0]
    listed = [winner]
    if frame.families and any(slot_key("", f, "") is None for f in frame.families) and not frame.yes_no:
        def hops(a: str) -> int:
            return min(len(v[1]) for v in by_answer[a])

        kin = all(is_kin(f) for f in frame.families)
        # "children", "siblings": all of them told, however often; "sons": not one whose sex is not told
        share = (0.0 if asked_sex(frame.families) is None else SEXED_LIST_SHARE) if kin else LIST_SHARE
        listed += [a for a in ranked[1:] if final[a] >= share * final[winner] and hops(a) == hops(winner)]
        listed = listed[:MAX_LISTED]
        if len(listed) > 1:  # several right answers together: their joint share of the support counts
            s = scores[winner]
            final[winner] = min(1.0, s * math.sqrt(sum(scores[a] for a in listed) / total))
    chosen: list[Voted] = []
    for aid in listed:
        chosen += by_answer[aid]
    chosen.sort(key=lambda v: (not v[2] if superseded else False, -v[0].confidence, v[0].concepts))
    shown = [to_reasoning_path(v[0], concepts) for v in chosen[:max_paths]]
    facts_shown: dict[str, None] = {}
    for v in chosen[:max_paths]:
        for f in v[1]:
            facts_shown.setdefault(f, None)
    names = [shown_as[a] for a in listed]
    if frame.yes_no:
        first = chosen[0][0]
        start = frame.known.display if frame.known else _content(concepts, first.concepts[0])
        answer = (f"Yes: {start} → {names[0]}, "
                  f"through {len(chosen[0][1])} learned fact(s).")
    else:
        answer = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    rivals = [(shown_as[a], final[a]) for a in ranked if a not in listed][:3]
    lost = [(shown_as[a], fact, later) for a, fact, later in superseded]
    explanation = _explain(frame, names, final[winner], independent[winner], chosen[:max_paths], concepts, lost,
                           rivals, as_of)
    return Answer(question, answer, round(final[winner], 4), "path", shown, explanation, winner, list(facts_shown))


def _former_value(frame: Frame, slots: dict[str, list[Entry]], concepts: dict[str, Concept],
                  dropped: dict[str, tuple[str, str | None]], by_answer: dict[str, list[Voted]]) -> str | None:
    """The answer a question about an earlier value asks for: the latest one a later fact replaced
    ("previous"), the first told ("first"), or the one right after or before `frame.relative`."""
    if frame.former == "previous":
        replaced = {a: learned_key(concepts, fact) for a, (fact, by) in dropped.items() if by and a in by_answer}
        return max(replaced, key=lambda a: replaced[a]) if replaced else None
    for entries in slots.values():
        order: list[str] = []
        for e in timeline(entries, concepts):
            if e.answer in by_answer and (not order or order[-1] != e.answer):
                order.append(e.answer)
        if frame.former == "first":  # known only when a later value is: one value alone may not be the first
            return order[0] if len(order) > 1 else None
        if frame.relative is not None and frame.relative.id in order:
            i = order.index(frame.relative.id)
            j = i + 1 if frame.former == "after" else i - 1
            return order[j] if 0 <= j < len(order) else None
    return None


def _holder_or_owner(by_answer: dict[str, list[Voted]], slots: dict[str, list[Entry]]) -> dict[str, list[Voted]]:
    """"Who has the bicycle?": whoever holds it (lent, borrowed) when that was told after its owner
    was, else its owner."""
    latest: dict[str, tuple[LearnKey, set[str]]] = {}
    for slot, entries in slots.items():
        family = slot.rsplit("|", 1)[-1]
        for e in entries:
            if e.answer in by_answer and family in (HOLD, OWN):
                key, answers = latest.get(family, (e.key, set()))
                latest[family] = (max(key, e.key), answers | {e.answer})
    if len(latest) < 2:
        return by_answer
    keep = latest[HOLD][1] if latest[HOLD][0] >= latest[OWN][0] else latest[OWN][1]
    return {a: vs for a, vs in by_answer.items() if a in keep}


_FAMILY_WORDS = {"cause": "cause-and-effect", "isa": "is-a", "is": "is", "part": "part-of", "then": "before/after",
                 "means": "meaning", "located": "located-in"}


def _families(frame: Frame) -> str:
    names = sorted({_FAMILY_WORDS.get(f, f"\u201c{f[5:]}\u201d" if f.startswith("verb:")
                                      else f"\u201c{f[3:]} of\u201d" if f.startswith("of:")
                                      else f"\u201cwhen ({f[5:]})\u201d" if f.startswith("when:") else f)
                    for f in frame.families or ()})
    return ", ".join(names)


def _explain(frame: Frame, names: list[str], conf: float, n_paths: int, chosen: list[Voted],
             concepts: dict[str, Concept], lost: list[tuple[str, str, str | None]], rivals: list[tuple[str, float]],
             as_of: float | None = None) -> str:
    facts: dict[str, None] = {}
    for v in chosen:
        for f in v[1]:
            facts.setdefault(f, None)
    quoted = "; ".join(f"\u201c{_content(concepts, f)}\u201d" for f in facts)
    parts = [
        f"Found by following {_families(frame)} relations through the knowledge graph: "
        f"{len(chosen)} path(s) shown, {n_paths} independent path(s) reach \u201c{names[0]}\u201d "
        f"(confidence {conf:.2f}). Supporting facts: {quoted}."
    ]
    if any(len(v[1]) > 1 and not v[2] for v in chosen):
        parts.append("The answer joins several learned facts, each hop stating the relation asked about.")
    if any(v[2] for v in chosen):
        parts.append("A path runs through an earlier fact to the later one that replaced it (temporal hop).")
    if as_of is not None:
        parts.append(f"As things stood on {when(as_of)}.")
    for name, fact, winner_fact in lost:
        if winner_fact is None:
            parts.append(f"\u201c{name}\u201d (from \u201c{_content(concepts, fact)}\u201d) did not hold then.")
            continue
        if winner_fact == fact:
            continue
        parts.append(
            f"\u201c{name}\u201d came from \u201c{_content(concepts, fact)}\u201d; "
            f"the later fact \u201c{_content(concepts, winner_fact)}\u201d supersedes it."
        )
    if rivals:
        parts.append("Other candidates had less support: "
                     + ", ".join(f"\u201c{name}\u201d ({c:.2f})" for name, c in rivals) + ".")
    return " ".join(parts)


def direct_answer(question: str, frame: Frame, hit: SearchHit, concepts: dict[str, Concept], *,
                  searched: bool, relevance: float = 1.0) -> Answer:
    about = f" from \u201c{frame.known.display}\u201d" if frame.known else ""
    to = f" to \u201c{frame.other.display}\u201d" if frame.other else " to an answer"
    why = (f"No reasoning path{about}{to} was found" if searched
           else "The question names no relation the graph could follow")
    if frame.other is not None:  # the graph is open-world: no path is not a "no"
        why += " (that is not a no: nothing learned connects them)"
    conf = round(DIRECT_BASE + DIRECT_SPAN * relevance, 4)
    explanation = (f"{why}, so this is the best direct match from text and vector search, marked as such: "
                   f"\u201c{hit.content}\u201d. It is a lead, not an answer derived through the graph.")
    return Answer(question, hit.content, conf, "direct", [], explanation, hit.concept_id, [hit.concept_id])


def nothing_known(question: str, frame: Frame) -> Answer:
    about = f"about \u201c{frame.known.display}\u201d " if frame.known else ""
    return Answer(question, f"Nothing relevant is known {about}to answer this.".replace("  ", " "), 0.0, "none", [],
                  f"No learned concept {about}matches the question closely enough, and no reasoning path "
                  "exists; rather than guess, the answer says so.")
