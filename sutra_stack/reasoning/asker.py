"""Asking: find candidates, search paths once, let the paths vote, explain the answer.

Store calls per question: one vector_search, one text_search, one find_paths, one
query_concepts for the concepts on the paths. A `BatchedStore` (the StorageClient) answers the
first two and the last two in one round trip each (`search_candidates`,
`find_paths_with_concepts`). A direct match reads its few relevant candidates instead (or
as well); a chain question ("ultimately", "eventually") adds a text_search and a find_paths per
further fact it follows. Everything is ordered by score,
then by id, so the same store and question always give the same answer.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from sutra_stack.errors import InvalidArgument, NotFound
from sutra_stack.limits import MAX_ASK_DEPTH, MAX_ASK_PATHS, MAX_PATH_ENDPOINTS, MAX_QUERY_BYTES
from sutra_stack.reasoning.asked_kind import of_kind
from sutra_stack.reasoning.candidates import (
    SEARCH_K,
    Candidates,
    held,
    parse_contents,
    read_about_named,
    same_thing_ids,
)
from sutra_stack.reasoning.counts import count_answer
from sutra_stack.reasoning.direct import MIN_RELEVANCE, best_direct, relevance_of
from sutra_stack.reasoning.explain import build_answer, direct_answer, nothing_known
from sutra_stack.reasoning.extract import Relation, family_type
from sutra_stack.reasoning.fact_dates import dated_answer, start_frame
from sutra_stack.reasoning.kinship import asked_sex, of_sex, sex_of
from sutra_stack.reasoning.models import Answer
from sutra_stack.reasoning.predicates import (
    CHILD_NOUNS,
    PARENT_NOUNS,
    SIBLING_NOUNS,
    is_kin,
    is_open_family,
    slot_key,
)
from sutra_stack.reasoning.questions import BACKWARD, Frame, parse_question
from sutra_stack.reasoning.slot_yes_no import answer as slot_answer
from sutra_stack.reasoning.slot_yes_no import settles
from sutra_stack.reasoning.story_ask import story_answer
from sutra_stack.reasoning.supersede import slot_of
from sutra_stack.reasoning.text import STOPWORDS, Entity, content_words, words
from sutra_stack.reasoning.timeline import question_time
from sutra_stack.storage.model import Concept, GraphPath, SearchHit
from sutra_stack.storage.store_protocol import BatchedStore, KnowledgeStore

PATHS_PER_ANSWER = 4  # paths asked of the store per wanted path (votes need several)
RRF_K = 60  # reciprocal-rank fusion constant
MIN_PATH_CONFIDENCE = 0.1  # weaker paths cannot be valid (every rule gives >= 0.6 per hop)
DIRECT_CANDIDATES = 10  # relevant candidates read for the direct match
MAX_CHAIN_ENDS = 5  # answers a chain question follows further, per round
MAX_MISSING_ENDPOINTS = 3  # endpoints dropped (one search each) before a path search gives up
_ENDPOINT_FIELD = re.compile(r"(?P<side>starts|targets)\[(?P<i>\d+)\]")
_YEAR_HINT = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})\b")


def check_question(question: object, max_paths: object, max_depth: object) -> str:
    if not isinstance(question, str):
        raise InvalidArgument("question must be a string", field="question")
    size = len(question.encode("utf-8"))
    if size > MAX_QUERY_BYTES:
        raise InvalidArgument(f"question is {size} bytes, over MAX_QUERY_BYTES ({MAX_QUERY_BYTES})", field="question")
    if not question.strip():
        raise InvalidArgument("question must not be empty", field="question")
    if not isinstance(max_paths, int) or isinstance(max_paths, bool) or not 1 <= max_paths <= MAX_ASK_PATHS:
        raise InvalidArgument(f"max_paths must be 1..MAX_ASK_PATHS ({MAX_ASK_PATHS}), got {max_paths!r}",
                              field="max_paths")
    if not isinstance(max_depth, int) or isinstance(max_depth, bool) or not 1 <= max_depth <= MAX_ASK_DEPTH:
        raise InvalidArgument(f"max_depth must be 1..MAX_ASK_DEPTH ({MAX_ASK_DEPTH}), got {max_depth!r}",
                              field="max_depth")
    return question


def fuse(vector_hits: list[SearchHit], text_hits: list[SearchHit]) -> list[SearchHit]:
    """Reciprocal-rank fusion of the two searches; ties by id."""
    score: dict[str, float] = {}
    first: dict[str, SearchHit] = {}
    for hits in (vector_hits, text_hits):
        ordered = sorted(hits, key=lambda h: (-h.score, h.concept_id))
        for rank, h in enumerate(ordered):
            score[h.concept_id] = score.get(h.concept_id, 0.0) + 1.0 / (RRF_K + rank)
            first.setdefault(h.concept_id, h)
    ids = sorted(score, key=lambda i: (-score[i], i))
    return [SearchHit(i, score[i], first[i].content) for i in ids]


QUESTION_CACHE = 4_096  # parsed questions remembered (parsing is pure and frames are immutable)


_parse = lru_cache(maxsize=QUESTION_CACHE)(parse_question)


def _stems(entity: Entity) -> list[str]:
    return [w[:-1] if len(w) > 3 else w for w in content_words(entity.key)]


def _worth_parsing(frame: Frame, hits: list[SearchHit]) -> dict[str, str]:
    """The candidates that can state a relation about what the question names (they mention
    it); none when the question names no relation, since no path will be searched."""
    if frame.known is None or frame.families is None:
        return {}
    stems = _stems(frame.known) + (_stems(frame.other) if frame.other else [])
    out: dict[str, str] = {}
    for h in hits:
        low = h.content.lower()
        if any(st in low for st in stems):
            out[h.concept_id] = h.content
    return out


def endpoints(frame: Frame, cands: Candidates) -> tuple[list[str], list[str]]:
    """Ids the path search starts from and ends at (the answer side is the other end)."""
    assert frame.known is not None
    known = held(frame.known, cands, fuzzy=True)
    if frame.other is not None:
        return known, held(frame.other, cands, fuzzy=False)
    answers: set[str] = set()
    for rels in cands.relations.values():
        for r in rels:
            if not frame.accepts(r.family):
                continue
            answers.add(r.subject.id if frame.direction == BACKWARD else r.object.id)
    answers -= set(known)
    if not answers:  # no candidate states the relation: any entity a candidate mentions
        answers = set(cands.entities) - set(known)
    limited = sorted(answers)[:MAX_PATH_ENDPOINTS]
    return (limited, known) if frame.direction == BACKWARD else (known, limited)


def valid_path(path: GraphPath, frame: Frame, relations: dict[str, list[Relation]]) -> tuple[bool, list[str], bool]:
    """Whether every fact on the path states an accepted relation between its neighbours.

    Returns (valid, fact ids on the path, superseded-by-a-later-fact seen). A fact → fact hop
    (learned later, or told next) is allowed when both facts state an accepted relation about
    the same subject: it shows that the later fact replaced the earlier.
    """
    rows = path.concepts
    facts: list[str] = []
    later = False
    subject = rows[0]
    kin_only = bool(frame.families) and all(is_kin(f) for f in frame.families or ())
    i = 1
    while i < len(rows):
        rels = relations.get(rows[i])
        if rels is None or i + 1 >= len(rows):
            return False, facts, later
        facts.append(rows[i])
        nxt = rows[i + 1]
        if nxt in relations:  # fact → fact: a later fact replacing this one
            if not any(r.subject.id == subject and frame.accepts(r.family) and slot_of(r) is not None
                       for r in rels):
                return False, facts, later
            later = True
            i += 1
            continue
        if not any(r.subject.id == subject and r.object.id == nxt and frame.accepts(r.family) for r in rels):
            return False, facts, later
        if subject != rows[0] and kin_only and not frame.via_parent:  # a parent's parent is no parent
            return False, facts, later
        if frame.via_parent and not any(r.subject.id == subject and r.object.id == nxt and r.family in
                                        (CHILD_NOUNS if subject == rows[0] else PARENT_NOUNS) for r in rels):
            return False, facts, later  # a sibling: a child of someone who is a parent of the one asked about
        subject = nxt
        i += 2
    return bool(facts), facts, later


def ask(store: KnowledgeStore, question: str, *, max_paths: int = 5, max_depth: int = 4,
        batched: BatchedStore | None = None, as_of: float | None = None) -> Answer:
    """Answer `question` from `store`, as things stand now or, with `as_of` (unix seconds), as they
    stood then; a question naming a year ("where did X live in 2019") asks as of that year.
    `batched` is the same store when it is a `BatchedStore` (`batched_view` says; `Reasoner` asks
    once, as a runtime Protocol check costs microseconds)."""
    question = check_question(question, max_paths, max_depth)
    frame = start_frame(question) or _parse(question)
    if _YEAR_HINT.search(question):  # "where did X live in 2019": the question without its year, as of then
        asked, year = question_time(question)
        if year is not None:
            dated = _parse(asked)
            if dated.families is not None and any(slot_key("", f, "") is not None for f in dated.families):
                frame, as_of = dated, (year if as_of is None else as_of)
    hits = fuse(*_search(store, batched, question))
    told = story_answer(store, question, hits)  # a story's question ("where is the lantern?"): played
    if told is None:  # "how many children does X have": a count stated, else the kinship list's length
        told = count_answer(question, hits, lambda q: ask(store, q, batched=batched, as_of=as_of))
    if told is not None:
        return told
    relations, entities = parse_contents(_worth_parsing(frame, hits))
    cands = Candidates(hits, relations, entities)
    paths: list[GraphPath] = []
    read: dict[str, Concept] = {}  # concepts on the paths, when the path search returned them
    if frame.known is not None and frame.families is not None:
        read_about_named(store, frame.known, cands)
        starts, targets = endpoints(frame, cands)
        if starts and targets:
            paths = _find_paths(store, batched, frame, starts, targets, max_depth, max_paths * PATHS_PER_ANSWER,
                                read)
        if frame.chain and frame.other is None and paths:
            paths = _follow_chain(store, batched, frame, cands, paths, max_paths, max_depth, read)
    on_paths = sorted({i for p in paths for i in p.concepts})
    read.update(_fetch(store, [i for i in on_paths if i not in read]))
    concepts = {i: read[i] for i in on_paths if i in read}
    # facts on the paths may not have been candidates: read what they state, too
    more, _ = parse_contents({i: c.content for i, c in concepts.items() if i not in cands.relations})
    relations = {**more, **cands.relations}
    voted = [(p, *valid_path(p, frame, relations)) for p in paths] if frame.families else []
    good = [(p, facts, later) for p, ok, facts, later in voted if ok]
    if frame.wants is not None:  # "when does Bea teach": a time, not what she teaches
        good = [v for v in good if of_kind(frame.wants, _shown(frame, v[0], v[1], relations))]
    sex = asked_sex(frame.families) if frame.direction == BACKWARD else None
    if sex is not None and good:  # "Who is Efua's father?": a parent known to be a woman is no answer
        good = of_sex(store, frame, good, relations, sex)
    if not good and frame.known is not None and frame.direction == BACKWARD and frame.families \
            and frame.families <= SIBLING_NOUNS:  # "Who is Nils's sister?": another child of a parent of his
        frame, good = _siblings_by_parent(store, batched, frame, cands, sex, max_depth, max_paths, read)
        concepts.update(_fetch(store, sorted({i for p, _f, _l in good for i in p.concepts} - set(concepts))))
        concepts.update({i: c for i, c in read.items() if i not in concepts})
        relations = {**relations, **cands.relations}
    if frame.start_of is not None:  # "when did X become Y", "how long has X lived in Y": the date its fact states
        return dated_answer(question, frame, good, concepts) or nothing_known(question, frame)
    if settles(frame):  # "Does X live in V?": V is the current value, or no (a never, a plan, another value)
        ever = build_answer(question, frame, good, concepts, relations, max_paths, as_of) if good else None
        told = slot_answer(question, frame, ever, hits, lambda q: ask(store, q, batched=batched, as_of=as_of))
        if told is not None:
            return told
    if good:
        same = frozenset(same_thing_ids(frame.known, cands)) if frame.known is not None else frozenset()
        built = build_answer(question, frame, good, concepts, relations, max_paths, as_of, same)
        if built is not None:
            return built
        return nothing_known(question, frame)
    if frame.families and any(is_open_family(f) for f in frame.families):
        # a relation the learner reads from any clause's structure: no fact states it, so no
        # sentence that merely shares words is offered as a lead
        return nothing_known(question, frame)
    # no path: the best direct match among the relevant candidates (read only those)
    relevance = relevance_of(frame, question)
    relevant = [(h, r) for h in hits if (r := relevance(h.content)) >= MIN_RELEVANCE]
    if not relevant:
        return nothing_known(question, frame)
    relevant = relevant[:DIRECT_CANDIDATES]
    concepts.update(_fetch(store, sorted({h.concept_id for h, _ in relevant} - set(concepts))))
    best = best_direct(relevant, concepts)
    if best is None:
        return nothing_known(question, frame)
    return direct_answer(question, frame, best[0], concepts, searched=bool(paths) or frame.families is not None,
                         relevance=min(1.0, best[1]))


def _siblings_by_parent(store: KnowledgeStore, batched: BatchedStore | None, frame: Frame, cands: Candidates,
                        sex: str | None, max_depth: int, max_paths: int,
                        read: dict[str, Concept]) -> tuple[Frame, list[tuple[GraphPath, list[str], bool]]]:
    """Siblings through a parent: paths child → parent → the one asked about, each hop a fact that
    says so ("Ebba is the mother of Nils and Frida"); the facts naming the parents are read too (one
    text search each), and a child known to be of the other sex is no answer."""
    assert frame.known is not None
    via = replace(frame, families=CHILD_NOUNS | PARENT_NOUNS, via_parent=True)
    parents = {r.object for rs in cands.relations.values() for r in rs
               if r.subject.id == frame.known.id and r.family in CHILD_NOUNS}
    for parent in sorted(parents, key=lambda e: e.id)[:2]:
        rels, ents = parse_contents({h.concept_id: h.content for h in store.text_search(parent.display, k=SEARCH_K)})
        for fact, rs in rels.items():
            cands.relations.setdefault(fact, rs)
        for eid, e in ents.items():
            cands.entities.setdefault(eid, e)
    starts = sorted({r.subject.id for rs in cands.relations.values() for r in rs
                     if r.family in CHILD_NOUNS and r.object in parents and r.subject.id != frame.known.id})
    if not starts:
        return via, []
    paths = _find_paths(store, batched, via, starts, [frame.known.id], max_depth, max_paths * PATHS_PER_ANSWER, read)
    good = []
    for p in paths:
        ok, facts, later = valid_path(p, via, cands.relations)
        if len(p.concepts) == 3:  # one fact names both children ("the mother of Nils and Frida")
            rs = cands.relations.get(p.concepts[1], [])
            of = [{r.object.id for r in rs if r.subject.id == c and r.family in CHILD_NOUNS} for c in p.concepts[::2]]
            ok, facts, later = bool(of[0] & of[1]), [p.concepts[1]], False
        stated = {r.family for r in cands.relations.get(facts[0], []) if r.subject.id == p.concepts[0]} if ok else set()
        if ok and len(facts) <= 2 and not (sex and any(sex_of(f) not in (None, sex) for f in stated)):
            good.append((p, facts, later))
    return via, (of_sex(store, via, good, cands.relations, sex) if sex and good else good)


def _shown(frame: Frame, path: GraphPath, facts: list[str], relations: dict[str, list[Relation]]) -> str:
    """A path's answer as the fact stating it words it (its key when no relation states it)."""
    backward = frame.direction == BACKWARD
    answer = path.concepts[0] if backward else path.concepts[-1]
    for r in relations.get(facts[0] if backward else facts[-1], []):
        end = r.subject if backward else r.object
        if end.id == answer and frame.accepts(r.family):
            return end.display
    return answer


