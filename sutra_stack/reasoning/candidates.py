"""What a question's candidates state and which of their entities the question names.

The asker's two searches return candidate facts; `Candidates` holds them with the relations
they state (parsed as the learner read them, remembered for short contents) and the entities
they mention. `held` finds the stored entity a question's noun phrase names: itself, the same
words but for number, a near name ("the vineyard near Carrow"), the one thing its head noun
names ("the vineyard" for "a small vineyard near Carrow"), or the named thing said to be of
that kind ("the fishing boat" for "an old fishing boat named the Tern"); never a guess between
several things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from sutra_stack.reasoning.extract import Relation, relations_in_sentence
from sutra_stack.reasoning.paragraph import resolve
from sutra_stack.reasoning.text import STOPWORDS, Entity, content_words, singular, split_sentences
from sutra_stack.storage.model import SearchHit, content_id
from sutra_stack.storage.store_protocol import KnowledgeStore

SEARCH_K = 20  # candidates from each search (and from the search for a named thing)


@dataclass(slots=True)
class Candidates:
    hits: list[SearchHit]  # fused, best first
    relations: dict[str, list[Relation]] = field(default_factory=dict)  # fact id → relations it states
    entities: dict[str, Entity] = field(default_factory=dict)  # id → entity mentioned by a candidate


PARSE_CACHE = 32_768  # short contents whose relations are remembered (parsing is pure; hits repeat)
PARSE_CACHE_MAX_CHARS = 512  # longer contents (whole texts) are parsed each time, so the cache stays small


def relations_of(content: str) -> tuple[tuple[str, tuple[Relation, ...]], ...]:
    """(fact id, relations) for each sentence of a content that states any."""
    return _relations_cached(content) if len(content) <= PARSE_CACHE_MAX_CHARS else _relations(content)


@lru_cache(maxsize=PARSE_CACHE)
def _relations_cached(content: str) -> tuple[tuple[str, tuple[Relation, ...]], ...]:
    return _relations(content)


def _relations(content: str) -> tuple[tuple[str, tuple[Relation, ...]], ...]:
    out = []
    for sentence in resolve(split_sentences(content)):  # as the learner read it: the facts it stored
        rels = relations_in_sentence(sentence)
        if rels:
            out.append((content_id(sentence), tuple(rels)))
    return tuple(out)


def parse_contents(contents: dict[str, str]) -> tuple[dict[str, list[Relation]], dict[str, Entity]]:
    """Relations stated by each fact among `contents` (fact id → relations), and their entities."""
    relations: dict[str, list[Relation]] = {}
    entities: dict[str, Entity] = {}
    for content in contents.values():
        for fact_id, rels in relations_of(content):
            relations[fact_id] = list(rels)
            for r in rels:
                entities.setdefault(r.subject.id, r.subject)
                entities.setdefault(r.object.id, r.object)
    return relations, entities


def _same_thing(a: Entity, b: Entity) -> bool:
    if a.key == b.key:
        return True
    wa, wb = set(content_words(a.key)), set(content_words(b.key))
    return bool(wa) and bool(wb) and (wa <= wb or wb <= wa) and len(wa ^ wb) <= 1


_POSTMODIFIER = frozenset({"near", "in", "at", "of", "on", "from", "with", "by", "called", "named", "that", "which",
                           "behind", "beside", "outside", "inside", "above", "below", "under", "for", "off"})


@lru_cache(maxsize=PARSE_CACHE)
def _head(key: str) -> tuple[str, tuple[str, ...]]:
    """The head noun of an entity key and the words before it ("small vineyard near carrow" →
    "vineyard", ["small"])."""
    ws = key.split()
    for i, w in enumerate(ws):
        if i and w in _POSTMODIFIER:
            ws = ws[:i]
            break
    return (singular(ws[-1]), tuple(ws[:-1])) if ws else ("", ())


def names_by_head(asked: Entity, known: Entity) -> bool:
    """Whether a question's noun phrase ("the vineyard", "the old vineyard") names a known thing
    by its head noun and some of its words ("a small old vineyard near Carrow")."""
    if asked.key == known.key or asked.key != asked.key.lower() or not asked.key.isascii():
        return asked.key == known.key
    head, before = _head(asked.key)
    if not head or head in STOPWORDS or len(before) + 1 != len(asked.key.split()):
        return False  # "the vineyard near Carrow" has a tail of its own: the near-match reads it
    k_head, k_before = _head(known.key)
    return k_head == head and set(before) <= set(k_before)


def held(entity: Entity, cands: Candidates, *, fuzzy: bool) -> list[str]:
    """Ids of `entity` the store is known to hold (a hit, or named by a candidate fact); when it
    holds no such id and `fuzzy`, the candidates' entities that differ by one word."""
    known = {h.concept_id for h in cands.hits} | set(cands.entities)
    if entity.id in known:
        named = _named_ones(cands, {entity.id}) if fuzzy else set()
        if len(named) == 1:
            return sorted(named)  # "the old ferry": the Skarv
        return sorted({entity.id} | (_other_names(entity, cands) if fuzzy else set()))
    if not fuzzy:  # the same words but for number ("birds of prey" for "a bird of prey")
        ws = content_words(entity.key)
        return sorted(e.id for e in cands.entities.values() if content_words(e.key) == ws)
    placed = _placed_at(entity, cands)  # "the lighthouse on Texel Point": the one lighthouse said to be there
    if len(placed) == 1:
        return sorted(placed)
    near = {e.id for e in cands.entities.values() if _same_thing(e, entity)}
    # "the vineyard" for "a small vineyard near Carrow": the one known thing it is the head noun of;
    # several such things ("a wooden sailboat", "a fibreglass sailboat") are not guessed between
    headed = near or {e.id for e in cands.entities.values() if names_by_head(entity, e)}
    named = _named_ones(cands, headed)
    if named:  # "the fishing boat" for "an old fishing boat named the Tern": the thing said to be one
        headed = {i for i in headed if not _named_ones(cands, {i})} | named
    elif near:
        return sorted(near)
    return sorted(headed) if len(headed) == 1 else []


