"""Hot reload in the stack a user gets: the built-in api watches the sutra_stack package, never the data."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sutra_stack.config import load_config
from sutra_stack.supervisor.control import call
from sutra_stack.supervisor.manager import control_path
from sutra_stack.supervisor.spec import load_stack, package_dir
from tests.support.procs import PYTHON, ROOT, child_env, free_port, wait_until


def test_init_file_and_builtin_stack_watch_the_package_and_turn_off(tmp_path: Path) -> None:
    r = subprocess.run([PYTHON, "-m", "sutra_stack", "init"], cwd=tmp_path, env=child_env({"PYTHONPATH": str(ROOT)}),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    builtin = load_stack(load_config(cwd=tmp_path / "empty", environ={}))
    written = load_stack(load_config(tmp_path / "sutra.toml", environ={}))
    for stack in (builtin, written):
        api, storage = stack.services["api"], stack.services["storage"]
        assert api.watch == (package_dir(),) and api.reload == "restart"
        assert storage.watch == () and storage.reload == "none"
        data = (stack.root / "knowledge").resolve()
        assert all(data != w and w not in data.parents for w in api.watch)
    off = load_stack(load_config(tmp_path / "sutra.toml", environ={"SUTRA_API_RELOAD": "none"}))
    assert off.services["api"].watch == () and off.services["api"].reload == "none"
    (tmp_path / "sutra.toml").write_text('[api]\nreload = "none"\n')
    assert load_stack(load_config(tmp_path / "sutra.toml", environ={})).services["api"].watch == ()


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of the sutra_stack package the stack runs from, so that the test can change its code."""
    dest = tmp_path / "pkg"
    shutil.copytree(ROOT / "sutra_stack", dest / "sutra_stack", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def test_builtin_stack_reloads_the_api_when_its_code_changes(tmp_path: Path, package_copy: Path) -> None:
    work = tmp_path / "work"  # no sutra.toml: the built-in stack
    work.mkdir()
    env = {"SUTRA_STORAGE_PORT": str(free_port()), "SUTRA_STORAGE_FAST_PORT": str(free_port()),
           "SUTRA_API_PORT": str(free_port()), "SUTRA_HYBRID_PORT": str(free_port()),
           "SUTRA_CLIENT_PORT": str(free_port()), "SUTRA_CLIENT_MODE": "static", "SUTRA_STORAGE_FSYNC": "off",
           "SUTRA_CONTROL_PORT": str(free_port()),
           "SUTRA_LOG_LEVEL": "WARNING"}
    run_env = child_env({"PYTHONPATH": str(package_copy), **env})

    def sutra(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PYTHON, "-m", "sutra_stack", *args], cwd=work, env=run_env, capture_output=True,
                              text=True, timeout=120)

    sock = control_path(load_stack(load_config(cwd=work, environ=env)))

    def api() -> dict[str, Any]:
        rows = call(sock, {"cmd": "status"}, timeout=10)["services"]
        return next(r for r in rows if r["name"] == "api")

    r = sutra("up", "-d")
    try:
        assert r.returncode == 0, r.stderr + r.stdout
        before = api()
        assert before["state"] == "ready" and before["reloads"] == 0
        (work / "knowledge" / "touched").write_text("data changes reload nothing")
        routes = package_copy / "sutra_stack" / "apps" / "api" / "routes.py"
        routes.write_text(routes.read_text() + "\n# changed\n")
        wait_until(lambda: api()["reloads"] == 1 and api()["state"] == "ready" and api()["pid"] != before["pid"],
                   timeout=60, what="the api reloaded")
    finally:
        down = sutra("down")  # whatever happened: leave nothing running
        assert down.returncode == 0 or r.returncode != 0, down.stderr