def batched_view(store: KnowledgeStore) -> BatchedStore | None:
    """`store` as a `BatchedStore` when it is one, else None."""
    return store if isinstance(store, BatchedStore) else None


def _search(store: KnowledgeStore, batched: BatchedStore | None,
            question: str) -> tuple[list[SearchHit], list[SearchHit]]:
    """The vector and the text search for the question (one round trip when the store can)."""
    query = search_query(question)
    if batched is not None:
        return batched.search_candidates(query, k=SEARCH_K)
    return store.vector_search(text=query, k=SEARCH_K), store.text_search(query, k=SEARCH_K)


def search_query(question: str) -> str:
    """The question without its stopwords ("where", "is", "of" ...), the words in order: they
    match most facts, so they only cost the text search time (thousands of postings each) and
    blur the vector; the question itself when it is nothing but stopwords."""
    kept = [w for w in words(question) if w.lower() not in STOPWORDS]
    return " ".join(kept) if kept else question


def _find_paths(store: KnowledgeStore, batched: BatchedStore | None, frame: Frame, starts: list[str],
                targets: list[str], depth: int, k: int, read: dict[str, Concept]) -> list[GraphPath]:
    """One path search along the association types the asked relation can use (and temporal
    links between facts), pruned below MIN_PATH_CONFIDENCE. A concept deleted since the
    searches were answered means no paths. When the store returns the concepts on the paths
    with them, they go into `read`."""
    # fact → fact temporal links show a change on the path; a question about a kind of place follows a
    # chain of places instead, which such links (the next sentence of a text) would shadow in the search
    links = set() if frame.place_class is not None else {"temporal"}
    types = sorted({family_type(f) for f in frame.families or ()} | links)
    starts, targets = list(starts), list(targets)
    for _ in range(MAX_MISSING_ENDPOINTS + 1):
        try:
            if batched is None:
                return store.find_paths(starts, targets, max_depth=depth, k=k, min_confidence=MIN_PATH_CONFIDENCE,
                                        types=types)
            paths, concepts = batched.find_paths_with_concepts(starts, targets, max_depth=depth, k=k,
                                                               min_confidence=MIN_PATH_CONFIDENCE, types=types)
        except NotFound as e:  # an endpoint the store does not hold (deleted meanwhile): search without it
            m = _ENDPOINT_FIELD.fullmatch(e.field or "")
            if m is None:
                return []
            side, i = (starts if m["side"] == "starts" else targets), int(m["i"])
            if i >= len(side):
                return []
            del side[i]
            if not starts or not targets:
                return []
            continue
        read.update((c.id, c) for c in concepts)
        return paths
    return []


