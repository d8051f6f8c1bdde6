"""Storage: the engine (graph, vectors, WAL, snapshots), the server (gRPC + msgpack) and StorageClient."""
