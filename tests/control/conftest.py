"""One real built-in stack started by `sutra up -d` on free ports, shared by the tests of a module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.control.support import Control, up


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Control]:
    d: Path = tmp_path_factory.mktemp("control")
    with up(d) as control:
        yield control
