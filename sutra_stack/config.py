"""The one config loader: `sutra.toml` + `.env` + `SUTRA_*` variables.

Only the supervisor and the CLI read files. Every process of the stack reads its settings
from `SUTRA_*` environment variables through `settings_from_env()`. The table `SETTINGS` maps
each TOML key to its variable; `sutra.toml.example` documents them all (a test keeps the two
in step).

Precedence, lowest first: built-in defaults < `sutra.toml` < `SUTRA_*` in `.env` <
`SUTRA_*` in the environment. String values in the TOML may use `${VAR}` and
`${VAR:-default}`, looked up in the environment, then in `.env`.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from sutra_stack.config_errors import Problems, line_of
from sutra_stack.errors import ConfigError
from sutra_stack.errors import shown as value_shown
from sutra_stack.limits import (
    DEFAULT_BUSY_POLL_US,
    DEFAULT_FRAME_TIMEOUT_SECONDS,
    DEFAULT_HTTP_REQUEST_TIMEOUT_SECONDS,
    DEFAULT_IDLE_TIMEOUT_SECONDS,
    DEFAULT_MAX_CONCEPTS,
    DEFAULT_MAX_CONNECTION_AGE_SECONDS,
    DEFAULT_MAX_CONNECTIONS,
    MAX_BUSY_POLL_US,
)

CONFIG_FILENAME = "sutra.toml"
ENV_FILENAME = ".env"


@dataclass(frozen=True, slots=True)
class Setting:
    key: str  # dotted TOML key, e.g. "storage.port"
    env: str  # the variable every process reads, e.g. "SUTRA_STORAGE_PORT"
    type: type
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    secret: bool = False  # never printed or logged
    minimum: float | None = None
    maximum: float | None = None


def _s(key: str, type_: type, default: Any, help: str, **kw: Any) -> Setting:
    env = "SUTRA_" + key.replace(".", "_").upper()
    return Setting(key, kw.pop("env", env), type_, default, help, **kw)


SETTINGS: tuple[Setting, ...] = (
    # storage server
    _s("storage.path", str, "./knowledge", "Data directory of the storage server."),
    _s("storage.backup_dir", str, "", "Directory online backups go into, one 0700 folder per backup name "
       "(empty: <storage.path>-backups, beside the data directory); never the data directory or inside it."),
    _s("storage.host", str, "127.0.0.1", "Address the storage server binds."),
    _s("storage.port", int, 50051, "gRPC port of the storage server.", minimum=0, maximum=65535),
    _s("storage.fast_port", int, 50052, "MessagePack TCP port of the storage server.", minimum=0, maximum=65535),
    _s("storage.server", str, "127.0.0.1:50051", "Where clients reach the storage server (host:port, "
       "tcp://host:port or grpc://host:port); follows storage.host and storage.port unless set."),
    _s("storage.token", str, "", "Token every StorageService call must carry (empty: none).", secret=True),
    _s("storage.metrics_port", int, 0, "Prometheus metrics port of the storage server (0: off).",
       minimum=0, maximum=65535),
    _s("storage.tls_cert", str, "", "TLS certificate (PEM) for both storage doors (empty: plaintext)."),
    _s("storage.tls_key", str, "", "TLS private key (PEM) for both storage doors."),
    _s("storage.tls_ca", str, "", "CA certificate clients use to verify the storage server."),
    _s("storage.busy_poll_us", int, DEFAULT_BUSY_POLL_US, "How long a StorageClient thread polls the fast "
       "door for an answer before it sleeps, in microseconds (0: never poll).", minimum=0, maximum=MAX_BUSY_POLL_US),
    _s("storage.fsync", str, "always", "When WAL writes reach the disk before they are acknowledged.",
       choices=("always", "everysec", "off")),
    _s("storage.wal_segment_bytes", int, 64 * 1024 * 1024, "Size at which the WAL moves to a new segment.",
       minimum=4096),
    _s("storage.snapshot_wal_bytes", int, 256 * 1024 * 1024, "Take a snapshot once the WAL grows past this.",
       minimum=4096),
    _s("storage.snapshot_interval", float, 600.0, "Take a snapshot at least this often, in seconds (0: off).",
       minimum=0),
    _s("storage.recovery_target_seconds", float, 5.0, "Bound on replaying the WAL after a crash, in seconds, "
       "at the replay rate measured on start: snapshots come early enough, and writes wait for a running one "
       "once the WAL holds this much (0: off).", minimum=0),
    _s("storage.max_concepts", int, DEFAULT_MAX_CONCEPTS, "Capacity cap: writes past it are refused.",
       minimum=1),
    _s("storage.read_only", bool, False, "Serve reads only."),
    _s("storage.max_connections", int, DEFAULT_MAX_CONNECTIONS, "Open connections each storage door accepts; "
       "the fast door answers the next one with RESOURCE_EXHAUSTED, gRPC closes it.", minimum=1),
    _s("storage.idle_timeout", float, DEFAULT_IDLE_TIMEOUT_SECONDS, "Seconds a storage connection with no call in "
       "flight stays open (both doors; clients reconnect on their own).", minimum=0.1),
    _s("storage.frame_timeout", float, DEFAULT_FRAME_TIMEOUT_SECONDS, "Seconds a fast-door frame may take to "
       "arrive once its first byte has.", minimum=0.1),
    _s("storage.max_connection_age", float, DEFAULT_MAX_CONNECTION_AGE_SECONDS, "Seconds after which a gRPC "
       "connection is asked to go away (calls in flight get GRPC_AGE_GRACE_SECONDS more).", minimum=1),
    # embeddings
    _s("embedder.kind", str, "hash", "Embedder used when a caller sends no vector.",
       env="SUTRA_EMBEDDER", choices=("hash", "sentence-transformers", "http")),
    _s("embedder.dimension", int, 384, "Vector dimension.", env="SUTRA_EMBEDDING_DIM", minimum=2, maximum=4096),
    _s("embedder.model", str, "", "Model path or name (sentence-transformers, http)."),
    _s("embedder.url", str, "", "Base URL of an OpenAI-compatible /v1/embeddings endpoint (http)."),
    _s("embedder.api_key", str, "", "API key for the http embedder.", secret=True),
    # vector index
    _s("index.m", int, 16, "HNSW M (links per node).", minimum=2, maximum=128),
    _s("index.ef_construction", int, 200, "HNSW ef at build time.", minimum=1, maximum=4096),
    _s("index.ef", int, 64, "HNSW ef at query time (default for searches).", minimum=1, maximum=4096),
    # sutra-api
    _s("api.host", str, "127.0.0.1", "Address sutra-api binds."),
    _s("api.port", int, 8000, "Port of sutra-api.", minimum=0, maximum=65535),
    _s("api.workers", int, 1, "uvicorn workers of sutra-api.", minimum=1, maximum=64),
    _s("api.token", str, "", "Bearer token for sutra-api's mutating routes (empty: none).", secret=True),
    _s("api.request_timeout", float, DEFAULT_HTTP_REQUEST_TIMEOUT_SECONDS, "Seconds an HTTP request's headers "
       "and body may take to arrive; a slower one is answered 408 and closed.", minimum=0.1),
    _s("api.max_connections", int, DEFAULT_MAX_CONNECTIONS, "Open connections each sutra-api worker accepts; "
       "the next one is answered 503.", minimum=1),
    _s("api.reload", str, "restart", "What a change to the code of the sutra_stack package does to sutra-api in "
       "the built-in stack: restart (a new instance takes over on the same socket, no request fails) or none "
       "(nothing is watched).", choices=("restart", "none")),
    # sutra-hybrid (the OpenAI-compatible API)
    _s("hybrid.host", str, "127.0.0.1", "Address sutra-hybrid (the OpenAI-compatible API) binds."),
    _s("hybrid.port", int, 8001, "Port of sutra-hybrid.", minimum=0, maximum=65535),
    _s("hybrid.workers", int, 1, "uvicorn workers of sutra-hybrid.", minimum=1, maximum=64),
    _s("hybrid.token", str, "", "API key sutra-hybrid's clients must send as 'Authorization: Bearer <key>' "
       "(empty: any key is accepted; /sutra/learn then needs api.token when that is set).", secret=True),
    _s("hybrid.reload", str, "restart", "What a change to the code of the sutra_stack package does to "
       "sutra-hybrid in the built-in stack: restart or none.", choices=("restart", "none")),
    _s("hybrid.allowed_hosts", str, "", "More names clients may reach sutra-hybrid by, comma-separated (the Host "
       "header is checked against them, localhost and hybrid.host: DNS rebinding)."),
    _s("hybrid.cors_origins", str, "", "Origins allowed to call sutra-hybrid from a browser, comma-separated "
       "(empty: no CORS headers are sent)."),
    # sutra-client (the web app)
    _s("client.host", str, "127.0.0.1", "Address sutra-client (the web app) binds."),
    _s("client.port", int, 3000, "Port of sutra-client.", minimum=0, maximum=65535),
    _s("client.mode", str, "auto", "How sutra-client runs: dev (Vite's dev server from the web/ workspace, "
       "npm ci first when node_modules is missing or older than the lockfile), static (the build shipped in "
       "the package) or auto (dev where Node.js and web/ are present, else static). Both pass /api/X to "
       "sutra-api's /X.", choices=("auto", "dev", "static")),
    _s("client.allowed_hosts", str, "", "More names people may reach sutra-client by, comma-separated (the "
       "Host header is checked against them, localhost and client.host: DNS rebinding)."),
    # sutra-control (the admin process)
    _s("control.host", str, "127.0.0.1", "Address sutra-control (the admin process: status, stream, actions, logs, "
       "bulk learning) binds."),
    _s("control.port", int, 5000, "Port of sutra-control.", minimum=0, maximum=65535),
    _s("control.token", str, "", "Admin token sutra-control's actions, stream, logs and bulk learning need as "
       "'Authorization: Bearer <token>' (empty: `sutra up` generates one into <state_dir>/control.token, 0600).",
       secret=True),
    _s("control.allowed_hosts", str, "", "More names people may reach sutra-control by, comma-separated (the "
       "Host header is checked against them, localhost and control.host: DNS rebinding)."),
    _s("control.cors_origins", str, "", "Origins allowed to call sutra-control from a browser page of another "
       "origin, comma-separated (empty: no CORS headers, and a write from another Origin is refused)."),
    _s("control.reload", str, "restart", "What a change to the code of the sutra_stack package does to "
       "sutra-control in the built-in stack: restart or none.", choices=("restart", "none")),
    # logging
    _s("log.level", str, "INFO", "Log level of every process.",
       choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
BY_ENV: dict[str, Setting] = {s.env: s for s in SETTINGS}
SETTING_SECTIONS: frozenset[str] = frozenset(s.key.split(".")[0] for s in SETTINGS)
# Top-level tables read by other parts (the supervisor) rather than mapped to variables.
RAW_SECTIONS: frozenset[str] = frozenset({"services", "supervisor"})

_BOOL_TRUE = {"1", "true", "yes", "on"}
_BOOL_FALSE = {"0", "false", "no", "off", ""}


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """' (did you mean 'x'?)' with the option closest to a misspelt `word`, or '' (config errors)."""
    close = difflib.get_close_matches(word, sorted(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


_TYPE_NAMES = {bool: "true or false (bool)", int: "an integer (int)", float: "a number (float)", str: "a string (str)"}


def coerce(setting: Setting, value: Any, where: str, *, typed: bool = False) -> Any:
    """Turn a TOML value or a variable's text into the setting's type, or raise ConfigError.

    `typed`: the value is a TOML value written as such (not text from a variable or `${...}`), so it must
    already have the setting's type: `workers = "2"` is refused, naming the type expected."""
    t = setting.type
    try:
        if typed and isinstance(value, str) and t is not str:
            raise ValueError
        if t is bool:
            if isinstance(value, bool):
                out: Any = value
            elif isinstance(value, str) and value.strip().lower() in _BOOL_TRUE | _BOOL_FALSE:
                out = value.strip().lower() in _BOOL_TRUE
            else:
                raise ValueError
        elif t is int:
            if isinstance(value, (bool, float)):
                raise ValueError
            out = int(value)
        elif t is float:
            if isinstance(value, bool):
                raise ValueError
            out = float(value)
        else:
            if not isinstance(value, str):
                raise ValueError
            out = value
    except (TypeError, ValueError):
        hint = ""
        if typed and isinstance(value, str):
            with contextlib.suppress(ConfigError):
                coerce(setting, value, where)
                hint = " (a string: write it without quotes)"
        raise ConfigError(
            f"{where}: {setting.key} must be {_TYPE_NAMES.get(t, t.__name__)}, got {value!r:.60}{hint}",
            field=setting.key,
        ) from None
    if setting.choices is not None and out not in setting.choices:
        raise ConfigError(
            f"{where}: {setting.key} must be one of {', '.join(setting.choices)}, got {out!r:.60}"
            + did_you_mean(str(out), list(setting.choices)),
            field=setting.key,
        )
    if setting.minimum is not None and out < setting.minimum:
        raise ConfigError(f"{where}: {setting.key} must be ≥ {setting.minimum:g}, got {out}", field=setting.key)
    if setting.maximum is not None and out > setting.maximum:
        raise ConfigError(f"{where}: {setting.key} must be ≤ {setting.maximum:g}, got {out}", field=setting.key)
    return out


