"""Every mistake of a config file in one error: `Problems` collects them, each with its line.

The loaders (`config.load_config` for the settings, `supervisor.spec.load_stack` for the
services) record each `ConfigError` they find and go on reading; `Problems.raise_if_any()`
then raises one `ConfigError` listing them all in file order, each as `FILE:LINE: message`
when the key's line can be found in the file's text.
"""

from __future__ import annotations

import re

from sutra_stack.errors import ConfigError

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*(?:\.|=)""")


def _unquote(part: str) -> str:
    return part[1:-1] if part[:1] in "\"'" else part


def line_of(text: str, dotted: str) -> int | None:
    """The 1-based line of `dotted` (a table or key, e.g. "services.api.watch") in TOML `text`, or the line of
    the closest enclosing table or key found; None when nothing of it is in the text."""
    want = [p for p in dotted.split(".") if p]
    header: list[str] = []
    best: tuple[int, int] | None = None  # (parts matched, line)
    for lineno, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line)
        if m:
            header = [_unquote(p.strip()) for p in m.group(1).split(".")]
            path = header
        else:
            k = _KEY.match(line)
            if k is None:
                continue
            path = header + [_unquote(k.group(1))]
        n = min(len(path), len(want))
        if path[:n] == want[:n] and (best is None or n > best[0]):  # `dotted`, inside it, or around it
            best = (n, lineno)
    return best[1] if best else None


class Problems:
    """The mistakes found in one config file (or the built-in one), raised together."""

    def __init__(self, where: str, text: str = "") -> None:
        self.where = where  # the file as messages name it
        self.text = text  # its TOML text, to find lines in ("" for no file)
        self.found: list[tuple[int, ConfigError]] = []

    def __bool__(self) -> bool:
        return bool(self.found)

    def add(self, e: ConfigError) -> None:
        """Record a mistake; its message gains the line of its key when the file shows it."""
        prefix = f"{self.where}: "
        line = None
        if self.text and e.field and e.message.startswith(prefix):  # not one of a variable
            line = line_of(self.text, e.field)
            if line is not None:
                e = ConfigError(f"{self.where}:{line}: {e.message[len(prefix):]}", field=e.field)
        self.found.append((line or 0, e))

    def extend(self, other: Problems) -> None:
        self.found.extend(other.found)

    def errors(self) -> list[ConfigError]:
        """The mistakes in file order (those without a line last, as found)."""
        return [e for _, e in sorted(self.found, key=lambda f: f[0] or 1 << 30)]

    def raise_if_any(self) -> None:
        errors = self.errors()
        if len(errors) == 1:
            raise errors[0]
        if errors:
            lines = "\n".join(f"  {e.message}" for e in errors)
            raise ConfigError(f"{self.where}: {len(errors)} problems:\n{lines}", field=errors[0].field)
