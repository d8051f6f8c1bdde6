"""Fixtures for reasoning tests: a Reasoner over a real in-process engine (nothing kept on disk)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sutra_stack.reasoning import Reasoner
from sutra_stack.storage.engine.store import Engine


class CountingStore:
    """A real Engine with a tally of the store calls made through it (to check round trips)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.engine, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attr(*args, **kwargs)

        return call


@pytest.fixture
def engine() -> Iterator[Engine]:
    eng = Engine.in_memory()
    try:
        yield eng
    finally:
        eng.close()


@pytest.fixture
def store(engine: Engine) -> CountingStore:
    return CountingStore(engine)


@pytest.fixture
def reasoner(store: CountingStore) -> Reasoner:
    return Reasoner(store)  # type: ignore[arg-type]
