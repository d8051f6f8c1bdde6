"""Asking about stories: find the learned story a question names, play it, answer with its facts.

A story is one learned text of several sentences (the learner stores it as a text concept with its
sentences). `story_answer` reads the question (`story_questions`); when it has a story's shape it takes
the texts among the question's search hits that name the people or things it asks about (or,
through one neighbours read each, the texts of the story sentences among the hits; one
text_search of the name when no hit names it), plays each (`story_world`, cached by content)
and answers from the first that can. Spatial questions gather the facts about the places named
from every story (the places are shared). None means "not a story question": the caller answers as before.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sutra_stack.errors import NotFound
from sutra_stack.reasoning.models import Answer, PathStep, ReasoningPath
from sutra_stack.reasoning.paragraph import resolve
from sutra_stack.reasoning.story_parse import DIRECTIONS, kind_of, read_story
from sutra_stack.reasoning.story_questions import StoryQuestion, parse_story_question
from sutra_stack.reasoning.story_world import Said, World, neighbour, route
from sutra_stack.reasoning.text import normalize, split_sentences
from sutra_stack.storage.model import SearchHit, content_id
from sutra_stack.storage.store_protocol import KnowledgeStore

STORY_SEARCH_K = 20  # hits read when the question's own hits do not name what it asks about
SPATIAL_SEARCH_K = 40  # hits read per place searched (spatial facts about it among its many mentions)
MAX_PARENT_LOOKUPS = 3  # sentence hits whose texts are looked up when no text hit names the subject
MAX_ROUTE_SEARCHES = 6  # places searched to join two places by a route
MIN_READ_SHARE = 0.6  # share of a text's sentences that must read as story facts to answer from it
STORY_CACHE = 4_096  # stories whose played world is remembered (pure; stories are asked repeatedly)


@lru_cache(maxsize=STORY_CACHE)
def _played(content: str) -> tuple[tuple[str, ...], World] | None:
    sentences = split_sentences(content)
    if len(sentences) < 2:
        return None
    events, told = read_story(sentences)
    if told < MIN_READ_SHARE * len(sentences):
        return None
    return tuple(sentences), World(events)


def _stored_ids(store: KnowledgeStore, text_id: str, content: str) -> list[str]:
    """The ids the learner gave the text's sentences: as it resolved them in one text, or as told
    when the story was a batch of one fact per item (its text concept says so: one read)."""
    told = split_sentences(content)
    found = store.query_concepts([text_id])
    if found and found[0] is not None and (found[0].metadata or {}).get("story") == "batch":
        return [content_id(s) for s in told]
    return [content_id(s) for s in resolve(told)]


@lru_cache(maxsize=STORY_CACHE)
def _name_patterns(name: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    pat = re.escape(name)
    return re.compile(rf"\bthe\s+{pat}(?![\w-])", re.I), re.compile(rf"(?<![\w-]){pat}(?![\w-])", re.I)


def _names_in(name: str, content: str) -> bool:
    """Whether `content` names `name` as a whole: "the blue box" (not "the old blue box"), or a name
    written with a capital ("Ada Ruiz")."""
    if name not in content.lower():  # most hits do not: no pattern is run
        return False
    as_thing, as_name = _name_patterns(name)
    return bool(as_thing.search(content)) or any(m.group(0)[:1].isupper() for m in as_name.finditer(content))


@lru_cache(maxsize=STORY_CACHE)
def _is_event(sentence: str) -> bool:
    return bool(read_story([sentence])[0])


def _stories(hits: list[SearchHit], name: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(text id, content) of the texts among `hits` that name `name`, and the ids of the sentence
    hits that name it and read as story facts (whose texts `_parents` reads when those texts do not
    answer)."""
    naming = [h for h in hits if _names_in(name, h.content)]
    found = [(h.concept_id, h.content) for h in naming if len(split_sentences(h.content)) > 1]
    sentences = [h.concept_id for h in naming if h.content.rstrip().endswith((".", "!", "?"))
                 and len(split_sentences(h.content)) == 1 and _is_event(h.content)]
    return found, sentences[:MAX_PARENT_LOOKUPS]


