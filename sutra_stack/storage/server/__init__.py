"""The storage server: one service layer (`service.py`) behind a gRPC door and a fast MessagePack door."""
