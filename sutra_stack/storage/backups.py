"""Where backups may go: the backup directory (`storage.backup_dir`) and the names callers give.

A caller of the server's Backup names a backup; it is written to `<backup_dir>/<name>`, a new
folder made 0700 in a backup directory made 0700. The backup directory is never the data
directory, inside it, or around it: that is refused when the server starts, and again before
each backup (the directory may have been replaced by a link since). The offline
`sutra storage backup DEST` uses the same check for its destination.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sutra_stack import limits
from sutra_stack.errors import AlreadyExists, ConfigError, FailedPrecondition, InvalidArgument
from sutra_stack.storage.engine.lockfile import make_private_dir
from sutra_stack.storage.wal.fileops import DIR_MODE

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# A server configured read-only (storage.read_only) writes nothing into its data directory, and an online
# backup would (a snapshot, a new WAL segment). A store that turned read-only after a disk failure is not
# refused here: copying what it has to another disk is what an operator may need most.
READ_ONLY = ("backup refused: this storage server is configured read-only (storage.read_only), and an online "
             "backup writes a snapshot into the data directory; stop the server and copy the stopped store with "
             "`sutra storage backup DEST --storage PATH`")
NAME_RULE = (f"1 to {limits.MAX_BACKUP_NAME_CHARS} letters, digits, '.', '_' or '-', starting with a letter or "
             f"digit (limit MAX_BACKUP_NAME_CHARS = {limits.MAX_BACKUP_NAME_CHARS})")


def default_backup_dir(data_path: str | Path) -> Path:
    """`<data directory>-backups`, beside the data directory."""
    data = Path(data_path).resolve()
    return data.with_name(data.name + "-backups")


def overlap(dest: Path, data_path: str | Path) -> str:
    """How `dest` overlaps the data directory ('' when it does not): both are resolved, links followed."""
    d, data = Path(dest).resolve(), Path(data_path).resolve()
    if d == data:
        return "is the data directory"
    if data in d.parents:
        return f"is inside the data directory {data}"
    if d in data.parents:
        return f"contains the data directory {data}"
    return ""


def backup_dir(configured: str, data_path: str | Path) -> Path:
    """The server's backup directory (resolved); ConfigError when it overlaps the data directory."""
    out = Path(configured).resolve() if configured else default_backup_dir(data_path)
    problem = overlap(out, data_path)
    if problem:
        raise ConfigError(f"storage.backup_dir {out} {problem}: backups must live outside it; choose a "
                          f"directory beside it, such as {default_backup_dir(data_path)}", field="storage.backup_dir")
    return out


def check_name(name: object, where: Path, field: str = "path") -> str:
    """A backup name (one path component), or InvalidArgument saying what a name is and where backups go."""
    if not isinstance(name, str):
        raise InvalidArgument(f"{field} must be a backup name (a string), got {type(name).__name__}", field=field)
    if not (len(name) <= limits.MAX_BACKUP_NAME_CHARS and _NAME.fullmatch(name)):
        raise InvalidArgument(
            f"{field} {name[:limits.MAX_BACKUP_NAME_CHARS]!r} is not a backup name: backups are written under "
            f"storage.backup_dir ({where}), each in a folder named by the caller: {NAME_RULE}", field=field)
    return name


def new_backup_folder(where: Path, data_path: str | Path, name: object, field: str = "path") -> Path:
    """Check `name`, then make `<where>/<name>` (0700, in `where` made or narrowed to 0700); it must not exist yet."""
    name = check_name(name, where, field)
    problem = overlap(where, data_path)
    if problem:
        raise FailedPrecondition(f"backup refused: storage.backup_dir {where} {problem} now; fix it and restart")
    try:
        make_private_dir(where)  # made 0700, or narrowed to its owner if it was open to others
    except OSError as e:
        raise FailedPrecondition(f"cannot make storage.backup_dir {where}: {e.strerror or e}",
                                 field="storage.backup_dir") from None
    dest = where / name
    try:
        os.mkdir(dest, DIR_MODE)  # fails if anything is there, a dangling link included
    except FileExistsError:
        raise AlreadyExists(f"backup {name!r} already exists in {where}; choose a new name", field=field) from None
    except OSError as e:
        raise FailedPrecondition(f"cannot make the backup folder {dest}: {e.strerror or e}", field=field) from None
    return dest
