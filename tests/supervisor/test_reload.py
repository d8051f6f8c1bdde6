"""Hot reload: only the changed service and its dependents restart; zero failed requests; a broken
reload keeps the old instance serving."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.support.procs import free_port, wait_until

from .helpers import child, supervisor, write_config


def stack(tmp_path: Path, port: int, watch: str) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "version.py").write_text('VERSION = "v1"\n')
    write_config(tmp_path, f"""
[supervisor]
reload_debounce = 0.05
[services.store]
command = {child("sleeper.py")}
reload = "none"
watch = ["{watch}"]
[services.web]
command = {child("webapp.py")}
env = {{ APP_DIR = "{app}" }}
listen = ["127.0.0.1:{port}"]
readiness = {{ kind = "http", port = {port}, path = "/ready", period = 0.02 }}
depends_on = {{ store = {{ condition = "started" }} }}
watch = ["{watch}"]
stop_timeout = 5
[services.worker]
command = {child("sleeper.py")}
depends_on = ["web"]
[services.other]
command = {child("sleeper.py")}
""")


class Load:
    """Requests in a loop on one keep-alive connection, like a client of the app would."""

    def __init__(self, port: int, retry_reset: bool = False) -> None:
        self.url = f"http://127.0.0.1:{port}/"
        self.retry_reset = retry_reset  # retry once on a reused connection the server closed
        self.retried = 0
        self.results: list[tuple[float, bool, str, float]] = []
        self.closing: list[str] = []  # answers that asked the client to reconnect (a draining instance)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with httpx.Client(timeout=5.0) as c:
            while not self.stop.is_set():
                t = time.monotonic()
                try:
                    try:
                        r = c.get(self.url)
                    except (httpx.ReadError, httpx.RemoteProtocolError):
                        if not self.retry_reset:
                            raise
                        self.retried += 1
                        r = c.get(self.url)
                    ok, body = r.status_code == 200, r.text
                    if r.headers.get("connection") == "close":
                        self.closing.append(body)
                except httpx.HTTPError as e:
                    ok, body = False, repr(e)
                self.results.append((t, ok, body, time.monotonic() - t))
                time.sleep(0.005)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)

    def last(self) -> str:
        return self.results[-1][2] if self.results else ""


def test_reload_under_load_fails_nothing_and_spares_storage(tmp_path: Path) -> None:
    port = free_port()
    stack(tmp_path, port, "app")
    with supervisor(tmp_path) as sup:
        before = sup.status()
        with Load(port) as load:
            wait_until(lambda: load.last().startswith("v1"), 10, what="v1 answers")
            time.sleep(0.2)
            (tmp_path / "app" / "version.py").write_text('VERSION = "v2"\n')
            wait_until(lambda: load.last().startswith("v2"), 30, what="v2 answers")
            wait_until(lambda: sup.status()["worker"]["pid"] != before["worker"]["pid"]
                       and sup.status()["worker"]["state"] == "ready", 20, what="dependent reloaded")
            time.sleep(0.3)
        after = sup.status()
        failed = [r for r in load.results if not r[1]]
        assert not failed, failed[:5]
        assert len(load.results) > 50
        assert load.last().startswith("v2")
        assert after["web"]["reloads"] == 1 and after["web"]["pid"] != before["web"]["pid"]
        assert after["web"]["state"] == "ready" and after["web"]["restarts"] == 0
        assert after["store"]["pid"] == before["store"]["pid"]  # reload = "none" keeps its state
        assert after["other"]["pid"] == before["other"]["pid"]  # not a dependent
        assert after["worker"]["pid"] != before["worker"]["pid"]  # depends on web
        old_pid = before["web"]["pid"]
        # the old instance drained: it told this keep-alive client to reconnect rather than drop it
        assert load.closing and all(b.endswith(f" {old_pid}") for b in load.closing)
        assert not any(r[2].endswith(f" {old_pid}") for r in load.results[-5:])
        ev = sup.events()
        assert f"stopping pid {old_pid}" in ev and "on the same sockets" in ev


def test_broken_reload_keeps_old_instance_and_excludes_are_ignored(tmp_path: Path) -> None:
    port = free_port()
    stack(tmp_path, port, ".")  # the whole project, including the data dir and .sutra
    with supervisor(tmp_path) as sup:
        pid = sup.status()["web"]["pid"]
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "wal.log").write_text("x")
        (tmp_path / "app" / "__pycache__").mkdir()
        (tmp_path / "app" / "__pycache__" / "version.cpython.pyc").write_text("x")
        (tmp_path / "node_modules").mkdir()
        (tmp_path / "node_modules" / "x.js").write_text("x")
        time.sleep(1.0)
        assert sup.status()["web"]["pid"] == pid and "reloading" not in sup.events()
        with Load(port) as load:
            (tmp_path / "app" / "version.py").write_text('VERSION = (\n')  # import fails
            wait_until(lambda: "reload failed" in sup.events(), 30, what="failed reload")
            row = sup.status()["web"]
            assert row["pid"] == pid and row["state"] == "ready" and "reload failed" in row["last_error"]
            assert "SyntaxError" in sup.log("web")
            time.sleep(0.2)
            assert load.last() == f"v1 {pid}"
            (tmp_path / "app" / "version.py").write_text('VERSION = "v3"\n')
            wait_until(lambda: load.last().startswith("v3"), 30, what="v3 answers")
        assert not [r for r in load.results if not r[1]]
        row = sup.status()["web"]
        assert row["last_error"] == "" and row["reloads"] == 1
