"""Service specs: the `[services]` and `[supervisor]` tables parsed and checked before anything starts.

`load_stack(loaded)` turns the raw tables of a `LoadedConfig` (or, when the config has no
`[services]`, the built-in `templates/stack.toml`) into a `StackSpec`. Every mistake raises
`ConfigError` naming the file and the key: unknown key (with a "did you mean"), wrong type,
missing command, unknown dependency, dependency cycle (printed), port clash.

Strings in a service table may name a setting as `${storage.port}`; it is replaced by the
resolved setting, so probes and commands follow the same values the children get.
"""

from __future__ import annotations

import re
import signal
import sys
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sutra_stack.config import BY_KEY, LoadedConfig, did_you_mean
from sutra_stack.errors import ConfigError
from sutra_stack.limits import (
    DEFAULT_LOG_BACKUPS,
    DEFAULT_LOG_MAX_BYTES,
    MAX_LISTEN_SOCKETS,
    MAX_SERVICES,
)
from sutra_stack.supervisor.tables import PROBE_KEYS, SERVICE_KEYS, SUPERVISOR_KEYS, Reader

CONDITIONS = ("started", "healthy", "completed")
RESTART_POLICIES = ("no", "on-failure", "always")
RELOAD_MODES = ("restart", "none")
PROBE_KINDS = ("grpc", "http", "tcp", "exec")
# Always ignored by file watching, beside each service's own `watch_exclude`.
DEFAULT_WATCH_EXCLUDES = (".venv", "__pycache__", ".git", "node_modules", ".sutra", ".pytest_cache", ".ruff_cache")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_SETTING_REF = re.compile(r"\$\{([a-z_]+\.[a-z_]+)\}")


@dataclass(frozen=True)
class ProbeSpec:
    kind: str
    host: str = "127.0.0.1"
    port: int = 0
    path: str = "/"
    service: str = ""  # grpc.health.v1 service name ("" = the whole server)
    command: tuple[str, ...] = ()
    period: float = 0.5
    timeout: float = 1.0
    failure_threshold: int = 3
    initial_delay: float = 0.0


@dataclass(frozen=True)
class Dependency:
    name: str
    condition: str = "started"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    command: tuple[str, ...]  # argv; a shell command string becomes ("/bin/sh", "-c", text)
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    env_files: tuple[Path, ...] = ()
    depends_on: tuple[Dependency, ...] = ()
    readiness: ProbeSpec | None = None
    liveness: ProbeSpec | None = None
    restart: str = "on-failure"
    backoff: float = 0.1  # first delay after a restart that came too soon; doubles each time
    backoff_max: float = 10.0
    stable_after: float = 10.0  # uptime after which the failure count resets
    max_restarts: int = 10  # consecutive failed restarts before `fatal`
    ready_timeout: float = 60.0
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 10.0
    watch: tuple[Path, ...] = ()
    watch_exclude: tuple[str, ...] = ()
    reload: str = "restart"
    listen: tuple[tuple[str, int], ...] = ()
    enabled: bool = True


@dataclass(frozen=True)
class SupervisorSpec:
    log_max_bytes: int = DEFAULT_LOG_MAX_BYTES
    log_backups: int = DEFAULT_LOG_BACKUPS
    reload_debounce: float = 0.1  # seconds of quiet after a change before reloading
    state_dir: Path = Path(".sutra")


@dataclass(frozen=True)
class StackSpec:
    services: dict[str, ServiceSpec]  # in dependency order (dependencies first)
    supervisor: SupervisorSpec
    where: str
    root: Path

    def order(self, names: list[str] | None = None) -> list[str]:
        """The given services plus everything they depend on, dependencies first."""
        if not names:
            return [n for n, s in self.services.items() if s.enabled]
        want: set[str] = set()

        def add(n: str) -> None:
            if n not in want:
                want.add(n)
                for d in self.services[n].depends_on:
                    add(d.name)

        for n in names:
            if n not in self.services:
                raise ConfigError(f"{self.where}: no service {n!r}" + did_you_mean(n, self.services))
            add(n)
        return [n for n in self.services if n in want]

    def dependents(self, name: str) -> list[str]:
        """Services that depend on `name`, directly or not, in dependency order."""
        out: set[str] = set()
        changed = True
        while changed:
            changed = False
            for s in self.services.values():
                if s.name not in out and any(d.name == name or d.name in out for d in s.depends_on):
                    out.add(s.name)
                    changed = True
        return [n for n in self.services if n in out]