def _fetch(store: KnowledgeStore, ids: list[str]) -> dict[str, Concept]:
    if not ids:
        return {}
    return {c.id: c for c in store.query_concepts(ids) if c is not None}


def _follow_chain(store: KnowledgeStore, batched: BatchedStore | None, frame: Frame, cands: Candidates,
                  paths: list[GraphPath], max_paths: int, max_depth: int, read: dict[str, Concept]) -> list[GraphPath]:
    """For "what does X ultimately cause": follow the relation from the answers found, one fact
    per round, while the depth allows; the paths then run from X to the end of the chain."""
    depth_used = 2
    ends = {p.concepts[-1] if frame.direction != BACKWARD else p.concepts[0] for p in paths}
    all_paths = list(paths)
    while ends and (depth_used + 2 <= max_depth or frame.place_class is not None):
        found: dict[str, Entity] = {}  # a kind of place asked: the last ends' facts say what kind they are
        for end in sorted(ends)[:MAX_CHAIN_ENDS]:  # one text_search each
            ent = cands.entities.get(end)
            if ent is None:
                continue
            hits = store.text_search(ent.display, k=SEARCH_K)
            rels, ents = parse_contents({h.concept_id: h.content for h in hits})
            cands.relations.update(rels)
            cands.entities.update(ents)
            for fr in rels.values():
                for r in fr:
                    here, there = (r.object, r.subject) if frame.direction == BACKWARD else (r.subject, r.object)
                    if frame.accepts(r.family) and here.id == end:
                        found[there.id] = there
        ends = set(found) - {i for p in all_paths for i in p.concepts}
        if not ends or depth_used + 2 > max_depth:
            break
        depth_used += 2
        known = [frame.known.id] if frame.known else []
        starts, targets = (sorted(ends), known) if frame.direction == BACKWARD else (known, sorted(ends))
        all_paths.extend(_find_paths(store, batched, frame, starts, targets, depth_used,
                                     max_paths * PATHS_PER_ANSWER, read))
    return all_paths
