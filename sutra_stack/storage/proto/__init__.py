"""The gRPC contract of the storage server (`storage.proto`), its generated modules, and proto ↔ wire mapping."""
