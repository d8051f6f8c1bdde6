"""The storage service over an in-process, in-memory engine (as an embedding program runs it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sutra_stack.errors import FailedPrecondition
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.server.service import StorageService


def test_backup_of_an_in_memory_store_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    service = StorageService(backup_dir=backups)
    engine = Engine.in_memory()
    try:
        service.loaded(engine)
        cid = engine.learn_concept("kept in memory")
        with pytest.raises(FailedPrecondition, match="in-memory store has nothing to back up"):
            service.call(service.lookup("backup"), {"path": "first"}, "fast")
        assert not backups.exists()  # nothing made on the way
        assert service.call(service.lookup("query_concept"), {"concept_id": cid}, "fast") is not None
    finally:
        engine.close()
