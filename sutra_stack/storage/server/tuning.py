"""Process-wide settings of a storage server process, made in one place: `apply()`.

The server's entry point (`sutra storage serve`, which `python -m sutra_stack.storage.server`
runs) calls `apply()` before anything imports grpc; importing a module of the stack changes
nothing process-wide, so tests, the CLI and sutra-api keep grpc and malloc as they ship.

- `GRPC_ENABLE_FORK_SUPPORT=false`: snapshots fork a child that writes from a copy-on-write
  view of memory; gRPC's fork support (read when grpc is first imported) crashes such children.
  Nothing in the server forks and then uses gRPC in the child.
- `GRPC_EXPERIMENTS=-event_engine_listener`: gRPC core reads its experiments when first
  imported. Its EventEngine listener hands every accepted call from an I/O thread of its own to
  the thread that polls the completion queue; the listener it replaced reads the call in that
  polling thread, one thread wake-up fewer per RPC (≈ 10–20 % of a small unary call on a 2-core
  VM; docs/benchmarks.md). It touches listeners only, not clients in the process.
- malloc serves blocks of `MMAP_THRESHOLD_BYTES` or more from mmap, so that the memory freed
  when one of the engine's growing arrays doubles goes back to the system instead of staying
  resident in glibc's heap.

An operator's own GRPC_* variable wins. When grpc is already imported the two variables would
come too late (and `fork_is_safe` would believe them), so they are left alone and a warning says so.
"""

from __future__ import annotations

import logging
import os
import sys

from sutra_stack import libc

log = logging.getLogger("sutra.storage.server")

GRPC_EXPERIMENTS = "-event_engine_listener"
GRPC_ENABLE_FORK_SUPPORT = "false"
MMAP_THRESHOLD_BYTES = 256 * 1024


def apply() -> None:
    """Set the storage server's process-wide tuning (call first in its entry point; idempotent)."""
    if "grpc" in sys.modules:
        if os.environ.get("GRPC_EXPERIMENTS") is None or os.environ.get("GRPC_ENABLE_FORK_SUPPORT") is None:
            log.warning("grpc was imported before the server's tuning: GRPC_EXPERIMENTS and "
                        "GRPC_ENABLE_FORK_SUPPORT are left as they are (snapshots may not fork)")
    else:
        os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", GRPC_ENABLE_FORK_SUPPORT)
        os.environ.setdefault("GRPC_EXPERIMENTS", GRPC_EXPERIMENTS)
    libc.mallopt(libc.M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
