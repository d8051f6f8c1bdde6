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
from sutra_stack.settings_table import BY_ENV, BY_KEY, RAW_SECTIONS, SETTING_SECTIONS, SETTINGS, Setting

CONFIG_FILENAME = "sutra.toml"
ENV_FILENAME = ".env"


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
