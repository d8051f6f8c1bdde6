"""The storage server process: both doors over one service, the engine's life, signals, logs.

Start-up binds the gRPC door (health NOT_SERVING) and the fast door, logs one line
`listening grpc=HOST:PORT fast=HOST:PORT`, then opens the store; once it is loaded, health
turns SERVING and READY=1 goes to a service manager (`sutra_stack.notify`; until then it asks for
more start time every 0.5 s, EXTEND_TIMEOUT_USEC, as replaying a large log may take minutes). On SIGTERM/SIGINT
the server sends STOPPING=1, stops accepting, lets calls in flight finish, closes the engine
(which takes a snapshot) and exits 0.
"""

from __future__ import annotations

import logging
import signal
import ssl
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sutra_stack import notify
from sutra_stack.config import Settings
from sutra_stack.errors import ConfigError, SutraError
from sutra_stack.storage import backups
from sutra_stack.storage.engine import Engine
from sutra_stack.storage.engine.vectors import fork_is_safe
from sutra_stack.storage.server.door_loop import DoorLimits, DoorLoop
from sutra_stack.storage.server.fast_door import FastDoor
from sutra_stack.storage.server.grpc_door import GrpcDoor
from sutra_stack.storage.server.metrics import Metrics
from sutra_stack.storage.server.service import StorageService

log = logging.getLogger("sutra.storage.server")
# The line that says where the doors are is printed at every log level: port 0 needs it.
listen_log = logging.getLogger("sutra.storage.server.listen")
listen_log.setLevel(logging.INFO)

SHUTDOWN_GRACE = 30.0  # seconds calls in flight get to finish
LOAD_EXTEND_SECONDS = 10.0  # start time-out asked of a service manager, every 0.5 s while the store loads


@dataclass(frozen=True)
class ServeOptions:
    path: str
    host: str
    port: int
    fast_port: int
    token: str
    metrics_port: int
    tls_cert: str
    tls_key: str
    read_only: bool
    log_level: str

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ServeOptions:
        opts = cls(
            path=settings["storage.path"], host=settings["storage.host"], port=settings["storage.port"],
            fast_port=settings["storage.fast_port"], token=settings["storage.token"],
            metrics_port=settings["storage.metrics_port"], tls_cert=settings["storage.tls_cert"],
            tls_key=settings["storage.tls_key"], read_only=settings["storage.read_only"],
            log_level=settings["log.level"],
        )
        return replace(opts, **{k: v for k, v in overrides.items() if v is not None})

    def tls_files(self) -> tuple[bytes, bytes] | None:
        """(certificate PEM, key PEM), or None for plaintext."""
        if not self.tls_cert and not self.tls_key:
            return None
        if not (self.tls_cert and self.tls_key):
            raise ConfigError("TLS needs both storage.tls_cert and storage.tls_key (SUTRA_STORAGE_TLS_CERT/_KEY)")
        out = []
        for key, name in ((self.tls_cert, "storage.tls_cert"), (self.tls_key, "storage.tls_key")):
            try:
                out.append(Path(key).read_bytes())
            except OSError as e:
                raise ConfigError(f"{name}: cannot read {key}: {e.strerror}", field=name) from None
        return out[0], out[1]


def setup_logging(level: str) -> None:
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)


def open_engine(path: str, settings: Settings, read_only: bool) -> Engine:
    """Open (or create) the store at `path` with the engine's settings."""
    return Engine.open(path, {**settings, "storage.read_only": read_only})


