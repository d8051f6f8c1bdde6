"""The storage server: one service layer (`service.py`) behind a gRPC door and a fast MessagePack door."""

import os
import sys

GRPC_EXPERIMENTS = "-event_engine_listener"

if "grpc" not in sys.modules:
    # gRPC core reads its experiments when first imported. Its EventEngine listener hands every
    # accepted call from an I/O thread of its own to the thread that polls the completion queue;
    # the listener it replaced reads the call in that polling thread, one thread wake-up fewer per
    # RPC (≈ 10–20 % of a small unary call on a 2-core VM; docs/benchmarks.md). The operator's own
    # GRPC_EXPERIMENTS wins. It touches the listener only, not clients in this process.
    os.environ.setdefault("GRPC_EXPERIMENTS", GRPC_EXPERIMENTS)

# The engine must be imported before grpc: it turns off gRPC's fork support, which would crash
# the forked child that writes snapshots without stalling writers (see storage/engine/__init__.py).
import sutra_stack.storage.engine  # noqa: E402, F401
