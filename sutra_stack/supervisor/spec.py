"""Service specs: the `[services]` and `[supervisor]` tables parsed and checked before anything starts.

`load_stack(loaded)` turns the raw tables of a `LoadedConfig` (or, when the config has no
`[services]`, the built-in `templates/stack.toml`) into a `StackSpec`. Every mistake is a
`ConfigError` naming the file and the key: unknown key (with a "did you mean"), wrong type,
missing command, unknown dependency, dependency cycle (printed), port clash.

Strings in a service table may name a setting as `${storage.port}`; it is replaced by the
resolved setting, so probes and commands follow the same values the children get.
`${sutra.package_dir}` names the installed sutra_stack package's directory: the built-in app
services watch it, so a change to their code reloads them (`api.reload = "none"` and
`hybrid.reload = "none"` turn it off).
Every mistake of a file is found in one run and raised in one `ConfigError`, each with its line.
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

import sutra_stack
from sutra_stack.config import LoadedConfig, did_you_mean, register_section_check
from sutra_stack.config_errors import Problems
from sutra_stack.errors import ConfigError
from sutra_stack.limits import (
    DEFAULT_LOG_BACKUPS,
    DEFAULT_LOG_MAX_BYTES,
    MAX_LISTEN_SOCKETS,
    MAX_SERVICES,
)
from sutra_stack.supervisor.spec_reader import SpecReader, parse_listen, parse_signal
from sutra_stack.supervisor.tables import PROBE_KEYS, SERVICE_KEYS, SUPERVISOR_KEYS

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


def package_dir() -> Path:
    """The directory of the installed sutra_stack package: what the built-in app services watch."""
    return Path(sutra_stack.__file__).resolve().parent


def _spec_values(loaded: LoadedConfig) -> dict[str, str]:
    """What `${name}` in a service table may name: every setting, and `sutra.package_dir`."""
    values = {k: ("true" if v else "false") if isinstance(v, bool) else str(v) for k, v in loaded.settings.items()}
    values["sutra.package_dir"] = str(package_dir())
    return values


def _expand_settings(node: Any, values: dict[str, str], where: str, key: str, p: Problems) -> Any:
    if isinstance(node, str):
        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in values:
                p.add(ConfigError(f"{where}: {key}: unknown setting ${{{name}}}" + did_you_mean(name, values),
                                  field=key))
                return m.group(0)
            return values[name]

        return _SETTING_REF.sub(repl, node)
    if isinstance(node, list):
        return [_expand_settings(v, values, where, key, p) for v in node]
    if isinstance(node, dict):
        return {k: _expand_settings(v, values, where, f"{key}.{k}", p) for k, v in node.items()}
    return node


def _probe(where: str, prefix: str, table: Any, p: Problems) -> ProbeSpec | None:
    r = SpecReader(where, prefix, table, PROBE_KEYS, p)
    if not r.has("kind"):
        r.note("kind", f"is missing: one of {', '.join(PROBE_KINDS)}")
        return None
    kind = r.str_("kind", "", PROBE_KINDS)
    port = r.num("port", 0, integer=True)
    if port > 65535:
        r.note("port", f"must be ≤ 65535, got {port}")
    if kind in ("grpc", "http", "tcp") and port == 0:
        r.note("port", f"is missing: a {kind} probe needs the port to probe")
    command = r.argv("command", required=kind == "exec")
    path = r.str_("path", "/")
    if not path.startswith("/"):
        r.note("path", f"must start with '/', got {path!r}")
    return ProbeSpec(
        kind=kind, host=r.str_("host", "127.0.0.1"), port=port, path=path, service=r.str_("service", ""),
        command=command, period=r.num("period", 0.5, minimum=0.01), timeout=r.num("timeout", 1.0, minimum=0.01),
        failure_threshold=r.num("failure_threshold", 3, minimum=1, integer=True),
        initial_delay=r.num("initial_delay", 0.0),
    )


def _env_files(r: SpecReader, cwd: Path) -> tuple[Path, ...]:
    files = tuple(cwd / p for p in r.str_list("env_file"))
    for f in files:
        if not f.is_file():
            r.note("env_file", f"names {str(f)!r}, which does not exist")
    return tuple(f for f in files if f.is_file())


def _depends_on(r: SpecReader, where: str, prefix: str, p: Problems) -> tuple[Dependency, ...]:
    deps_raw = r.raw("depends_on", [])
    if isinstance(deps_raw, list) and all(isinstance(x, str) for x in deps_raw):
        return tuple(Dependency(d) for d in deps_raw)
    if isinstance(deps_raw, dict):
        deps = []
        for dname, cond in deps_raw.items():
            cr = SpecReader(where, f"{prefix}.depends_on.{dname}", cond, {"condition": ""}, p)
            deps.append(Dependency(dname, cr.str_("condition", "started", CONDITIONS)))
        return tuple(deps)
    r.note("depends_on", f"must be a list of service names or a table, got {deps_raw!r:.60}")
    return ()


def _service(name: str, table: Any, where: str, root: Path, p: Problems) -> ServiceSpec:
    prefix = f"services.{name}"
    if not _NAME.match(name):
        p.add(ConfigError(f"{where}: service name {name!r} must be lowercase letters, digits, - or _ "
                          "(at most 32, starting with a letter)", field=prefix))
    if name == "sutra":
        p.add(ConfigError(f"{where}: service name 'sutra' is reserved for the supervisor's own log", field=prefix))
    r = SpecReader(where, prefix, table, SERVICE_KEYS, p)
    command = r.argv("command", required=True)
    if command[0] == "python":
        command = (sys.executable, *command[1:])  # the interpreter running the stack
    env_raw = r.raw("env", {})
    env: dict[str, str] = {}
    if not isinstance(env_raw, dict):
        r.note("env", "must be a table of NAME = \"value\"")
        env_raw = {}
    for k, v in env_raw.items():
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            r.note(f"env.{k}", f"must be a string or number, got {v!r:.60}")
        env[str(k)] = str(v)
    stop_signal = parse_signal(r.str_("stop_signal", "TERM"), r, "stop_signal")
    listen = tuple(sock for x in r.str_list("listen") if (sock := parse_listen(x, r, "listen")) is not None)
    if len(listen) > MAX_LISTEN_SOCKETS:
        r.note("listen", f"has {len(listen)} sockets, more than MAX_LISTEN_SOCKETS={MAX_LISTEN_SOCKETS}")
    cwd = root / r.str_("cwd", ".")
    reload = r.str_("reload", "restart", RELOAD_MODES)
    watch = tuple(root / w for w in r.str_list("watch"))
    return ServiceSpec(
        name=name, command=command, cwd=cwd, env=env,
        env_files=_env_files(r, cwd),
        depends_on=_depends_on(r, where, prefix, p),
        readiness=_probe(where, f"{prefix}.readiness", r.raw("readiness"), p) if r.has("readiness") else None,
        liveness=_probe(where, f"{prefix}.liveness", r.raw("liveness"), p) if r.has("liveness") else None,
        restart=r.str_("restart", "on-failure", RESTART_POLICIES),
        backoff=r.num("backoff", 0.1), backoff_max=r.num("backoff_max", 10.0),
        stable_after=r.num("stable_after", 10.0),
        max_restarts=r.num("max_restarts", 10, integer=True),
        ready_timeout=r.num("ready_timeout", 60.0, minimum=0.1),
        stop_signal=stop_signal, stop_timeout=r.num("stop_timeout", 10.0),
        watch=() if reload == "none" else watch,  # a service never reloaded has nothing to watch
        watch_exclude=tuple(r.str_list("watch_exclude")),
        reload=reload,
        listen=listen, enabled=r.bool_("enabled", True),
    )


def _check_graph(services: dict[str, ServiceSpec], where: str, p: Problems) -> list[str]:
    """The services in dependency order; unknown dependencies and cycles are recorded (and left out)."""
    for s in services.values():
        for d in s.depends_on:
            if d.name not in services:
                p.add(ConfigError(f"{where}: services.{s.name}.depends_on names unknown service {d.name!r}"
                                  + did_you_mean(d.name, services), field=f"services.{s.name}.depends_on"))
            elif d.name == s.name:
                p.add(ConfigError(f"{where}: services.{s.name}.depends_on names itself",
                                  field=f"services.{s.name}.depends_on"))
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(n: str) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            if n != stack[-1]:  # a service naming itself is said above
                cycle = stack[stack.index(n):] + [n]
                p.add(ConfigError(f"{where}: dependency cycle: {' -> '.join(cycle)}",
                                  field=f"services.{n}.depends_on"))
            return
        state[n] = 1
        stack.append(n)
        for d in services[n].depends_on:
            if d.name in services:
                visit(d.name)
        stack.pop()
        state[n] = 2
        order.append(n)

    for n in services:
        visit(n)
    return order


def _check_ports(services: dict[str, ServiceSpec], where: str, p: Problems) -> None:
    seen: dict[int, str] = {}
    for s in services.values():
        for _host, port in s.listen:
            if port == 0:
                continue
            if port in seen:
                p.add(ConfigError(f"{where}: port clash: services.{s.name}.listen uses port {port}, "
                                  f"already used by services.{seen[port]}.listen", field=f"services.{s.name}.listen"))
            else:
                seen[port] = s.name
    for s in services.values():  # a probe of one service aimed at a port another service listens on
        for kind, probe in (("readiness", s.readiness), ("liveness", s.liveness)):
            if probe is None or probe.kind == "exec":
                continue
            owner = seen.get(probe.port)
            if owner is not None and owner != s.name:
                p.add(ConfigError(f"{where}: port clash: services.{s.name}.{kind} probes port {probe.port}, "
                                  f"which services.{owner}.listen uses", field=f"services.{s.name}.{kind}.port"))


def builtin_stack_text() -> str:
    return resources.files("sutra_stack.templates").joinpath("stack.toml").read_text(encoding="utf-8")


BUILTIN_WHERE = "built-in stack config (sutra_stack/templates/stack.toml)"


def _parse_stack(loaded: LoadedConfig) -> tuple[StackSpec, Problems]:
    """The stack of a loaded config and the mistakes found in its file (those of the built-in stack apart)."""
    where = loaded.where()
    p = Problems(where, loaded.text)
    raw_services = loaded.raw.get("services")
    builtin = raw_services is None
    services_p = Problems(BUILTIN_WHERE, builtin_stack_text()) if builtin else p
    if raw_services is None:
        raw_services = tomllib.loads(builtin_stack_text()).get("services", {})
    where_services = services_p.where
    raw_services = _expand_settings(raw_services, _spec_values(loaded), where_services, "services", services_p)
    if len(raw_services) > MAX_SERVICES:
        services_p.add(ConfigError(f"{where_services}: {len(raw_services)} services, more than "
                                   f"MAX_SERVICES={MAX_SERVICES}", field="services"))
    services = {n: _service(n, t, where_services, loaded.root, services_p) for n, t in raw_services.items()}
    order = _check_graph(services, where_services, services_p)
    _check_ports(services, where_services, services_p)
    sr = SpecReader(where, "supervisor", loaded.raw.get("supervisor", {}), SUPERVISOR_KEYS, p)
    sup = SupervisorSpec(
        log_max_bytes=sr.num("log_max_bytes", DEFAULT_LOG_MAX_BYTES, minimum=1024, integer=True),
        log_backups=sr.num("log_backups", DEFAULT_LOG_BACKUPS, minimum=1, integer=True),
        reload_debounce=sr.num("reload_debounce", 0.1, minimum=0.0),
        state_dir=loaded.root / sr.str_("state_dir", ".sutra"),
    )
    if builtin:
        p.extend(services_p)  # only settings of the user's file can break the built-in stack: said there first
    return StackSpec({n: services[n] for n in order}, sup, where_services, loaded.root), p


def file_problems(loaded: LoadedConfig) -> Problems:
    """The mistakes of the config file's own [services] and [supervisor] tables (run by load_config when its
    settings have mistakes too, so that one error lists them all)."""
    if loaded.path is None or not (loaded.raw.keys() & {"services", "supervisor"}):
        return Problems(loaded.where())
    p = _parse_stack(loaded)[1]
    p.found = [(line, e) for line, e in p.found if not e.message.startswith(BUILTIN_WHERE)]
    return p


register_section_check(file_problems)


def load_stack(loaded: LoadedConfig) -> StackSpec:
    """Parse and check the services of a loaded config (built-in services when it names none); every mistake
    found is raised at once, in one ConfigError."""
    stack, problems = _parse_stack(loaded)
    problems.raise_if_any()
    return stack
