"""The storage server: one service layer (`service.py`) behind a gRPC door and a fast MessagePack door."""

# The engine must be imported before grpc: it turns off gRPC's fork support, which would crash
# the forked child that writes snapshots without stalling writers (see storage/engine/__init__.py).
import sutra_stack.storage.engine  # noqa: F401
