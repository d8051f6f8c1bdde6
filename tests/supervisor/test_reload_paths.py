"""Which file changes reload a service: exclude patterns apply below the watched directory, so a
package installed inside a `.venv` still reloads on its own code, while its caches, its data and
the patterns a service names (a build output such as the client's bundle) do not."""

from __future__ import annotations

from pathlib import Path

from sutra_stack.supervisor.reload import affected
from sutra_stack.supervisor.spec import ServiceSpec


def spec(root: Path, *exclude: str) -> ServiceSpec:
    return ServiceSpec(name="api", command=("true",), cwd=root, watch=(root,), watch_exclude=exclude)


def test_a_package_inside_a_venv_reloads_on_its_code(tmp_path: Path) -> None:
    pkg = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages" / "sutra_stack"
    pkg.mkdir(parents=True)
    data = tmp_path / "knowledge"
    assert affected({pkg / "apps" / "api" / "routes.py"}, [spec(pkg)], data) == ["api"]
    # what lies below the watched directory is still excluded by the same names
    assert affected({pkg / "apps" / "__pycache__" / "routes.cpython-311.pyc"}, [spec(pkg)], data) == []
    assert affected({pkg / "web" / "node_modules" / "x.js"}, [spec(pkg)], data) == []


def test_a_service_excludes_a_build_output_by_its_relative_path(tmp_path: Path) -> None:
    pkg = tmp_path / "sutra_stack"
    data = tmp_path / "knowledge"
    watched = spec(pkg, "apps/*/static")
    assert affected({pkg / "apps" / "client" / "static" / "assets" / "index-1a2b.js"}, [watched], data) == []
    assert affected({pkg / "apps" / "control" / "static" / "index.html"}, [watched], data) == []
    assert affected({pkg / "apps" / "client" / "server.py"}, [watched], data) == ["api"]
    # the data directory never reloads anything, even when it sits inside the watched one
    assert affected({pkg / "knowledge" / "wal" / "wal-00000001.log"}, [watched], pkg / "knowledge") == []
