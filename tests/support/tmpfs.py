"""A real full disk for tests: a small tmpfs mounted for the test (root only) and a file that fills it.

`with small_tmpfs(tmp_path / "mnt") as mnt:` mounts it (skips the test when not root: CI runs as
root) and always unmounts it; `fill_disk(mnt / "filler")` writes until the disk says ENOSPC.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str = "2m") -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)  # something still holds a file


def fill_disk(path: Path) -> int:
    """Write `path` until its file system is full (ENOSPC); returns the bytes written."""
    written = 0
    chunk = b"\xa5" * 4096
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                written += f.write(chunk) or 0
            except OSError as e:
                if e.errno == errno.ENOSPC:
                    return written
                raise
