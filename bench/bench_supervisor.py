"""The supervisor's figures, each beside the same work done without it in the same run.

  * child crash → replacement spawned (median, from the supervisor's event log), beside a bare
    fork+exec of the same child (subprocess.Popen); target ≤ 50 ms (supervisord ≈1.0 s, pm2 6–8 ms);
  * crash → replacement ready (http readiness), beside the same app's own cold start to its
    first 200 without the supervisor; target: own start + ≤ 100 ms;
  * `sutra up -d` to every service ready with the real storage server, beside the storage
    server started bare until grpc health says SERVING; target ≤ 3 s;
  * file save → reloaded app serving the new code under requests every 5 ms: failed requests,
    slowest request, save-to-new-code time; beside `uvicorn --reload` on the same app
    (anchor: 0 failed, one ≈380 ms stall); target 0 failed, no request over 100 ms;
  * supervisor RSS with three children and idle CPU over 5 s; target ≤ 40 MB, ≈0 %
    (supervisord ≈25 MB, pm2 ≈59 MB, honcho ≈62 MB); beside a bare asyncio interpreter;
  * a burst of 100K log lines from one child to the file and the console: lines/s, none lost;
    beside the child writing straight to a file.

  * the gRPC readiness probe as the supervisor runs it (hand-written HTTP/2 over h2) beside grpcio's own
    health stub (a channel per probe, and one kept open): CPU and wall time per probe, memory to import.

Usage: python bench/bench_supervisor.py [--crashes 15] [--skip up,probe] [--baseline REV [--rounds 3]]
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import baseline
import httpx
import psutil
from supervisor_kit import CHILDREN, ENV, PY, Sup, child, grpc_serving, hand, http_ok, ms, row  # sets sys.path

from tests.support.procs import free_port, wait_until


def bench_crash(base: Path, crashes: int) -> None:
    port = free_port()
    d = base / "crash"
    d.mkdir()
    (d / "app").mkdir()
    (d / "app" / "version.py").write_text('VERSION = "v1"\n')
    sup = Sup(d, f"""
