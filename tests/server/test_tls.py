"""TLS on both doors with a self-signed certificate made in the test (openssl binary)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sutra_stack.errors import Unavailable
from sutra_stack.storage import StorageClient
from tests.support.storage_server import StorageServerHandle, storage_server

from .conftest import FAST_ENV, TOKEN, addresses


def make_cert(directory: Path, name: str) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    assert openssl, "the openssl binary is needed to make a test certificate"
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StorageServerHandle, Path, Path]]:
    d = tmp_path_factory.mktemp("tls")
    cert, key = make_cert(d, "server")
    other_ca, _ = make_cert(d, "other")
    env = FAST_ENV | {"SUTRA_STORAGE_TLS_CERT": str(cert), "SUTRA_STORAGE_TLS_KEY": str(key)}
    with storage_server(d / "data", env=env, token=TOKEN, tls_ca=cert) as srv:
        yield srv, cert, other_ca


@pytest.mark.parametrize("door", ("auto", "grpc", "tcp"))
def test_tls_client_with_the_ca_works(tls_server: tuple[StorageServerHandle, Path, Path], door: str) -> None:
    srv, cert, _ = tls_server
    with StorageClient(addresses(srv)[door], token=TOKEN, tls_ca=str(cert)) as c:
        assert c.server_info()["tls"] is True
        cid = c.learn_concept(f"over tls {door} {uuid.uuid4().hex}")
        assert c.query_concept(cid) is not None


@pytest.mark.parametrize("door", ("auto", "grpc", "tcp"))
@pytest.mark.parametrize("ca", ("none", "other"))
def test_tls_client_without_the_ca_is_refused_and_the_server_keeps_serving(
        tls_server: tuple[StorageServerHandle, Path, Path], door: str, ca: str) -> None:
    srv, cert, other_ca = tls_server
    tls_ca = str(other_ca) if ca == "other" else ""
    with StorageClient(addresses(srv)[door], token=TOKEN, tls_ca=tls_ca, timeout=10) as c, \
            pytest.raises(Unavailable) as exc:
        c.stats()
    assert str(srv.port) in str(exc.value) or str(srv.fast_port) in str(exc.value)  # says where
    if ca == "other" and door == "tcp":
        assert "TLS handshake" in str(exc.value) and "SUTRA_STORAGE_TLS_CA" in str(exc.value)
    with StorageClient(srv.address, token=TOKEN, tls_ca=str(cert)) as good:
        assert good.health()["status"] == "SERVING"
    assert TOKEN not in srv.log_text()


def test_unreadable_certificate_stops_the_start_with_a_clear_message(tmp_path: Path) -> None:
    from tests.support.procs import PYTHON, ROOT, child_env

    for env, phrase in (
        ({"SUTRA_STORAGE_TLS_CERT": str(tmp_path / "missing.crt"), "SUTRA_STORAGE_TLS_KEY": str(tmp_path / "k")},
         "storage.tls_cert"),
        ({"SUTRA_STORAGE_TLS_CERT": str(tmp_path / "only-cert.crt")}, "storage.tls_key"),
    ):
        out = subprocess.run([PYTHON, "-m", "sutra_stack.storage.server", "--storage", str(tmp_path / "d"),
                              "--port", "0", "--fast-port", "0"], cwd=ROOT, env=child_env(env),
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 2, out.stderr
        assert phrase in out.stderr and "cannot start" in out.stderr
