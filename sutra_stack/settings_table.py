"""The table of every setting: its TOML key, the `SUTRA_*` variable every process reads, its type,
default, limits and help (the one place; `sutra.toml.example` documents it, a test keeps the two in
step). `config.py` loads values for it; nothing here reads files or the environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sutra_stack.limits import (
    DEFAULT_BUSY_POLL_US,
    DEFAULT_FRAME_TIMEOUT_SECONDS,
    DEFAULT_HTTP_REQUEST_TIMEOUT_SECONDS,
    DEFAULT_IDLE_TIMEOUT_SECONDS,
    DEFAULT_MAX_CONCEPTS,
    DEFAULT_MAX_CONNECTION_AGE_SECONDS,
    DEFAULT_MAX_CONNECTIONS,
    MAX_BUSY_POLL_US,
)


@dataclass(frozen=True, slots=True)
class Setting:
    key: str  # dotted TOML key, e.g. "storage.port"
    env: str  # the variable every process reads, e.g. "SUTRA_STORAGE_PORT"
    type: type
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    secret: bool = False  # never printed or logged
    minimum: float | None = None
    maximum: float | None = None


def _s(key: str, type_: type, default: Any, help: str, **kw: Any) -> Setting:
    env = "SUTRA_" + key.replace(".", "_").upper()
    return Setting(key, kw.pop("env", env), type_, default, help, **kw)


SETTINGS: tuple[Setting, ...] = (
    # storage server
    _s("storage.path", str, "./knowledge", "Data directory of the storage server."),
    _s("storage.backup_dir", str, "", "Directory online backups go into, one 0700 folder per backup name "
       "(empty: <storage.path>-backups, beside the data directory); never the data directory or inside it."),
    _s("storage.host", str, "127.0.0.1", "Address the storage server binds."),
    _s("storage.port", int, 50051, "gRPC port of the storage server.", minimum=0, maximum=65535),
    _s("storage.fast_port", int, 50052, "MessagePack TCP port of the storage server.", minimum=0, maximum=65535),
    _s("storage.server", str, "127.0.0.1:50051", "Where clients reach the storage server (host:port, "
       "tcp://host:port or grpc://host:port); follows storage.host and storage.port unless set."),
    _s("storage.token", str, "", "Token every StorageService call must carry (empty: none).", secret=True),
    _s("storage.metrics_port", int, 0, "Prometheus metrics port of the storage server (0: off).",
       minimum=0, maximum=65535),
    _s("storage.tls_cert", str, "", "TLS certificate (PEM) for both storage doors (empty: plaintext)."),
    _s("storage.tls_key", str, "", "TLS private key (PEM) for both storage doors."),
    _s("storage.tls_ca", str, "", "CA certificate clients use to verify the storage server."),
    _s("storage.busy_poll_us", int, DEFAULT_BUSY_POLL_US, "How long a StorageClient thread polls the fast "
       "door for an answer before it sleeps, in microseconds (0: never poll).", minimum=0, maximum=MAX_BUSY_POLL_US),
    _s("storage.fsync", str, "always", "When WAL writes reach the disk before they are acknowledged.",
       choices=("always", "everysec", "off")),
    _s("storage.wal_segment_bytes", int, 64 * 1024 * 1024, "Size at which the WAL moves to a new segment.",
       minimum=4096),
    _s("storage.snapshot_wal_bytes", int, 256 * 1024 * 1024, "Take a snapshot once the WAL grows past this.",
       minimum=4096),
    _s("storage.snapshot_interval", float, 600.0, "Take a snapshot at least this often, in seconds (0: off).",
       minimum=0),
    _s("storage.recovery_target_seconds", float, 5.0, "Bound on replaying the WAL after a crash, in seconds, "
       "at the replay rate measured on start: snapshots come early enough, and writes wait for a running one "
       "once the WAL holds this much (0: off).", minimum=0),
    _s("storage.max_concepts", int, DEFAULT_MAX_CONCEPTS, "Capacity cap: writes past it are refused.",
       minimum=1),
    _s("storage.read_only", bool, False, "Serve reads only."),
    _s("storage.max_connections", int, DEFAULT_MAX_CONNECTIONS, "Open connections each storage door accepts; "
       "the fast door answers the next one with RESOURCE_EXHAUSTED, gRPC closes it.", minimum=1),
    _s("storage.idle_timeout", float, DEFAULT_IDLE_TIMEOUT_SECONDS, "Seconds a storage connection with no call in "
       "flight stays open (both doors; clients reconnect on their own).", minimum=0.1),
    _s("storage.frame_timeout", float, DEFAULT_FRAME_TIMEOUT_SECONDS, "Seconds a fast-door frame may take to "
       "arrive once its first byte has.", minimum=0.1),
    _s("storage.max_connection_age", float, DEFAULT_MAX_CONNECTION_AGE_SECONDS, "Seconds after which a gRPC "
       "connection is asked to go away (calls in flight get GRPC_AGE_GRACE_SECONDS more).", minimum=1),
    # embeddings
    _s("embedder.kind", str, "hash", "Embedder used when a caller sends no vector.",
       env="SUTRA_EMBEDDER", choices=("hash", "sentence-transformers", "http")),
    _s("embedder.dimension", int, 384, "Vector dimension.", env="SUTRA_EMBEDDING_DIM", minimum=2, maximum=4096),
    _s("embedder.model", str, "", "Model path or name (sentence-transformers, http)."),
    _s("embedder.url", str, "", "Base URL of an OpenAI-compatible /v1/embeddings endpoint (http)."),
    _s("embedder.api_key", str, "", "API key for the http embedder.", secret=True),
    # vector index
    _s("index.m", int, 16, "HNSW M (links per node).", minimum=2, maximum=128),
    _s("index.ef_construction", int, 200, "HNSW ef at build time.", minimum=1, maximum=4096),
    _s("index.ef", int, 64, "HNSW ef at query time (default for searches).", minimum=1, maximum=4096),
    # sutra-api
    _s("api.host", str, "127.0.0.1", "Address sutra-api binds."),
    _s("api.port", int, 8000, "Port of sutra-api.", minimum=0, maximum=65535),
    _s("api.workers", int, 1, "uvicorn workers of sutra-api.", minimum=1, maximum=64),
    _s("api.token", str, "", "Bearer token for sutra-api's mutating routes (empty: none).", secret=True),
    _s("api.request_timeout", float, DEFAULT_HTTP_REQUEST_TIMEOUT_SECONDS, "Seconds an HTTP request's headers "
       "and body may take to arrive; a slower one is answered 408 and closed.", minimum=0.1),
    _s("api.max_connections", int, DEFAULT_MAX_CONNECTIONS, "Open connections each sutra-api worker accepts; "
       "the next one is answered 503.", minimum=1),
    _s("api.reload", str, "restart", "What a change to the code of the sutra_stack package does to sutra-api in "
       "the built-in stack: restart (a new instance takes over on the same socket, no request fails) or none "
       "(nothing is watched).", choices=("restart", "none")),
    # sutra-hybrid (the OpenAI-compatible API)
    _s("hybrid.host", str, "127.0.0.1", "Address sutra-hybrid (the OpenAI-compatible API) binds."),
    _s("hybrid.port", int, 8001, "Port of sutra-hybrid.", minimum=0, maximum=65535),
    _s("hybrid.workers", int, 1, "uvicorn workers of sutra-hybrid.", minimum=1, maximum=64),
    _s("hybrid.token", str, "", "API key sutra-hybrid's clients must send as 'Authorization: Bearer <key>' "
       "(empty: any key is accepted; /sutra/learn then needs api.token when that is set).", secret=True),
    _s("hybrid.reload", str, "restart", "What a change to the code of the sutra_stack package does to "
       "sutra-hybrid in the built-in stack: restart or none.", choices=("restart", "none")),
    _s("hybrid.allowed_hosts", str, "", "More names clients may reach sutra-hybrid by, comma-separated (the Host "
       "header is checked against them, localhost and hybrid.host: DNS rebinding)."),
    _s("hybrid.cors_origins", str, "", "Origins allowed to call sutra-hybrid from a browser, comma-separated "
       "(empty: no CORS headers are sent)."),
    # sutra-client (the web app)
    _s("client.host", str, "127.0.0.1", "Address sutra-client (the web app) binds."),
    _s("client.port", int, 3000, "Port of sutra-client.", minimum=0, maximum=65535),
    _s("client.mode", str, "auto", "How sutra-client runs: dev (Vite's dev server from the web/ workspace, "
       "npm ci first when node_modules is missing or older than the lockfile), static (the build shipped in "
       "the package) or auto (dev where Node.js and web/ are present, else static). Both pass /api/X to "
       "sutra-api's /X.", choices=("auto", "dev", "static")),
    _s("client.allowed_hosts", str, "", "More names people may reach sutra-client by, comma-separated (the "
       "Host header is checked against them, localhost and client.host: DNS rebinding)."),
    # sutra-control (the admin process)
    _s("control.host", str, "127.0.0.1", "Address sutra-control (the admin process: status, stream, actions, logs, "
       "bulk learning) binds."),
    _s("control.port", int, 5000, "Port of sutra-control.", minimum=0, maximum=65535),
    _s("control.token", str, "", "Admin token sutra-control's actions, stream, logs and bulk learning need as "
       "'Authorization: Bearer <token>' (empty: `sutra up` generates one into <state_dir>/control.token, 0600).",
       secret=True),
    _s("control.allowed_hosts", str, "", "More names people may reach sutra-control by, comma-separated (the "
       "Host header is checked against them, localhost and control.host: DNS rebinding)."),
    _s("control.cors_origins", str, "", "Origins allowed to call sutra-control from a browser page of another "
       "origin, comma-separated (empty: no CORS headers, and a write from another Origin is refused)."),
    _s("control.reload", str, "restart", "What a change to the code of the sutra_stack package does to "
       "sutra-control in the built-in stack: restart or none.", choices=("restart", "none")),
    # logging
    _s("log.level", str, "INFO", "Log level of every process.",
       choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
BY_ENV: dict[str, Setting] = {s.env: s for s in SETTINGS}
SETTING_SECTIONS: frozenset[str] = frozenset(s.key.split(".")[0] for s in SETTINGS)
# Top-level tables read by other parts (the supervisor) rather than mapped to variables.
RAW_SECTIONS: frozenset[str] = frozenset({"services", "supervisor"})
