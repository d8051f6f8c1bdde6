"""`sutra up / down / status / logs / restart / start / stop / init`: the supervisor's commands.

Thin: each command loads the config, then runs the supervisor (`up`) or talks to the
running one over its control socket. `status` and `logs` also work with no supervisor.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console as RichConsole
from rich.markup import escape
from rich.table import Table

from sutra_stack.cli import app
from sutra_stack.config import CONFIG_FILENAME, LoadedConfig, load_config
from sutra_stack.errors import SutraError, Unavailable
from sutra_stack.supervisor.control import call, token_path
from sutra_stack.supervisor.logs import Console, read_history
from sutra_stack.supervisor.manager import AlreadyRunning, Manager, control_path, log_dir, run_dir
from sutra_stack.supervisor.spec import StackSpec, builtin_stack_text, load_stack

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="sutra.toml to use (default: ./sutra.toml).")]
err = RichConsole(stderr=True)


def _fail(e: SutraError | str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code)


def _load(config: Path | None) -> tuple[LoadedConfig, StackSpec]:
    try:
        loaded = load_config(config)
        return loaded, load_stack(loaded)
    except SutraError as e:
        raise _fail(e) from None


def _running(stack: StackSpec) -> bool:
    try:
        call(control_path(stack), {"cmd": "status"}, timeout=5)
        return True
    except Unavailable:
        return False


@app.command()
def up(
    services: Annotated[list[str] | None, typer.Argument(help="Services to start (with their dependencies).")] = None,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Run in the background; return once ready.")] = False,
    config: ConfigOpt = None,
    timeout: Annotated[float, typer.Option(help="With -d: seconds to wait for every service to be ready.")] = 120.0,
) -> None:
    """Start the stack (or the given services) under the supervisor."""
    loaded, stack = _load(config)
    names = list(services or [])
    try:
        order = stack.order(names)
    except SutraError as e:
        raise _fail(e) from None
    if detach:
        _up_detached(stack, names, order, config, timeout)
        return
    console = Console(width=max(8, *(len(n) for n in order), 5))
    mgr = Manager(loaded, stack, console)
    try:
        asyncio.run(mgr.run(names))
    except AlreadyRunning as e:
        raise _fail(e) from None
    except SutraError as e:
        raise _fail(e) from None


def _up_detached(stack: StackSpec, names: list[str], order: list[str], config: Path | None, timeout: float) -> None:
    if _running(stack):
        raise _fail(f"a supervisor is already running for {stack.root}: use `sutra status` or `sutra down`")
    run_dir(stack).mkdir(parents=True, exist_ok=True, mode=0o700)
    out_path = run_dir(stack) / "supervisor.out"
    argv = [sys.executable, "-m", "sutra_stack.supervisor", *names]
    if config is not None:
        argv += ["--config", str(config.resolve())]
    with open(out_path, "ab") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=os.getcwd())
    deadline = time.monotonic() + timeout
    rows: list[dict] = []
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = out_path.read_text(errors="replace")[-2000:]
            raise _fail(f"the supervisor exited with {proc.returncode}:\n{tail}")
        try:
            rows = call(control_path(stack), {"cmd": "status"}, timeout=5)["services"]
        except Unavailable:
            time.sleep(0.02)
            continue
        except SutraError as e:
            raise _fail(e) from None
        wanted = [r for r in rows if r["name"] in order]
        if all(r["state"] in ("ready", "exited") for r in wanted) and wanted:
            for r in wanted:
                if r["state"] == "ready" and r.get("ports"):
                    typer.echo(f"{r['name']}: ready at {', '.join(r['ports'])}")
            typer.echo(f"supervisor pid {proc.pid}: {', '.join(r['name'] for r in wanted)} ready")
            return
        if failed := [r for r in wanted if r.get("start_failure")]:
            _stop_supervisor(stack, proc)
            raise _fail("; ".join(f"{r['name']} {r['start_failure']}" for r in failed)
                        + " (the stack is stopped: fix that, then `sutra up -d` again; `sutra logs` has the rest)")
        if bad := [r for r in wanted if r["state"] == "fatal"]:
            raise _fail("not ready: " + "; ".join(f"{r['name']} is fatal: {r['last_error']}" for r in bad)
                        + f" (supervisor pid {proc.pid} still running: see `sutra logs`, then `sutra down`)")
        time.sleep(0.02)
    waiting = [f"{r['name']} ({r['state']}{': ' + r['health'] if r['health'] else ''})"
               for r in rows if r["name"] in order and r["state"] != "ready"]
    raise _fail(f"not ready after {timeout:g}s: {', '.join(waiting) or 'no answer from the supervisor'} "
                f"(supervisor pid {proc.pid} still running: see `sutra logs`, `sutra down`)")


def _stop_supervisor(stack: StackSpec, proc: subprocess.Popen[bytes]) -> None:
    """`down` to the supervisor `up -d` started, and wait until it is gone."""
    try:
        call(control_path(stack), {"cmd": "down"}, timeout=30)
    except SutraError:
        proc.terminate()
    try:
        proc.wait(600)
    except subprocess.TimeoutExpired:
        proc.kill()


def _ctl(config: Path | None, req: dict) -> dict:
    _, stack = _load(config)
    try:
        return call(control_path(stack), req)
    except SutraError as e:
        raise _fail(e) from None


@app.command()
def down(config: ConfigOpt = None) -> None:
    """Stop every service (reverse dependency order) and the supervisor."""
    _, stack = _load(config)
    try:
        call(control_path(stack), {"cmd": "down"})
    except Unavailable:
        typer.echo("no supervisor is running here")
        return
    except SutraError as e:
        raise _fail(e) from None
    lock = control_path(stack)
    deadline = time.monotonic() + 600
    while lock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    typer.echo("stopped")


def _fmt_bytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n else "-"


def _fmt_secs(s: float | None) -> str:
    if s is None:
        return "-"
    s = int(s)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def _mark_read_only(stack: StackSpec, rows: list[dict[str, Any]]) -> None:
    """`read_only` on each row: True when a running gRPC service (the storage server) answers that it
    serves reads but refuses writes (its writable health name is NOT_SERVING), else False."""
    targets = {}
    for r in rows:
        r["read_only"] = False
        spec = stack.services.get(r["name"])
        probes = (spec.readiness, spec.liveness) if spec is not None else ()
        grpc_probe = next((p for p in probes if p is not None and p.kind == "grpc"), None)
        if grpc_probe is not None and r.get("pid"):
            targets[r["name"]] = grpc_probe
    if not targets:
        return
    from sutra_stack.storage.proto.convert import WRITABLE_HEALTH_NAME
    from sutra_stack.supervisor.probes import grpc_serving

    async def ask() -> list[bool | None]:
        return await asyncio.gather(*(grpc_serving(p.host, p.port, WRITABLE_HEALTH_NAME, p.timeout)
                                      for p in targets.values()))

    for name, writable in zip(targets, asyncio.run(ask()), strict=True):
        next(r for r in rows if r["name"] == name)["read_only"] = writable is False


STATUS_FATAL = 1  # `sutra status` exit code: a service is fatal
STATUS_NOT_RUNNING = 3  # no supervisor runs here (as `systemctl status` of an inactive unit)


@app.command()
def status(config: ConfigOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One row per service: state (READ-ONLY when a store refuses writes), pid, uptime, restarts, health,
    ports, CPU, memory, last exit. Exits 0 when no service is fatal, 1 when one is, 3 when no supervisor runs."""
    loaded, stack = _load(config)
    try:
        out = call(control_path(stack), {"cmd": "status"}, timeout=10)
        rows, running = out["services"], True
    except Unavailable:
        running = False
        rows = [{"name": n, "state": "stopped", "pid": None, "restarts": 0, "uptime": None, "health": "",
                 "ports": [], "cpu_percent": 0.0, "memory_bytes": 0, "last_exit": None, "last_error": ""}
                for n in stack.services]
    except SutraError as e:
        raise _fail(e) from None
    _mark_read_only(stack, rows)
    code = STATUS_NOT_RUNNING if not running else STATUS_FATAL if any(r["state"] == "fatal" for r in rows) else 0
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        raise typer.Exit(code)
    if not running:
        typer.echo("the supervisor is not running here (start it with `sutra up`)")
    else:
        typer.echo(f"supervisor pid {out['supervisor']['pid']}, up {_fmt_secs(out['supervisor']['uptime'])}")
        _say_admin_token(loaded, stack)
    t = Table(box=None)
    for col in ("SERVICE", "STATE", "PID", "UPTIME", "RESTARTS", "HEALTH", "PORTS", "CPU", "MEMORY", "EXIT"):
        t.add_column(col)
    for r in rows:
        state = f"{r['state']} READ-ONLY" if r["read_only"] else r["state"]
        health = "-" if r["state"] == "stopped" else (r["last_error"] or r["health"] or "-")
        t.add_row(r["name"], state, str(r["pid"] or "-"), _fmt_secs(r["uptime"]), str(r["restarts"]),
                  health[:60], ",".join(r["ports"]) or "-",
                  f"{r['cpu_percent']:.0f}%" if r["pid"] else "-", _fmt_bytes(r["memory_bytes"]),
                  "-" if r["last_exit"] is None else str(r["last_exit"]))
    RichConsole(width=220).print(t)
    raise typer.Exit(code)