[services.victim]
command = {child("sleeper.py")}
stable_after = 0.2
[services.web]
command = {child("webapp.py")}
env = {{ APP_DIR = "{d / 'app'}" }}
listen = ["127.0.0.1:{port}"]
readiness = {{ kind = "http", port = {port}, path = "/ready", period = 0.01 }}
stable_after = 0.2
""")
    try:
        spawn: list[float] = []
        ready: list[float] = []
        noticed: list[float] = []
        for name, out in (("victim", spawn), ("web", ready)):
            for _ in range(crashes):
                old = sup.status()[name]["pid"]
                time.sleep(0.3)  # past stable_after: each crash is a first failure, restarted at once
                k = len(sup.events())  # before the kill: the replacement may be ready before the next look
                t = time.time()
                os.kill(old, signal.SIGKILL)

                def replaced(n: str = name, k: int = k) -> bool:
                    return any(text.startswith(f"{n}: running -> ready") for _, text in sup.events()[k:])

                wait_until(replaced, 30, 0.01)
                new = sup.status()[name]["pid"]
                ev = sup.events()
                noticed.append(next(t2 for t2, text in ev if text.startswith(f"{name}: pid {old} exited")) - t)
                if name == "victim":
                    ts = next(t2 for t2, text in ev if text.startswith(f"victim: spawned pid {new}"))
                else:
                    i = next(i for i, (_, text) in enumerate(ev) if text.startswith(f"web: spawned pid {new}"))
                    ts = next(t2 for t2, text in ev[i:] if text.startswith("web: running -> ready"))
                out.append(ts - t)
        restarts = sup.status()["victim"]["restarts"]
    finally:
        sup.close()
    bare: list[float] = []
    bare_pre: list[float] = []
    from sutra_stack import libc

    def pdeathsig() -> None:
        libc.set_parent_death_signal(signal.SIGKILL)

    for _ in range(crashes):
        for out, pre in ((bare, None), (bare_pre, pdeathsig)):
            t = time.time()
            p = subprocess.Popen([PY, str(CHILDREN / "sleeper.py")], stdout=subprocess.DEVNULL, preexec_fn=pre,
                                 start_new_session=True)
            out.append(time.time() - t)
            p.kill()
            p.wait()
    cold = []
    for _ in range(5):
        port2 = free_port()
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port2))
        s.listen(128)
        t = time.time()
        p = subprocess.Popen([PY, str(CHILDREN / "webapp.py")], pass_fds=[s.fileno()], stdout=subprocess.DEVNULL,
                             preexec_fn=hand(s.fileno(), {**ENV, "APP_DIR": str(d / "app")}))
        wait_until(functools.partial(http_ok, port2), 30, 0.005)
        cold.append(time.time() - t)
        p.terminate()
        p.wait()
        s.close()
    print(f"(crash loop: {crashes} SIGKILLs per service, {restarts} restarts counted for victim; "
          f"kill → exit handled median {ms(statistics.median(noticed))})")
    row("crash → replacement spawned, median (max)", f"{ms(statistics.median(spawn))} ({ms(max(spawn))})",
        f"bare Popen of the child: {ms(statistics.median(bare))}; with a preexec_fn setting pdeathsig "
        f"(fork instead of vfork): {ms(statistics.median(bare_pre))}", "≤ 50 ms (supervisord ≈1.0 s, pm2 6–8 ms)")
    baseline.record("crash → replacement spawned, median", statistics.median(spawn) * 1000, "ms",
                    anchor=statistics.median(bare) * 1000, higher_is_better=False)
    med_cold = statistics.median(cold)
    baseline.record("crash → replacement ready (http), median", statistics.median(ready) * 1000, "ms",
                    anchor=med_cold * 1000, higher_is_better=False)
    row("crash → replacement ready (http), median", f"{ms(statistics.median(ready))}",
        f"app's own cold start to first 200: {ms(med_cold)}; overhead {ms(statistics.median(ready) - med_cold)}",
        "own start + ≤ 100 ms")


STORAGE_ONLY = """
[services.storage]
command = ["python", "-m", "sutra_stack.storage.server"]
readiness = { kind = "grpc", port = "${storage.port}", period = 0.05 }
stop_timeout = 60
reload = "none"
"""


def bench_up(base: Path) -> None:
    """`sutra up -d` on storage alone (explicit config), and on the built-in stack: storage + sutra-api."""
    for label, with_api in (("storage server alone", False),
                            ("built-in stack: storage server + sutra-api, api waits for storage healthy", True)):
        d = base / ("up-api" if with_api else "up")
        d.mkdir()
        ports = [free_port(), free_port(), free_port()]
        env = {**ENV, "SUTRA_STORAGE_PORT": str(ports[0]), "SUTRA_STORAGE_FAST_PORT": str(ports[1]),
               "SUTRA_STORAGE_PATH": str(d / "knowledge"), "SUTRA_STORAGE_SERVER": f"127.0.0.1:{ports[0]}",
               "SUTRA_API_PORT": str(ports[2])}
        if not with_api:
            (d / "sutra.toml").write_text(STORAGE_ONLY)
        ups, bares = [], []
        for _ in range(3):
            t = time.time()
            r = subprocess.run([PY, "-m", "sutra_stack", "up", "-d"], cwd=d, env=env, capture_output=True, text=True)
            ups.append(time.time() - t)
            assert r.returncode == 0, r.stderr
            subprocess.run([PY, "-m", "sutra_stack", "down"], cwd=d, env=env, capture_output=True, check=True)
            t = time.time()
            procs = [subprocess.Popen([PY, "-m", "sutra_stack.storage.server"], cwd=d, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
            wait_until(functools.partial(grpc_serving, ports[0]), 60, 0.01)
            if with_api:
                procs.append(subprocess.Popen([PY, "-m", "sutra_stack.apps.api"], cwd=d, env=env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                wait_until(functools.partial(http_ok, ports[2]), 60, 0.01)
            bares.append(time.time() - t)
            for p in reversed(procs):
                p.terminate()
                p.wait(60)
        baseline.record(f"sutra up -d, {'storage + api' if with_api else 'storage'}", statistics.median(ups), "s",
                        anchor=statistics.median(bares), higher_is_better=False)
        row(f"`sutra up -d` → every service ready ({label})", f"median {statistics.median(ups):.2f} s",
            f"the same processes started bare, one after the other, to SERVING / 200: "
            f"{statistics.median(bares):.2f} s", "≤ 3 s")


def _load(url: str, results: list, stop: threading.Event) -> None:
    with httpx.Client(timeout=5.0) as c:
        while not stop.is_set():
            t = time.time()
            try:
                r = c.get(url)
                ok, body = r.status_code == 200, r.text
            except httpx.HTTPError as e:
                ok, body = False, repr(e)
            results.append((t, ok, body, time.time() - t))
            time.sleep(0.005)


def _swap(url: str, save: Callable[[], object], new: str) -> tuple[int, float, float, int]:
    results: list = []
    stop = threading.Event()
    th = threading.Thread(target=_load, args=(url, results, stop), daemon=True)
    th.start()
    time.sleep(1.0)
    n0 = len(results)
    t_save = time.time()
    save()
    wait_until(lambda: bool(results) and results[-1][2].startswith(new), 60, 0.005)
    t_new = next(t for t, ok, body, _ in results[n0:] if ok and body.startswith(new))
    time.sleep(2.0)
    stop.set()
    th.join()
    during = results[n0:]
    return sum(not ok for _, ok, _, _ in during), max(lat for *_, lat in during), t_new - t_save, len(during)


def bench_reload(base: Path) -> None:
    d = base / "reload"
    (d / "app").mkdir(parents=True)
    (d / "app" / "version.py").write_text('VERSION = "v1"\n')
    port = free_port()
    sup = Sup(d, f"""
