"""Running `sutra generate-nginx` and Debian's nginx for real in tests.

`nginx_binary()` fails (never skips) with what to install when nginx is missing: `.ci/run` and
`make nginx` install it. `run_nginx(conf)` runs `nginx -c conf` in the foreground (its pid, logs
and temp files in the folder the `--standalone` conf names) until the block ends.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.procs import PYTHON, ROOT, child_env, port_open, running


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if found is None:
        pytest.fail("nginx is not installed: `make nginx` (or `apt-get install -y nginx-light` as root) installs "
                    "Debian's; .ci/run does it in CI")
    return found


def generate_nginx(folder: Path, *args: str, ns: str | None = None) -> subprocess.CompletedProcess[str]:
    """`sutra generate-nginx ARGS` run in `folder` (where its sutra.toml is), in network namespace `ns`."""
    argv = [PYTHON, "-m", "sutra_stack", "generate-nginx", *args]
    if ns:
        argv = ["ip", "netns", "exec", ns, *argv]
    return subprocess.run(argv, cwd=folder, env=child_env({"PYTHONPATH": str(ROOT)}), capture_output=True,
                          text=True, timeout=120)


def nginx_test(conf: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t -c conf`: exit 0 and "syntax is ok" for a site nginx accepts."""
    return subprocess.run([nginx_binary(), "-t", "-c", str(conf)], capture_output=True, text=True, timeout=60)


def standalone(folder: Path, *args: str, ns: str | None = None) -> Path:
    """A whole nginx.conf for `generate-nginx ARGS` with its run files in folder/run; checked with nginx -t."""
    run = folder / "run"
    run.mkdir(parents=True, exist_ok=True)
    conf = folder / "nginx.conf"
    r = generate_nginx(folder, *args, "--standalone", str(run), "--out", str(conf), ns=ns)
    assert r.returncode == 0, r.stderr
    t = nginx_test(conf)
    assert t.returncode == 0 and "syntax is ok" in t.stderr, t.stderr
    return conf


@contextlib.contextmanager
def run_nginx(conf: Path, port: int, ns: str | None = None, host: str = "127.0.0.1") -> Iterator[None]:
    """nginx serving `conf` in the foreground until the block ends (ready once `port` accepts)."""
    argv = [nginx_binary(), "-c", str(conf), "-g", "daemon off;"]
    if ns:
        argv = ["ip", "netns", "exec", ns, *argv]

    def ready() -> bool:
        if ns is None:
            return port_open(port, host)
        return subprocess.run(["ip", "netns", "exec", ns, PYTHON, "-c",
                               f"import socket; socket.create_connection(('{host}', {port}), 0.5)"],
                              capture_output=True, timeout=10).returncode == 0

    with running(argv, ready=ready, timeout=30, log=conf.parent / "nginx.out"):
        yield
