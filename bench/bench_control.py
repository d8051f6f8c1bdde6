"""sutra-control figures, on the real built-in stack (`sutra up -d`):

- the control process's resident memory: idle, with 8 streams open, and during a bulk-learning job
  (the seed budgets 256 MB; goal: 80 MB);
- from a service's state change (the supervisor's timestamp of the transition) to its `state` event
  on a stream client, over many restarts (goal: 100 ms);
- bulk learning through `POST /admin/bulk-learn` beside `sutra learn --file` of the same file, each
  into a fresh store of the same stack in the same run (goal: the dashboard at 0.9x or better).

    .venv/bin/python bench/bench_control.py [--lines 20000] [--restarts 20]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.control.support import Control, Stream, up
from tests.supervisor.helpers import sutra


def control_rss_mb(c: Control) -> float:
    assert c.sup is not None
    pid = c.sup.status()["control"]["pid"]
    return float(psutil.Process(pid).memory_info().rss / 2**20)


def worker_rss_mb(c: Control) -> float:
    """The bulk-learning worker's (the control process's children) resident memory."""
    assert c.sup is not None
    pid = c.sup.status()["control"]["pid"]
    return float(sum(k.memory_info().rss for k in psutil.Process(pid).children(recursive=True)) / 2**20)


def facts(path: Path, n: int) -> None:
    path.write_text("".join(f"Benchtown{i} is the capital of Benchland{i}.\n" for i in range(n)), encoding="utf-8")


def state_latency(c: Control, restarts: int) -> list[float]:
    out: list[float] = []
    with Stream(c) as s:
        s.next()
        for _ in range(restarts):
            done = threading.Event()

            def restart(done: threading.Event = done) -> None:
                with c.client() as h:
                    h.post("/api/services/hybrid/restart")
                done.set()

            threading.Thread(target=restart).start()
            while True:
                ev = s.next()
                now = time.time()
                if ev["event"] == "state" and ev["data"]["service"] == "hybrid":
                    out.append((now - ev["data"]["at"]) * 1000)
                    if ev["data"]["state"] == "ready":
                        break
            done.wait(60)
    return out


def learn_cli(c: Control, path: Path) -> float:
    t0 = time.perf_counter()
    r = sutra(c.d, "learn", "--file", str(path), "--json", timeout=3600)
    assert r.returncode == 0, r.stderr
    return time.perf_counter() - t0


def learn_control(c: Control, path: Path, rss: list[float], worker: list[float]) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    with c.client() as h, path.open("rb") as f:
        r = h.post("/admin/bulk-learn", files={"file": (path.name, f)})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    while True:
        job = c.job(job_id)
        rss.append(control_rss_mb(c))
        worker.append(worker_rss_mb(c))
        if job["state"] not in ("queued", "running"):
            break
        time.sleep(0.2)
    assert job["state"] == "done", job
    return time.perf_counter() - t0, job


def fresh_store(c: Control) -> None:
    """Stop storage, remove its data, start it again (the other services reconnect)."""
    assert c.sup is not None
    c.sup.ask("stop", service="storage")
    shutil.rmtree(c.d / "knowledge")
    c.sup.ask("start", service="storage")
    deadline = time.monotonic() + 60
    while c.sup.status()["storage"]["state"] != "ready" or c.sup.status()["api"]["state"] != "ready":
        if time.monotonic() > deadline:
            raise TimeoutError("storage not ready again")
        time.sleep(0.1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=20_000)
    ap.add_argument("--restarts", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t, up(Path(t)) as c:
        time.sleep(3)
        idle = control_rss_mb(c)
        streams = [Stream(c) for _ in range(8)]
        for s in streams:
            s.next()
        time.sleep(3)
        with_streams = control_rss_mb(c)
        for s in streams:
            s.close()
        lat = state_latency(c, args.restarts)
        path = Path(t) / "facts.txt"
        facts(path, args.lines)
        cli_s = learn_cli(c, path)
        fresh_store(c)
        rss: list[float] = []
        worker: list[float] = []
        ctl_s, job = learn_control(c, path, rss, worker)
        print(f"control RSS: idle {idle:.1f} MB, 8 streams {with_streams:.1f} MB, during bulk learning "
              f"max {max(rss):.1f} MB (goal <= 80 MB); its bulk-learning worker max {max(worker):.1f} MB "
              "(gone with the job)")
        lat.sort()
        print(f"state change -> stream event over {len(lat)} events ({args.restarts} restarts): median "
              f"{statistics.median(lat):.1f} ms, p95 {lat[int(len(lat) * 0.95) - 1]:.1f} ms, max {lat[-1]:.1f} ms "
              "(goal <= 100 ms)")
        cli_rate, ctl_rate = args.lines / cli_s, args.lines / ctl_s
        print(f"bulk learning {args.lines} lines: sutra learn --file {cli_s:.1f} s ({cli_rate:.0f} lines/s), "
              f"dashboard upload to done {ctl_s:.1f} s ({ctl_rate:.0f} lines/s, job rate {job['rate']:.0f}): "
              f"{ctl_rate / cli_rate:.2f}x (goal >= 0.9x)")


if __name__ == "__main__":
    main()