[supervisor]
reload_debounce = 0.05
[services.web]
command = {child("webapp.py")}
env = {{ APP_DIR = "{d / 'app'}" }}
listen = ["127.0.0.1:{port}"]
readiness = {{ kind = "http", port = {port}, path = "/ready", period = 0.02 }}
watch = ["app"]
""")
    try:
        ours = _swap(f"http://127.0.0.1:{port}/", lambda: (d / "app" / "version.py").write_text('VERSION = "v2"\n'),
                     "v2")
    finally:
        sup.close()
    a = base / "uvicorn"
    a.mkdir()
    app = ('VERSION = "{v}"\n\nasync def app(scope, receive, send):\n    if scope["type"] != "http":\n        return\n'
           '    await send({{"type": "http.response.start", "status": 200, "headers": []}})\n'
           '    await send({{"type": "http.response.body", "body": VERSION.encode()}})\n')
    (a / "app.py").write_text(app.format(v="v1"))
    port = free_port()
    p = subprocess.Popen([PY, "-m", "uvicorn", "app:app", "--reload", "--port", str(port), "--log-level", "warning"],
                         cwd=a, env=ENV, start_new_session=True)
    try:
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/").status_code == 200, 60, 0.005)
        theirs = _swap(f"http://127.0.0.1:{port}/", lambda: (a / "app.py").write_text(app.format(v="v2")), "v2")
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(30)
    baseline.record("reload: slowest request", ours[1] * 1000, "ms", anchor=theirs[1] * 1000, higher_is_better=False)
    baseline.record("reload: failed requests", ours[0], "requests", anchor=theirs[0], higher_is_better=False)
    baseline.record("reload: save → new code served", ours[2], "s", anchor=theirs[2], higher_is_better=False)
    row("file save → new code served, requests every 5 ms",
        f"{ours[0]} failed of {ours[3]}, slowest {ms(ours[1])}, new code after {ours[2]:.2f} s",
        f"uvicorn --reload: {theirs[0]} failed of {theirs[3]}, slowest {ms(theirs[1])}, new code after "
        f"{theirs[2]:.2f} s", "0 failed, none > 100 ms (uvicorn --reload anchor: one ≈380 ms stall)")


def bench_footprint(base: Path) -> None:
    d = base / "footprint"
    d.mkdir()
    (d / "src").mkdir()
    port = free_port()
    sup = Sup(d, f"""
