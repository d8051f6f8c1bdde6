"""MessagePack encoding with one Packer per thread, kept between calls.

`msgpack.packb` makes a Packer per call, and each Packer mallocs a 256 KiB buffer: above
glibc's mmap threshold, so every call cost an mmap and a munmap, and the munmap of a
multi-threaded process interrupts every CPU its threads ran on (TLB shootdown) — tens of
microseconds per call in a VM. Both users (fast-door frames, WAL records) encode through this.
"""

from __future__ import annotations

import threading
from typing import Any

import msgpack

PACKER_KEEP = 1 << 20  # a packer whose buffer grew past this (a big batch) is not kept


class ThreadPacker:
    """`packb(obj)` like `msgpack.packb(obj, **options)`, reusing this thread's Packer."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._local = threading.local()

    def packb(self, obj: Any) -> bytes:
        local = self._local
        packer = getattr(local, "packer", None)
        if packer is None:
            packer = local.packer = msgpack.Packer(**self._options)
        try:
            body = packer.pack(obj)
        except BaseException:
            local.packer = None  # start the next call from a fresh buffer
            raise
        if len(body) > PACKER_KEEP:
            local.packer = None  # let a big batch's buffer go
        return body
