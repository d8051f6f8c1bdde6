"""systemd's file syntax: quoting of command lines and environment files, unit and user names.

Everything a generated unit says about a command or a value goes through here, so a `$`, `%`,
quote, backslash or lone `;` in a user's command reaches the program unchanged instead of being
expanded by systemd, and a name systemd would refuse is refused first with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sutra_stack.errors import InvalidArgument

_UNIT_PREFIX = re.compile(r"^[A-Za-z0-9:_.\\-]+$")
_USER = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_-]{0,30}$")
_PLAIN_ARG = re.compile(r"^[A-Za-z0-9_./:=,+@-]+$")
UNIT_NAME_MAX = 255  # systemd's UNIT_NAME_MAX less the terminating NUL


def _c_escape(text: str) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return out.replace("%", "%%")


def exec_arg(arg: str) -> str:
    """One argument of an `ExecStart=` line, as the program will receive it."""
    if arg == ";":
        return "\\;"
    if _PLAIN_ARG.match(arg):
        return arg.replace("%", "%%")
    return '"' + _c_escape(arg).replace("$", "$$") + '"'


def exec_line(argv: Sequence[str]) -> str:
    """A whole command line; systemd does not expand `$VAR` or `%x` in anything written here."""
    return " ".join(exec_arg(a) for a in argv)


def env_line(name: str, value: str) -> str:
    """`NAME="value"` for an `EnvironmentFile=` (systemd's and python-dotenv's reading agree)."""
    if "\n" in value or "\r" in value or "\0" in value:
        raise InvalidArgument(f"{name}: a value in an environment file cannot hold a line break or NUL")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
    return f'{name}="{escaped}"'


def unit_value(text: str) -> str:
    """A free-text setting (Description=): one line, specifiers kept literal."""
    return " ".join(text.split()).replace("%", "%%")


def check_unit_name(name: str, what: str) -> str:
    """`name` (e.g. "sutra-api.service") when systemd can use it, else InvalidArgument naming `what`."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or not _UNIT_PREFIX.match(stem) or not suffix.isalpha():
        raise InvalidArgument(f"{what} makes the unit name {name!r}, which systemd cannot use: a unit name is "
                              "letters, digits, ':', '_', '.', '-' and '\\' before its .type")
    if len(name) > UNIT_NAME_MAX:
        raise InvalidArgument(f"{what} makes a unit name of {len(name)} characters, more than systemd's "
                              f"UNIT_NAME_MAX={UNIT_NAME_MAX}")
    return name


def check_user_name(name: str, option: str) -> str:
    """A user or group name systemd accepts in `User=` / `Group=` without a warning."""
    if not _USER.match(name) or name.isdigit():
        raise InvalidArgument(f"{option} {name!r}: a user or group name is 1-31 letters, digits, '_' or '-', "
                              "starting with a letter or '_'")
    if name == "nobody":
        raise InvalidArgument(f"{option} nobody: systemd warns against services running as nobody (its files "
                              "would be shared with every other such service); name a user of the stack's own")
    return name


def render(sections: Iterable[tuple[str, Iterable[tuple[str, str] | str]]], header: str = "") -> str:
    """A unit file: `[Section]` blocks of `Key=value` lines (a bare string is a `# comment`)."""
    parts = [header.rstrip("\n") + "\n"] if header else []
    for name, entries in sections:
        lines = [f"[{name}]"]
        for e in entries:
            lines.append(f"# {e}" if isinstance(e, str) else f"{e[0]}={e[1]}")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)
