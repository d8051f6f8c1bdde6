"""The one service layer behind both doors of the storage server.

It owns what is not the engine's job: the token, the serving state (loading → serving →
stopping), read-only refusal, the arguments each operation accepts (`ops.OPS`: unknown and
missing fields, batch items; the engine checks every value), the mapping of unexpected
failures to INTERNAL, and per-operation metrics (their summary rides in the stats answer). The
gRPC and fast doors only translate their wire format to `call(op, args)` and back, so both
behave the same.
"""

from __future__ import annotations

import enum
import hmac
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sutra_stack import __version__ as SERVER_VERSION
from sutra_stack.errors import (
    FailedPrecondition,
    Internal,
    NotFound,
    SutraError,
    Unauthenticated,
    Unavailable,
    shown,
)
from sutra_stack.storage import backups
from sutra_stack.storage.server.metrics import Metrics
from sutra_stack.storage.server.ops import OPS, Op
from sutra_stack.storage.wire import PROTOCOL_VERSION

if TYPE_CHECKING:
    from sutra_stack.storage.engine import Engine

log = logging.getLogger("sutra.storage.server")


SHUTTING_DOWN = "the storage server is shutting down; retry against its replacement"


class ServingState(enum.Enum):
    LOADING = "loading"
    SERVING = "serving"
    STOPPING = "stopping"


class UnknownOperation(SutraError):
    code = "UNIMPLEMENTED"