def _expand_settings(node: Any, loaded: LoadedConfig, where: str) -> Any:
    if isinstance(node, str):
        def repl(m: re.Match[str]) -> str:
            key = m.group(1)
            if key not in BY_KEY:
                raise ConfigError(f"{where}: unknown setting ${{{key}}}" + did_you_mean(key, BY_KEY), field=key)
            v = loaded.settings[key]
            return ("true" if v else "false") if isinstance(v, bool) else str(v)

        return _SETTING_REF.sub(repl, node)
    if isinstance(node, list):
        return [_expand_settings(v, loaded, where) for v in node]
    if isinstance(node, dict):
        return {k: _expand_settings(v, loaded, where) for k, v in node.items()}
    return node


def parse_signal(text: str, r: Reader, key: str) -> int:
    name = text.upper().removeprefix("SIG")
    allowed = ("TERM", "INT", "QUIT", "HUP", "USR1", "USR2", "KILL")
    if name not in allowed:
        raise r.err(key, f"must be one of {', '.join(allowed)}, got {text!r}" + did_you_mean(name, allowed))
    return int(getattr(signal, "SIG" + name))


def parse_listen(text: str, r: Reader, key: str) -> tuple[str, int]:
    m = re.fullmatch(r"\[?([^\[\]]*?)\]?:(\d{1,5})", text)
    if not m or not m.group(1) or int(m.group(2)) > 65535:
        raise r.err(key, f"must be host:port, e.g. \"127.0.0.1:8000\", got {text!r}")
    return m.group(1), int(m.group(2))


def _probe(where: str, prefix: str, table: Any) -> ProbeSpec:
    r = Reader(where, prefix, table, PROBE_KEYS)
    if not r.has("kind"):
        raise r.err("kind", f"is missing: one of {', '.join(PROBE_KINDS)}")
    kind = r.str_("kind", "", PROBE_KINDS)
    port = r.num("port", 0, integer=True)
    if port > 65535:
        raise r.err("port", f"must be ≤ 65535, got {port}")
    if kind in ("grpc", "http", "tcp") and port == 0:
        raise r.err("port", f"is missing: a {kind} probe needs the port to probe")
    command = r.argv("command", required=kind == "exec")
    path = r.str_("path", "/")
    if not path.startswith("/"):
        raise r.err("path", f"must start with '/', got {path!r}")
    return ProbeSpec(
        kind=kind, host=r.str_("host", "127.0.0.1"), port=port, path=path, service=r.str_("service", ""),
        command=command, period=r.num("period", 0.5, minimum=0.01), timeout=r.num("timeout", 1.0, minimum=0.01),
        failure_threshold=r.num("failure_threshold", 3, minimum=1, integer=True),
        initial_delay=r.num("initial_delay", 0.0),
    )


def _env_files(r: Reader, cwd: Path) -> tuple[Path, ...]:
    files = tuple(cwd / p for p in r.str_list("env_file"))
    for f in files:
        if not f.is_file():
            raise r.err("env_file", f"names {str(f)!r}, which does not exist")
    return files


def _service(name: str, table: Any, where: str, root: Path) -> ServiceSpec:
    prefix = f"services.{name}"
    if not _NAME.match(name):
        raise ConfigError(f"{where}: service name {name!r} must be lowercase letters, digits, - or _ "
                          "(at most 32, starting with a letter)", field=prefix)
    if name == "sutra":
        raise ConfigError(f"{where}: service name 'sutra' is reserved for the supervisor's own log", field=prefix)
    r = Reader(where, prefix, table, SERVICE_KEYS)
    command = r.argv("command", required=True)
    if command[0] == "python":
        command = (sys.executable, *command[1:])  # the interpreter running the stack
    env_raw = r.raw("env", {})
    if not isinstance(env_raw, dict):
        raise r.err("env", "must be a table of NAME = \"value\"")
    env: dict[str, str] = {}
    for k, v in env_raw.items():
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise r.err(f"env.{k}", f"must be a string or number, got {v!r:.60}")
        env[str(k)] = str(v)
    deps_raw = r.raw("depends_on", [])
    deps: list[Dependency] = []
    if isinstance(deps_raw, list) and all(isinstance(x, str) for x in deps_raw):
        deps = [Dependency(d) for d in deps_raw]
    elif isinstance(deps_raw, dict):
        for dname, cond in deps_raw.items():
            cr = Reader(where, f"{prefix}.depends_on.{dname}", cond, {"condition": ""})
            deps.append(Dependency(dname, cr.str_("condition", "started", CONDITIONS)))
    else:
        raise r.err("depends_on", f"must be a list of service names or a table, got {deps_raw!r:.60}")
    stop_signal = parse_signal(r.str_("stop_signal", "TERM"), r, "stop_signal")
    listen = tuple(parse_listen(x, r, "listen") for x in r.str_list("listen"))
    if len(listen) > MAX_LISTEN_SOCKETS:
        raise r.err("listen", f"has {len(listen)} sockets, more than MAX_LISTEN_SOCKETS={MAX_LISTEN_SOCKETS}")
    cwd = root / r.str_("cwd", ".")
    return ServiceSpec(
        name=name, command=command, cwd=cwd, env=env,
        env_files=_env_files(r, cwd),
        depends_on=tuple(deps),
        readiness=_probe(where, f"{prefix}.readiness", r.raw("readiness")) if r.has("readiness") else None,
        liveness=_probe(where, f"{prefix}.liveness", r.raw("liveness")) if r.has("liveness") else None,
        restart=r.str_("restart", "on-failure", RESTART_POLICIES),
        backoff=r.num("backoff", 0.1), backoff_max=r.num("backoff_max", 10.0),
        stable_after=r.num("stable_after", 10.0),
        max_restarts=r.num("max_restarts", 10, integer=True),
        ready_timeout=r.num("ready_timeout", 60.0, minimum=0.1),
        stop_signal=stop_signal, stop_timeout=r.num("stop_timeout", 10.0),
        watch=tuple(root / p for p in r.str_list("watch")),
        watch_exclude=tuple(r.str_list("watch_exclude")),
        reload=r.str_("reload", "restart", RELOAD_MODES),
        listen=listen, enabled=r.bool_("enabled", True),
    )