_PLACE_TAIL = frozenset({"on", "in", "at", "by", "near"})


def _placed_at(entity: Entity, cands: Candidates) -> set[str]:
    """Ids of the things a noun phrase with a place ("lighthouse on texel point") names: of its head
    noun ("a lighthouse", "an old lighthouse") and stated to be in, on, at or near that place."""
    ws = entity.key.split()
    cut = next((i for i, w in enumerate(ws) if i and w in _PLACE_TAIL), 0)
    if not cut or cut == len(ws) - 1:
        return set()
    thing, place = Entity(" ".join(ws[:cut]), " ".join(ws[:cut])), " ".join(ws[cut + 1:])
    things = {e.id for e in cands.entities.values() if names_by_head(thing, e)}
    there = {place, " ".join(ws[cut:])}  # "located: reed lake", or "is: by reed lake"
    return {r.subject.id for rels in cands.relations.values() for r in rels
            if r.subject.id in things and r.object.key in there}


def same_thing_ids(entity: Entity, cands: Candidates) -> set[str]:
    """The ids that surely name the one thing a question names (itself as held, and the other names it
    has with no other thing to mean), whose owner or holder over time is one slot."""
    known = {h.concept_id for h in cands.hits} | set(cands.entities)
    return {entity.id} | _other_names(entity, cands) if entity.id in known else set()


def _other_names(entity: Entity, cands: Candidates) -> set[str]:
    """The other names the candidates give the same thing: "the vineyard" for "a small vineyard near
    Carrow" and the other way round, when the shorter name can mean no other thing known."""
    head = _head(entity.key)[0]
    ents = [e for e in cands.entities.values() if _head(e.key)[0] == head]  # only names of the same head noun
    if len(ents) < 2:
        return set()

    def only(short: Entity, long: Entity) -> bool:
        return names_by_head(short, long) and sum(1 for e in ents if e.id != short.id and names_by_head(short, e)) == 1

    return {e.id for e in ents if e.id != entity.id and (only(e, entity) or only(entity, e))}


def _named_ones(cands: Candidates, kinds: set[str]) -> set[str]:
    """The things with a name of their own said to be one of `kinds` ("the Tern" for "old fishing boat")."""
    return {r.subject.id for rels in cands.relations.values() for r in rels
            if r.family == "isa" and r.object.id in kinds and r.subject.display[:1].isupper()}


def read_about_named(store: KnowledgeStore, known: Entity, cands: Candidates) -> None:
    """When the question's thing is known by its name only ("the fishing boat" is "the Tern"), the facts
    that name it join the candidates (one text search), as the question's words may not find them."""
    ids = held(known, cands, fuzzy=True)
    if len(ids) != 1 or ids[0] == known.id:
        return
    named = cands.entities.get(ids[0])
    if named is None or set(content_words(named.key)) & set(content_words(known.key)):
        return
    rels, ents = parse_contents({h.concept_id: h.content for h in store.text_search(named.display, k=SEARCH_K)})
    for fact, rs in rels.items():
        cands.relations.setdefault(fact, rs)
    for eid, e in ents.items():
        cands.entities.setdefault(eid, e)
