"""A store's files are its owner's alone (as the control socket is): the data directory, the WAL
directory and backup folders 0700, every file in them 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sutra_stack.storage.engine import Engine, maintenance

SETTINGS = {"embedder.dimension": 16, "storage.fsync": "off", "storage.snapshot_interval": 0.0}


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default: without care, files 0644 and directories 0755
    try:
        yield
    finally:
        os.umask(old)


def modes(root: Path) -> dict[str, int]:
    out = {".": stat.S_IMODE(root.stat().st_mode)}
    for p in root.rglob("*"):
        out[str(p.relative_to(root))] = stat.S_IMODE(p.stat().st_mode)
    return out


def assert_private(root: Path) -> None:
    got = modes(root)
    wrong = {name: oct(m) for name, m in got.items() if m != (0o700 if (root / name).is_dir() else 0o600)}
    assert not wrong, f"not private to the owner: {wrong}"
    assert any(name.startswith("wal/wal-") for name in got) and "storage.dat" in got


def test_a_new_store_and_its_backups_are_private(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with Engine.open(store, SETTINGS) as eng:
        for i in range(20):
            eng.learn_concept(f"private {i}")
        eng.flush()
        eng.learn_concept("in the WAL only")
        assert_private(store)
        eng.backup(tmp_path / "online")
    assert_private(store)
    assert_private(tmp_path / "online")
    maintenance.backup(store, tmp_path / "offline")
    assert_private(tmp_path / "offline")
    maintenance.restore(tmp_path / "offline", tmp_path / "restored")
    assert_private(tmp_path / "restored")
    with Engine.open(tmp_path / "restored", SETTINGS) as eng:
        assert eng.stats().concepts == 21


def test_an_existing_open_data_directory_is_narrowed(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir(mode=0o755)
    os.chmod(store, 0o755)
    with Engine.open(store, SETTINGS) as eng:
        eng.learn_concept("x")
        eng.flush()
    assert_private(store)
