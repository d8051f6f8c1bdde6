"""Dashboard figures, in Debian's Chromium against the real built-in stack (`sutra up -d`):

- the page's bundle, gzipped (what a browser downloads from sutra-control);
- from navigation to live data on localhost: the first service badge on screen, read-only (status
  polled) and with the admin token (the stream's snapshot), over several loads;
- from a service's state change (the supervisor's timestamp of the transition) to its badge changing
  in the browser, over many restarts of hybrid (goal: 100 ms), beside bench_control's stream figure.
  Transitions the page coalesces into one render (stopped -> starting -> running within a frame) are
  counted once, by the state shown.

    .venv/bin/python bench/bench_dashboard.py [--loads 10] [--restarts 10]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sutra_stack.apps.control.pages import STATIC_DIR
from tests.control.support import Control, up

CHROMIUM = "/usr/bin/chromium"
RECORD = """
window.__rec = [];
window.__first = null;
document.addEventListener('DOMContentLoaded', () => {
  new MutationObserver(() => {
    document.querySelectorAll('[data-testid^="state-"]').forEach((b) => {
      if (window.__first === null) window.__first = performance.now();
      const svc = b.dataset.testid.slice(6), st = b.textContent;
      const last = [...window.__rec].reverse().find((r) => r.svc === svc);
      if (!last || last.st !== st) window.__rec.push({svc, st, t: Date.now()});
    });
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
});
"""


def bundle_gzip_kb() -> dict[str, float]:
    out: dict[str, float] = {}
    for p in [STATIC_DIR / "index.html", *sorted((STATIC_DIR / "assets").iterdir())]:
        out[p.name] = len(gzip.compress(p.read_bytes(), 9)) / 1024
    return out


def first_data_ms(browser: Any, c: Control, token: str, loads: int) -> list[float]:
    out: list[float] = []
    for _ in range(loads):
        ctx = browser.new_context()
        if token:
            ctx.add_init_script(f"sessionStorage.setItem('sutra-control-token', {token!r});")
        ctx.add_init_script(RECORD)
        page = ctx.new_page()
        page.goto(c.url + "/")
        page.wait_for_function("() => window.__first !== null")
        if token:
            page.get_by_test_id("live").filter(has_text="live").wait_for()
        out.append(float(page.evaluate("window.__first")))
        ctx.close()
    return out


def badge_latency(browser: Any, c: Control, restarts: int) -> list[float]:
    ctx = browser.new_context()
    ctx.add_init_script(f"sessionStorage.setItem('sutra-control-token', {c.token!r});")
    ctx.add_init_script(RECORD)
    page = ctx.new_page()
    page.goto(c.url + "/")
    page.get_by_test_id("live").filter(has_text="live").wait_for()
    with c.client() as h:
        after = h.get("/api/events").json()["last"]
    for _ in range(restarts):
        t = threading.Thread(target=lambda: c.client().post("/api/services/hybrid/restart"))
        t.start()
        t.join(120)
        page.get_by_test_id("state-hybrid").filter(has_text="ready").wait_for(timeout=60_000)
        page.wait_for_timeout(300)
    rec = [r for r in page.evaluate("window.__rec") if r["svc"] == "hybrid"]
    with c.client() as h:
        events = [e for e in h.get("/api/events", params={"after": after}).json()["events"] if e["service"] == "hybrid"]
    ctx.close()
    out: list[float] = []
    used: set[int] = set()
    for k, e in enumerate(events):  # the first render of that state after the transition, before its next one
        at_ms = e["at"] * 1000
        later = [x["at"] * 1000 for x in events[k + 1:] if x["state"] == e["state"]]
        until = later[0] if later else float("inf")
        for i, r in enumerate(rec):
            if i not in used and r["st"] == e["state"] and at_ms - 5 <= r["t"] < until:
                used.add(i)
                out.append(r["t"] - at_ms)
                break
    return out


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loads", type=int, default=10)
    ap.add_argument("--restarts", type=int, default=10)
    args = ap.parse_args()
    sizes = bundle_gzip_kb()
    print("bundle gzipped (KB):", {k: round(v, 1) for k, v in sizes.items()}, f"total {sum(sizes.values()):.1f} KB")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, up(Path(tmp)) as c, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        for label, token in (("read-only", ""), ("with token", c.token)):
            xs = first_data_ms(browser, c, token, args.loads)
            print(f"navigation -> first live data, {label}: median {statistics.median(xs):.0f} ms, "
                  f"max {max(xs):.0f} ms over {len(xs)} loads")
        lat = badge_latency(browser, c, args.restarts)
        print(f"state change -> badge in the browser: median {statistics.median(lat):.1f} ms, "
              f"p95 {pct(lat, 0.95):.1f} ms, max {max(lat):.1f} ms over {len(lat)} rendered transitions "
              f"({args.restarts} restarts of hybrid)")
        browser.close()


if __name__ == "__main__":
    main()
