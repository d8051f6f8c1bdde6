"""Representative configs for `sutra generate-systemd`, and running the command for real.

Each case is a folder with a sutra.toml (or none: the built-in stack) and the command's extra
arguments. Golden files record what each case generates, with the case folder written as
APP_ROOT and the interpreter as GOLDEN_PYTHON so that they read the same on every machine.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.procs import PYTHON, ROOT, child_env

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN_PYTHON = "/opt/sutra/venv/bin/python"
APP_ROOT = "/srv/sutra-app"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"  # rewrite the golden files from the code

STACK = """
[services.storage]
command = ["python", "-m", "sutra_stack.storage.server"]
readiness = { kind = "grpc", port = "${storage.port}" }
stop_timeout = 60
reload = "none"

[services.api]
command = ["python", "-m", "sutra_stack.apps.api"]
listen = ["${api.host}:${api.port}"]
depends_on = { storage = { condition = "healthy" } }
stop_timeout = 15
"""

USER_SERVICES = """
[storage]
token = "${STORAGE_TOKEN}"
path = "/srv/sutra-data"

[services.migrate]
command = ["python", "migrate.py", "--to", "latest"]
restart = "no"

[services.worker]
# a user's own program: env with characters systemd would otherwise expand
command = ["python", "worker.py", "--greeting", "hello $USER, 100% \\"done\\"", ";"]
depends_on = { api = { condition = "healthy" }, migrate = { condition = "completed" } }
env = { WORKER_QUEUE = "jobs", WORKER_SECRET = "w0rker-secret" }
restart = "always"
backoff = 2
max_restarts = 4
stable_after = 30
stop_signal = "INT"
stop_timeout = 5

[services.ticker]
command = "while true; do echo tick; sleep 60; done"

[services.web-dev]
# the client's dev server: development only
command = ["/bin/true"]
listen = ["127.0.0.1:5173"]

[services.old]
command = ["/bin/true"]
enabled = false
"""


@dataclass(frozen=True)
class Case:
    name: str
    toml: str | None  # None: the built-in stack
    args: tuple[str, ...] = ()
    dotenv: str = ""

    def setup(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        if self.toml is not None:
            (folder / "sutra.toml").write_text(self.toml)
        if self.dotenv:
            (folder / ".env").write_text(self.dotenv)
        return folder


CASES = (
    Case("builtin", None),
    Case("user-services", STACK + USER_SERVICES, ("--exclude", "web-dev"), "STORAGE_TOKEN=t0ken-s3cret\n"),
    Case("role-storage", "[storage]\nhost = \"10.0.0.5\"\n", ("--role", "storage")),
    Case("role-api", None, ("--role", "api", "--storage-server", "10.0.0.5:50051")),
    Case("workers", "[api]\nworkers = 4\nhost = \"0.0.0.0\"\n", ("--user", "svc-sutra", "--group", "svc")),
)


def generate(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`sutra generate-systemd ARGS` run in `folder` (where its sutra.toml and .env are)."""
    return subprocess.run([PYTHON, "-m", "sutra_stack", "generate-systemd", *args], cwd=folder,
                          env=child_env({"PYTHONPATH": str(ROOT)}), capture_output=True, text=True, timeout=120)
