"""Learning: turn texts into concepts and associations, and write them with few store calls.

`plan_text` is pure: it splits a text, extracts relations and mentions, and returns the
concepts and associations it implies. `learn_texts` plans a whole batch, then talks to the
store once to see which concepts exist, once to write the concepts, once to write the edges
(more only when a batch exceeds the store's batch limit). A fact about a single-valued slot
("Alice lives in Berlin") is linked to the earlier facts of that slot it replaces, so the
path of a later question shows the change: within a call from the call itself, and from the
store when its subject was already known (one neighbours read per such subject, one read of
their contents).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sutra_stack.errors import InvalidArgument, NotFound
from sutra_stack.limits import (
    MAX_BATCH_ITEMS,
    MAX_CONTENT_BYTES,
    MAX_LEARN_BATCH_TEXTS,
    MAX_LEARN_SENTENCES,
    MAX_LEARN_TEXT_BYTES,
    MAX_METADATA_BYTES,
    MAX_QUERY_IDS,
    MAX_SOURCE_BYTES,
)
from sutra_stack.reasoning.extract import RELATION_WORDS, relations_in_sentence
from sutra_stack.reasoning.learn_time import (
    SlotFact,
    end_in_batch,
    end_stored,
    predicate_label,
    sentence_times,
    slot_fact,
)
from sutra_stack.reasoning.models import LearnItem, LearnResult
from sutra_stack.reasoning.paragraph import resolve
from sutra_stack.reasoning.predicates import slot_by_object
from sutra_stack.reasoning.story_learn import batch_story
from sutra_stack.reasoning.succession import Role, Succession, role_of, stored_roles, succession_of, with_role
from sutra_stack.reasoning.supersede import slot_of, told_as_over
from sutra_stack.reasoning.text import mentioned_entities, normalize, split_sentences
from sutra_stack.storage.model import AssociationInput, ConceptInput, content_id
from sutra_stack.storage.store_protocol import KnowledgeStore

# Confidences of the structural rules (the relation rules carry their own, in extract.py).
TEXT_HAS_SENTENCE = 0.95  # a multi-sentence text → each of its sentences (compositional)
MENTION = 0.5  # a fact ↔ an entity it mentions (semantic; links facts that share entities)
NEXT_SENTENCE = 0.6  # sentence i → sentence i+1 of one text (temporal: the order it was told)
LEARNED_LATER = 0.7  # an earlier fact → a later one about the same subject and single-valued relation
MAX_EARLIER_FACTS = 200  # stored facts about one subject that a new fact is compared with
MAX_LOOKBACK_SUBJECTS = 1_000  # known subjects per call whose stored facts are looked up


@dataclass(slots=True)
class TextPlan:
    text_id: str
    concepts: list[ConceptInput] = field(default_factory=list)
    associations: list[AssociationInput] = field(default_factory=list)
    slots: list[SlotFact] = field(default_factory=list)  # facts filling one-value-at-a-time slots, in order
    roles: list[tuple[str, Role]] = field(default_factory=list)  # posts told: (holder key, (noun, of what))
    successions: list[Succession] = field(default_factory=list)  # successions told without the post
    meta: dict[str, Any] = field(default_factory=dict)  # the item's metadata


def _check_text(text: object, where: str) -> str:
    if not isinstance(text, str):
        raise InvalidArgument(f"{where} must be a string, got {type(text).__name__}", field=where)
    size = len(text.encode("utf-8"))
    if size > MAX_LEARN_TEXT_BYTES:
        raise InvalidArgument(
            f"{where} is {size} bytes, over MAX_LEARN_TEXT_BYTES ({MAX_LEARN_TEXT_BYTES})", field=where
        )
    if not text.strip():
        raise InvalidArgument(f"{where} must not be empty", field=where)
    return text


def _check_metadata(metadata: object, source: object, where: str) -> dict[str, Any]:
    if source is not None and not isinstance(source, str):
        raise InvalidArgument(f"{where}.source must be a string", field=f"{where}.source")
    if source is not None and len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise InvalidArgument(
            f"{where}.source is over MAX_SOURCE_BYTES ({MAX_SOURCE_BYTES})", field=f"{where}.source"
        )
    if metadata is None:
        meta: dict[str, Any] = {}
    elif isinstance(metadata, Mapping):
        meta = dict(metadata)
    else:
        raise InvalidArgument(f"{where}.metadata must be an object", field=f"{where}.metadata")
    if source is not None:
        meta["source"] = source
    try:
        size = len(json.dumps(meta, separators=(",", ":")).encode("utf-8"))
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"{where}.metadata must be JSON-serialisable: {e}", field=f"{where}.metadata") from e
    # leave room for the fields the learner adds (kind, learned_at, order)
    if size > MAX_METADATA_BYTES - 256:
        raise InvalidArgument(
            f"{where}.metadata is {size} bytes, over MAX_METADATA_BYTES ({MAX_METADATA_BYTES}) less 256 "
            "reserved for learning fields",
            field=f"{where}.metadata",
        )
    return meta


def _fit(content: str) -> str:
    """Content cut to MAX_CONTENT_BYTES at a character boundary (for the whole-text concept)."""
    raw = content.encode("utf-8")
    if len(raw) <= MAX_CONTENT_BYTES:
        return content
    return raw[:MAX_CONTENT_BYTES].decode("utf-8", errors="ignore")


def plan_text(text: str, meta: dict[str, Any], learned_at: float, order: int, where: str = "text") -> TextPlan:
    """The concepts and associations one text implies (no store access)."""
    sentences = split_sentences(text)
    if len(sentences) > MAX_LEARN_SENTENCES:
        raise InvalidArgument(
            f"{where} has {len(sentences)} sentences, over MAX_LEARN_SENTENCES ({MAX_LEARN_SENTENCES})", field=where
        )
    told = resolve(sentences)  # each sentence naming what its pronouns refer to
    whole = normalize(text)
    plan = TextPlan(text_id=content_id(whole), meta=meta)
    concepts: dict[str, ConceptInput] = {}
    edges: dict[tuple[str, str, str], AssociationInput] = {}

    def concept(cid: str, content: str, kind: str, extra: dict[str, Any] | None = None) -> None:
        if cid not in concepts:
            md = {**meta, "kind": kind, "learned_at": learned_at, "order": order, **(extra or {})}
            concepts[cid] = ConceptInput(content=content, concept_id=cid, metadata=md)

    def edge(src: str, dst: str, type_: str, conf: float, predicate: str = "",
             period: tuple[float, float] = (0.0, 0.0)) -> None:
        if src == dst:
            return
        key = (src, dst, type_)
        old = edges.get(key)
        if old is None or old.confidence < conf:
            edges[key] = AssociationInput(source=src, target=dst, type=type_, confidence=conf, predicate=predicate,
                                          valid_from=period[0], valid_to=period[1])

    if len(told) != 1 or told[0] != whole:  # a text of one sentence is that sentence (as resolved)
        concept(plan.text_id, _fit(whole), "text", {"truncated": True} if _fit(whole) != whole else None)
    previous: str | None = None
    for position, sentence in enumerate(told):
        size = len(sentence.encode("utf-8"))
        if size > MAX_CONTENT_BYTES:
            raise InvalidArgument(
                f"a sentence of {where} is {size} bytes, over MAX_CONTENT_BYTES ({MAX_CONTENT_BYTES})", field=where
            )
        sid = content_id(sentence)
        concept(sid, sentence, "fact", {"position": position} if position else None)
        if sid != plan.text_id:
            edge(plan.text_id, sid, "compositional", TEXT_HAS_SENTENCE)
        if previous is not None:
            edge(previous, sid, "temporal", NEXT_SENTENCE)
        previous = sid
        argument_keys: set[str] = set()
        period = sentence_times(sentence)
        for rel in relations_in_sentence(sentence):
            for ent in (rel.subject, rel.object):
                concept(ent.id, ent.key, "entity")
                argument_keys.add(ent.key)
            label = predicate_label(rel.family)
            edge(rel.subject.id, sid, rel.type, rel.confidence, label, period)
            edge(sid, rel.object.id, rel.type, rel.confidence, label, period)
            edge(sid, rel.subject.id, "semantic", MENTION)
            edge(rel.object.id, sid, "semantic", MENTION)
            if (held := role_of(rel)) is not None:
                plan.roles.append(held)
            if (succ := succession_of(sentence, rel)) is not None:
                plan.successions.append(succ)
            several = slot_of(rel) is None  # a fact of several values: its slot is the fact itself
            held_by = rel.object.id if not several and slot_by_object(rel.family) else rel.subject.id
            over = period[1] or (learned_at if told_as_over(sentence) else 0.0)  # "until recently": over when told
            plan.slots.append(slot_fact(rel, sid, held_by, (period[0], over), several))
        for ent in mentioned_entities(sentence):
            if ent.key in argument_keys or ent.key in RELATION_WORDS:  # "kind" in "a kind of" is no thing
                continue
            concept(ent.id, ent.key, "entity")
            edge(sid, ent.id, "semantic", MENTION)
            edge(ent.id, sid, "semantic", MENTION)
    _name_successors(plan.slots)
    plan.concepts = list(concepts.values())
    plan.associations = list(edges.values())
    return plan


def _name_successors(slots: list[SlotFact]) -> None:
    """An ending of one holder's fact of several values followed, in its text, by another's fact
    of the same post ("Y replaced X as goalkeeper of Z": X's time ends, Y's begins) is superseded
    by that other's fact."""
    for i, sf in enumerate(slots):
        if sf.several and sf.end:
            sf.by = next((o.fact for o in slots[i + 1 :] if o.post == sf.post and o.triple != sf.triple
                          and not o.end and o.fact != sf.fact), "")


