"""StorageClient: the KnowledgeStore over the network, for every app and the CLI.

`StorageClient("localhost:50051")` asks the gRPC door for `ServerInfo` once, learns the fast
port and then speaks the fast protocol; `tcp://host:port` goes straight to the fast door,
`grpc://host:port` stays on gRPC. Connections are made on first use and made again after the
server restarts (a fast port that stopped answering is asked for again). Safe to share
between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

from sutra_stack.errors import InvalidArgument, NotFound, Reason, Unavailable
from sutra_stack.limits import MAX_BUSY_POLL_US
from sutra_stack.storage.client import codec
from sutra_stack.storage.client.codec import DEFAULT_TIMEOUT, parse_address
from sutra_stack.storage.client.transport import FastTransport, GrpcTransport, tls_context
from sutra_stack.storage.frames import fast_port
from sutra_stack.storage.model import (
    AssociationInput,
    Concept,
    ConceptInput,
    GraphPath,
    Neighbor,
    SearchHit,
    StoreStats,
)


class ClientBase:
    """What both clients hold: the resolved address, credentials and TLS context, and the gRPC transport."""

    def __init__(self, address: str | None = None, *, token: str | None = None, tls_ca: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        address, token, tls_ca = resolve(address, token, tls_ca)
        self.address = address
        self.scheme, self.host, self.port = parse_address(address)
        self._token, self._tls_ca, self._timeout = token, tls_ca, timeout
        self._tls = tls_context(tls_ca)
        self._grpc: GrpcTransport | None = None

    def _new_grpc(self) -> GrpcTransport:
        """A gRPC transport to this client's server, with its credentials."""
        return GrpcTransport(self.host, self.port, token=self._token, tls_ca=self._tls_ca, timeout=self._timeout)


def resolve(address: str | None, token: str | None, tls_ca: str | None) -> tuple[str, str | None, str | None]:
    """Fill what the caller left out from the SUTRA_STORAGE_* settings."""
    if address is None or token is None or tls_ca is None:
        from sutra_stack.config import settings_from_env

        s = settings_from_env()
        address = s["storage.server"] if address is None else address
        token = (s["storage.token"] or None) if token is None else token
        tls_ca = (s["storage.tls_ca"] or None) if tls_ca is None else tls_ca
    return address, token or None, tls_ca or None


def busy_poll_seconds(busy_poll_us: int | None) -> float:
    """The polling budget in seconds: the setting when None; refused outside 0..MAX_BUSY_POLL_US."""
    if busy_poll_us is None:
        from sutra_stack.config import settings_from_env

        busy_poll_us = settings_from_env()["storage.busy_poll_us"]
    if type(busy_poll_us) is not int or not 0 <= busy_poll_us <= MAX_BUSY_POLL_US:
        raise InvalidArgument(f"busy_poll_us must be a whole number of microseconds from 0 to "
                              f"MAX_BUSY_POLL_US={MAX_BUSY_POLL_US}, got {busy_poll_us!r:.20}", field="busy_poll_us")
    return busy_poll_us / 1e6


