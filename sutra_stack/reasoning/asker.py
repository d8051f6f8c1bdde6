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
from dataclasses import dataclass, field
from functools import lru_cache

from sutra_stack.errors import InvalidArgument, NotFound
from sutra_stack.limits import MAX_ASK_DEPTH, MAX_ASK_PATHS, MAX_PATH_ENDPOINTS, MAX_QUERY_BYTES
from sutra_stack.reasoning.asked_kind import of_kind
from sutra_stack.reasoning.direct import MIN_RELEVANCE, best_direct, relevance_of
from sutra_stack.reasoning.explain import build_answer, direct_answer, nothing_known
from sutra_stack.reasoning.extract import Relation, family_type, relations_in_sentence
from sutra_stack.reasoning.kinship import asked_sex, is_sexless, sex_in
from sutra_stack.reasoning.models import Answer
from sutra_stack.reasoning.paragraph import resolve
from sutra_stack.reasoning.predicates import is_kin, is_open_family, slot_key
from sutra_stack.reasoning.questions import BACKWARD, Frame, parse_question
from sutra_stack.reasoning.story_ask import story_answer
from sutra_stack.reasoning.supersede import slot_of
from sutra_stack.reasoning.text import STOPWORDS, Entity, content_words, singular, split_sentences, words
from sutra_stack.reasoning.timeline import question_time
from sutra_stack.storage.model import Concept, GraphPath, SearchHit, content_id
from sutra_stack.storage.store_protocol import BatchedStore, KnowledgeStore

SEARCH_K = 20  # candidates from each search
PATHS_PER_ANSWER = 4  # paths asked of the store per wanted path (votes need several)
RRF_K = 60  # reciprocal-rank fusion constant
MIN_PATH_CONFIDENCE = 0.1  # weaker paths cannot be valid (every rule gives >= 0.6 per hop)
DIRECT_CANDIDATES = 10  # relevant candidates read for the direct match
MAX_CHAIN_ENDS = 5  # answers a chain question follows further, per round
MAX_MISSING_ENDPOINTS = 3  # endpoints dropped (one search each) before a path search gives up
_ENDPOINT_FIELD = re.compile(r"(?P<side>starts|targets)\[(?P<i>\d+)\]")
_YEAR_HINT = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})\b")


@dataclass(slots=True)
class Candidates:
    hits: list[SearchHit]  # fused, best first
    relations: dict[str, list[Relation]] = field(default_factory=dict)  # fact id → relations it states
    entities: dict[str, Entity] = field(default_factory=dict)  # id → entity mentioned by a candidate


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
PARSE_CACHE = 32_768  # short contents whose relations are remembered (parsing is pure; hits repeat)
PARSE_CACHE_MAX_CHARS = 512  # longer contents (whole texts) are parsed each time, so the cache stays small


_parse = lru_cache(maxsize=QUESTION_CACHE)(parse_question)


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


def _same_thing(a: Entity, b: Entity) -> bool:
    if a.key == b.key:
        return True
    wa, wb = set(content_words(a.key)), set(content_words(b.key))
    return bool(wa) and bool(wb) and (wa <= wb or wb <= wa) and len(wa ^ wb) <= 1


_POSTMODIFIER = frozenset({"near", "in", "at", "of", "on", "from", "with", "by", "called", "named", "that", "which",
                           "behind", "beside", "outside", "inside", "above", "below", "under", "for", "off"})


def _head(key: str) -> tuple[str, list[str]]:
    """The head noun of an entity key and the words before it ("small vineyard near carrow" →
    "vineyard", ["small"])."""
    ws = key.split()
    for i, w in enumerate(ws):
        if i and w in _POSTMODIFIER:
            ws = ws[:i]
            break
    return (singular(ws[-1]), ws[:-1]) if ws else ("", [])


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


def _held(entity: Entity, cands: Candidates, *, fuzzy: bool) -> list[str]:
    """Ids of `entity` the store is known to hold (a hit, or named by a candidate fact); when it
    holds no such id and `fuzzy`, the candidates' entities that differ by one word."""
    held = {h.concept_id for h in cands.hits} | set(cands.entities)
    if entity.id in held:
        named = _named_ones(cands, {entity.id}) if fuzzy else set()
        return sorted(named) if len(named) == 1 else [entity.id]  # "the old ferry": the Skarv
    if not fuzzy:  # the same words but for number ("birds of prey" for "a bird of prey")
        ws = content_words(entity.key)
        return sorted(e.id for e in cands.entities.values() if content_words(e.key) == ws)
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


