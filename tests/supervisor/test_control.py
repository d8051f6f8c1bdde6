"""The control socket's protocol version: a supervisor and a sutra command of different releases say
to restart `sutra up` instead of failing obscurely; `down` works across versions."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

from sutra_stack.supervisor.control import PROTOCOL_VERSION

from .helpers import child, supervisor, sutra, write_config


def raw(path: Path, req: dict[str, object]) -> dict[str, object]:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(30)
        s.connect(str(path))
        s.sendall(json.dumps(req).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    out: dict[str, object] = json.loads(buf)
    return out


def test_a_client_of_another_version_is_told_to_restart(tmp_path: Path) -> None:
    write_config(tmp_path, f"""
[services.one]
command = {child("sleeper.py")}
""")
    with supervisor(tmp_path) as sup:
        reqs: list[dict[str, object]] = [{"cmd": "status"},
                                         {"v": PROTOCOL_VERSION + 1, "cmd": "stop", "service": "one"}]
        for req in reqs:
            out = raw(sup.sock, req)
            assert out["ok"] is False and out["v"] == PROTOCOL_VERSION
            err = out["error"]
            assert isinstance(err, dict) and err["code"] == "FAILED_PRECONDITION"
            assert "control protocol" in err["message"] and "Restart `sutra up`" in err["message"]
        assert sup.status()["one"]["state"] == "ready"  # the refused stop changed nothing
        assert raw(sup.sock, {"v": PROTOCOL_VERSION, "cmd": "status"})["ok"] is True


class OldSupervisor:
    """A control socket that answers as a supervisor of the unversioned protocol did."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(str(path))
        self.server.listen()
        self.got: list[dict[str, object]] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                c, _ = self.server.accept()
            except OSError:
                return
            with c:
                self.got.append(json.loads(c.makefile().readline()))
                c.sendall(json.dumps({"ok": True, "supervisor": {"pid": 1, "uptime": 1, "config": "x"},
                                      "services": []}).encode() + b"\n")
            if self.got[-1].get("cmd") == "down":
                self.path.unlink()  # as a supervisor does on its way out

    def close(self) -> None:
        self.server.close()


def test_the_cli_facing_an_older_supervisor_says_to_restart_and_down_still_works(tmp_path: Path) -> None:
    write_config(tmp_path, f"""
[services.one]
command = {child("sleeper.py")}
""")
    old = OldSupervisor(tmp_path / ".sutra" / "run" / "control.sock")
    try:
        r = sutra(tmp_path, "status")
        assert r.returncode != 0
        assert "control protocol 1" in r.stderr and "Restart `sutra up`" in r.stderr, r.stderr
        r = sutra(tmp_path, "stop", "one")
        assert r.returncode != 0 and "Restart `sutra up`" in r.stderr
        assert [g["cmd"] for g in old.got] == ["status", "stop"]
        r = sutra(tmp_path, "down", timeout=10)  # the way out of a mismatch works whatever the version
        assert old.got[-1]["cmd"] == "down"
    finally:
        old.close()
