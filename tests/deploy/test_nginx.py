"""`sutra generate-nginx`: the sites it writes (golden files, each accepted by `nginx -t`), what it
refuses, and Debian's nginx running a generated site in front of a real sutra-api, sutra-hybrid
and storage server: the /api rule, the client's files and caching, the body limit, the dashboard
guard, and a dead API node skipped.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sutra_stack.limits import MAX_REQUEST_BODY_BYTES
from tests.api.conftest import STORAGE_ENV, start_api
from tests.deploy.configs import GOLDEN_DIR, UPDATE
from tests.deploy.nginx_support import generate_nginx, run_nginx, standalone
from tests.hybrid.conftest import start_hybrid
from tests.support.procs import free_port
from tests.support.storage_server import storage_server

STATIC = "/srv/sutra/static"  # the golden files' client build folder
CASES = {
    # one machine, the built-in config: every upstream on loopback
    "one-machine": (None, ()),
    # the ports come from the same sutra.toml as generate-systemd's
    "config-ports": ('[api]\nhost = "0.0.0.0"\nport = 9000\n[hybrid]\nport = 9001\n', ()),
    # several machines: two API nodes, hybrid on one, the dashboard reached from the admin network
    "several-machines": (None, ("--api", "10.0.0.2:8000", "--api", "10.0.0.3:8000", "--hybrid", "10.0.0.2:8001",
                                "--dashboard", "10.0.0.4:5000", "--admin-allow", "10.0.0.0/24",
                                "--server-name", "sutra.example.org")),
    # TLS, IPv6 upstreams, no dashboard
    "tls": (None, ("--server-name", "sutra.example.org", "--server-name", "www.sutra.example.org",
                   "--api", "[fd00::2]:8000", "--hybrid", "[fd00::2]:8001", "--dashboard", "none")),
}


def _case_folder(tmp: Path, toml: str | None) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    if toml is not None:
        (tmp / "sutra.toml").write_text(toml)
    return tmp


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "key.pem"),
                    "-out", str(d / "cert.pem"), "-subj", "/CN=sutra.example.org", "-days", "2"],
                   check=True, capture_output=True, timeout=60)
    return d / "cert.pem", d / "key.pem"


@pytest.mark.parametrize("case", list(CASES))
def test_generated_site_matches_golden_and_nginx_accepts_it(case: str, tmp_path: Path,
                                                            cert: tuple[Path, Path]) -> None:
    toml, args = CASES[case]
    folder = _case_folder(tmp_path / "app", toml)
    tls = ("--tls-cert", "/etc/ssl/sutra/fullchain.pem", "--tls-key", "/etc/ssl/sutra/key.pem") if case == "tls" else ()
    r = generate_nginx(folder, *args, *tls, "--static-root", STATIC)
    assert r.returncode == 0, r.stderr
    golden = GOLDEN_DIR / "nginx" / f"{case}.conf"
    if UPDATE:
        golden.write_text(r.stdout)
    assert r.stdout == golden.read_text(), f"{case}: the site differs from {golden} (UPDATE_GOLDEN=1 rewrites it)"
    # the same site with files that exist, wrapped as a whole nginx.conf: nginx -t accepts it
    real_tls = ("--tls-cert", str(cert[0]), "--tls-key", str(cert[1])) if case == "tls" else ()
    standalone(folder, *args, *real_tls, "--static-root", STATIC)


def test_golden_sites_hold_what_the_issue_asks() -> None:
    """The golden files themselves say it: nothing passes unnoticed through UPDATE_GOLDEN=1."""
    one = (GOLDEN_DIR / "nginx" / "one-machine.conf").read_text()
    assert "server 127.0.0.1:8000 max_fails=" in one and "server 127.0.0.1:8001 max_fails=" in one
    assert f"client_max_body_size {MAX_REQUEST_BODY_BYTES};" in one
    assert "proxy_next_upstream error timeout http_502 http_504;" in one
    several = (GOLDEN_DIR / "nginx" / "several-machines.conf").read_text()
    assert "server 10.0.0.2:8000" in several and "server 10.0.0.3:8000" in several
    assert "proxy_next_upstream_tries 2;" in several
    assert "allow 10.0.0.0/24;\n        deny all;" in several
    v1 = several[several.index("location /v1/"):]
    assert "proxy_buffering off;" in v1[:v1.index("}")]
    config = (GOLDEN_DIR / "nginx" / "config-ports.conf").read_text()
    assert "server 127.0.0.1:9000 " in config and "server 127.0.0.1:9001 " in config
    tls = (GOLDEN_DIR / "nginx" / "tls.conf").read_text()
    assert "listen 443 ssl http2;" in tls and "return 301 https://$host$request_uri;" in tls
    assert "ssl_certificate /etc/ssl/sutra/fullchain.pem;" in tls and "sutra_dashboard" not in tls


@pytest.mark.parametrize(("args", "says"), [
    (("--api", "api-1.internal:8000"), "not a name"),
    (("--api", "0.0.0.0:8000"), "'every address'"),
    (("--api", "10.0.0.2"), "HOST:PORT"),
    (("--api", "10.0.0.2:8000", "--api", "10.0.0.2:8000"), "names a node twice"),
    (("--hybrid", "hybrid.internal:8001"), "not a name"),
    (("--hybrid", "10.0.0.2:8001", "--hybrid", "10.0.0.2:8001"), "names a node twice"),
    (("--tls-cert", "/etc/ssl/c.pem"), "--tls-cert and --tls-key go together"),
    (("--admin-allow", "the office"), "--admin-allow 'the office'"),
    (("--static-root", "static"), "--static-root must be an absolute path"),
    (("--server-name", "a;b"), "--server-name 'a;b'"),
    (("--listen", "70000"), "--listen must be a port"),
])
def test_what_nginx_could_not_use_is_refused_and_nothing_written(args: tuple[str, ...], says: str,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "site.conf"
    r = generate_nginx(tmp_path, *args, "--out", str(out))
    assert r.returncode == 1, r.stdout
    assert says in " ".join(r.stderr.split()), r.stderr
    assert not out.exists()


# --- Debian's nginx in front of the real processes ---------------------------------------------

INDEX = "<!doctype html><title>sutra client</title><div id=root></div>"
ASSET = "app-3f2a9c.js"


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nginx on a free port in front of a dead API node, a live one, sutra-hybrid and a client build."""
    tmp = tmp_path_factory.mktemp("nginx-front")
    static = tmp / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text(INDEX)
    (static / "assets" / ASSET).write_text("console.log('sutra')")
    dead = free_port()  # nothing listens there: nginx must skip it
    port = free_port()
    with storage_server(tmp / "data", env=STORAGE_ENV) as s, start_api(s.address, tmp) as api, \
            start_hybrid(s.address, tmp) as hybrid:
        conf = standalone(tmp, "--api", f"127.0.0.1:{dead}", "--api", f"127.0.0.1:{api.port}",
                          "--hybrid", f"127.0.0.1:{hybrid.port}", "--listen", str(port),
                          "--dashboard", f"127.0.0.1:{free_port()}", "--admin-allow", "10.255.0.0/16",
                          "--static-root", str(static))
        with run_nginx(conf, port):
            yield f"http://127.0.0.1:{port}"


