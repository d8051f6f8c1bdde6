"""The storage server: one service layer (`service.py`) behind a gRPC door and a fast MessagePack door.

Importing it changes nothing process-wide: the server's entry point (`command.py`) applies the
process's tuning (`tuning.py`) before grpc is imported.
"""

from sutra_stack.storage.server.tuning import GRPC_EXPERIMENTS

__all__ = ["GRPC_EXPERIMENTS"]
