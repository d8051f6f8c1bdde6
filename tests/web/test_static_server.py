"""The client's static server (mode "static") with real clients: /api/X reaches sutra-api's /X (status,
body and errors unchanged), the bundle and the app's routes are served, a Host name not served is
refused, a body over MAX_REQUEST_BODY_BYTES is refused by name, sutra-api down is a 502 saying what
to do; after each bad request the server keeps serving."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx

from sutra_stack.limits import MAX_REQUEST_BODY_BYTES
from tests.support.procs import free_port
from tests.web.conftest import Stack, client_process


def test_api_prefix_is_stripped_on_the_way_to_sutra_api(stack: Stack) -> None:
    with httpx.Client(base_url=stack.client_url, timeout=30) as c, stack.api() as api:
        learned = c.post("/api/learn", json={"content": "Quillon Bay is a harbour of Ostrelia."})
        assert learned.status_code == 200
        cid = learned.json()["concept_id"]
        assert c.get(f"/api/concepts/{cid}").json()["content"] == api.get(f"/concepts/{cid}").json()["content"]
        assert c.get("/api/stats").json().keys() == api.get("/stats").json().keys()
        bad = c.get("/api/concepts/not-an-id")
        assert bad.status_code == 422 and bad.json() == api.get("/concepts/not-an-id").json()
        assert c.get(f"/api/concepts/{cid}/neighbors", params={"direction": "out"}).status_code == 200
        assert c.get("/api/nowhere").status_code == api.get("/nowhere").status_code == 404


def test_the_bundle_and_the_app_routes_are_served(stack: Stack) -> None:
    with httpx.Client(base_url=stack.client_url, timeout=10) as c:
        index = c.get("/")
        assert index.status_code == 200 and "text/html" in index.headers["content-type"]
        assert "default-src 'self'" in index.headers["content-security-policy"]
        script = re.search(r'src="(/assets/[^"]+\.js)"', index.text)
        assert script, index.text
        js = c.get(script.group(1))
        assert js.status_code == 200 and "javascript" in js.headers["content-type"] and len(js.content) > 10_000
        assert c.get("/some/deep/link").text == index.text  # the app routes itself
        assert c.get("/assets/missing.js").status_code == 404


def test_no_file_outside_the_bundle_is_served(stack: Stack) -> None:
    port = int(stack.client_url.rsplit(":", 1)[1])
    for path in ("/assets/../../../../../../etc/passwd", "/assets/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
                 "/../../../../etc/passwd"):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        assert b"root:" not in answer, path


def test_a_host_name_not_served_is_refused(stack: Stack) -> None:
    with httpx.Client(base_url=stack.client_url, timeout=10) as c:
        r = c.get("/api/stats", headers={"host": "rebind.attacker.example"})
        assert r.status_code == 400
        assert "SUTRA_CLIENT_ALLOWED_HOSTS" in r.json()["error"]["message"]
        assert c.get("/", headers={"host": "localhost:3000"}).status_code == 200
        assert c.get("/api/stats").status_code == 200


def test_a_body_over_the_limit_is_refused_by_name_and_the_server_serves_on(stack: Stack) -> None:
    port = int(stack.client_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"POST /api/learn HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {MAX_REQUEST_BODY_BYTES + 1}\r\n\r\n".encode())
        raw = b""
        while chunk := s.recv(65536):  # the 413 closes the connection
            raw += chunk
        answer = raw.decode("latin-1")
    assert answer.startswith("HTTP/1.1 413") and "MAX_REQUEST_BODY_BYTES" in answer
    with httpx.Client(base_url=stack.client_url, timeout=10) as c:
        assert c.get("/api/stats").status_code == 200


def test_sutra_api_down_is_a_502_saying_what_to_do(tmp_path: Path) -> None:
    with client_process(free_port(), tmp_path) as url, httpx.Client(base_url=url, timeout=10) as c:
        r = c.post("/api/ask", json={"question": "Anyone there?"})
        assert r.status_code == 502
        err = r.json()["error"]
        assert err["code"] == "UNAVAILABLE" and "sutra start api" in err["message"]
        assert c.get("/").status_code == 200