class StorageService:
    """Dispatches one operation, by name, to the engine once it is loaded."""

    # The open store, set by `loaded`. Until then there is none and every operation that needs it
    # is refused (state LOADING), so the operations use it without a check per call.
    engine: Engine

    def __init__(
        self,
        *,
        token: str = "",
        read_only: bool = False,
        embedder: str = "",
        dimension: int = 0,
        tls: bool = False,
        metrics: Metrics | None = None,
        backup_dir: Path | None = None,
    ) -> None:
        self._token = token.encode()
        self.read_only = read_only
        self.tls = tls
        self.backup_dir = backup_dir  # where Backup writes, one folder per name; None: no online backups
        self.fast_port = 0
        self.state = ServingState.LOADING
        self.metrics = metrics or Metrics()
        self._info = {"embedder": embedder, "dimension": dimension, "format_version": 0}
        self._run = {name: getattr(self, "_op_" + name) for name in OPS}  # resolved once, not per call
        self._writable_listeners: list[Callable[[bool], None]] = []

    # --- lifecycle -------------------------------------------------------------------------
    def loaded(self, engine: Engine) -> None:
        """The store is open: start serving it."""
        self.engine = engine
        try:
            st = engine.stats()
            self._info = {"embedder": st.embedder, "dimension": st.dimension, "format_version": st.format_version}
            self.read_only = self.read_only or bool(st.read_only)
        except Exception:  # info is best effort; serving does not depend on it
            log.exception("could not read store stats after loading")
        self.state = ServingState.SERVING
        self.metrics.bind_engine(engine)
        engine.on_writable_change(self._writable_changed)

    # --- writability (the store may turn read-only after a disk failure, and be resumed) ----
    def on_writable_change(self, listener: Callable[[bool], None]) -> None:
        """Call `listener(writable)` when the store turns read-only after a disk failure or resumes writing."""
        self._writable_listeners.append(listener)

    def _writable_changed(self, writable: bool) -> None:
        for listener in list(self._writable_listeners):
            try:
                listener(writable)
            except Exception:  # a listener must not break the write that noticed
                log.exception("a writability listener failed")

    @property
    def store_read_only(self) -> bool:
        """Configured read-only, or the store's WAL turned read-only after a disk failure."""
        engine: Engine | None = getattr(self, "engine", None)  # none until loaded
        return self.read_only or (engine is not None and not engine.writable)

    @property
    def writable(self) -> bool:
        """Serving and accepting writes (what the gRPC health name for writes reports)."""
        return self.state is ServingState.SERVING and not self.store_read_only

    def stopping(self) -> None:
        """Refuse new calls (UNAVAILABLE); calls already running finish (each door waits for its own)."""
        self.state = ServingState.STOPPING

    # --- checks ----------------------------------------------------------------------------
    @property
    def needs_token(self) -> bool:
        return bool(self._token)

    def authenticate(self, token: str | bytes | None) -> None:
        """Raise Unauthenticated unless `token` is the server's token (or none is set)."""
        if not self._token:
            return
        if not token:
            raise Unauthenticated("this storage server requires a token: set SUTRA_STORAGE_TOKEN for the client")
        given = token.encode() if isinstance(token, str) else token
        if not hmac.compare_digest(given, self._token):
            raise Unauthenticated("wrong storage token: the client's SUTRA_STORAGE_TOKEN differs from the server's")

    def lookup(self, name: Any) -> Op:
        op = OPS.get(name) if isinstance(name, str) else None
        if op is None:
            raise UnknownOperation(f"unknown operation {shown(name)}; known: {', '.join(OPS)}", field="op")
        return op

    def _admit(self, op: Op) -> None:
        state = self.state
        if state is not ServingState.SERVING and op.needs_engine:
            if state is ServingState.LOADING:
                raise Unavailable("the storage server is still loading its data; retry in a moment")
            raise Unavailable(SHUTTING_DOWN)
        if op.write and self.read_only:
            raise FailedPrecondition(
                f"{op.name} refused: the storage server is read-only (storage.read_only / SUTRA_STORAGE_READ_ONLY)"
            )

    # --- the call --------------------------------------------------------------------------
    def call(self, op: Op, args: Any, door: str) -> Any:
        """Run one operation with wire-level `args`; raises the SutraError family only."""
        t0 = time.perf_counter()
        code = "OK"
        try:
            if self.state is not ServingState.SERVING or (op.write and self.read_only):
                self._admit(op)  # raises (the common case, serving and allowed, skips the call)
            kwargs = op.args(args)
            return self._run[op.name](**kwargs)
        except SutraError as e:
            code = e.code
            raise
        except Exception as e:  # anything else is a bug: say so, keep serving
            code = "INTERNAL"
            log.exception("operation %s failed", op.name)
            raise Internal(f"{op.name} failed inside the storage server: {type(e).__name__}: {e}") from None
        finally:
            self.metrics.observe(op.name, door, code, time.perf_counter() - t0)

    # --- operations that are the service's own ----------------------------------------------
    def _op_server_info(self) -> dict[str, Any]:
        return {
            "server_version": SERVER_VERSION,
            "protocol_version": PROTOCOL_VERSION,
            "fast_port": self.fast_port,
            **self._info,
            "read_only": self.store_read_only,
            "tls": self.tls,
            "state": self.state.value,
        }

    def _op_health(self) -> dict[str, Any]:
        serving = self.state is ServingState.SERVING
        concepts = 0
        if serving:
            try:
                concepts = int(self.engine.stats().concepts)
            except Exception:  # a health probe must answer
                log.exception("stats failed during a health check")
        return {
            "status": "SERVING" if serving else "NOT_SERVING",
            "state": self.state.value,
            "read_only": self.store_read_only,
            "concepts": concepts,
        }

    def _op_resume_writes(self) -> dict[str, Any]:
        return dict(self.engine.resume_writes())  # refuses a store configured read-only

    def _op_backup(self, path: Any) -> dict[str, Any]:
        """`path` is a name (the wire field keeps its old name): the backup goes to `<backup_dir>/<path>`."""
        if self.backup_dir is None:
            raise FailedPrecondition("this storage server takes no online backups (it has no storage.backup_dir)")
        backups.check_name(path, self.backup_dir)
        if self.read_only:
            raise FailedPrecondition(backups.READ_ONLY, field="storage.read_only")
        if self.engine.path is None:
            raise FailedPrecondition("an in-memory store has nothing to back up")
        dest = backups.new_backup_folder(self.backup_dir, self.engine.path, path)
        try:
            self.engine.backup(dest)
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)  # no half-written backup is left to be mistaken for one
            raise
        log.info("online backup written to %s", dest)
        return {"path": str(dest)}

    # --- operations the engine implements --------------------------------------------------
    def _op_learn_concept(self, **kw: Any) -> str:
        return self.engine.learn_concept(kw.pop("content"), **kw)

    def _op_learn_batch(self, items: list[Any]) -> list[str]:
        return self.engine.learn_batch(items)

    def _op_learn_association(self, **kw: Any) -> None:
        self.engine.learn_association(**kw)

    def _op_learn_associations(self, items: list[Any]) -> int:
        return self.engine.learn_associations(items)

    def _op_query_concept(self, concept_id: str) -> Any:
        concept = self.engine.query_concept(concept_id)
        if concept is None:
            raise NotFound(f"concept {concept_id} not found", field="concept_id")
        return concept

    def _op_query_concepts(self, concept_ids: list[str]) -> list[Any]:
        return self.engine.query_concepts(concept_ids)

    def _op_get_neighbors(self, concept_id: str, **kw: Any) -> list[Any]:
        return self.engine.get_neighbors(concept_id, **kw)

    def _op_find_paths(self, starts: list[str], targets: list[str], **kw: Any) -> list[Any]:
        return self.engine.find_paths(starts, targets, **kw)

    def _op_vector_search(self, **kw: Any) -> list[Any]:
        return self.engine.vector_search(**kw)

    def _op_text_search(self, query: str, k: int) -> list[Any]:
        return self.engine.text_search(query, k)

    # --- composites: several engine reads in one round trip (what a question needs) --------
    def _op_search_candidates(self, text: str, k: int) -> dict[str, list[Any]]:
        return {"vector_hits": self.engine.vector_search(text=text, k=k),
                "text_hits": self.engine.text_search(text, k)}

    def _op_find_paths_with_concepts(self, starts: list[str], targets: list[str], **kw: Any) -> dict[str, list[Any]]:
        paths = self.engine.find_paths(starts, targets, **kw)
        ids = sorted({i for p in paths for i in p.concepts})
        concepts = [c for c in self.engine.query_concepts(ids) if c is not None] if ids else []
        return {"paths": paths, "concepts": concepts}

    def _op_delete_concept(self, concept_id: str) -> bool:
        return bool(self.engine.delete_concept(concept_id))

    def _op_delete_association(self, source: str, target: str, type: str | None) -> bool:
        return bool(self.engine.delete_association(source, target, type))

    def _op_stats(self) -> Any:
        st = self.engine.stats()
        st.calls, st.call_seconds_le, st.call_seconds_buckets = self.metrics.summary()  # what the server served
        return st

    def _op_flush(self) -> None:
        self.engine.flush()
