"""The fast door's wire format, shared by the server and StorageClient.

A frame is a 4-byte big-endian length followed by that many bytes of MessagePack. The length
is checked against `MAX_MESSAGE_BYTES` before anything is decoded. Splitting a byte stream into
frames and the hello are `storage/frames.py`'s, the one protocol core of the server and both clients.

Conversation on one TCP connection:
  client → {"hello": {"version": PROTOCOL_VERSION, "token": "..."}}
  server → {"hello": {"version": ..., "server_version": ...}}   or {"error": {...}} and close
  client → {"id": 7, "op": "query_concept", "args": {"concept_id": "…"}}   (any number, pipelined)
  server → {"id": 7, "result": …}   or {"id": 7, "error": {"code": "NOT_FOUND", "message": "…"}}
  server → {"error": {...}} (no id) and close: the connection is over. With `"closed": "idle"`
           the server closed a connection that had nothing in flight (`idle_timeout` seconds,
           given in the hello answer) and read no request sent after that: send it again.
Before the hello succeeds a frame may be at most `MAX_HELLO_FRAME_BYTES` long.
Vectors (`vector`, `embedding`) travel as a list of numbers or as bytes of little-endian float32
(what StorageClient sends: no per-number encoding). Responses carry the request's id and may
come back in any order. Results are the records of `storage.model` as maps of their fields
(`encode_default`, through the encoders derived from the model).
"""

from __future__ import annotations

import struct
from typing import Any

import msgpack
import numpy as np

from sutra_stack.errors import InvalidArgument, ResourceExhausted, SutraError
from sutra_stack.limits import MAX_MESSAGE_BYTES, MAX_METADATA_DEPTH
from sutra_stack.storage.model import CODECS
from sutra_stack.storage.packing import ThreadPacker

PROTOCOL_VERSION = 1
CLOSED_IDLE = "idle"  # the "closed" field of the frame that closes an idle connection
HEADER = struct.Struct(">I")
HEADER_SIZE = HEADER.size
F32LE = np.dtype("<f4")  # made once: a dtype given as a string is parsed on every call
_RECORD_MAPS = {cls: c.wire for cls, c in CODECS.items()}  # derived from the model's fields at import


def encode_default(obj: Any) -> Any:
    """msgpack `default` hook: a model record as the map of its fields (`model.codec(cls).wire`; its
    nested records come back through here), a float32 vector as bytes."""
    to_map = _RECORD_MAPS.get(type(obj))
    if to_map is not None:  # what the server sends most: concepts, search hits, neighbors, paths
        return to_map(obj)
    if isinstance(obj, np.ndarray) and obj.ndim == 1 and obj.dtype == np.float32:  # what clients send most
        return obj.astype(F32LE, copy=False).tobytes()  # a vector: bytes of little-endian float32
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    if hasattr(obj, "tolist"):  # numpy scalars and other arrays
        return obj.tolist()
    raise TypeError(f"cannot encode {type(obj).__name__} on the fast door")


_packb = ThreadPacker(default=encode_default, use_bin_type=True).packb


def pack(obj: Any) -> bytes:
    """One frame: header + MessagePack body."""
    body = _packb(obj)
    return HEADER.pack(len(body)) + body


def pack_request(obj: Any) -> bytes:
    """A frame a client is about to send, refused here when the server would refuse it."""
    body = _packb(obj)
    check_length(len(body))
    return HEADER.pack(len(body)) + body


def unpack(body: bytes | memoryview) -> Any:
    """Decode one frame body; InvalidArgument when it is not MessagePack."""
    try:
        return msgpack.unpackb(body, raw=False, strict_map_key=False)
    except (msgpack.exceptions.StackError, RecursionError):  # MessagePack's own bound (1,024 levels)
        raise InvalidArgument(f"malformed frame: nested too deep to decode; metadata may nest at most "
                              f"MAX_METADATA_DEPTH = {MAX_METADATA_DEPTH} levels", field="frame") from None
    except Exception as e:  # noqa: BLE001 - msgpack raises several unrelated types
        raise InvalidArgument(f"malformed frame: not MessagePack ({type(e).__name__})", field="frame") from None


def check_length(n: int, limit: int = MAX_MESSAGE_BYTES) -> int:
    if n > limit:
        raise ResourceExhausted(
            f"frame of {n} bytes exceeds MAX_MESSAGE_BYTES={limit}; send smaller batches", field="frame"
        )
    return n


def error_body(err: SutraError, request_id: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"error": err.to_dict()}
    if request_id is not None:
        out["id"] = request_id
    return out


def raise_error(error: dict[str, Any]) -> None:
    """Turn an `{"code", "message"}` error map from the wire back into the exception family."""
    raise SutraError.from_code(str(error.get("code", "INTERNAL")), str(error.get("message", "")),
                               error.get("field"))