def _say_admin_token(loaded: LoadedConfig, stack: StackSpec) -> None:
    """Where sutra-control's admin token is: the generated file (never the token itself), or the setting."""
    if "control" not in stack.services:
        return
    if loaded.settings["control.token"]:
        typer.echo("sutra-control admin token: control.token (SUTRA_CONTROL_TOKEN)")
        return
    path = token_path(stack.supervisor.state_dir)
    if path.exists():
        shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
        typer.echo(f"sutra-control admin token: `cat {shown}` (send it as 'Authorization: Bearer <token>')")


def _since(text: str | None) -> float | None:
    if not text:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text[-1] in units and text[:-1].replace(".", "", 1).isdigit():
        return time.time() - float(text[:-1]) * units[text[-1]]
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(f"--since must be a duration like 10m / 2h or an ISO time, got {text!r}") from None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


@app.command()
def logs(
    services: Annotated[list[str] | None, typer.Argument(help="Services (default: all, plus 'sutra').")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    n: Annotated[int | None, typer.Option("-n", "--lines", help="Last N lines of each service.")] = None,
    since: Annotated[str | None, typer.Option(help="Only lines after this (10m, 2h, or an ISO time).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Print the services' logs from .sutra/logs/ (works with or without a running supervisor)."""
    _, stack = _load(config)
    names = list(services or [*stack.services, "sutra"])
    for s in names:
        if s not in stack.services and s != "sutra":
            raise _fail(f"no service {s!r} (services: {', '.join(stack.services)})")
    ld = log_dir(stack)
    if n is not None and n < 0:
        raise _fail("-n must be ≥ 0")
    width = max(len(x) for x in names)
    colour = Console(colour=sys.stdout.isatty(), width=width)
    entries, tails = [], {}
    for s in names:
        lines, tails[s] = read_history(ld, s, n, _since(since))
        entries += [(ts, s, text) for ts, text in lines]
    entries.sort(key=lambda e: e[0])
    for ts, s, text in entries:
        colour.write_lines(s, [f"{ts} {text}".encode()])
    if not follow:
        return
    try:
        while True:
            for s, tail in tails.items():
                colour.write_lines(s, tail.new_lines())
            time.sleep(0.2)
    except KeyboardInterrupt:
        return


def _service_cmd(cmd: str, service: str, config: Path | None) -> None:
    _ctl(config, {"cmd": cmd, "service": service})
    typer.echo(f"{service}: {cmd} done")


@app.command()
def restart(service: str, config: ConfigOpt = None) -> None:
    """Restart one service of the running stack."""
    _service_cmd("restart", service, config)


@app.command()
def start(service: str, config: ConfigOpt = None) -> None:
    """Start one service (and its dependencies) in the running stack."""
    _service_cmd("start", service, config)


@app.command()
def stop(service: str, config: ConfigOpt = None) -> None:
    """Stop one service of the running stack."""
    _service_cmd("stop", service, config)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the config.")] = Path(CONFIG_FILENAME),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write the built-in stack config as a commented sutra.toml to edit."""
    if path.exists() and not force:
        raise _fail(f"{path} already exists (use --force to overwrite)")
    path.write_text(builtin_stack_text(), encoding="utf-8")
    typer.echo(f"wrote {path}: edit it, then run `sutra up`")
