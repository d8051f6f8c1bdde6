"""A multipart/form-data upload streamed to a file as it arrives, never held in memory.

`receive_upload(request, dest, limit)` writes the one file part to `dest` and returns it with the
small text fields sent beside it. It refuses, naming the limit: a body past `limit` bytes
(`MAX_BULK_UPLOAD_BYTES`, by its Content-Length before reading, or as it is counted), a body that
is not multipart, no file part or an empty one, and a file with NUL bytes (binary, not text).
A refused upload leaves no file behind.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request

from sutra_stack.errors import InvalidArgument, ResourceExhausted

MAX_FIELD_BYTES = 1024  # a text field beside the file (format, column)
MAX_PART_HEADER_BYTES = 8 * 1024


@dataclass
class Upload:
    filename: str = ""
    size: int = 0
    lines: int = 0
    fields: dict[str, str] = field(default_factory=dict)


def _boundary(content_type: str) -> bytes:
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        raise InvalidArgument("send the file as multipart/form-data (a form with a field 'file')", field="file")
    for p in params.split(";"):
        k, _, v = p.strip().partition("=")
        if k.lower() == "boundary" and v:
            return v.strip('"').encode("latin-1")
    raise InvalidArgument("multipart/form-data without a boundary", field="file")


def _disposition(headers: bytes) -> tuple[str, str | None]:
    name, filename = "", None
    for line in headers.split(b"\r\n"):
        k, _, v = line.partition(b":")
        if k.strip().lower() != b"content-disposition":
            continue
        for p in v.decode("utf-8", "replace").split(";"):
            pk, _, pv = p.strip().partition("=")
            if pk == "name":
                name = pv.strip('"')
            elif pk == "filename":
                filename = pv.strip('"')
    return name, filename


async def receive_upload(request: Request, dest: Path, limit: int) -> Upload:
    """Stream the request's file part into `dest` (0600); see the module docstring for what is refused."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ResourceExhausted(f"the upload is {declared} bytes; the limit is {limit} bytes (MAX_BULK_UPLOAD_BYTES)",
                                field="file")
    delim = b"\r\n--" + _boundary(request.headers.get("content-type", ""))
    up = Upload()
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    buf = b"\r\n"  # the first delimiter has no CRLF before it
    state, part_name, in_file, seen_file = "preamble", "", False, False
    received, binary, last = 0, False, b"\n"
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise ResourceExhausted(f"the upload passed {limit} bytes (MAX_BULK_UPLOAD_BYTES)", field="file")
            buf += chunk
            while True:
                if state in ("preamble", "data"):
                    i = buf.find(delim)
                    keep = len(buf) if i >= 0 else max(0, len(buf) - len(delim))
                    data = buf[:i] if i >= 0 else buf[:keep]
                    if state == "data" and data:
                        if in_file:
                            binary = binary or b"\x00" in data
                            up.lines += data.count(b"\n")
                            up.size += len(data)
                            last = data[-1:]
                            os.write(fd, data)
                        else:
                            cur = up.fields.get(part_name, "") + data.decode("utf-8", "replace")
                            if len(cur) > MAX_FIELD_BYTES:
                                raise InvalidArgument(f"form field {part_name!r} is over {MAX_FIELD_BYTES} bytes",
                                                      field=part_name)
                            up.fields[part_name] = cur
                    if i < 0:
                        buf = buf[keep:]
                        break
                    buf, state = buf[i + len(delim):], "after"
                if state == "after":
                    if len(buf) < 2:
                        break
                    if buf.startswith(b"--"):
                        state, buf = "end", b""
                        break
                    buf, state = buf[2:], "headers"  # CRLF
                if state == "headers":
                    j = buf.find(b"\r\n\r\n")
                    if j < 0:
                        if len(buf) > MAX_PART_HEADER_BYTES:
                            raise InvalidArgument("a multipart part's headers are too long", field="file")
                        break
                    part_name, filename = _disposition(buf[:j])
                    in_file = filename is not None and part_name == "file" and not seen_file
                    if in_file:
                        seen_file, up.filename = True, os.path.basename(filename or "")
                    buf, state = buf[j + 4:], "data"
                if state == "end":
                    break
        if not seen_file:
            raise InvalidArgument("no file in the upload: send it as the form field 'file'", field="file")
        if state != "end":
            raise InvalidArgument("the upload ended before its closing boundary (cut short?)", field="file")
        if up.size == 0:
            raise InvalidArgument("the file is empty", field="file")
        if binary:
            raise InvalidArgument("the file holds NUL bytes: a binary file, not text (txt, jsonl or csv)",
                                  field="file")
        if last != b"\n":
            up.lines += 1
        return up
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            dest.unlink()
        raise
    finally:
        os.close(fd)
