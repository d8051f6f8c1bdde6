"""A wheel built from this checkout carries the client's production build: installed into a fresh
venv and run with Node.js off the PATH (mode auto), the client service serves the static bundle."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import pytest

from sutra_stack.apps.client.mode import STATIC_DIR
from tests.support.procs import ROOT, free_port, running
from tests.web.conftest import ensure_bundle


@pytest.mark.slow
def test_a_wheel_in_a_fresh_venv_without_node_serves_the_static_client(tmp_path: Path) -> None:
    ensure_bundle()
    src = tmp_path / "src"  # the checkout's files, without a build/ left by an earlier build
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in [*tracked.decode().split("\0"), *(str(p.relative_to(ROOT)) for p in STATIC_DIR.rglob("*"))]:
        if name and (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(dist), str(src)], check=True, cwd=tmp_path, timeout=300)
    wheel = next(dist.glob("sutra_stack-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    # the fresh venv gets the wheel alone; its dependencies come from the test's own environment, behind it
    site = subprocess.run([str(py), "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True,
                          text=True, check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, str(wheel)],
                   check=True, timeout=300)
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (Path(site) / "zz-deps.pth").write_text("\n".join(deps) + "\n")
    bare_path = "/usr/sbin:/sbin:" + str(env_dir / "bin")  # no node, no npm
    probe = "import sutra_stack, shutil; print(sutra_stack.__file__, shutil.which('node'))"
    check = subprocess.run([str(py), "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                           env={"PATH": bare_path}, check=True)
    assert check.stdout.startswith(site) and check.stdout.strip().endswith("None"), check.stdout
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(url + "/", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    env = {"PATH": bare_path, "SUTRA_CLIENT_PORT": str(port), "SUTRA_API_PORT": str(free_port()),
           "HOME": str(tmp_path)}
    with running([str(py), "-m", "sutra_stack.apps.client"], env=env, ready=up, timeout=60, cwd=tmp_path,
                 log=tmp_path / "client.log"):
        index = httpx.get(url + "/").text
        script = re.search(r'src="(/assets/[^"]+\.js)"', index)
        assert script, index  # the built bundle, not the page saying it is missing
        assert httpx.get(url + script.group(1)).status_code == 200
    assert "no client bundle" not in (tmp_path / "client.log").read_text()
    assert not os.path.exists(Path(site) / "web")
