"""What the dashboard's browser tests share: its build made when missing, the admin token of a
stack, unlocking the page, the badges recorded as they change, figures read off the page, and each
panel saved as a screenshot."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import httpx
import pytest

from sutra_stack.apps.control.pages import STATIC_DIR
from tests.web.conftest import WEB, Page, Stack

# Every text a service's badge shows, recorded by the page itself as it changes (no polling can miss one).
RECORD_BADGES = """() => {
  window.__badges = [];
  const seen = () => document.querySelectorAll('[data-testid^="state-"]').forEach(
    (b) => window.__badges.push(b.dataset.testid.slice(6) + ':' + b.textContent));
  new MutationObserver(seen).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def ensure_dashboard() -> None:
    """The dashboard's build in the package: made from web/ when it is missing (make test builds it first)."""
    if (STATIC_DIR / "index.html").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(f"no dashboard build in {STATIC_DIR} and no npm to make it: run `make web` first")
    if not (WEB / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
    subprocess.run([npm, "run", "build", "-w", "dashboard"], cwd=WEB, check=True)


def admin_token(stack: Stack) -> str:
    return next(stack.dir.rglob("control.token")).read_text().strip()


def unlock(p: Page, token: str) -> Any:
    page = p.page
    page.goto(p.base + "/")
    page.get_by_role("textbox", name="Token").fill(token)
    page.get_by_role("button", name="Unlock").click()
    page.get_by_test_id("live").filter(has_text="live").wait_for()
    return page


PANELS = ("Services", "Storage", "API traffic", "Bulk learning", "Logs")


def shoot_panels(p: Page, *names: str, suffix: str = "") -> None:
    """Each named panel (its heading's text) on its own: test-artifacts/web/dashboard-panel-NAME[-SUFFIX].png."""
    for name in names:
        section = p.page.locator("section.panel").filter(has=p.page.get_by_role("heading", name=name, exact=True))
        p.shot_of(section, "dashboard-panel-" + name.lower().replace(" ", "-") + (f"-{suffix}" if suffix else ""))


def pid_of(control: str, name: str) -> int:
    rows = httpx.get(control + "/api/status").json()["services"]
    return int(next(r for r in rows if r["name"] == name)["pid"])


def count_of(page: Any, testid: str) -> int:
    return int(page.get_by_test_id(testid).inner_text().replace(",", "") or 0)


def no_sideways_scroll(page: Any, selector: str) -> bool:
    return bool(page.evaluate("(s) => { const e = s ? document.querySelector(s) : document.documentElement;"
                              " return e.scrollWidth <= e.clientWidth; }", selector))
