"""`sutra up` under a service manager (systemd Type=notify): the supervisor says READY=1 once every
service is ready and STOPPING=1 on its way out, and its children never see $NOTIFY_SOCKET (their
own READY=1 would speak for the whole unit)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.deploy.harness import NotifySocket
from tests.support.procs import ROOT, child_env, free_port

from .helpers import PY, child, write_config

# A child that reports whether it was handed $NOTIFY_SOCKET, and tries to notify through it.
TELL = ("import os, time\nfrom sutra_stack import notify\n"
        "print('NOTIFY_SOCKET=' + os.environ.get('NOTIFY_SOCKET', '<unset>'), flush=True)\n"
        "notify.ready('a child speaking')\ntime.sleep(600)\n")


def test_the_supervisor_notifies_for_the_stack_and_its_children_cannot(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "version.py").write_text('VERSION = "v1"\n')
    (tmp_path / "teller.py").write_text(TELL)
    write_config(tmp_path, f"""
[services.teller]
command = {json.dumps([sys.executable, str(tmp_path / "teller.py")])}
[services.web]
command = {child("webapp.py")}
env = {{ APP_DIR = "{tmp_path / 'app'}" }}
listen = ["127.0.0.1:{port}"]
readiness = {{ kind = "http", port = {port}, path = "/ready", period = 0.05 }}
""")
    with NotifySocket() as manager:
        proc = subprocess.Popen([PY, "-m", "sutra_stack.supervisor"], cwd=tmp_path, start_new_session=True,
                                env=child_env({"PYTHONPATH": str(ROOT), **manager.env}),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ready = manager.wait_for("READY", timeout=60)
            assert ready.pid == proc.pid, "READY=1 came from a child, not the supervisor"
            assert "stack ready" in ready.fields.get("STATUS", "")
            log = (tmp_path / ".sutra" / "logs" / "teller.log").read_text()
            assert "NOTIFY_SOCKET=<unset>" in log
            os.kill(proc.pid, signal.SIGTERM)
            stopping = manager.wait_for("STOPPING", timeout=30)
            assert stopping.pid == proc.pid
            proc.wait(60)
            # nothing else reached the manager: no child spoke
            while (m := manager.receive(0.2)) is not None:
                assert m.pid == proc.pid, m
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
