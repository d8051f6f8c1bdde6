"""Reading a service table so that one run finds every mistake: `SpecReader` records each one and goes on.

`SpecReader` is the supervisor's `Reader` (tables.py) that, instead of raising at the first wrong key,
records the `ConfigError` in a `Problems` and answers the key's default; `parse_signal` and
`parse_listen` read the two values with a syntax of their own the same way.
"""

from __future__ import annotations

import re
import signal
from typing import Any

from sutra_stack.config import did_you_mean
from sutra_stack.config_errors import Problems
from sutra_stack.errors import ConfigError
from sutra_stack.supervisor.tables import Reader


class SpecReader(Reader):
    """A Reader that records each mistake and answers the default, so that one run finds every mistake."""

    def __init__(self, where: str, prefix: str, table: Any, allowed: dict[str, str], p: Problems) -> None:
        self.p = p
        if not isinstance(table, dict):
            p.add(ConfigError(f"{where}: {prefix} must be a table", field=prefix))
            table = {}
        for k in table:
            if k not in allowed:
                p.add(ConfigError(f"{where}: unknown key {prefix}.{k}" + did_you_mean(k, allowed),
                                  field=f"{prefix}.{k}"))
        super().__init__(where, prefix, {k: v for k, v in table.items() if k in allowed}, allowed)

    def note(self, key: str, msg: str) -> None:
        self.p.add(self.err(key, msg))

    def str_(self, key: str, default: str, choices: tuple[str, ...] | None = None) -> str:
        try:
            return super().str_(key, default, choices)
        except ConfigError as e:
            self.p.add(e)
            return default

    def num(self, key: str, default: float, *, minimum: float = 0.0, integer: bool = False) -> Any:
        try:
            return super().num(key, default, minimum=minimum, integer=integer)
        except ConfigError as e:
            self.p.add(e)
            return default

    def bool_(self, key: str, default: bool) -> bool:
        try:
            return super().bool_(key, default)
        except ConfigError as e:
            self.p.add(e)
            return default

    def str_list(self, key: str) -> list[str]:
        try:
            return super().str_list(key)
        except ConfigError as e:
            self.p.add(e)
            return []

    def argv(self, key: str, required: bool) -> tuple[str, ...]:
        try:
            return super().argv(key, required)
        except ConfigError as e:
            self.p.add(e)
            return ("false",) if required else ()


def parse_signal(text: str, r: SpecReader, key: str) -> int:
    name = text.upper().removeprefix("SIG")
    allowed = ("TERM", "INT", "QUIT", "HUP", "USR1", "USR2", "KILL")
    if name not in allowed:
        r.note(key, f"must be one of {', '.join(allowed)}, got {text!r}" + did_you_mean(name, allowed))
        return int(signal.SIGTERM)
    return int(getattr(signal, "SIG" + name))


def parse_listen(text: str, r: SpecReader, key: str) -> tuple[str, int] | None:
    m = re.fullmatch(r"\[?([^\[\]]*?)\]?:(\d{1,5})", text)
    if not m or not m.group(1) or int(m.group(2)) > 65535:
        r.note(key, f"must be host:port, e.g. \"127.0.0.1:8000\", got {text!r}")
        return None
    return m.group(1), int(m.group(2))
