"""Helpers for sutra-control tests: a real built-in stack under the supervisor, an HTTP client with the
admin token, and a reader of the event stream."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sutra_stack.config import load_config
from sutra_stack.supervisor.control import call
from sutra_stack.supervisor.manager import control_path
from sutra_stack.supervisor.spec import load_stack
from tests.supervisor.helpers import builtin_env, env_port, sutra
from tests.support.procs import wait_until


class Sup:
    """The supervisor `sutra up -d` started in d, asked over its control socket."""

    def __init__(self, d: Path) -> None:
        self.sock = control_path(load_stack(load_config(d / "sutra.toml", environ={})))

    def ask(self, cmd: str, **kw: Any) -> dict[str, Any]:
        return call(self.sock, {"cmd": cmd, **kw}, timeout=60)

    def status(self) -> dict[str, dict[str, Any]]:
        return {r["name"]: r for r in self.ask("status")["services"]}


@dataclass
class Control:
    d: Path
    sup: Sup | None
    port: int
    token: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, token: str | None = "") -> httpx.Client:
        """A client sending the admin token (`token=None`: none, a string: that one)."""
        given = self.token if token == "" else token
        headers = {"authorization": f"Bearer {given}"} if given else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def job(self, job_id: str) -> dict[str, Any]:
        with self.client() as c:
            r = c.get(f"/admin/bulk-learn/{job_id}")
            assert r.status_code == 200, r.text
            out: dict[str, Any] = r.json()
            return out

    def wait_job(self, job_id: str, *states: str, timeout: float = 300) -> dict[str, Any]:
        last: dict[str, Any] = {}

        def check() -> bool:
            nonlocal last
            last = self.job(job_id)
            return last["state"] in states

        wait_until(check, timeout, 0.2, what=f"job {job_id} in {states} (last {last})")
        return last


@contextlib.contextmanager
def up(d: Path, toml: str = "") -> Iterator[Control]:
    """The built-in stack (the file `sutra init` writes, `toml` added at its end) on free ports under
    `sutra up -d` in d; `sutra down` afterwards."""
    builtin_env(d)
    assert sutra(d, "init").returncode == 0
    if toml:
        (d / "sutra.toml").write_text((d / "sutra.toml").read_text() + "\n" + toml)
    r = sutra(d, "up", "-d", timeout=240)
    try:
        assert r.returncode == 0, r.stderr + r.stdout
        token = (d / ".sutra" / "control.token").read_text().strip()
        yield Control(d, Sup(d), env_port(d, "SUTRA_CONTROL_PORT"), token)
    finally:
        sutra(d, "down", timeout=240)


class Stream:
    """An open `/api/stream`: `next()` gives the events one by one as {"id", "event", "data"}."""

    def __init__(self, control: Control, last_id: int | None = None, logs: str = "") -> None:
        headers = {"authorization": f"Bearer {control.token}"}
        if last_id is not None:
            headers["last-event-id"] = str(last_id)
        self.client = httpx.Client(base_url=control.url, timeout=httpx.Timeout(30, read=30))
        self.cm = self.client.stream("GET", "/api/stream", headers=headers, params={"logs": logs} if logs else None)
        self.response = self.cm.__enter__()
        assert self.response.status_code == 200, self.response.read()
        self.lines: Iterator[str] = self.response.iter_lines()

    def next(self) -> dict[str, Any]:
        ev: dict[str, Any] = {}
        for line in self.lines:
            if not line:
                if "event" in ev:
                    return ev
                continue
            if line.startswith(":"):
                continue
            key, _, value = line.partition(": ")
            if key == "id":
                ev["id"] = int(value)
            elif key == "event":
                ev["event"] = value
            elif key == "data":
                ev["data"] = json.loads(value)
        raise EOFError("the stream ended")

    def until(self, check: Any, limit: int = 10_000) -> list[dict[str, Any]]:
        """Events up to and including the first that `check` accepts."""
        seen = []
        for _ in range(limit):
            ev = self.next()
            seen.append(ev)
            if check(ev):
                return seen
        raise AssertionError(f"no such event in {limit}")

    def close(self) -> None:
        self.cm.__exit__(None, None, None)
        self.client.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