[services.db]
command = {child("health_server.py", str(port), "0")}
readiness = {{ kind = "grpc", port = {port}, period = 0.1 }}
[services.app]
command = {child("sleeper.py")}
depends_on = {{ db = {{ condition = "healthy" }} }}
watch = ["src"]
[services.other]
command = {child("sleeper.py")}
""")
    try:
        p = psutil.Process(sup.proc.pid)
        time.sleep(1.0)
        rss = p.memory_info().rss
        guard = [c for c in p.children() if "guard.py" in " ".join(c.cmdline())]
        c0, t0 = sum(p.cpu_times()[:2]), time.time()
        time.sleep(5.0)
        cpu = (sum(p.cpu_times()[:2]) - c0) / (time.time() - t0) * 100
        grss = guard[0].memory_info().rss if guard else 0
    finally:
        sup.close()
    bare = subprocess.Popen([PY, "-c", "import asyncio; asyncio.run(asyncio.sleep(30))"])
    time.sleep(1.0)
    brss = psutil.Process(bare.pid).memory_info().rss
    bare.kill()
    bare.wait()
    baseline.record("supervisor RSS, 3 children", rss / 1e6, "MB", anchor=brss / 1e6, higher_is_better=False)
    baseline.record("supervisor CPU while idle", cpu, "%", higher_is_better=False)
    row("supervisor RSS, 3 children (grpc-probed, watched, plain) (its guard process)",
        f"{rss / 1e6:.1f} MB (guard {grss / 1e6:.1f} MB)",
        f"bare asyncio interpreter: {brss / 1e6:.1f} MB", "≤ 40 MB (supervisord ≈25, pm2 ≈59, honcho ≈62 MB)")
    row("supervisor CPU while idle (5 s, file watching on)", f"{cpu:.2f} %", "-", "≈ 0 %")


def bench_logs(base: Path, n: int = 100_000) -> None:
    d = base / "logs"
    d.mkdir()
    console = d / "console.out"
    t = time.time()
    sup = Sup(d, f"[supervisor]\nlog_max_bytes = 104857600\n[services.burst]\ncommand = {child('lines.py', str(n))}\n",
              console=console)
    log = d / ".sutra" / "logs" / "burst.log"
    try:
        wait_until(lambda: b"done writing" in log.read_bytes()[-200:], 120, 0.01)
        spawn = next(ts for ts, text in sup.events() if text.startswith("burst: spawned"))
        last = os.stat(log).st_mtime
        elapsed = last - spawn
    finally:
        sup.close()
    in_file = len(re.findall(rb"line \d{8} ", log.read_bytes()))
    on_console = len(re.findall(rb"burst +\| line \d{8} ", console.read_bytes()))
    with open(d / "bare.out", "wb") as out:
        t = time.time()
        p = subprocess.Popen([PY, str(CHILDREN / "lines.py"), str(n)], stdout=out, stderr=subprocess.PIPE)
        assert p.stderr is not None
        p.stderr.readline()
        bare = time.time() - t
        p.kill()
        p.wait()
    baseline.record("log burst, lines/s", n / elapsed, "lines/s", anchor=n / bare)
    row(f"burst of {n // 1000}K log lines from one child → file and console",
        f"{n / elapsed / 1000:.0f}K lines/s ({elapsed:.2f} s incl. child start); file {in_file}, console {on_console}"
        f" of {n}", f"child straight to a file: {n / bare / 1000:.0f}K lines/s ({bare:.2f} s)",
        "≥ 100K lines/s, none lost")


PROBE_N = 300


def bench_probe(base: Path) -> None:
    """The supervisor's gRPC health probe (h2, a connection per probe) beside grpcio's health stub,
    in this process (CPU per probe: process time, which counts grpcio's own threads too)."""
    import asyncio

    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from sutra_stack.supervisor.probes import grpc_health

    port = free_port()
    p = subprocess.Popen([PY, str(CHILDREN / "health_server.py"), str(port), "0"], env=ENV,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: grpc_serving(port), 30, 0.01)

        async def ours() -> None:
            status, detail = await grpc_health("127.0.0.1", port, "", 1.0)
            assert status == 1, detail

        async def fresh_channel() -> None:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as ch:
                r = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                assert r.status == health_pb2.HealthCheckResponse.SERVING

        async def measure() -> dict[str, tuple[float, float]]:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as kept:
                stub = health_pb2_grpc.HealthStub(kept)

                async def kept_channel() -> None:
                    r = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                    assert r.status == health_pb2.HealthCheckResponse.SERVING

                out = {}
                for name, fn in (("h2 (ours)", ours), ("grpcio, channel per probe", fresh_channel),
                                 ("grpcio, one channel kept", kept_channel)):
                    for _ in range(20):
                        await fn()
                    lat = []
                    c0 = time.process_time()
                    for _ in range(PROBE_N):
                        t = time.perf_counter()
                        await fn()
                        lat.append(time.perf_counter() - t)
                    out[name] = ((time.process_time() - c0) / PROBE_N, statistics.median(lat))
                return out

        figures = asyncio.run(measure())
    finally:
        p.terminate()
        p.wait(10)
    mem = {}
    for name, code in (("h2", "import h2.connection"), ("grpcio", "import grpc, grpc.aio; from grpc_health.v1 import "
                                                                   "health_pb2_grpc")):
        out = subprocess.run([PY, "-c", f"import psutil; a = psutil.Process().memory_info().rss; {code}; "
                              "print(psutil.Process().memory_info().rss - a)"], env=ENV, capture_output=True,
                             text=True, check=True)
        mem[name] = int(out.stdout) / 1e6
    ours_cpu, ours_lat = figures["h2 (ours)"]
    baseline.record("gRPC health probe CPU (h2)", ours_cpu * 1e6, "us", higher_is_better=False)
    row("gRPC health probe: CPU, latency (median), import RSS",
        f"h2: {ours_cpu * 1e6:.0f} us CPU, {ms(ours_lat)}, +{mem['h2']:.1f} MB",
        "; ".join(f"{k}: {c * 1e6:.0f} us CPU, {ms(lat)}" for k, (c, lat) in figures.items() if k != "h2 (ours)")
        + f"; grpcio import +{mem['grpcio']:.1f} MB", "keep the cheaper in the supervisor")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--crashes", type=int, default=15)
    ap.add_argument("--skip", default="", help="comma-separated parts to leave out: crash, up, reload, footprint, "
                                                "logs, probe")
    baseline.add_arguments(ap)
    args = ap.parse_args()
    baseline.compare_if_asked(__file__, args)
    skip = set(filter(None, args.skip.split(",")))
    print("| figure | supervisor | same work without it (this run) | target / anchors |")
    print("| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        parts: list[tuple[str, Callable[[], None]]] = [
            ("crash", lambda: bench_crash(base, args.crashes)), ("up", lambda: bench_up(base)),
            ("reload", lambda: bench_reload(base)), ("footprint", lambda: bench_footprint(base)),
            ("logs", lambda: bench_logs(base)), ("probe", lambda: bench_probe(base))]
        for name, part in parts:
            if name not in skip:
                part()


if __name__ == "__main__":
    main()