def _parents(store: KnowledgeStore, sentence_ids: list[str], name: str, seen: set[str]) -> list[tuple[str, str]]:
    """The texts holding the given sentences (one neighbours read each, one concepts read)."""
    parents: list[str] = []
    for sid in sentence_ids:
        try:
            nbrs = store.get_neighbors(sid, types=["compositional"], direction="in", limit=8)
        except NotFound:
            continue
        parents.extend(n.concept_id for n in nbrs if n.concept_id not in parents and n.concept_id not in seen)
    if not parents:
        return []
    return [(c.id, c.content) for c in store.query_concepts(parents) if c is not None and _names_in(name, c.content)]


def _from_world(q: StoryQuestion, w: World) -> Said | None:
    a = q.args
    x = w.mentions(a["x"]) if a.get("x") else None
    k = q.kind
    if k == "where":
        return w.where(x) if x else None
    if k == "before":
        return w.before(x, a["p"]) if x else None
    if k == "is_in":
        return w.is_in(x, a["p"]) if x else None
    if k == "carry":
        return w.carrying(x) if x else None
    if k == "count":
        return w.count(x) if x else None
    if k == "afraid":
        return w.afraid(x or a["x"])
    if k == "is_afraid":
        feared = w.afraid(x or a["x"])
        if feared is None:
            return None
        same = kind_of(feared.answer) == kind_of(a["o"])
        return Said("yes" if same else "no", feared.facts)
    if k == "is_carrying":
        t = w.mentions(a["t"])
        if x is None or t is None:
            return None
        held = w.holder.get(t)
        return Said("yes" if held is not None and held[0] == x else "no", [held[1]] if held else [])
    if k == "did_give":
        g, t, r = w.mentions(a["g"]), w.mentions(a["t"]), w.mentions(a["r"])
        if g is None or t is None or r is None:
            return None
        gave = w.gave(g, t, r, "thing")
        return Said("yes", gave.facts) if gave is not None else Said("no", [i for *_, i in w.gives])
    if k in ("giver", "thing", "to"):
        t = w.mentions(a["t"]) if a.get("t") else None
        g = w.mentions(a["g"]) if a.get("g") else None
        r = w.mentions(a["r"]) if a.get("r") else None
        if (a.get("t") and t is None) or (a.get("g") and g is None) or (a.get("r") and r is None):
            return None
        return w.gave(g, t, r, {"giver": "giver", "thing": "thing", "to": "to"}[k])
    if k in ("size", "fits"):
        pa, pb = w.mentions(a["a"]), w.mentions(a["b"])
        if pa is None or pb is None:
            return None
        want_smaller = k == "fits" or a.get("c") in ("smaller", "tinier")
        return w.size(pa, pb, want_smaller)
    if k == "position":
        pa, pb = w.mentions(a["a"]), w.mentions(a["b"])
        if pa is None or pb is None:
            return None
        return w.position(pa, a["r"], pb)
    return None


def _story_path(store: KnowledgeStore, text_id: str, content: str, said: Said) -> tuple[ReasoningPath, list[str]]:
    sentences = split_sentences(content)
    ids = _stored_ids(store, text_id, content)
    steps = [PathStep(text_id, normalize(content))]
    facts: list[str] = []
    for n, i in enumerate(said.facts):
        if i >= len(ids):
            continue
        steps.append(PathStep(ids[i], sentences[i], "compositional" if n == 0 else "temporal", said.confidence))
        facts.append(ids[i])
    return ReasoningPath(steps, said.confidence), facts


def _as_told(answer: str, told: str) -> str:
    """The answer written as the story wrote it ("Eva Stone", not "eva stone")."""
    parts = []
    for part in answer.split(", "):
        m = re.search(rf"(?<![\w-]){re.escape(part)}(?![\w-])", told, re.I) if part else None
        parts.append(m.group(0) if m else part)
    return ", ".join(parts)


def _answer(question: str, said: Said, path: ReasoningPath, facts: list[str]) -> Answer:
    used = " ".join(s.content for s in path.steps[1:])
    told = " ".join(s.content for s in path.steps)
    return Answer(question=question, answer=_as_told(said.answer, told), confidence=said.confidence, kind="path",
                  paths=[path], explanation=f"From the story, in order: {used}", supporting_facts=facts)


