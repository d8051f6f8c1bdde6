"""sutra-hybrid in the stack a user gets: `sutra up -d` with no sutra.toml runs it after storage, the
official SDK answers through it what sutra-api learned, and a change to the package's code reloads it on
its socket while its clients keep being answered."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import httpx
import openai
from dotenv import dotenv_values

from sutra_stack.config import load_config
from sutra_stack.supervisor.control import call
from sutra_stack.supervisor.manager import control_path
from sutra_stack.supervisor.spec import load_stack
from tests.supervisor.helpers import builtin_env
from tests.support.procs import PYTHON, ROOT, child_env, wait_until


def test_builtin_stack_serves_and_reloads_hybrid(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(ROOT / "sutra_stack", pkg / "sutra_stack", ignore=shutil.ignore_patterns("__pycache__"))
    work = tmp_path / "work"
    work.mkdir()
    _, _, api_port = builtin_env(work)
    hybrid_port = int(dotenv_values(work / ".env")["SUTRA_HYBRID_PORT"] or 0)
    run_env = child_env({"PYTHONPATH": str(pkg), "SUTRA_STORAGE_FSYNC": "off", "SUTRA_LOG_LEVEL": "WARNING"})

    def sutra(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PYTHON, "-m", "sutra_stack", *args], cwd=work, env=run_env, capture_output=True,
                              text=True, timeout=120)

    sock = control_path(load_stack(load_config(cwd=work, environ={})))

    def hybrid_row() -> dict[str, Any]:
        return next(r for r in call(sock, {"cmd": "status"}, timeout=10)["services"] if r["name"] == "hybrid")

    r = sutra("up", "-d")
    try:
        assert r.returncode == 0, r.stderr + r.stdout
        assert httpx.post(f"http://127.0.0.1:{api_port}/learn",
                          json={"content": "Smoking causes lung cancer."}).status_code == 200
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{hybrid_port}/v1", api_key="k", max_retries=0,
                               _strict_response_validation=True)
        q = [{"role": "user", "content": "What does smoking cause?"}]
        assert client.chat.completions.create(model="sutra", messages=q).choices[0].message.content  # type: ignore[arg-type]
        before = hybrid_row()
        assert before["state"] == "ready"

        failures: list[str] = []
        answered = [0]
        stop = threading.Event()

        def ask_on() -> None:  # a client asking all through the reload
            while not stop.is_set():
                try:
                    client.chat.completions.create(model="sutra", messages=q)  # type: ignore[arg-type]
                    answered[0] += 1
                except openai.OpenAIError as e:
                    failures.append(repr(e))

        t = threading.Thread(target=ask_on)
        t.start()
        try:
            routes = pkg / "sutra_stack" / "apps" / "hybrid" / "routes.py"
            routes.write_text(routes.read_text() + "\n# changed\n")
            wait_until(lambda: hybrid_row()["reloads"] == 1 and hybrid_row()["state"] == "ready"
                       and hybrid_row()["pid"] != before["pid"], timeout=90, what="hybrid reloaded")
        finally:
            stop.set()
            t.join()
        assert failures == [] and answered[0] > 0
    finally:
        down = sutra("down")
        assert down.returncode == 0 or r.returncode != 0, down.stderr