def _named_ones(cands: Candidates, kinds: set[str]) -> set[str]:
    """The things with a name of their own said to be one of `kinds` ("the Tern" for "old fishing boat")."""
    return {r.subject.id for rels in cands.relations.values() for r in rels
            if r.family == "isa" and r.object.id in kinds and r.subject.display[:1].isupper()}


def _read_about_named(store: KnowledgeStore, known: Entity, cands: Candidates) -> None:
    """When the question's thing is known by its name only ("the fishing boat" is "the Tern"), the facts
    that name it join the candidates (one text search), as the question's words may not find them."""
    held = _held(known, cands, fuzzy=True)
    if len(held) != 1 or held[0] == known.id:
        return
    named = cands.entities.get(held[0])
    if named is None or set(content_words(named.key)) & set(content_words(known.key)):
        return
    rels, ents = parse_contents({h.concept_id: h.content for h in store.text_search(named.display, k=SEARCH_K)})
    for fact, rs in rels.items():
        cands.relations.setdefault(fact, rs)
    for eid, e in ents.items():
        cands.entities.setdefault(eid, e)


def endpoints(frame: Frame, cands: Candidates) -> tuple[list[str], list[str]]:
    """Ids the path search starts from and ends at (the answer side is the other end)."""
    assert frame.known is not None
    known = _held(frame.known, cands, fuzzy=True)
    if frame.other is not None:
        return known, _held(frame.other, cands, fuzzy=False)
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
        if subject != rows[0] and kin_only:  # a parent's parent is no parent: one kinship fact per answer
            return False, facts, later
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
    frame = _parse(question)
    if _YEAR_HINT.search(question):  # "where did X live in 2019": the question without its year, as of then
        asked, year = question_time(question)
        if year is not None:
            dated = _parse(asked)
            if dated.families is not None and any(slot_key("", f, "") is not None for f in dated.families):
                frame, as_of = dated, (year if as_of is None else as_of)
    hits = fuse(*_search(store, batched, question))
    told = story_answer(store, question, hits)  # a story's question ("where is the lantern?"): played
    if told is not None:
        return told
    relations, entities = parse_contents(_worth_parsing(frame, hits))
    cands = Candidates(hits, relations, entities)
    paths: list[GraphPath] = []
    read: dict[str, Concept] = {}  # concepts on the paths, when the path search returned them
    if frame.known is not None and frame.families is not None:
        _read_about_named(store, frame.known, cands)
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
        good = _of_sex(store, frame, good, relations, sex)
    if good:
        built = build_answer(question, frame, good, concepts, relations, max_paths, as_of)
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


def _shown(frame: Frame, path: GraphPath, facts: list[str], relations: dict[str, list[Relation]]) -> str:
    """A path's answer as the fact stating it words it (its key when no relation states it)."""
    backward = frame.direction == BACKWARD
    answer = path.concepts[0] if backward else path.concepts[-1]
    for r in relations.get(facts[0] if backward else facts[-1], []):
        end = r.subject if backward else r.object
        if end.id == answer and frame.accepts(r.family):
            return end.display
    return answer


def _of_sex(store: KnowledgeStore, frame: Frame, good: list[tuple[GraphPath, list[str], bool]],
            relations: dict[str, list[Relation]], sex: str) -> list[tuple[GraphPath, list[str], bool]]:
    """The paths whose answer is stated with the asked sexed noun, or through the sexless family
    (parent, child, sibling) about someone not known to be of the other sex (one text search each)."""
    known: dict[str, str | None] = {}
    kept = []
    for p, facts, later in good:
        answer = p.concepts[0]
        stated = [r for r in relations.get(facts[0], []) if r.subject.id == answer and frame.accepts(r.family)]
        if stated and all(is_sexless(r.family) for r in stated):
            name = stated[0].subject.display
            if name not in known:
                known[name] = sex_in(name, [h.content for h in store.text_search(name, k=SEARCH_K)])
            if known[name] not in (None, sex):
                continue
        kept.append((p, facts, later))
    return kept


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
    while depth_used + 2 <= max_depth and ends:
        found: dict[str, Entity] = {}
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
        if not ends:
            break
        depth_used += 2
        known = [frame.known.id] if frame.known else []
        starts, targets = (sorted(ends), known) if frame.direction == BACKWARD else (known, sorted(ends))
        all_paths.extend(_find_paths(store, batched, frame, starts, targets, depth_used,
                                     max_paths * PATHS_PER_ANSWER, read))
    return all_paths