def _spatial_facts(store: KnowledgeStore, places: list[str], sentences: list[str],
                   graph: dict[str, list[tuple[str, str, int]]], texts: dict[str, str] | None = None) -> None:
    """The spatial facts among the hits for each place, into `graph` (and the stories among the
    hits into `texts`, id → content)."""
    for place in places:
        for h in store.text_search(f"{place} {' '.join(DIRECTIONS)}", k=SPATIAL_SEARCH_K):
            parts = split_sentences(h.content)
            if texts is not None and len(parts) > 1:
                texts[h.concept_id] = h.content
            for s in parts:
                if s in sentences or not any(d in s.lower() for d in DIRECTIONS):
                    continue
                events, _ = read_story([s])
                for e in events:
                    if e.kind == "spatial":
                        sentences.append(s)
                        i = len(sentences) - 1
                        a, b = e.where
                        graph.setdefault(b, []).append((e.what, a, i))
                        graph.setdefault(a, []).append((_opposite(e.what), b, i))


def _opposite(d: str) -> str:
    return {"north": "south", "south": "north", "east": "west", "west": "east"}[d]


def _spatial(store: KnowledgeStore, question: str, q: StoryQuestion) -> Answer | None:
    sentences: list[str] = []
    graph: dict[str, list[tuple[str, str, int]]] = {}
    a = q.args
    said: Said | None = None
    if q.kind == "dir_of":
        _spatial_facts(store, [a["p"]], sentences, graph)
        said = neighbour(graph, a["p"], a["d"])
    elif q.kind == "is_dir":
        _spatial_facts(store, [a["b"]], sentences, graph)
        direct = [(d, i) for d, other, i in graph.get(a["b"], []) if other == a["a"]]
        there = neighbour(graph, a["b"], a["d"])
        if direct:  # how A lies from B, as told
            said = Said("yes" if direct[0][0] == a["d"] else "no", [direct[0][1]])
        else:  # another place lies that way
            said = None if there is None else Said("yes" if there.answer == a["a"] else "no", there.facts)
    elif q.kind == "of_dir":
        _spatial_facts(store, [a["x"]], sentences, graph)
        said = neighbour(graph, a["x"], _opposite(a["d"]))
    else:
        start, end = a["x"], a["p"]
        searched: list[str] = [start, end]
        texts: dict[str, str] = {}
        _spatial_facts(store, searched, sentences, graph, texts)
        for text_id, content in texts.items():  # a story naming both places: its own route first
            played = _played(content) if _names_in(start, content) and _names_in(end, content) else None
            told = route(played[1].spatial, start, end) if played is not None else None
            if told is not None:
                return _answer(question, told, *_story_path(store, text_id, content, told))
        said = route(graph, start, end)
        while said is None and len(searched) < MAX_ROUTE_SEARCHES:
            frontier = [o for p in searched for _, o, _ in graph.get(p, []) if o not in searched]
            if not frontier:
                break
            searched.append(frontier[0])
            _spatial_facts(store, [frontier[0]], sentences, graph)
            said = route(graph, start, end)
    if said is None:
        return None
    steps = [PathStep(content_id(sentences[i]), sentences[i], None if n == 0 else "semantic",
                      None if n == 0 else said.confidence) for n, i in enumerate(said.facts)]
    path = ReasoningPath(steps, said.confidence)
    return _answer(question, said, path, [s.concept_id for s in steps])


def story_answer(store: KnowledgeStore, question: str, hits: list[SearchHit]) -> Answer | None:
    """The answer from the learned stories, or None when the question is not about one. `hits` are
    the question's own search hits (the asker's): stories are found among them, or as the texts of
    the sentences among them, so a question that names no story costs no further search."""
    q = parse_story_question(question)
    if q is None:
        return None
    if q.kind in ("dir_of", "of_dir", "is_dir", "path"):
        return _spatial(store, question, q)
    for name in q.names()[:2]:
        texts, sentence_ids = _stories(hits, name)
        if not texts and not sentence_ids and not any(_names_in(name, h.content) for h in hits):
            # the question's words led elsewhere (a common place beside a rare name): search the name
            texts, sentence_ids = _stories(store.text_search(name, k=STORY_SEARCH_K), name)
        said = _first_answer(q, texts)
        if said is None and sentence_ids:
            said = _first_answer(q, _parents(store, sentence_ids, name, {i for i, _ in texts}))
        if said is not None:
            return _answer(question, said[2], *_story_path(store, said[0], said[1], said[2]))
    return None


def _first_answer(q: StoryQuestion, texts: list[tuple[str, str]]) -> tuple[str, str, Said] | None:
    for text_id, content in texts:
        played = _played(content)
        if played is None:
            continue
        said = _from_world(q, played[1])
        if said is not None:
            return text_id, content, said
    return None
