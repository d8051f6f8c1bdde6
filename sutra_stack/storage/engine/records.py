"""WAL record encoding (msgpack): one record per mutation, full content and vectors included.

A record is `[RECORD_VERSION, op, unix_time, body]`:
- "L" learn: [[id16, content, strength, confidence, metadata_json, vector_f32_bytes], ...]
- "A" associate: [[source16, target16, type_code, confidence, weight, predicate, valid_from, valid_to,
  superseded16 or b""], ...] (valid_from 0: the record's time); a version-1 record's items stop
  after weight (their valid_from is the edge's `created`, their valid_to 0, no predicate)
- "D" delete concept: id16
- "X" delete association: [source16, target16, type_code or -1 for every type]
Replaying the records in order rebuilds exactly the state that was acknowledged. Records of
every version in READABLE_VERSIONS are read: a WAL left by the previous release replays.
"""

from __future__ import annotations

from typing import Any

import msgpack

from sutra_stack.errors import DataLoss
from sutra_stack.storage.packing import ThreadPacker

RECORD_VERSION = 2
READABLE_VERSIONS = frozenset((1, 2))

LEARN, ASSOCIATE, DELETE_CONCEPT, DELETE_ASSOCIATION = "L", "A", "D", "X"
OPS = frozenset((LEARN, ASSOCIATE, DELETE_CONCEPT, DELETE_ASSOCIATION))


_packb = ThreadPacker(use_bin_type=True).packb


def encode(op: str, ts: float, body: Any) -> bytes:
    return _packb([RECORD_VERSION, op, ts, body])


def decode(payload: bytes, where: str = "WAL record") -> tuple[str, float, Any]:
    try:
        rec = msgpack.unpackb(payload, raw=False)
    except Exception as e:  # noqa: BLE001 - any decoding failure is corruption
        raise DataLoss(f"{where}: undecodable record ({type(e).__name__})") from None
    if not isinstance(rec, list) or len(rec) != 4:
        raise DataLoss(f"{where}: malformed record")
    version, op, ts, body = rec
    if version not in READABLE_VERSIONS:
        raise DataLoss(f"{where}: unknown record version {version!r} (this build reads "
                       f"{', '.join(map(str, sorted(READABLE_VERSIONS)))})")
    if op not in OPS:
        raise DataLoss(f"{where}: unknown record op {op!r}")
    return op, float(ts), body