class StorageServer:
    """One storage server: call `start()`, then `load()`, then `shutdown()`."""

    def __init__(self, opts: ServeOptions, settings: Settings) -> None:
        self.opts = opts
        self.settings = settings
        self.tls = opts.tls_files()
        self.metrics = Metrics()
        self.service = StorageService(
            token=opts.token, read_only=opts.read_only, embedder=settings["embedder.kind"],
            dimension=settings["embedder.dimension"], tls=self.tls is not None, metrics=self.metrics,
            backup_dir=backups.backup_dir(settings.get("storage.backup_dir", ""), opts.path),
        )
        self.doors = DoorLoop()
        limits = DoorLimits.from_settings(settings)
        self.grpc = GrpcDoor(self.service, self.doors, limits)
        self.fast = FastDoor(self.service, self.doors, limits)
        self.engine: Engine | None = None
        self.grpc_port = 0
        self.fast_port = 0
        self.metrics_port = 0

    def start(self) -> None:
        """Bind both doors (and metrics); calls get UNAVAILABLE until `load()` finishes."""
        o = self.opts
        self.grpc_port = self.grpc.bind(o.host, o.port, self.tls)
        if not self.grpc_port:
            raise ConfigError(f"cannot bind the gRPC port {o.host}:{o.port} (in use?)", field="storage.port")
        ctx = None
        if self.tls is not None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(o.tls_cert, o.tls_key)
        try:
            self.fast_port = self.fast.bind(o.host, o.fast_port, ctx)
        except OSError as e:
            raise ConfigError(f"cannot bind the fast port {o.host}:{o.fast_port}: {e.strerror}",
                              field="storage.fast_port") from None
        self.service.fast_port = self.fast_port
        self.grpc.start()
        if o.metrics_port:
            self.metrics_port = self.metrics.serve(o.host, o.metrics_port)
        extra = f" metrics={o.host}:{self.metrics_port}" if self.metrics_port else ""
        listen_log.info("listening grpc=%s:%d fast=%s:%d%s tls=%s token=%s", o.host, self.grpc_port, o.host,
                 self.fast_port, extra, "on" if self.tls else "off", "required" if o.token else "none")

    def load(self) -> None:
        t0 = time.monotonic()
        log.info("loading store %s", self.opts.path)
        if fork_is_safe():
            log.info("snapshots are written by a forked child")
        else:
            log.warning("snapshots are written in this process, stalling writes while they run: gRPC's fork "
                        "support is on (GRPC_ENABLE_FORK_SUPPORT, read when grpc was imported)")
        self.engine = open_engine(self.opts.path, self.settings, self.opts.read_only)
        self.service.loaded(self.engine)
        self.grpc.set_serving(True)
        st = self.engine.stats()
        log.info("serving: %d concepts, %d associations loaded in %.2fs%s", st.concepts, st.associations,
                 time.monotonic() - t0, " (read-only)" if self.service.read_only else "")

    def shutdown(self, grace: float = SHUTDOWN_GRACE) -> None:
        """Stop accepting, let calls in flight finish, snapshot, close."""
        log.info("stopping: no new calls; waiting for calls in flight")
        self.grpc.set_serving(False)
        self.close_doors(grace)
        if self.engine is not None:
            t0 = time.monotonic()
            self.engine.close()
            log.info("store closed (snapshot taken) in %.2fs", time.monotonic() - t0)
        log.info("stopped")

    def close_doors(self, grace: float) -> None:
        """Refuse new calls on both doors, let those in flight finish and answer, then stop the loop."""
        self.fast.stop_accepting()
        self.grpc.begin_stop(grace)  # refuses new RPCs now, cancels stragglers after `grace`
        self.service.stopping()  # new calls on open fast-door connections get UNAVAILABLE
        if not self.grpc.stop(grace):
            log.warning("gRPC calls still running after %.0fs; closing anyway", grace)
        self.doors.drain_pool()  # fast-door calls in flight finish; their answers are queued on the loop
        self.fast.close_connections()
        self.doors.stop()


def serve(opts: ServeOptions, settings: Settings) -> int:
    """Run a storage server until SIGTERM/SIGINT; returns the exit code."""
    setup_logging(opts.log_level)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("received %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        server = StorageServer(opts, settings)
        server.start()
    except SutraError as e:
        log.error("cannot start: %s", e.message)
        return 2
    failure: list[BaseException] = []
    loading, loaded = threading.Lock(), threading.Event()  # no start-time extension after READY=1

    def load() -> None:
        try:
            server.load()
            with loading:
                loaded.set()
                notify.ready(f"serving grpc={opts.host}:{server.grpc_port} fast={opts.host}:{server.fast_port}")
        except BaseException as e:  # noqa: BLE001 - reported below, the process exits non-zero
            failure.append(e)
            stop.set()

    loader = threading.Thread(target=load, name="load", daemon=True)
    loader.start()
    while True:
        with loading:
            if not loaded.is_set() and loader.is_alive():
                # a large store loads for longer than a service manager's start time-out: it is working
                notify.extend_timeout(LOAD_EXTEND_SECONDS)
        if stop.wait(0.5):
            break
    loader.join()
    if failure:
        err = failure[0]
        msg = err.message if isinstance(err, SutraError) else f"{type(err).__name__}: {err}"
        log.error("cannot open the store at %s: %s", opts.path, msg)
        server.close_doors(0)
        return 3
    notify.stopping()
    server.shutdown()
    return 0
