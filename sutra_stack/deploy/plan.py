"""From a loaded config to the files of a deployment: which services, as which units, with
which settings, for which role.

- Roles: `storage` is the storage server's units, `api` every other production service (its
  dependency on storage becomes "wait for the network": storage runs elsewhere, reached at
  `--storage-server`, and our apps only say they are ready once it answers), `all` both.
- Not exported: services with `enabled = false` and those named with `--exclude`. The built-in
  `client` service is exported serving its static build: production never runs Vite's dev server
  (`client.mode` is "static" in the environment file whatever `sutra.toml` says).
- `depends_on` becomes `After=` + `Wants=` (the dependent copes while a dependency restarts:
  our apps answer 503 and retry), and `After=` + `Requires=` on a dependency whose condition is
  `completed` (a one-shot job the dependent cannot run without; that unit is Type=oneshot).
- Our programs (`python -m sutra_stack.…`) are Type=notify with the venv's interpreter; a user's
  command is Type=exec (nothing says it sends READY=1; with Type=notify a program that never
  does would fail its start), a one-string command runs under `/bin/sh -c`.
- The environment file holds every resolved `SUTRA_*` setting (secrets only there, mode 0600);
  a relative data path moves under /var/lib/sutra (StateDirectory), other relative paths are
  resolved against the config's folder.
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from dotenv import dotenv_values

from sutra_stack.config import BY_KEY, SETTINGS, LoadedConfig, to_env_text
from sutra_stack.deploy.syntax import check_unit_name, check_user_name, env_line, render
from sutra_stack.deploy.units import (
    HOME_PREFIXES,
    STATE_DIR,
    TARGET,
    UnitPlan,
    service_unit,
    socket_unit,
    target_unit,
)
from sutra_stack.errors import InvalidArgument
from sutra_stack.supervisor.spec import ServiceSpec, StackSpec

ROLES = ("storage", "api", "all")
STORAGE_MODULE = "sutra_stack.storage.server"
DEFAULT_ENV_FILE = Path("/etc/sutra/sutra.env")
UNIT_DIR = PurePosixPath("/etc/systemd/system")
SYSUSERS_PATH = PurePosixPath("/etc/sysusers.d/sutra.conf")
_HOST_PORT = re.compile(r"^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})$")


@dataclass(frozen=True)
class Options:
    role: str = "all"
    storage_server: str | None = None  # HOST:PORT of the storage node (role api)
    user: str = "sutra"
    group: str | None = None  # default: the user's name
    env_file: Path = DEFAULT_ENV_FILE
    python: Path = field(default_factory=lambda: Path(sys.executable))
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class GeneratedFile:
    name: str  # file name in --out
    text: str
    mode: int
    install_path: PurePosixPath | None  # where --install puts it (None: a template, not installed)
    redacted: str = ""  # the text with secrets masked (for --dry-run), when it holds any


@dataclass
class Deployment:
    files: list[GeneratedFile]
    notes: list[str]

    @property
    def units(self) -> list[GeneratedFile]:
        return [f for f in self.files if f.install_path is not None and f.install_path.parent == UNIT_DIR]


def unit_name(service: str, kind: str = "service") -> str:
    return check_unit_name(f"sutra-{service}.{kind}", f"service name {service!r}")


def module_of(spec: ServiceSpec) -> str | None:
    """The module when the service is one of our programs (`python -m sutra_stack.…`), else None."""
    cmd = spec.command
    if len(cmd) >= 3 and cmd[1] == "-m" and cmd[2].startswith("sutra_stack.") and "python" in Path(cmd[0]).name:
        return cmd[2]
    return None


def check_host_port(text: str, option: str) -> str:
    m = _HOST_PORT.match(text)
    if not m or not 0 < int(m.group(3)) <= 65535:
        raise InvalidArgument(f"{option} must be HOST:PORT (an address or name, e.g. 10.0.0.5:50051), got {text!r}")
    return text


def _select(stack: StackSpec, opts: Options) -> tuple[list[ServiceSpec], set[str]]:
    """The services this role exports, and the names running on another machine."""
    for name in opts.exclude:
        if name not in stack.services:
            raise InvalidArgument(f"--exclude {name}: the config has no service {name!r} "
                                  f"(services: {', '.join(stack.services)})")
    storage = {n for n, s in stack.services.items() if module_of(s) == STORAGE_MODULE}
    if opts.role == "storage":
        if not storage:
            raise InvalidArgument(f"--role storage: no service of {stack.where} runs {STORAGE_MODULE}")
        wanted = storage
    elif opts.role == "api":
        wanted = set(stack.services) - storage
    else:
        wanted = set(stack.services)
    chosen = [s for n, s in stack.services.items() if n in wanted and s.enabled and n not in opts.exclude]
    names = {s.name for s in chosen}
    remote = storage if opts.role == "api" else set()
    for s in chosen:
        for d in s.depends_on:
            if d.name not in names and d.name not in remote:
                why = "--exclude" if d.name in opts.exclude else (
                    "enabled = false" if not stack.services[d.name].enabled else f"--role {opts.role}")
                raise InvalidArgument(f"services.{s.name} depends on {d.name!r}, which is not exported ({why}): "
                                      "export both, or neither")
    if not chosen:
        raise InvalidArgument(f"--role {opts.role}: no enabled service of {stack.where} to export")
    return chosen, remote


def _absolute(path: str, base: Path) -> str:
    return path if not path or Path(path).is_absolute() else str((base / path).resolve())


def settings_values(loaded: LoadedConfig, opts: Options) -> dict[str, str]:
    """Every SUTRA_* variable for the environment file, as production sees them."""
    values = dict(loaded.settings)
    path = values["storage.path"]
    values["storage.path"] = path if Path(path).is_absolute() else str(STATE_DIR / Path(path))
    if values["storage.backup_dir"] and not Path(values["storage.backup_dir"]).is_absolute():
        values["storage.backup_dir"] = str(STATE_DIR / values["storage.backup_dir"])
    for key in ("storage.tls_cert", "storage.tls_key", "storage.tls_ca"):
        values[key] = _absolute(values[key], loaded.root)
    if opts.storage_server:
        values["storage.server"] = opts.storage_server
    values["client.mode"] = "static"  # the dev server (and Node.js) is for development only
    return {BY_KEY[k].env: to_env_text(BY_KEY[k], v) for k, v in values.items() if k in BY_KEY}


def _env_text(env: dict[str, str], title: str, secret_names: set[str], redact: bool) -> str:
    lines = [f"# {title}", "# Generated by `sutra generate-systemd`; systemd reads it as root (mode 0600)."]
    for k, v in env.items():
        lines.append(env_line(k, "***" if redact and k in secret_names and v else v))
    return "\n".join(lines) + "\n"


def _service_env(spec: ServiceSpec) -> dict[str, str]:
    env: dict[str, str] = {}
    for f in spec.env_files:
        env.update({k: v for k, v in dotenv_values(f).items() if v is not None})
    env.update(spec.env)
    return env


def _program(spec: ServiceSpec, opts: Options) -> tuple[str, ...]:
    argv = list(spec.command)
    if argv[0] in (sys.executable, "python", "python3"):
        argv[0] = str(opts.python)
    elif not Path(argv[0]).is_absolute():
        found = shutil.which(argv[0])
        if found is None:
            raise InvalidArgument(f"services.{spec.name}.command: {argv[0]!r} is not on PATH here; systemd needs "
                                  "the program's absolute path")
        argv[0] = found
    return tuple(argv)


def _workers(module: str, loaded: LoadedConfig) -> int:
    key = module.removeprefix("sutra_stack.apps.").split(".")[0] + ".workers"
    return int(loaded.settings[key]) if module.startswith("sutra_stack.apps.") and key in BY_KEY else 1


def generate(loaded: LoadedConfig, stack: StackSpec, opts: Options) -> Deployment:
    """The files of a deployment of `stack` for `opts.role`; InvalidArgument on anything systemd
    could not use, before anything is written."""
    if opts.role not in ROLES:
        raise InvalidArgument(f"--role must be one of {', '.join(ROLES)}, got {opts.role!r}")
    if opts.storage_server is not None:
        if opts.role != "api":
            raise InvalidArgument("--storage-server is for --role api (an API node reaching a storage node)")
        check_host_port(opts.storage_server, "--storage-server")
    elif opts.role == "api":
        raise InvalidArgument("--role api needs --storage-server HOST:PORT: where the storage node answers")
    user = check_user_name(opts.user, "--user")
    group = check_user_name(opts.group or opts.user, "--group")
    if not opts.env_file.is_absolute():
        raise InvalidArgument(f"--env-file must be an absolute path, got {str(opts.env_file)!r}")
    if not opts.python.is_absolute():
        raise InvalidArgument(f"--python must be an absolute path, got {str(opts.python)!r}")
    chosen, remote = _select(stack, opts)
    names = {s.name for s in chosen}
    completed = {d.name for s in chosen for d in s.depends_on if d.condition == "completed" and d.name in names}
    settings_env = settings_values(loaded, opts)
    secret_envs = {s.env for s in SETTINGS if s.secret}
    env_dir = PurePosixPath(opts.env_file.parent)
    files: list[GeneratedFile] = []
    notes: list[str] = []
    plans: list[UnitPlan] = []
    header = f"# Generated by `sutra generate-systemd --role {opts.role}` from {stack.where}: edit the config, " \
             "then generate again."
    real_python = opts.python.resolve()  # a venv's interpreter is often a link to a Python elsewhere
    under_home = _under_home(opts.python) or _under_home(real_python)
    if under_home:
        notes.append(f"the interpreter {opts.python}" + (f" (really {real_python})" if real_python != opts.python
                     else "") + f" is in a home folder: the units get ProtectHome=read-only, and user {user} "
                     "must be able to read it; a venv made from a system Python (/usr/bin/python3 -m venv "
                     "/opt/sutra) avoids both")
    for s in chosen:
        module = module_of(s)
        env_files = [PurePosixPath(opts.env_file)]
        extra = _service_env(s)
        if extra:
            own = PurePosixPath(env_dir / f"sutra-{s.name}.env")
            env_files.append(own)
            title = f"{s.name}: the service's own env and env_file variables"
            files.append(GeneratedFile(own.name, _env_text(extra, title, set(), False), 0o600, own,
                                       _env_text(extra, title, set(extra), True)))
        workdir = STATE_DIR if module else s.cwd
        home = under_home or _under_home(workdir)
        write_paths: tuple[Path, ...] = ()
        if module == STORAGE_MODULE:
            data = Path(settings_env["SUTRA_STORAGE_PATH"])
            backups = Path(settings_env["SUTRA_STORAGE_BACKUP_DIR"] or f"{data}-backups")
            write_paths = tuple(p for p in (data, backups) if not p.is_relative_to(STATE_DIR))
        workers = _workers(module, loaded) if module else 1
        plans.append(UnitPlan(
            spec=s, unit=unit_name(s.name), argv=_program(s, opts), notify=module is not None,
            oneshot=s.name in completed, user=user, group=group, env_files=tuple(Path(f) for f in env_files),
            working_dir=workdir,
            wants=tuple(unit_name(d.name) for d in s.depends_on if d.name in names and d.condition != "completed"),
            requires=tuple(unit_name(d.name) for d in s.depends_on if d.name in names and d.condition == "completed"),
            remote_after=any(d.name in remote for d in s.depends_on),
            reload_line="/bin/kill -HUP $MAINPID" if workers > 1 else "",
            socket=unit_name(s.name, "socket") if s.listen else "",
            protect_home="read-only" if home else "yes", write_paths=write_paths,
            deny_write_execute=loaded.settings["embedder.kind"] != "sentence-transformers",
            comments=() if module else (
                "Type=exec: nothing says this command sends READY=1; if it does (e.g. with systemd-notify",
                "--ready), Type=notify with NotifyAccess=all makes its dependents wait for that.",
            ),
        ))
        for host, port in s.listen:
            if port == 0:
                raise InvalidArgument(f"services.{s.name}.listen {host}:0: a socket unit needs a fixed port")
        if module is not None and workers > 1:
            notes.append(f"{s.name}: {workers} workers; `systemctl reload {unit_name(s.name)}` restarts them "
                         "one by one")
    members: list[str] = []
    for p in plans:
        if p.socket:
            files.append(GeneratedFile(p.socket, render(socket_unit(p.unit, p.spec.name, p.spec.listen), header),
                                       0o644, UNIT_DIR / p.socket))
            members.append(p.socket)
        files.append(GeneratedFile(p.unit, render(service_unit(p), header), 0o644, UNIT_DIR / p.unit))
        members.append(p.unit)
    files.append(GeneratedFile(TARGET, render(target_unit(opts.role, members), header), 0o644, UNIT_DIR / TARGET))
    env_install = PurePosixPath(opts.env_file)
    title = f"Settings of every Sutra service (role {opts.role})"
    files.append(GeneratedFile(env_install.name, _env_text(settings_env, title, secret_envs, False), 0o600,
                               env_install, _env_text(settings_env, title, secret_envs, True)))
    files.append(GeneratedFile("sutra.sysusers.conf", _sysusers(user, group), 0o644, SYSUSERS_PATH))
    files += _templates(settings_env, secret_envs)
    for p in plans:
        for path in p.write_paths:
            notes.append(f"{p.spec.name}: {path} is outside {STATE_DIR}: create it, owned by {user}:{group} "
                         "and mode 0700, before the first start (the unit may write there and nowhere else)")
    if opts.role == "storage" and loaded.settings["storage.host"] in ("127.0.0.1", "::1", "localhost"):
        notes.append(f"storage.host is {loaded.settings['storage.host']}: an API node on another machine cannot "
                     "reach it (set storage.host, and storage.token / TLS, for a storage node)")
    return Deployment(files, notes)


def _under_home(path: Path) -> bool:
    """Inside a folder that ProtectHome=yes hides."""
    return any(path.is_relative_to(p) for p in HOME_PREFIXES)


def _sysusers(user: str, group: str) -> str:
    lines = ["# The user the Sutra services run as (systemd-sysusers creates it)."]
    if group != user:
        lines += [f"g {group} -", f'u {user} -:{group} "Sutra stack" {STATE_DIR}']
    else:
        lines.append(f'u {user} - "Sutra stack" {STATE_DIR}')
    return "\n".join(lines) + "\n"


def _templates(production: dict[str, str], secret_envs: set[str]) -> list[GeneratedFile]:
    """`.env` (development: each key at its default, commented out) and `.env.production` (the values
    this deployment uses, secrets left for the operator to fill)."""
    dev = ["# .env for `sutra up`: uncomment a line to override sutra.toml (every key: sutra.toml.example)."]
    prod = ["# .env.production: the settings of this deployment; fill in the secrets, then keep it out of git."]
    for s in SETTINGS:
        dev += [f"# {s.help}", "# " + env_line(s.env, "" if s.secret else to_env_text(s, s.default))]
        prod += [f"# {s.help}", env_line(s.env, "" if s.env in secret_envs else production[s.env])]
    return [GeneratedFile(".env", "\n".join(dev) + "\n", 0o600, None),
            GeneratedFile(".env.production", "\n".join(prod) + "\n", 0o600, None)]
