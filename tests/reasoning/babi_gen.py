"""Our own generator of bAbI-style stories (tasks 1-15, 17, 18, 19; not the bAbI data or code).

`generate(seed, per_task)` returns stories, each one text of facts in order with one question
about it and the accepted answer. People and objects are distinct across the whole set (each
story names its own); places repeat, and every spatial fact comes from one map per seed (a
spanning tree over a grid), so stories that share a place never contradict each other.
The wording varies widely: several verbs for each action, multi-word names, things and places.
`is_right` scores an answer the way the tasks mean it (a set for lists, a sequence for paths).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from tests.reasoning import babi_vocab as V


@dataclass(slots=True)
class Story:
    task: int
    sentences: list[str]
    question: str
    answer: str  # the canonical answer: "yes", "kitchen", "two", "lantern, book", "north, east"
    accept: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def _bare(phrase: str) -> str:
    return re.sub(r"^(?:the|a|an)\s+", "", phrase.strip().lower())


def is_right(story: Story, answer: str) -> bool:
    """Whether `answer` (the reasoner's answer text) says what the story's answer says."""
    got = answer.strip().lower().rstrip(".")
    if story.task == 8:  # a list: the same things, in any order
        items = {_bare(x) for x in re.split(r",\s*(?:and\s+)?|\s+and\s+", got) if x.strip()}
        want = {_bare(x) for x in story.answer.split(",") if x.strip()} or {"nothing"}
        return items == want
    if story.task == 19:
        return re.findall(r"north|south|east|west", got) == story.answer.split(", ")
    return _bare(got) in {_bare(a) for a in [story.answer, *story.accept]}


def _spatial(rng: random.Random, a: str, d: str, b: str) -> str:
    if rng.random() < 0.5:
        a, d, b = b, V.OPPOSITE[d], a
    form = rng.choice(("The {a} is {d} of the {b}.", "The {a} lies {d} of the {b}.",
                       "The {a} is to the {d} of the {b}."))
    return form.format(a=a, d=d, b=b)


def _move(rng: random.Random, who: str, place: str) -> str:
    return f"{who} {rng.choice(V.MOVE)} the {place}."


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.v = V.Vocab(self.rng)
        self.map = V.Map(self.rng)

    def places(self, k: int) -> list[str]:
        return self.rng.sample(V.PLACES, k)

    # tasks 1, 11, 12, 13: where someone is after moves (plain, pronouns, "A and B", "they")
    def t1(self) -> Story:
        ppl, r = self.v.people_for_story(3), self.rng
        where: dict[str, str] = {}
        out = []
        for _ in range(r.randint(4, 7)):
            p, pl = r.choice(ppl), r.choice(V.PLACES)
            out.append(_move(r, p, pl))
            where[p] = pl
        who = r.choice(sorted(where))
        return Story(1, out, f"Where is {who}?", where[who])

    def t11(self) -> Story:
        ppl, r = self.v.people_for_story(3), self.rng
        where: dict[str, str] = {}
        out = []
        for _ in range(r.randint(2, 4)):
            p = r.choice(ppl)
            pl, pl2 = r.sample(V.PLACES, 2)
            out.append(_move(r, p, pl))
            pron = r.choice(("he", "she")) if r.random() < 0.7 else "they"
            out.append(f"{r.choice(V.AFTER)} {pron} {r.choice(V.MOVE)} the {pl2}.")
            where[p] = pl2
        who = r.choice(sorted(where))
        return Story(11, out, f"Where is {who}?", where[who])

    def t12(self) -> Story:
        ppl, r = self.v.people_for_story(4), self.rng
        where: dict[str, str] = {}
        out = []
        for _ in range(r.randint(3, 5)):
            a, b = r.sample(ppl, 2)
            pl = r.choice(V.PLACES)
            out.append(f"{a} and {b} {r.choice(V.MOVE)} the {pl}.")
            where[a] = where[b] = pl
        who = r.choice(sorted(where))
        return Story(12, out, f"Where is {who}?", where[who])

    def t13(self) -> Story:
        ppl, r = self.v.people_for_story(4), self.rng
        where: dict[str, str] = {}
        out = []
        for _ in range(r.randint(2, 3)):
            a, b = r.sample(ppl, 2)
            pl, pl2 = r.sample(V.PLACES, 2)
            out.append(f"{a} and {b} {r.choice(V.MOVE)} the {pl}.")
            out.append(f"{r.choice(V.AFTER)} they {r.choice(V.MOVE)} the {pl2}.")
            where[a] = where[b] = pl2
        who = r.choice(sorted(where))
        return Story(13, out, f"Where is {who}?", where[who])

    def _carry_story(self, n_people: int, n_things: int, steps: int, drops: bool = True, gives: bool = False
                     ) -> tuple[list[str], dict[str, str], dict[str, str | None], list[tuple[str, str, str]],
                                dict[str, list[str]], list[str]]:
        """Moves, takes, drops (and gives): sentences, where people are, who holds what, the gives,
        each thing's places in order, the people."""
        r = self.rng
        ppl, things = self.v.people_for_story(n_people), self.v.things_for_story(n_things)
        where: dict[str, str] = {}
        holder: dict[str, str | None] = dict.fromkeys(things)
        thing_at: dict[str, str | None] = dict.fromkeys(things)
        trail: dict[str, list[str]] = {t: [] for t in things}
        given: list[tuple[str, str, str]] = []
        out: list[str] = []

        def note(t: str, pl: str) -> None:
            if not trail[t] or trail[t][-1] != pl:
                trail[t].append(pl)

        for p in ppl:
            pl = r.choice(V.PLACES)
            out.append(_move(r, p, pl))
            where[p] = pl
        for _ in range(steps):
            p = r.choice(ppl)
            mine = [t for t in things if holder[t] == p]
            free = [t for t in things if holder[t] is None and thing_at[t] in (None, where[p])]
            roll = r.random()
            if roll < 0.35:
                pl = r.choice([x for x in V.PLACES if x != where[p]])
                out.append(_move(r, p, pl))
                where[p] = pl
                for t in mine:
                    thing_at[t] = pl
                    note(t, pl)
            elif roll < 0.65 and free:
                t = r.choice(free)
                out.append(f"{p} {r.choice(V.TAKE)} the {t}" + (" there." if r.random() < 0.2 else "."))
                holder[t], thing_at[t] = p, where[p]
                note(t, where[p])
            elif roll < 0.8 and mine and drops:
                t = r.choice(mine)
                verb = r.choice(V.DROP)
                out.append(f"{p} {verb} the {t}.")
                holder[t] = None
            elif mine and gives:
                others = [q for q in ppl if q != p and where[q] == where[p]]
                if not others:
                    q = r.choice([x for x in ppl if x != p])
                    out.append(_move(r, q, where[p]))
                    where[q] = where[p]
                    others = [q]
                q = r.choice(others)
                t = r.choice(mine)
                verb = r.choice(V.GIVE)
                out.append(f"{p} {verb} the {t} to {q}." if r.random() < 0.8 else f"{p} {verb} {q} the {t}.")
                holder[t] = q
                given.append((p, t, q))
        return out, where, holder, given, trail, ppl

    def t2(self) -> Story:
        while True:
            out, where, holder, _, trail, _ = self._carry_story(2, 3, 9)
            moved = [t for t in trail if len(trail[t]) >= 2 or (trail[t] and holder[t])]
            if moved:
                t = self.rng.choice(sorted(moved))
                return Story(2, out, f"Where is the {t}?", trail[t][-1])

    def t3(self) -> Story:
        while True:
            out, _, _, _, trail, _ = self._carry_story(2, 3, 14)
            moved = [t for t in trail if len(trail[t]) >= 2 and len(set(trail[t])) == len(trail[t])]
            if moved:
                t = self.rng.choice(sorted(moved))
                i = self.rng.randint(1, len(trail[t]) - 1)
                return Story(3, out, f"Where was the {t} before the {trail[t][i]}?", trail[t][i - 1])

    def t5(self) -> Story:
        r = self.rng
        while True:
            out, _, _, given, _, _ = self._carry_story(3, 3, 12, drops=False, gives=True)
            if not given:
                continue
            g, t, q = given[-1]
            if sum(1 for x in given if x[1] == t) > 1 and r.random() < 0.7:
                continue
            kind = r.randrange(4)
            if kind == 0:
                return Story(5, out, f"Who gave the {t} to {q}?", g)
            if kind == 1:
                if sum(1 for x in given if x[0] == g and x[2] == q) > 1:
                    continue
                return Story(5, out, f"What did {g} give to {q}?", t)
            if kind == 2:
                return Story(5, out, f"Who did {g} give the {t} to?", q)
            return Story(5, out, f"Who received the {t}?", q)

    def t6(self) -> Story:
        r = self.rng
        out, where, _, _, _, ppl = self._carry_story(2, 2, 6)
        p = r.choice(ppl)
        pl = where[p] if r.random() < 0.5 else r.choice([x for x in V.PLACES if x != where[p]])
        return Story(6, out, f"Is {p} in the {pl}?", "yes" if pl == where[p] else "no")

    def t7(self) -> Story:
        r = self.rng
        out, _, holder, _, _, ppl = self._carry_story(2, 4, 10, gives=True)
        p = r.choice(ppl)
        n = sum(1 for h in holder.values() if h == p)
        noun = r.choice(("objects", "things", "items"))
        verb = r.choice(("carrying", "holding"))
        accept = [str(n)] + (["zero", "0", "nothing"] if n == 0 else [])
        return Story(7, out, f"How many {noun} is {p} {verb}?", V.NUMBERS[n], accept)

    def t8(self) -> Story:
        r = self.rng
        out, _, holder, _, _, ppl = self._carry_story(2, 4, 10, gives=True)
        p = r.choice(ppl)
        mine = [t for t, h in holder.items() if h == p]
        return Story(8, out, f"What is {p} {r.choice(('carrying', 'holding'))}?", ", ".join(mine) or "nothing")

    def t9(self) -> Story:
        r = self.rng
        ppl = self.v.people_for_story(3)
        state: dict[str, tuple[str, bool]] = {}
        out = []
        for _ in range(r.randint(3, 6)):
            p, pl = r.choice(ppl), r.choice(V.PLACES)
            if r.random() < 0.35:
                out.append(f"{p} is {r.choice(('no longer', 'not'))} in the {pl}.")
                state[p] = (pl, False)
            else:
                out.append(_move(r, p, pl) if r.random() < 0.7 else f"{p} is in the {pl}.")
                state[p] = (pl, True)
        p = r.choice(sorted(state))
        pl, there = state[p]
        return Story(9, out, f"Is {p} in the {pl}?", "yes" if there else "no")

    def t10(self) -> Story:
        r = self.rng
        ppl = self.v.people_for_story(3)
        state: dict[str, tuple[str, ...]] = {}
        out = []
        for _ in range(r.randint(3, 6)):
            p = r.choice(ppl)
            if r.random() < 0.45:
                a, b = r.sample(V.PLACES, 2)
                out.append(f"{p} is either in the {a} or the {b}.")
                state[p] = (a, b)
            else:
                pl = r.choice(V.PLACES)
                out.append(_move(r, p, pl))
                state[p] = (pl,)
        p = r.choice(sorted(state))
        options = state[p]
        roll = r.random()
        pl = r.choice(options) if roll < 0.6 else r.choice([x for x in V.PLACES if x not in options])
        ans = "no" if pl not in options else ("yes" if len(options) == 1 else "maybe")
        return Story(10, out, f"Is {p} in the {pl}?", ans)

    def t14(self) -> Story:
        r = self.rng
        times = ("Yesterday", "This morning", "This afternoon", "This evening")
        alt = {"This afternoon": ("This afternoon", "In the afternoon"),
               "This evening": ("This evening", "In the evening"),
               "This morning": ("This morning", "In the morning"), "Yesterday": ("Yesterday",)}
        ppl = self.v.people_for_story(2)
        facts: list[tuple[int, str]] = []
        trail: dict[str, list[str]] = {}
        for p in ppl:
            pls = r.sample(V.PLACES, 4)
            trail[p] = pls
            for i, pl in enumerate(pls):
                facts.append((i, f"{r.choice(alt[times[i]])} {p} {r.choice(V.MOVE)} the {pl}."))
        r.shuffle(facts)
        p = r.choice(ppl)
        i = r.randint(1, 3)
        return Story(14, [s for _, s in facts], f"Where was {p} before the {trail[p][i]}?", trail[p][i - 1])

    def t4(self) -> Story:
        r = self.rng
        a, d, b = r.choice(self.map.edges)
        other = r.choice(self.map.edges)
        out = [_spatial(r, a, d, b), _spatial(r, *other)]
        r.shuffle(out)
        if r.random() < 0.5:
            return Story(4, out, f"What is {d} of the {b}?", a)
        return Story(4, out, f"What is the {a} {d} of?", b)

    def t19(self) -> Story:
        r = self.rng
        while True:
            a = r.choice(sorted(self.map.adj))
            d1, c = r.choice(self.map.adj[a])
            d2, b = r.choice(self.map.adj[c])
            if b != a:
                break
        # "a --d1--> c" means c is d1 of a; the facts say it from either side
        out = [_spatial(r, c, d1, a), _spatial(r, b, d2, c)]
        for x, y, z in r.sample(self.map.edges, 3):
            out.append(_spatial(r, x, y, z))
        r.shuffle(out)
        return Story(19, out, f"How do you go from the {a} to the {b}?", f"{d1}, {d2}")

    def t15(self) -> Story:
        r = self.rng
        kinds = r.sample(V.KINDS, 4)
        ppl = self.v.people_for_story(4)
        fear = {k: r.choice([o for o in kinds if o != k])[1] for k in kinds}
        out = [f"{k[1].capitalize()} {r.choice(V.AFRAID)} {fear[k]}." for k in kinds]
        is_a: dict[str, tuple[str, str]] = {}
        for p in ppl:
            is_a[p] = r.choice(kinds)
            out.append(f"{p} is {'an' if is_a[p][0][0] in 'aeiou' else 'a'} {is_a[p][0]}.")
        r.shuffle(out)
        p = r.choice(ppl)
        ans = fear[is_a[p]]
        single = {pl: s for s, pl in V.KINDS}[ans]
        verb = r.choice(("afraid of", "scared of", "frightened of"))
        return Story(15, out, f"What is {p} {verb}?", ans, [single])

    def t17(self) -> Story:
        r = self.rng
        things = self.v.things_for_story(3)
        rels = {"to the left of": (-1, 0), "to the right of": (1, 0), "above": (0, 1), "below": (0, -1)}
        pos = {things[0]: (0, 0)}
        out = []
        for t in things[1:]:
            while True:
                base = r.choice(list(pos))
                rel, (dx, dy) = r.choice(list(rels.items()))
                p = (pos[base][0] + dx, pos[base][1] + dy)
                if p not in pos.values():
                    break
            pos[t] = p
            out.append(f"The {t} is {rel} the {base}.")
        a, b = things[2], things[0] if out[1].endswith(f"{things[1]}.") else things[1]
        if r.random() < 0.5:
            a, b = b, a
        rel, (dx, dy) = r.choice(list(rels.items()))
        (ax, ay), (bx, by) = pos[a], pos[b]
        holds = (dx and (ax - bx) * dx > 0) or (dy and (ay - by) * dy > 0)
        return Story(17, out, f"Is the {a} {rel} the {b}?", "yes" if holds else "no")

    def t18(self) -> Story:
        r = self.rng
        things = self.v.things_for_story(4)  # smallest first
        out = []
        for small, big in zip(things, things[1:], strict=False):
            form = r.choice(("The {b} is bigger than the {s}.", "The {s} fits inside the {b}.",
                             "The {s} is smaller than the {b}.", "The {b} is larger than the {s}.",
                             "The {s} fits in the {b}."))
            out.append(form.format(s=small, b=big))
        r.shuffle(out)
        i, j = sorted(r.sample(range(4), 2))
        while j - i < 2 and r.random() < 0.7:
            i, j = sorted(r.sample(range(4), 2))
        a, b = (things[i], things[j]) if r.random() < 0.5 else (things[j], things[i])
        smaller = things.index(a) < things.index(b)
        kind = r.randrange(3)
        if kind == 0:
            return Story(18, out, f"Is the {a} bigger than the {b}?", "no" if smaller else "yes")
        if kind == 1:
            return Story(18, out, f"Is the {a} smaller than the {b}?", "yes" if smaller else "no")
        return Story(18, out, f"Does the {a} fit in the {b}?", "yes" if smaller else "no")


TASKS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19)


def generate(seed: int, per_task: int) -> list[Story]:
    """`per_task` stories of each task, interleaved (task order shuffled by the seed)."""
    g = _Gen(seed)
    stories = [getattr(g, f"t{t}")() for t in TASKS for _ in range(per_task)]
    g.rng.shuffle(stories)
    return stories