class StorageClient(ClientBase):
    """A KnowledgeStore served by a storage server (plus backup, health, server_info).

    `busy_poll_us`: how long a thread polls the fast door for an answer before it sleeps
    (default: setting `storage.busy_poll_us`; 0: never poll; see `transport.py`).
    """

    def __init__(self, address: str | None = None, *, token: str | None = None, tls_ca: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, busy_poll_us: int | None = None) -> None:
        super().__init__(address, token=token, tls_ca=tls_ca, timeout=timeout)
        self._busy_poll = busy_poll_seconds(busy_poll_us)
        self._fast: FastTransport | None = None
        self._lock = threading.Lock()
        self._connect_lock = threading.Lock()
        self._closed = False

    # --- routing ---------------------------------------------------------------------------
    def _grpc_transport(self) -> GrpcTransport:
        if self._grpc is None:
            with self._lock:
                if self._grpc is None:
                    self._grpc = self._new_grpc()
        return self._grpc

    def _discover(self) -> FastTransport:
        # A channel of its own, closed at once: an idle gRPC channel keeps threads busy in this process.
        grpc_t = self._new_grpc()
        try:
            port = fast_port(grpc_t.call("server_info", None), grpc_t.address)
        finally:
            grpc_t.close()
        return FastTransport(self.host, port, token=self._token, tls=self._tls,
                             timeout=self._timeout, busy_poll=self._busy_poll)

    def _fast_transport(self) -> FastTransport:
        fast = self._fast
        if fast is not None:
            return fast
        with self._connect_lock:  # one discovery at a time; the others use its result
            if self._fast is None:
                if self._closed:
                    raise Unavailable("this StorageClient is closed")
                self._fast = FastTransport(self.host, self.port, token=self._token, tls=self._tls,
                                           timeout=self._timeout, busy_poll=self._busy_poll,
                                           ) if self.scheme == "tcp" else self._discover()
            return self._fast

    def _call(self, op: str, args: dict[str, Any] | None = None) -> Any:
        if self.scheme == "grpc":
            return self._grpc_transport().call(op, args)
        fast = self._fast_transport()
        try:
            return fast.call(op, args)
        except Unavailable as e:
            if self.scheme != "auto" or e.reason is not Reason.UNREACHABLE:
                raise
        # The fast port stopped answering: the server may have restarted on another port.
        with self._lock:
            if self._fast is fast:
                self._fast = None
        fast.close()
        return self._fast_transport().call(op, args)

    # --- KnowledgeStore --------------------------------------------------------------------
    def learn_concept(self, content: str, *, concept_id: str | None = None, embedding: Sequence[float] | None = None,
                      strength: float = 1.0, confidence: float = 1.0, metadata: dict[str, Any] | None = None) -> str:
        return self._call("learn_concept",
                          codec.concept_args(content, concept_id, embedding, strength, confidence, metadata))

    def learn_batch(self, items: Sequence[ConceptInput]) -> list[str]:
        return self._call("learn_batch", codec.batch_args(items, codec.concept_item))

    def learn_stream(self, batches: Iterable[Sequence[ConceptInput]]) -> list[str]:
        """Bulk load over gRPC's client stream: one message per batch, ids in input order."""
        return self._grpc_transport().learn_stream(codec.stream_items(b) for b in batches)

    def learn_association(self, source: str, target: str, type: str = "semantic", confidence: float = 1.0,
                          weight: float = 1.0, predicate: str = "", valid_from: float = 0.0, valid_to: float = 0.0,
                          superseded_by: str = "") -> None:
        self._call("learn_association", codec.association_item(AssociationInput(
            source, target, type, confidence, weight, predicate, valid_from, valid_to, superseded_by)))

    def learn_associations(self, items: Sequence[AssociationInput]) -> int:
        return int(self._call("learn_associations", codec.batch_args(items, codec.association_item)))

    def query_concept(self, concept_id: str) -> Concept | None:
        try:
            return codec.concept(self._call("query_concept", {"concept_id": concept_id}))
        except NotFound:
            return None

    def query_concepts(self, concept_ids: Sequence[str]) -> list[Concept | None]:
        return codec.concepts(self._call("query_concepts", {"concept_ids": list(concept_ids)}))

    def delete_concept(self, concept_id: str) -> bool:
        return bool(self._call("delete_concept", {"concept_id": concept_id}))

    def delete_association(self, source: str, target: str, type: str | None = None) -> bool:
        return bool(self._call("delete_association", codec.delete_association_args(source, target, type)))

    def get_neighbors(self, concept_id: str, *, types: Sequence[str] | None = None, min_confidence: float = 0.0,
                      direction: str = "both", limit: int = 1000, valid_at: float | None = None) -> list[Neighbor]:
        return codec.neighbors(self._call("get_neighbors", codec.neighbors_args(
            concept_id, types, min_confidence, direction, limit, valid_at)))

    def find_paths(self, starts: Sequence[str], targets: Sequence[str], *, max_depth: int = 4, k: int = 3,
                   min_confidence: float = 0.0, types: Sequence[str] | None = None,
                   valid_at: float | None = None) -> list[GraphPath]:
        return codec.paths(self._call("find_paths",
                                      codec.paths_args(starts, targets, max_depth, k, min_confidence, types, valid_at)))

    def vector_search(self, *, vector: Sequence[float] | None = None, text: str | None = None, k: int = 10,
                      ef: int | None = None) -> list[SearchHit]:
        return codec.hits(self._call("vector_search", codec.search_args(vector, text, k, ef)))

    def text_search(self, query: str, k: int = 10) -> list[SearchHit]:
        return codec.hits(self._call("text_search", {"query": query, "k": k}))

    # --- composites: what one question needs, in fewer round trips -------------------------
    def search_candidates(self, text: str, k: int = 10) -> tuple[list[SearchHit], list[SearchHit]]:
        """(vector_search(text=text, k=k), text_search(text, k)) in one round trip."""
        return codec.candidates(self._call("search_candidates", {"text": text, "k": k}))

    def find_paths_with_concepts(self, starts: Sequence[str], targets: Sequence[str], *, max_depth: int = 4,
                                 k: int = 3, min_confidence: float = 0.0, types: Sequence[str] | None = None,
                                 valid_at: float | None = None) -> tuple[list[GraphPath], list[Concept]]:
        """find_paths, and the concepts on the paths found (each once, by id), in one round trip."""
        return codec.paths_with_concepts(self._call("find_paths_with_concepts", codec.paths_args(
            starts, targets, max_depth, k, min_confidence, types, valid_at)))

    def stats(self) -> StoreStats:
        return codec.stats(self._call("stats"))

    def flush(self) -> None:
        self._call("flush")

    # --- the server's own ------------------------------------------------------------------
    def backup(self, path: str) -> str:
        """An online, consistent copy of the store into a new folder named `path` (a name such as "nightly-1",
        not a path) under the server's storage.backup_dir; returns the folder's path on the server's machine."""
        return str(self._call("backup", {"path": str(path)})["path"])

    def resume_writes(self) -> dict[str, Any]:
        """Return a store that turned read-only after a disk failure to writing (an admin call: it
        needs the storage token when one is set). {"resumed", "read_only", "message"}; raises
        FailedPrecondition when the store is configured read-only or the resume fails (the OS error)."""
        return dict(self._call("resume_writes"))

    def health(self) -> dict[str, Any]:
        """{"status": "SERVING" | "NOT_SERVING", "state", "read_only", "concepts"}."""
        return dict(self._call("health"))

    def server_info(self) -> dict[str, Any]:
        return dict(self._call("server_info"))

    def close(self) -> None:
        self._closed = True
        with self._lock:
            fast, grpc_t, self._fast, self._grpc = self._fast, self._grpc, None, None
        if fast is not None:
            fast.close()
        if grpc_t is not None:
            grpc_t.close()

    def __enter__(self) -> StorageClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"StorageClient({self.address!r})"