def coerce_item(item: object, index: int) -> LearnItem:
    where = f"items[{index}]"
    if isinstance(item, LearnItem):
        return item
    if isinstance(item, str):
        return LearnItem(item)
    if isinstance(item, Mapping):
        if "content" not in item:
            raise InvalidArgument(f"{where}.content is required", field=f"{where}.content")
        return LearnItem(item["content"], item.get("source"), item.get("metadata"))
    raise InvalidArgument(f"{where} must be a string or an object with content", field=where)


def _chunks(seq: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [seq[i : i + size] for i in range(0, len(seq), size)]


def _give_roles(store: KnowledgeStore, plans: list[TextPlan], now: float) -> None:
    """A succession told without the post ("Simon Achebe replaced Leona Platt.") is also planned
    with the post last told for the one replaced, in an earlier text of the batch or in the store."""
    if not any(p.successions for p in plans):
        return
    told: dict[str, Role] = {}
    pending: list[tuple[int, Succession]] = []
    for i, plan in enumerate(plans):
        for succ in plan.successions:
            if succ.holder_key not in told:
                pending.append((i, succ))
        told.update(plan.roles)
    stored = stored_roles(store, {s.holder_key: s.holder_id for _, s in pending}) if pending else {}
    for i, plan in enumerate(plans):
        for succ in plan.successions:
            role = told.get(succ.holder_key) or stored.get(succ.holder_key)
            sentence = with_role(succ, role) if role else ""
            if not sentence:
                continue
            extra = plan_text(sentence, plan.meta, now, i)
            known = {c.concept_id for c in plan.concepts}
            plan.concepts += [c for c in extra.concepts if c.concept_id not in known]
            plan.associations += extra.associations
            plan.slots += extra.slots


def _replaced_facts(store: KnowledgeStore, plans: list[TextPlan], known: set[str],
                    new_ids: set[str], now: float) -> list[tuple[str, SlotFact, int, list[AssociationInput]]]:
    """Stored facts that a new fact replaces: same subject, same single-valued relation.

    Only subjects the store already held (`known`) can have earlier facts; one neighbours read
    per such (subject, type), at most MAX_LOOKBACK_SUBJECTS per call, and one read of the
    candidates' contents. Returns (earlier fact id, the new fact, index of the text, the rewrites
    that end the earlier fact).
    """
    wanted: dict[tuple[str, str, str], list[tuple[SlotFact, int]]] = {}
    for i, plan in enumerate(plans):
        for sf in plan.slots:
            if sf.held_by in known and sf.ends:  # a subject's facts are its out-neighbours, a thing's its in-neighbours
                direction = "out" if sf.edges and sf.edges[0][0] == sf.held_by else "in"
                wanted.setdefault((sf.held_by, sf.type, direction), []).append((sf, i))
    candidates: dict[str, list[tuple[SlotFact, int]]] = {}
    since: dict[str, float] = {}  # earlier fact → the valid_from its association was stored with
    for subject, type_, direction in sorted(wanted)[:MAX_LOOKBACK_SUBJECTS]:
        try:
            nbrs = store.get_neighbors(subject, types=[type_], direction=direction, limit=MAX_EARLIER_FACTS)
        except NotFound:
            continue  # deleted meanwhile
        for n in nbrs:
            if n.concept_id not in new_ids:  # facts of this call are ordered by the call itself
                candidates.setdefault(n.concept_id, []).extend(wanted[(subject, type_, direction)])
                since[n.concept_id] = min(since.get(n.concept_id, n.valid_from), n.valid_from)
    out: list[tuple[str, SlotFact, int, list[AssociationInput]]] = []
    ids = sorted(candidates)
    for chunk in _chunks(ids, MAX_QUERY_IDS):
        for c in store.query_concepts(list(chunk)):
            if c is None:
                continue
            rels = relations_in_sentence(c.content)
            for sf, i in candidates[c.id]:
                rewrites = end_stored(c.id, sf.slot, sf, since.get(c.id, 0.0) or now, now, rels)
                if rewrites:
                    out.append((c.id, sf, i, rewrites))
    return out


def learn_texts(store: KnowledgeStore, items: Sequence[LearnItem], *, single: bool = False) -> list[LearnResult]:
    """Plan every item (checking all before writing anything), then write them in batch calls."""
    if not single and len(items) > MAX_LEARN_BATCH_TEXTS:
        raise InvalidArgument(
            f"items has {len(items)} texts, over MAX_LEARN_BATCH_TEXTS ({MAX_LEARN_BATCH_TEXTS})", field="items"
        )
    now = time.time()
    plans: list[TextPlan] = []
    for i, item in enumerate(items):
        where = "text" if single else f"items[{i}].content"
        text = _check_text(item.content, where)
        meta = _check_metadata(item.metadata, item.source, "text" if single else f"items[{i}]")
        plans.append(plan_text(text, meta, now, i, where))
    _give_roles(store, plans, now)
    if not single:  # a story told one fact per item: the batch is also kept as one story text
        facts = [[c.concept_id for c in p.concepts if c.concept_id and (c.metadata or {}).get("kind") == "fact"]
                 for p in plans]
        story = batch_story([it.content for it in items], facts, now, TEXT_HAS_SENTENCE)
        if story is not None:
            plans[0].concepts.append(story[0])
            plans[0].associations.extend(story[1])
    # facts about the same subject and relation, learned in order: earlier → later
    last_in_slot: dict[str, SlotFact] = {}
    replaced: list[tuple[SlotFact, SlotFact]] = []
    for plan in plans:
        for sf in plan.slots:
            prev = last_in_slot.get(sf.slot)
            if prev is not None and prev.fact != sf.fact and sf.ends:
                plan.associations.append(AssociationInput(prev.fact, sf.fact, "temporal", LEARNED_LATER))
                replaced.append((prev, sf))
            last_in_slot[sf.slot] = sf
    # one concept input per id (the latest item's metadata wins), one edge per (source, target, type)
    concepts: dict[str, ConceptInput] = {}
    owner: dict[str, int] = {}
    for i, plan in enumerate(plans):
        for c in plan.concepts:
            assert c.concept_id is not None
            concepts[c.concept_id] = c
            owner.setdefault(c.concept_id, i)
    edges: dict[tuple[str, str, str], AssociationInput] = {}
    edge_owner: dict[tuple[str, str, str], int] = {}
    for i, plan in enumerate(plans):
        for a in plan.associations:
            key = (a.source, a.target, a.type)
            if key not in edges or edges[key].confidence < a.confidence:
                edges[key] = a
            edge_owner.setdefault(key, i)
    for earlier, later in replaced:  # ended by a later fact of the same batch
        end_in_batch(edges, earlier, later, now)
    ids = list(concepts)
    existing: set[str] = set()
    for chunk in _chunks(ids, MAX_QUERY_IDS):
        existing.update(c.id for c in store.query_concepts(list(chunk)) if c is not None)
    for old_fact, later, i, rewrites in _replaced_facts(store, plans, existing, set(ids), now):
        key = (old_fact, later.fact, "temporal")
        edges[key] = AssociationInput(old_fact, later.fact, "temporal", LEARNED_LATER)
        edge_owner.setdefault(key, i)
        for a in rewrites:  # the stored fact, ended by the new one
            edges.setdefault((a.source, a.target, a.type), a)
    for chunk in _chunks(list(concepts.values()), MAX_BATCH_ITEMS):
        store.learn_batch(list(chunk))
    stored = 0
    for chunk in _chunks(list(edges.values()), MAX_BATCH_ITEMS):
        stored += store.learn_associations(list(chunk))
    created = [0] * len(plans)
    for cid, i in owner.items():
        if cid not in existing:
            created[i] += 1
    assoc = [0] * len(plans)
    for i in edge_owner.values():
        assoc[i] += 1
    if stored < len(edges):  # the store merged some; keep the per-text counts summing to what it stored
        scale = stored / max(1, len(edges))
        assoc = [int(round(a * scale)) for a in assoc]
    return [
        LearnResult(
            concept_id=plan.text_id,
            concept_ids=[c.concept_id for c in plan.concepts if c.concept_id is not None],
            concepts_created=created[i],
            associations_created=assoc[i],
        )
        for i, plan in enumerate(plans)
    ]
