"""Tests of the storage engine, its durability, and the storage server."""