def test_api_rule_and_a_dead_node_skipped(front: str) -> None:
    with httpx.Client(base_url=front, timeout=30) as c:
        health = c.get("/api/health").json()  # sutra-api's /health
        assert health["status"] == "ok" and health["storage"]["status"] == "up", health
        for _ in range(6):  # round robin would hit the dead node every other request: it is skipped
            r = c.get("/api/health")
            assert r.status_code == 200, r.text
        r = c.post("/api/learn", json={"content": "Nginx forwards requests to upstreams."})
        assert r.status_code == 200, r.text
        r = c.post("/api/ask", json={"question": "What does nginx forward?"})
        assert r.status_code == 200 and "requests" in r.json()["answer"].lower(), r.text
        assert "sutra client" not in c.get("/api").text  # /api is sutra-api's /, never the client's page


def test_client_files_cached_by_kind_and_deep_links_fall_back(front: str) -> None:
    with httpx.Client(base_url=front, timeout=10) as c:
        deep = c.get("/concepts/42")
        assert deep.status_code == 200 and deep.text == INDEX
        assert deep.headers["cache-control"] == "no-cache"
        assert "default-src 'self'" in deep.headers["content-security-policy"]
        asset = c.get(f"/assets/{ASSET}")
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
        assert "javascript" in asset.headers["content-type"]
        assert c.get("/assets/missing-123.js").status_code == 404  # never index.html for a missing asset


def test_body_over_the_apps_limit_refused_and_serving_goes_on(front: str) -> None:
    with httpx.Client(base_url=front, timeout=60) as c:
        # a body within the apps' limit reaches sutra-api (which names its own, smaller text limit)
        within = json.dumps({"content": "x" * (MAX_REQUEST_BODY_BYTES - 1024)})
        r = c.post("/api/learn", content=within, headers={"content-type": "application/json"})
        assert r.status_code in (400, 422) and "content" in r.text, (r.status_code, r.text[:300])
        big = json.dumps({"content": "x" * (MAX_REQUEST_BODY_BYTES + 1)})
        r = c.post("/api/learn", content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413
        assert c.get("/api/health").status_code == 200


def test_dashboard_only_from_the_admin_networks(front: str) -> None:
    with httpx.Client(base_url=front, timeout=10) as c:
        assert c.get("/dashboard/").status_code == 403  # 127.0.0.1 is not in 10.255.0.0/16


def test_v1_streams_through_nginx(front: str) -> None:
    body = {"model": "sutra", "stream": True, "messages": [{"role": "user", "content": "What does nginx forward?"}]}
    with httpx.Client(base_url=front, timeout=30) as c, c.stream("POST", "/v1/chat/completions", json=body) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[0][6:])["object"] == "chat.completion.chunk"