def to_env_text(setting: Setting, value: Any) -> str:
    if setting.type is bool:
        return "true" if value else "false"
    return str(value)


class Settings(Mapping[str, Any]):
    """Typed settings of one process, keyed by dotted TOML key (e.g. settings["storage.port"])."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def redacted(self) -> dict[str, Any]:
        """The settings with secrets masked: safe to print or log."""
        return {k: ("***" if BY_KEY[k].secret and v else v) for k, v in self._values.items()}


def _derive(values: dict[str, Any], explicit: set[str]) -> None:
    """Fill settings whose default follows another setting, unless they were set explicitly.

    `storage.server` (where clients connect) follows `storage.host` / `storage.port`, so that
    changing the storage port alone keeps every app talking to it.
    """
    if "storage.server" not in explicit:
        host = values["storage.host"]
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        values["storage.server"] = f"{host}:{values['storage.port']}"


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """What every process of the stack calls: defaults overridden by SUTRA_* variables."""
    env = os.environ if environ is None else environ
    values = {s.key: s.default for s in SETTINGS}
    explicit: set[str] = set()
    for s in SETTINGS:
        if s.env in env:
            values[s.key] = coerce(s, env[s.env], f"environment variable {s.env}")
            explicit.add(s.key)
    _derive(values, explicit)
    return Settings(values)


_INTERP = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")


def interpolate(text: str, lookup: Mapping[str, str], where: str) -> str:
    """Expand ${VAR} and ${VAR:-default}; an unset ${VAR} without default is an error."""

    def repl(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        val = lookup.get(name)
        if val is None or (val == "" and default is not None):
            if default is None:
                raise ConfigError(f"{where}: ${{{name}}} is not set (give a default with ${{{name}:-value}})")
            return default
        return val

    return _INTERP.sub(repl, text)


def _interpolate_tree(node: Any, lookup: Mapping[str, str], where: str, key: str, problems: Problems) -> Any:
    """`node` with every string interpolated; a string that cannot be is kept as written, its mistake recorded."""
    if isinstance(node, str):
        try:
            return interpolate(node, lookup, f"{where}: {key}")
        except ConfigError as e:
            problems.add(ConfigError(e.message, field=key.split("[")[0]))
            return node
    if isinstance(node, list):
        return [_interpolate_tree(v, lookup, where, f"{key}[{i}]", problems) for i, v in enumerate(node)]
    if isinstance(node, dict):
        return {k: _interpolate_tree(v, lookup, where, f"{key}.{k}" if key else k, problems) for k, v in node.items()}
    return node


@dataclass
class LoadedConfig:
    """A resolved config: typed settings plus the raw tables other parts parse themselves."""

    path: Path | None  # the sutra.toml read, None when running on built-in defaults
    env_file: Path | None
    settings: Settings
    raw: dict[str, Any] = field(default_factory=dict)  # RAW_SECTIONS tables, interpolated
    dotenv: dict[str, str] = field(default_factory=dict)
    root: Path = field(default_factory=Path.cwd)  # directory relative paths are resolved against
    text: str = ""  # the file's TOML text, to name the line of a mistake
    origin: dict[str, str] = field(default_factory=dict)  # key -> where it was set ("FILE:LINE", "environment: VAR")

    def child_env(self) -> dict[str, str]:
        """SUTRA_* variables that hand every setting to a child process."""
        return {s.env: to_env_text(s, self.settings[s.key]) for s in SETTINGS}

    def where(self) -> str:
        return str(self.path) if self.path else "built-in config"


def find_config(cwd: Path | None = None) -> Path | None:
    p = (cwd or Path.cwd()) / CONFIG_FILENAME
    return p if p.is_file() else None


def load_config(
    path: str | Path | None = None,
    *,
    env_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> LoadedConfig:
    """Read sutra.toml (given, or found in cwd), .env and the environment, and check them all."""
    cwd = cwd or Path.cwd()
    environ = dict(os.environ if environ is None else environ)
    cfg_path: Path | None
    if path is not None:
        cfg_path = Path(path)
        if not cfg_path.is_file():
            raise ConfigError(f"config file {cfg_path} does not exist (run `sutra init` to write one)")
    else:
        cfg_path = find_config(cwd)
    root = cfg_path.resolve().parent if cfg_path else cwd.resolve()

    env_candidate = Path(env_file) if env_file is not None else root / ENV_FILENAME
    if env_file is not None and not env_candidate.is_file():
        raise ConfigError(f"env file {env_candidate} does not exist")
    dotenv: dict[str, str] = {}
    env_path: Path | None = None
    if env_candidate.is_file():
        env_path = env_candidate
        dotenv = {k: v for k, v in dotenv_values(env_path).items() if v is not None}

    doc: dict[str, Any] = {}
    text = ""
    where = str(cfg_path) if cfg_path else "built-in config"
    if cfg_path:
        try:
            text = cfg_path.read_text(encoding="utf-8")
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{cfg_path}: not valid TOML: {e}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{cfg_path}: not UTF-8 text") from None
    problems = Problems(where, text)
    written = doc
    doc = _interpolate_tree(doc, {**dotenv, **environ}, where, "", problems)

    values = {s.key: s.default for s in SETTINGS}
    origin: dict[str, str] = {}  # where each explicit setting was given, for messages about it
    raw: dict[str, Any] = {}
    known_sections = SETTING_SECTIONS | RAW_SECTIONS
    for section, table in doc.items():
        if section in RAW_SECTIONS:
            if not isinstance(table, dict):
                problems.add(ConfigError(f"{where}: {section} must be a table (a section of its own), got "
                                         f"{value_shown(table)}", field=section))
            else:
                raw[section] = table
            continue
        if section not in SETTING_SECTIONS:
            problems.add(ConfigError(f"{where}: unknown section '{section}'" + did_you_mean(section, known_sections),
                                     field=section))
            continue
        if not isinstance(table, dict):
            problems.add(ConfigError(f"{where}: {section} must be a table (a section of its own), got "
                                     f"{value_shown(table)}", field=section))
            continue
        for name, value in table.items():
            key = f"{section}.{name}"
            setting = BY_KEY.get(key)
            if setting is None:
                problems.add(ConfigError(f"{where}: unknown key {key}" + did_you_mean(key, set(BY_KEY)), field=key))
                continue
            if any(e.field == key for _, e in problems.found):
                continue  # its ${...} could not be expanded: said already
            as_written = written[section][name]
            try:
                typed = not (isinstance(as_written, str) and "${" in as_written)  # text from ${...} is coerced
                values[key] = coerce(setting, value, where, typed=typed)
            except ConfigError as e:
                problems.add(e)
                continue
            line = line_of(text, key)
            origin[key] = f"{where}:{line}" if line else where
    for source_name, source in ((str(env_path), dotenv), ("environment", environ)):
        for var, value in source.items():
            if not var.startswith("SUTRA_"):
                continue
            setting = BY_ENV.get(var)
            if setting is None:
                continue  # other parts (per-app variables) may read their own
            try:
                values[setting.key] = coerce(setting, value, f"{source_name}: {var}")
            except ConfigError as e:
                problems.add(e)
                continue
            origin[setting.key] = f"{source_name}: {var}"
    _derive(values, set(origin))
    for clash in port_clashes(values, origin, where):
        problems.add(clash)
    loaded = LoadedConfig(cfg_path, env_path, Settings(values), raw, dotenv, root, text, origin)
    if problems:
        for check in _SECTION_CHECKS:  # the other sections' mistakes in the same error
            problems.extend(check(loaded))
    problems.raise_if_any()
    return loaded


# Port settings, each with the host setting it binds on.
PORT_SETTINGS: tuple[tuple[str, str], ...] = (
    ("storage.port", "storage.host"), ("storage.fast_port", "storage.host"),
    ("storage.metrics_port", "storage.host"), ("api.port", "api.host"),
    ("hybrid.port", "hybrid.host"), ("client.port", "client.host"), ("control.port", "control.host"),
)
_ANY_HOST = ("", "0.0.0.0", "::")


def port_clashes(values: Mapping[str, Any], origin: Mapping[str, str], where: str) -> list[ConfigError]:
    """Two port settings naming the same port (not 0) on overlapping addresses: one error per clash, named where
    the later of the two was set (the file and line, or the variable)."""
    out: list[ConfigError] = []
    for i, (key, host_key) in enumerate(PORT_SETTINGS):
        for other, other_host_key in PORT_SETTINGS[:i]:
            port, host, other_host = values[key], values[host_key], values[other_host_key]
            overlap = host == other_host or host in _ANY_HOST or other_host in _ANY_HOST
            if port == 0 or port != values[other] or not overlap:
                continue
            named, second = (key, other) if key in origin or other not in origin else (other, key)
            given = f" ({second} is set at {origin[second]})" if second in origin else ""
            out.append(ConfigError(f"{origin.get(named, where)}: port clash: {named} and {second} are both {port}"
                                   f"{given}: give each its own port", field=named))
    return out


SectionCheck = Callable[[LoadedConfig], Problems]
_SECTION_CHECKS: list[SectionCheck] = []


def register_section_check(check: SectionCheck) -> None:
    """Add a reader of other sections (the supervisor's [services]): when the settings have mistakes,
    `load_config` runs it too, so that one error lists every mistake of the file."""
    if check not in _SECTION_CHECKS:
        _SECTION_CHECKS.append(check)
