"""The keys a stack config may hold, and typed reading of one TOML table with errors that name the key.

`SERVICE_KEYS`, `PROBE_KEYS` and `SUPERVISOR_KEYS` are the whole config surface of the
supervisor (`sutra.toml.example` documents each; a test keeps them in step). `Reader` turns
a raw table into typed values, raising `ConfigError` with the file, the dotted key and,
for an unknown key, a "did you mean".
"""

from __future__ import annotations

import re
from typing import Any

from sutra_stack.config import did_you_mean
from sutra_stack.errors import ConfigError

SERVICE_KEYS: dict[str, str] = {
    "command": "argv list, or a shell command string",
    "cwd": "working directory (relative to the config file)",
    "env": "table of extra environment variables",
    "env_file": "a file (or list of files) of KEY=value lines",
    "depends_on": "list of names, or table name = {condition = started|healthy|completed}",
    "readiness": "probe table: gates `healthy` dependents and reload hand-over",
    "liveness": "probe table: failures past the threshold restart the service",
    "restart": "no | on-failure | always",
    "backoff": "seconds before the second consecutive restart; doubles each time",
    "backoff_max": "cap on the backoff delay, seconds",
    "stable_after": "seconds of uptime after which the failure count resets",
    "max_restarts": "consecutive failed restarts before the service is fatal",
    "ready_timeout": "seconds a new instance has to pass its readiness probe",
    "stop_signal": "signal sent first on stop (TERM, INT, QUIT, HUP)",
    "stop_timeout": "seconds between the stop signal and SIGKILL",
    "watch": "paths whose changes reload the service",
    "watch_exclude": "path parts or globs ignored by watching",
    "reload": "restart | none",
    "listen": "list of host:port sockets the supervisor binds and hands over (LISTEN_FDS)",
    "enabled": "false to leave the service out of `sutra up`",
}
PROBE_KEYS: dict[str, str] = {
    "kind": "grpc | http | tcp | exec",
    "host": "address to probe (default 127.0.0.1)",
    "port": "port to probe (grpc, http, tcp)",
    "path": "HTTP path (http)",
    "service": "grpc.health.v1 service name (grpc; empty: the whole server)",
    "command": "argv or shell string; exit 0 is success (exec)",
    "period": "seconds between probes",
    "timeout": "seconds one probe may take",
    "failure_threshold": "consecutive failures that count (liveness)",
    "initial_delay": "seconds after start before the first probe",
}
SUPERVISOR_KEYS: dict[str, str] = {
    "log_max_bytes": "size at which a service log file is rotated",
    "log_backups": "rotated log files kept per service",
    "reload_debounce": "seconds of quiet after a file change before reloading",
    "state_dir": "directory for logs/ and run/ (relative to the config file)",
}


class Reader:
    """Typed access to one table, with errors naming the file and the dotted key."""

    def __init__(self, where: str, prefix: str, table: Any, allowed: dict[str, str]) -> None:
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: {prefix} must be a table", field=prefix)
        for k in table:
            if k not in allowed:
                raise ConfigError(f"{where}: unknown key {prefix}.{k}" + did_you_mean(k, allowed),
                                  field=f"{prefix}.{k}")
        self.where, self.prefix, self.t = where, prefix, table

    def err(self, key: str, msg: str) -> ConfigError:
        return ConfigError(f"{self.where}: {self.prefix}.{key} {msg}", field=f"{self.prefix}.{key}")

    def has(self, key: str) -> bool:
        return key in self.t

    def raw(self, key: str, default: Any = None) -> Any:
        return self.t.get(key, default)

    def str_(self, key: str, default: str, choices: tuple[str, ...] | None = None) -> str:
        v = self.t.get(key, default)
        if not isinstance(v, str):
            raise self.err(key, f"must be a string, got {v!r:.60}")
        if choices and v not in choices:
            raise self.err(key, f"must be one of {', '.join(choices)}, got {v!r}" + did_you_mean(v, choices))
        return v

    def num(self, key: str, default: float, *, minimum: float = 0.0, integer: bool = False) -> Any:
        v = self.t.get(key, default)
        if isinstance(v, str) and re.fullmatch(r"-?\d+(\.\d+)?", v.strip()):
            v = float(v) if "." in v else int(v)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
            raise self.err(key, f"must be {'an integer' if integer else 'a number'}, got {v!r:.60}")
        if v < minimum:
            raise self.err(key, f"must be ≥ {minimum:g}, got {v}")
        return int(v) if integer else float(v)

    def bool_(self, key: str, default: bool) -> bool:
        v = self.t.get(key, default)
        if not isinstance(v, bool):
            raise self.err(key, f"must be true or false, got {v!r:.60}")
        return v

    def str_list(self, key: str) -> list[str]:
        v = self.t.get(key, [])
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise self.err(key, f"must be a list of strings, got {v!r:.60}")
        return list(v)

    def argv(self, key: str, required: bool) -> tuple[str, ...]:
        v = self.t.get(key)
        if v is None or v == "" or v == []:
            if required:
                raise self.err(key, "is missing: give the program to run, e.g. command = [\"python\", \"app.py\"]")
            return ()
        if isinstance(v, str):
            return ("/bin/sh", "-c", v)
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return tuple(v)
        raise self.err(key, f"must be a list of strings or a shell command string, got {v!r:.60}")
