"""Tests of the storage server: real server processes, both doors, StorageClient."""
