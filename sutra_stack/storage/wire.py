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
from collections.abc import Callable
from typing import Any

import msgpack
import numpy as np

from sutra_stack.errors import InvalidArgument, ResourceExhausted, SutraError
from sutra_stack.limits import MAX_MESSAGE_BYTES, MAX_METADATA_DEPTH
from sutra_stack.storage.model import CODECS, Concept, GraphPath, Hop, Neighbor, SearchHit, compile_function
from sutra_stack.storage.packing import ThreadPacker

PROTOCOL_VERSION = 1
CLOSED_IDLE = "idle"  # the "closed" field of the frame that closes an idle connection
HEADER = struct.Struct(">I")
HEADER_SIZE = HEADER.size
F32LE = np.dtype("<f4")  # made once: a dtype given as a string is parsed on every call


def _encode_other(obj: Any) -> Any:
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    if hasattr(obj, "tolist"):  # numpy scalars and other arrays
        return obj.tolist()
    raise TypeError(f"cannot encode {type(obj).__name__} on the fast door")


def _compile_encode_default() -> Any:
    """`encode_default`, compiled from the model: a float32 vector first (what clients send most), then
    each record's map of its fields inline (`model.codec(cls).wire`'s source), the records servers send
    most first; nested records come back through the hook."""
    hot = (SearchHit, Concept, Neighbor, Hop, GraphPath)  # search hits, concepts, neighbors, paths
    env: dict[str, Any] = {"ndarray": np.ndarray, "float32": np.float32, "F32LE": F32LE, "other": _encode_other}
    lines = ["if isinstance(o, ndarray) and o.ndim == 1 and o.dtype == float32:",
             "    return o.astype(F32LE, copy=False).tobytes()  # bytes of little-endian float32",
             "t = type(o)"]
    for i, cls in enumerate((*hot, *(c for c in CODECS if c not in hot))):
        env[f"record_{i}"] = cls
        lines.append(f"if t is record_{i}: return {CODECS[cls].wire_source}")
    return compile_function("encode_default(o)", [*lines, "return other(o)"], env)


encode_default: Callable[[Any], Any] = _compile_encode_default()
"""msgpack `default` hook: a model record as the map of its fields, a float32 vector as bytes."""


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
