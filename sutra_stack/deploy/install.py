"""Putting a deployment's files somewhere: a folder to review (`--out`), stdout (`--dry-run`,
secrets masked), or their places under a root (`--install`, `--root` for a staged tree).

Units go to /etc/systemd/system (0644), the environment files to the `--env-file` folder (0600,
in a 0700 folder), the sysusers.d entry to /etc/sysusers.d. Installing into the real root runs
`systemd-sysusers` and `systemctl daemon-reload` when systemd is the running init.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from sutra_stack.deploy.plan import Deployment
from sutra_stack.deploy.units import TARGET
from sutra_stack.errors import FailedPrecondition, PermissionDenied

ENABLE_COMMAND = f"systemctl enable --now {TARGET}"


def _write(path: Path, text: str, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        os.write(fd, text.encode())
        os.fchmod(fd, mode)  # whatever the umask
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _fail(path: Path, what: str, e: OSError) -> FailedPrecondition:
    return FailedPrecondition(f"cannot write {what} {path}: {e.strerror or e}")


def write_out(dep: Deployment, out: Path) -> list[Path]:
    """Write every file into `out` (created if missing); the paths written."""
    if out.exists() and not out.is_dir():
        raise FailedPrecondition(f"--out {out} is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _fail(out, "the folder", e) from None
    written = []
    for f in dep.files:
        try:
            _write(out / f.name, f.text, f.mode)
        except OSError as e:
            raise _fail(out / f.name, "", e) from None
        written.append(out / f.name)
    return written


def dry_run(dep: Deployment, echo: Callable[[str], None]) -> None:
    for f in dep.files:
        where = f"installs to {f.install_path}" if f.install_path else "template, not installed"
        echo(f"# ==> {f.name} ({where}, mode {f.mode:04o}) <==")
        echo((f.redacted or f.text).rstrip("\n") + "\n")


def copy_instructions(dep: Deployment, out: Path) -> list[str]:
    """What to copy where, as commands for a root shell."""
    lines = []
    for f in dep.files:
        if f.install_path is not None:
            lines.append(f"install -D -m {f.mode:04o} {out / f.name} {f.install_path}")
    return [*lines, "systemd-sysusers && systemctl daemon-reload", ENABLE_COMMAND]


def _systemd_runs(root: Path) -> bool:
    return root == Path("/") and Path("/run/systemd/system").is_dir()


def install(dep: Deployment, root: Path, echo: Callable[[str], None]) -> list[Path]:
    """Copy every installable file under `root` ("/" for this machine: root only)."""
    if root == Path("/") and os.geteuid() != 0:
        raise PermissionDenied("--install writes /etc/systemd/system and /etc/sutra: run it as root "
                               "(or --root DIR to stage the files)")
    written = []
    for f in dep.files:
        if f.install_path is None:
            continue
        dest = root / f.install_path.relative_to("/")
        try:
            # a folder made for the environment files is 0700; an existing one is left as it is
            dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if f.mode == 0o600 else 0o755)
            _write(dest, f.text, f.mode)
        except OSError as e:
            raise _fail(dest, "", e) from None
        written.append(dest)
        echo(f"installed {dest}")
    if _systemd_runs(root):
        for argv in (["systemd-sysusers"], ["systemctl", "daemon-reload"]):
            if shutil.which(argv[0]):
                subprocess.run(argv, check=True)
                echo(f"ran {' '.join(argv)}")
    return written