def _check_graph(services: dict[str, ServiceSpec], where: str) -> list[str]:
    for s in services.values():
        for d in s.depends_on:
            if d.name not in services:
                raise ConfigError(f"{where}: services.{s.name}.depends_on names unknown service {d.name!r}"
                                  + did_you_mean(d.name, services), field=f"services.{s.name}.depends_on")
            if d.name == s.name:
                raise ConfigError(f"{where}: services.{s.name}.depends_on names itself",
                                  field=f"services.{s.name}.depends_on")
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(n: str) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            cycle = stack[stack.index(n):] + [n]
            raise ConfigError(f"{where}: dependency cycle: {' -> '.join(cycle)}", field=f"services.{n}.depends_on")
        state[n] = 1
        stack.append(n)
        for d in services[n].depends_on:
            visit(d.name)
        stack.pop()
        state[n] = 2
        order.append(n)

    for n in services:
        visit(n)
    return order


def _check_ports(services: dict[str, ServiceSpec], where: str) -> None:
    seen: dict[int, str] = {}
    for s in services.values():
        for _host, port in s.listen:
            if port == 0:
                continue
            if port in seen:
                raise ConfigError(f"{where}: port clash: services.{s.name}.listen uses port {port}, "
                                  f"already used by services.{seen[port]}.listen", field=f"services.{s.name}.listen")
            seen[port] = s.name
    for s in services.values():  # a probe of one service aimed at a port another service listens on
        for kind, probe in (("readiness", s.readiness), ("liveness", s.liveness)):
            if probe is None or probe.kind == "exec":
                continue
            owner = seen.get(probe.port)
            if owner is not None and owner != s.name:
                raise ConfigError(f"{where}: port clash: services.{s.name}.{kind} probes port {probe.port}, "
                                  f"which services.{owner}.listen uses", field=f"services.{s.name}.{kind}.port")


def builtin_stack_text() -> str:
    return resources.files("sutra_stack.templates").joinpath("stack.toml").read_text(encoding="utf-8")


def load_stack(loaded: LoadedConfig) -> StackSpec:
    """Parse and check the services of a loaded config (built-in services when it names none)."""
    where = loaded.where()
    raw_services = loaded.raw.get("services")
    if raw_services is None:
        where_services = "built-in stack config (sutra_stack/templates/stack.toml)"
        raw_services = tomllib.loads(builtin_stack_text()).get("services", {})
    else:
        where_services = where
    raw_services = _expand_settings(raw_services, loaded, where_services)
    if len(raw_services) > MAX_SERVICES:
        raise ConfigError(f"{where_services}: {len(raw_services)} services, more than MAX_SERVICES={MAX_SERVICES}")
    services = {n: _service(n, t, where_services, loaded.root) for n, t in raw_services.items()}
    order = _check_graph(services, where_services)
    _check_ports(services, where_services)
    sr = Reader(where, "supervisor", loaded.raw.get("supervisor", {}), SUPERVISOR_KEYS)
    sup = SupervisorSpec(
        log_max_bytes=sr.num("log_max_bytes", DEFAULT_LOG_MAX_BYTES, minimum=1024, integer=True),
        log_backups=sr.num("log_backups", DEFAULT_LOG_BACKUPS, minimum=1, integer=True),
        reload_debounce=sr.num("reload_debounce", 0.1, minimum=0.0),
        state_dir=loaded.root / sr.str_("state_dir", ".sutra"),
    )
    return StackSpec({n: services[n] for n in order}, sup, where_services, loaded.root)

