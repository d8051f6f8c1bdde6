"""A bare fast-door connection for tests: raw frames in, decoded frames out (no StorageClient)."""

from __future__ import annotations

import socket
import struct
from typing import Any

import msgpack

from sutra_stack.storage.client.transport import FrameReader
from sutra_stack.storage.wire import PROTOCOL_VERSION, pack


class RawFast:
    def __init__(self, port: int, *, hello: bool = True, token: str = "") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = FrameReader(self.sock)
        if hello:
            self.send({"hello": {"version": PROTOCOL_VERSION, "token": token}})
            reply = self.recv()
            assert "hello" in reply, reply

    def send(self, obj: Any) -> None:
        self.sock.sendall(pack(obj))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_body(self, body: bytes) -> None:
        self.sock.sendall(struct.pack(">I", len(body)) + body)

    def recv(self) -> Any:
        return self.reader.read()

    def call(self, op: Any, args: Any = None, rid: int = 1) -> Any:
        self.send({"id": rid, "op": op, "args": args})
        return self.recv()

    def closed_by_server(self) -> bool:
        """True when the server has closed the connection (EOF)."""
        self.sock.settimeout(5)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


def packb(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)
