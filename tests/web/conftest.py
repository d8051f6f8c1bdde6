"""Fixtures for the web client's tests: one real built-in stack (`sutra up -d`, the client serving
its static build) and one Chromium (Debian's, driven by Playwright) shared by every browser test;
pages whose console errors fail the test; screenshots saved under test-artifacts/web/."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sutra_stack.apps.client.mode import STATIC_DIR, static_built
from tests.supervisor.helpers import builtin_env, sutra
from tests.support.procs import PYTHON, ROOT, free_port, running

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "web"
WEB = ROOT / "web"
HTTP_ERROR_LOG = "Failed to load resource: the server responded with a status of 4"


@dataclass
class Stack:
    dir: Path
    client_url: str
    api_url: str

    def api(self, token: str = "") -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.api_url, headers=headers, timeout=30)


def ensure_bundle() -> None:
    """The static build the client serves: built from web/ when it is missing (make test builds it first)."""
    if static_built():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(f"no client bundle in {STATIC_DIR} and no npm to build it: run `make web` first")
    if not (WEB / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
    subprocess.run([npm, "run", "build", "-w", "client"], cwd=WEB, check=True)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    ensure_bundle()
    d = tmp_path_factory.mktemp("web-stack")
    _, _, api_port = builtin_env(d)
    client_port = next(int(line.split("=")[1]) for line in (d / ".env").read_text().splitlines()
                       if line.startswith("SUTRA_CLIENT_PORT="))
    with (d / ".env").open("a") as f:
        f.write("SUTRA_STORAGE_FSYNC=off\nSUTRA_HYBRID_RELOAD=none\nSUTRA_API_RELOAD=none\n")
    r = sutra(d, "up", "-d", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    try:
        yield Stack(d, f"http://127.0.0.1:{client_port}", f"http://127.0.0.1:{api_port}")
    finally:
        sutra(d, "down", timeout=60)


@contextlib.contextmanager
def client_process(api_port: int, tmp: Path, **env: str) -> Iterator[str]:
    """`python -m sutra_stack.apps.client` in mode static against the sutra-api on api_port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(url + "/", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    full = {"SUTRA_CLIENT_PORT": str(port), "SUTRA_CLIENT_MODE": "static", "SUTRA_API_PORT": str(api_port),
            "SUTRA_LOG_LEVEL": "WARNING", **env}
    with running([PYTHON, "-m", "sutra_stack.apps.client"], env=full, ready=up, timeout=30,
                 log=tmp / f"client-{port}.log"):
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run and make test do)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


class Page:
    """A browser page whose console errors are collected (a test asserts there are none)."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.console_errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def _console(self, m: Any) -> None:
        # Chromium logs every HTTP error answer; the app shows those itself (a test checks what it shows)
        if m.type == "error" and not m.text.startswith(HTTP_ERROR_LOG):
            self.console_errors.append(m.text)

    def open(self, route: str) -> Any:
        self.page.goto(f"{self.base}/#/{route}")
        return self.page

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def shot_of(self, locator: Any, name: str) -> Path:
        """A screenshot of one part of the page (a panel), under the same folder."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        locator.screenshot(path=str(path))
        return path


@contextlib.contextmanager
def new_page(browser: Any, base: str, *, width: int = 1280, height: int = 900,
             allow_console_errors: bool = False) -> Iterator[Page]:
    ctx = browser.new_context(viewport={"width": width, "height": height})
    ctx.set_default_timeout(15_000)
    try:
        p = Page(ctx.new_page(), base)
        yield p
        if not allow_console_errors:
            assert p.console_errors == [], p.console_errors
    finally:
        ctx.close()


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Page]:
    with new_page(browser, stack.client_url) as p:
        yield p
