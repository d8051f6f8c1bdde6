"""The words of our own bAbI-style story generator (babi_gen.py), and the people, things and
map it draws from them: several verbs for each action, multi-word names, things and places.

A held-out run swaps these for others (the generator reads them from here when it runs).
"""

from __future__ import annotations

import random


def _w(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FIRST = _w("Ada Alma Bruno Carla Dario Elif Femi Greta Hugo Ines Jonas Kira Lucas Mina Nadia Omar Paula Rafael "
         "Sanne Tomas Ulla Vera Wim Yara Zeno Anika Bram Chloe Dmitri Esme Farid Gisela Henrik Ilse Joost "
         "Keiko Lars Marit Nils Orla Pieter Quinn Rosa Soren Talia Ugo Viggo Wanda Xenia Yusuf Zora")
LAST = _w("Ruiz Okafor Lindqvist Moreau Haddad Brandt Castell Duarte Eklund Ferrer Gallo Holm Ibsen Jansen Kovac "
        "Lozano Maas Navarro Ortega Petrov Quist Rinaldi Sato Tanaka Urbina Varga Weber Yilmaz Zeller Abbot "
        "Bakker Cruz Dahl Engel Falk Greer Hale Iqbal Jovic Kane Lund Marsh Nyberg Olsen Pike Reyes Stone "
        "Thorne Vance Wolfe")
COLOURS = _w("red blue green yellow black white silver golden brown grey orange purple pink copper")
QUALITIES = _w("old small large heavy wooden iron battered shiny tiny worn cracked new velvet")
NOUNS = _w("lantern book apple football violin key compass kettle umbrella hammer basket teapot candle map "
         "scarf helmet ladder bottle drum clock mirror pillow shovel rope trumpet vase wallet whistle glove "
         "blanket bucket camera chisel flute jar kite medal notebook parcel ring saddle satchel spoon torch "
         "trophy box chest suitcase crate")
PLACES = _w("kitchen,hallway,garden,bathroom,bedroom,office,cellar,upper attic,back garden,dining room,"
          "library,garage,front porch,music room,laundry room,guest bedroom,greenhouse,pantry,study,"
          "workshop,sun room,boot room,wine cellar,east wing,old barn,gym,nursery,conservatory,"
          "games room,tower room,boiler room,rose garden,throne room,map room,chapel,courtyard,scullery,"
            "gallery,ballroom,hay loft", ",")
MOVE = ("went to", "moved to", "travelled to", "journeyed to", "walked to", "ran to", "headed to",
        "went back to", "returned to", "hurried to", "wandered into", "strolled into", "made their way to",
        "went over to", "dashed to", "drove to", "proceeded to", "went into", "crept into", "marched to",
        "jogged to", "sprinted into", "went off to", "moved into", "cycled to")
TAKE = ("picked up", "took", "got", "grabbed", "collected", "lifted", "fetched", "took hold of", "got hold of",
        "snatched", "obtained", "retrieved", "nabbed", "took possession of", "secured")
DROP = ("dropped", "put down", "left", "discarded", "set down", "let go of", "put away", "put aside",
        "got rid of", "threw away", "dumped", "deposited", "abandoned")
GIVE = ("gave", "handed", "passed", "handed over", "tossed", "transferred", "donated", "lent")
AFTER = ("Then", "After that", "Afterwards", "Following that", "Later", "Next", "Subsequently", "Soon after")
DIRS = {"north": (0, -1), "south": (0, 1), "east": (1, 0), "west": (-1, 0)}
OPPOSITE = {"north": "south", "south": "north", "east": "west", "west": "east"}
KINDS = (("sheep", "sheep"), ("wolf", "wolves"), ("mouse", "mice"), ("cat", "cats"), ("dog", "dogs"),
         ("fox", "foxes"), ("hen", "hens"), ("swan", "swans"), ("badger", "badgers"), ("owl", "owls"))
AFRAID = ("are afraid of", "are scared of", "are frightened of", "fear", "are terrified of")
NUMBERS = ("none", "one", "two", "three", "four", "five")


class Vocab:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.people: set[str] = set()
        self.things: set[str] = set()

    def person(self) -> str:
        while True:
            middle = f"{self.rng.choice(('van', 'de', 'del'))} " if self.rng.random() < 0.15 else ""
            n = f"{self.rng.choice(FIRST)} {middle}{self.rng.choice(LAST)}"
            if n not in self.people and n.split()[0] not in {p.split()[0] for p in self._recent}:
                self.people.add(n)
                self._recent.append(n)
                return n

    _recent: list[str] = []

    def people_for_story(self, k: int) -> list[str]:
        self._recent = []
        return [self.person() for _ in range(k)]

    def thing(self) -> str:
        while True:
            words = [self.rng.choice(COLOURS), self.rng.choice(NOUNS)]
            if self.rng.random() < 0.5:
                words.insert(0, self.rng.choice(QUALITIES))
            t = " ".join(words)
            nouns = {x.split()[-1] for x in self._things_now}
            if t not in self.things and words[-1] not in nouns:
                self.things.add(t)
                self._things_now.append(t)
                return t

    _things_now: list[str] = []

    def things_for_story(self, k: int) -> list[str]:
        self._things_now = []
        return [self.thing() for _ in range(k)]


class Map:
    """One map per seed: places on a grid joined by a random spanning tree (paths are unique)."""

    def __init__(self, rng: random.Random, w: int = 6, h: int = 5) -> None:
        cells = [(x, y) for y in range(h) for x in range(w)]
        names = rng.sample(PLACES, len(cells))
        self.at = dict(zip(cells, names, strict=True))
        self.edges: list[tuple[str, str, str]] = []  # (a, direction, b): a is DIRECTION of b
        seen = {cells[0]}
        stack = [cells[0]]
        while stack:
            c = stack[-1]
            nxt = [(d, (c[0] + dx, c[1] + dy)) for d, (dx, dy) in DIRS.items()
                   if (c[0] + dx, c[1] + dy) in self.at and (c[0] + dx, c[1] + dy) not in seen]
            if not nxt:
                stack.pop()
                continue
            d, n = rng.choice(nxt)
            seen.add(n)
            stack.append(n)
            self.edges.append((self.at[n], d, self.at[c]))
        self.adj: dict[str, list[tuple[str, str]]] = {}
        for a, d, b in self.edges:
            self.adj.setdefault(b, []).append((d, a))
            self.adj.setdefault(a, []).append((OPPOSITE[d], b))
