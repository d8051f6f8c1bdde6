"""sutra-client figures, on the real built-in stack (`sutra up -d`, the client in mode static, then dev):

- the production bundle gzipped (goal: 250 KB with the graph library);
- `sutra up -d` until every service is ready (goal: 5 s, npm install excluded), and the whole
  stack's resident memory (supervisor and every descendant);
- navigation to an interactive Ask page on localhost (Debian's Chromium through Playwright);
- pressing Ask until the two-hop graph is drawn, beside the `/ask` time alone (same question, store).

    .venv/bin/python bench/bench_client.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sutra_stack.apps.client.mode import STATIC_DIR
from tests.supervisor.helpers import builtin_env, sutra

FACTS = ["The Amberlight Museum is located in Velmora.", "Velmora is the capital of Ostrelia.",
         "Tarrowby lies in the county of Ashdale."]
QUESTION = "In which country is the Amberlight Museum?"


def bundle_kb() -> tuple[float, float]:
    raw = gz = 0
    for f in (STATIC_DIR / "assets").iterdir():
        data = f.read_bytes()
        raw += len(data)
        gz += len(gzip.compress(data, 9))
    return raw / 1024, gz / 1024


def stack_memory_mb(d: Path) -> dict[str, float]:
    r = json.loads(sutra(d, "status", "--json").stdout)
    rows = r["services"] if isinstance(r, dict) else r
    out: dict[str, float] = {}
    for row in rows:
        p = psutil.Process(int(row["pid"]))
        out[row["name"]] = sum(q.memory_info().rss for q in [p, *p.children(recursive=True)]) / 2**20
    sup = next(p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] and "sutra_stack.supervisor" in
               " ".join(p.info["cmdline"]) and psutil.Process(int(rows[0]["pid"])).ppid() == p.pid)
    out["supervisor"] = sup.memory_info().rss / 2**20
    return out


def run(mode: str, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as t:
        d = Path(t)
        _, _, api_port = builtin_env(d)
        env = (d / ".env").read_text().replace("SUTRA_CLIENT_MODE=static", f"SUTRA_CLIENT_MODE={mode}")
        (d / ".env").write_text(env + "SUTRA_API_RELOAD=none\nSUTRA_HYBRID_RELOAD=none\n")
        port = int(next(x.split("=")[1] for x in env.splitlines() if x.startswith("SUTRA_CLIENT_PORT")))
        t0 = time.perf_counter()
        r = sutra(d, "up", "-d", timeout=300)
        up_s = time.perf_counter() - t0
        if r.returncode != 0:
            raise SystemExit(r.stderr)
        try:
            mem = stack_memory_mb(d)
            print(f"[{mode}] sutra up -d, every service ready: {up_s:.2f} s (goal 5 s)")
            print(f"[{mode}] stack memory (RSS): total {sum(mem.values()):.0f} MB: "
                  + ", ".join(f"{k} {v:.0f}" for k, v in mem.items()))
            api = httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=30)
            api.post("/learn/batch", json={"items": [{"content": f} for f in FACTS]})
            browse(f"http://127.0.0.1:{port}", api, mode, rounds)
        finally:
            sutra(d, "down", timeout=60)


def browse(url: str, api: httpx.Client, mode: str, rounds: int) -> None:
    from playwright.sync_api import sync_playwright

    nav: list[float] = []
    drawn: list[float] = []
    alone: list[float] = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium")
        ctx = b.new_context()
        page = ctx.new_page()
        page.goto(url + "/#/ask")  # warm: the first load fills the HTTP cache like a returning visitor's
        for i in range(rounds + 1):
            page.goto("about:blank")
            t0 = time.perf_counter()
            page.goto(url + "/#/ask")
            page.wait_for_function("() => { const q = document.getElementById('question');"
                                   " return q && document.activeElement === q; }")
            t1 = time.perf_counter()
            page.fill("#question", QUESTION)
            t2 = time.perf_counter()
            page.click("button[type=submit]")
            page.wait_for_function("() => document.querySelectorAll('.react-flow__node').length === 5 && "
                                   "document.querySelectorAll('.react-flow__edge').length === 4")
            t3 = time.perf_counter()
            t4 = time.perf_counter()
            api.post("/ask", json={"question": QUESTION}).raise_for_status()
            t5 = time.perf_counter()
            if i:  # the first round warms the JIT and the caches
                nav.append(t1 - t0)
                drawn.append(t3 - t2)
                alone.append(t5 - t4)
        b.close()
    def ms(xs: list[float]) -> str:
        return f"median {statistics.median(xs) * 1000:.0f} ms, p90 {sorted(xs)[int(len(xs) * 0.9) - 1] * 1000:.0f} ms"

    print(f"[{mode}] navigation to an interactive Ask page: {ms(nav)} ({rounds} rounds)")
    print(f"[{mode}] Ask pressed -> graph drawn: {ms(drawn)}; /ask alone: {ms(alone)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--modes", default="static,dev")
    a = ap.parse_args()
    raw, gz = bundle_kb()
    print(f"production bundle: {raw:.1f} KB, {gz:.1f} KB gzipped (goal 250 KB with the graph library)")
    for mode in a.modes.split(","):
        run(mode, a.rounds)


if __name__ == "__main__":
    main()
