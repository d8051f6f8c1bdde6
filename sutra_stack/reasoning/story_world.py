"""A story's world: its events played in order, and the answers it gives.

`World(events)` follows where each person is (or is not, or may be), who holds each thing and so
where the thing is (it moves with its holder), what was given to whom, and the spatial, size,
position and kind facts. Facts told with a time of day ("yesterday", "this afternoon") are
played in that order. Each answer carries the indexes of the sentences it used, in order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from sutra_stack.reasoning.story_parse import OPPOSITE, POSITIONS, Event, kind_of

NUMBER_WORDS = ("none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass(slots=True)
class Said:
    """An answer from a story: the text, the sentences used (in order), how sure."""

    answer: str
    facts: list[int]
    confidence: float = 0.9


@dataclass(slots=True)
class _Place:
    status: str  # at, not_at, either
    places: tuple[str, ...]
    facts: list[int]


@dataclass(slots=True)
class World:
    events: list[Event]
    people: dict[str, _Place] = field(default_factory=dict)
    trail: dict[str, list[tuple[str, list[int]]]] = field(default_factory=dict)  # person or thing → places
    holder: dict[str, tuple[str, int]] = field(default_factory=dict)  # thing → (holder, fact)
    things: dict[str, tuple[str, list[int]]] = field(default_factory=dict)  # thing → place when not held
    held_order: list[str] = field(default_factory=list)
    gives: list[tuple[str, str, str, int]] = field(default_factory=list)
    spatial: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)  # place → (dir, place, fact)
    positions: list[tuple[str, str, str, int]] = field(default_factory=list)
    smaller: list[tuple[str, str, int]] = field(default_factory=list)
    fear: dict[str, tuple[str, int]] = field(default_factory=dict)
    kind: dict[str, tuple[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        timed = any(e.rank >= 0 for e in self.events)
        order = self.events
        if timed:  # facts told out of order: play them by time of day, untold times follow the last told
            rank, keyed = 0, []
            for e in self.events:
                rank = e.rank if e.rank >= 0 else rank
                keyed.append((rank, e.index, e))
            order = [e for _, _, e in sorted(keyed, key=lambda k: (k[0], k[1]))]
        for e in order:
            self._play(e)

    def _note(self, who: str, place: str, facts: list[int]) -> None:
        t = self.trail.setdefault(who, [])
        if not t or t[-1][0] != place:
            t.append((place, facts))

    def _carried(self, person: str) -> list[str]:
        return [t for t in self.held_order if self.holder.get(t, ("", 0))[0] == person]

    def _play(self, e: Event) -> None:
        k = e.kind
        if k in ("move", "at") and e.where:
            for w in e.who:
                if w in self.holder or w in self.things or (k == "at" and w not in self.people and w in self.trail):
                    self.things[w] = (e.where[0], [e.index])
                    self._note(w, e.where[0], [e.index])
                    continue
                self.people[w] = _Place("at", e.where, [e.index])
                self._note(w, e.where[0], [e.index])
                for t in self._carried(w):
                    self._note(t, e.where[0], [self.holder[t][1], e.index])
        elif k == "not_at":
            for w in e.who:
                self.people[w] = _Place("not_at", e.where, [e.index])
        elif k == "either":
            for w in e.who:
                self.people[w] = _Place("either", e.where, [e.index])
        elif k == "toggle":  # a verb of neither list: dropping what one holds, else taking it
            held = self.holder.get(e.what, ("",))[0] == e.who[0]
            self._play(Event(e.index, "drop" if held else "take", e.who, e.what, e.where, e.rank))
        elif k == "take":
            p = e.who[0]
            self.holder[e.what] = (p, e.index)
            if e.what in self.held_order:
                self.held_order.remove(e.what)
            self.held_order.append(e.what)
            here = self.people.get(p)
            if here is not None and here.status == "at":
                self._note(e.what, here.places[0], [*here.facts, e.index])
        elif k == "drop":
            p = e.who[0]
            taken: list[int] = []
            if self.holder.get(e.what, ("",))[0] == p:
                taken = [self.holder.pop(e.what)[1]]
            here = self.people.get(p)
            if here is not None and here.status == "at":
                self.things[e.what] = (here.places[0], sorted({*taken, *here.facts, e.index}))
        elif k == "give" and len(e.who) == 2:
            giver, to = e.who
            self.gives.append((giver, e.what, to, e.index))
            self.holder[e.what] = (to, e.index)
            if e.what not in self.held_order:
                self.held_order.append(e.what)
        elif k == "spatial":
            a, b = e.where
            self.spatial.setdefault(b, []).append((e.what, a, e.index))  # a is DIR of b
            self.spatial.setdefault(a, []).append((OPPOSITE[e.what], b, e.index))
        elif k == "position":
            self.positions.append((e.where[0], e.what, e.where[1], e.index))
        elif k == "smaller":
            self.smaller.append((e.where[0], e.where[1], e.index))
        elif k == "fear":
            self.fear[e.where[0]] = (e.what, e.index)
        elif k == "isa":
            for w in e.who:
                self.kind[w] = (e.what, e.index)

    # ---- answers -------------------------------------------------------------------------------

    def mentions(self, name: str) -> str | None:
        """The story's own name for `name` (a person, a thing, or a thing named by fewer words)."""
        known = set(self.people) | set(self.trail) | set(self.holder) | set(self.things) | set(self.kind)
        known |= {g[1] for g in self.gives} | {x for g in self.gives for x in (g[0], g[2])}
        known |= {x for p in self.positions for x in (p[0], p[2])} | {x for s in self.smaller for x in s[:2]}
        if name in known:
            return name
        words = set(name.split())
        near = [k for k in known if words and words <= set(k.split())]
        return near[0] if len(near) == 1 else None

    def where(self, x: str) -> Said | None:
        if x in self.holder:
            p, fact = self.holder[x]
            here = self.people.get(p)
            if here is not None and here.status == "at":
                facts = sorted({fact, *here.facts})
                return Said(here.places[0], facts)
            return None
        if x in self.things:
            place, facts = self.things[x]
            return Said(place, facts)
        here = self.people.get(x)
        if here is None:
            return None
        if here.status == "at":
            return Said(here.places[0], here.facts)
        if here.status == "either":
            return Said(f"either the {here.places[0]} or the {here.places[1]}", here.facts, 0.5)
        return None

    def before(self, x: str, place: str) -> Said | None:
        trail = self.trail.get(x, [])
        for i in range(len(trail) - 1, 0, -1):
            if trail[i][0] == place:
                return Said(trail[i - 1][0], sorted({*trail[i - 1][1], *trail[i][1]}))
        return None

    def is_in(self, x: str, place: str) -> Said | None:
        if x in self.holder or x in self.things:
            w = self.where(x)
            return None if w is None else Said("yes" if w.answer == place else "no", w.facts)
        here = self.people.get(x)
        if here is None:
            return None
        if here.status == "at":
            return Said("yes" if here.places[0] == place else "no", here.facts)
        if here.status == "either":
            return Said("maybe" if place in here.places else "no", here.facts)
        return Said("no", here.facts) if place in here.places else Said("maybe", here.facts, 0.5)

    def carrying(self, x: str) -> Said:
        mine = self._carried(x)
        facts = sorted(self.holder[t][1] for t in mine)
        return Said(", ".join(mine) if mine else "nothing", facts)

    def count(self, x: str) -> Said:
        mine = self._carried(x)
        n = len(mine)
        word = NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else str(n)
        return Said(word, sorted(self.holder[t][1] for t in mine))

    def gave(self, giver: str | None, thing: str | None, to: str | None, want: str) -> Said | None:
        for g, t, r, i in reversed(self.gives):
            if (giver is None or g == giver) and (thing is None or t == thing) and (to is None or r == to):
                return Said({"giver": g, "thing": t, "to": r}[want], [i])
        return None

    def afraid(self, x: str) -> Said | None:
        kind, facts = kind_of(x), []
        if x in self.kind:
            kind, i = self.kind[x]
            facts.append(i)
        if kind not in self.fear:
            return None
        what, j = self.fear[kind]
        return Said(what, sorted([*facts, j]))

    def size(self, a: str, b: str, want_smaller: bool) -> Said | None:
        def reach(x: str, y: str) -> list[int] | None:
            seen, queue = {x: list[int]()}, deque([x])
            while queue:
                c = queue.popleft()
                if c == y:
                    return seen[c]
                for s, big, i in self.smaller:
                    if s == c and big not in seen:
                        seen[big] = [*seen[c], i]
                        queue.append(big)
            return None

        small = reach(a, b)
        if small is not None:
            return Said("yes" if want_smaller else "no", small)
        big = reach(b, a)
        if big is not None:
            return Said("no" if want_smaller else "yes", big)
        return None

    def position(self, a: str, rel: str, b: str) -> Said | None:
        coords: dict[str, tuple[int, int]] = {b: (0, 0)}
        facts: dict[str, list[int]] = {b: []}
        changed = True
        while changed:
            changed = False
            for x, r, y, i in self.positions:
                dx, dy = POSITIONS[r]
                if y in coords and x not in coords:
                    coords[x], facts[x] = (coords[y][0] + dx, coords[y][1] + dy), [*facts[y], i]
                    changed = True
                elif x in coords and y not in coords:
                    coords[y], facts[y] = (coords[x][0] - dx, coords[x][1] - dy), [*facts[x], i]
                    changed = True
        if a not in coords:
            return None
        dx, dy = POSITIONS[rel]
        (ax, ay) = coords[a]
        holds = (dx != 0 and ax * dx > 0) or (dy != 0 and ay * dy > 0)
        return Said("yes" if holds else "no", sorted(set(facts[a])))


def neighbour(spatial: dict[str, list[tuple[str, str, int]]], place: str, direction: str) -> Said | None:
    """What is DIRECTION of PLACE."""
    for d, other, i in spatial.get(place, []):
        if d == direction:
            return Said(other, [i])
    return None


def route(spatial: dict[str, list[tuple[str, str, int]]], a: str, b: str) -> Said | None:
    """The directions from `a` to `b`, fewest steps first."""
    seen: dict[str, tuple[list[str], list[int]]] = {a: ([], [])}
    queue = deque([a])
    while queue:
        c = queue.popleft()
        if c == b:
            dirs, facts = seen[c]
            return Said(", ".join(dirs), facts)
        for d, other, i in spatial.get(c, []):
            if other not in seen:
                seen[other] = ([*seen[c][0], d], [*seen[c][1], i])
                queue.append(other)
    return None
