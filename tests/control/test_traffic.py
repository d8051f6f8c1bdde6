"""/api/status' traffic on a real built-in stack: the storage server's operations per second and latency,
the apps' requests, errors and latency per route, from the samples sutra-control takes itself; and its
log free of the HTTP client's line per probe."""

from __future__ import annotations

import time
from typing import Any

import httpx

from sutra_stack.limits import CONTROL_RATE_WINDOW_SECONDS
from tests.control.support import Control
from tests.supervisor.helpers import env_port
from tests.support.procs import wait_until

ASKS, BAD_ASKS, MISSING = 7, 3, 2


def _status(stack: Control) -> dict[str, Any]:
    with stack.client(token=None) as c:
        r = c.get("/api/status")
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _row(app: dict[str, Any], method: str, route: str) -> dict[str, Any]:
    rows = [r for r in app["routes"] if (r["method"], r["route"]) == (method, route)]
    assert len(rows) == 1, app["routes"]
    return rows[0]


def test_status_shows_storage_and_api_traffic_over_the_window(stack: Control) -> None:
    api = f"http://127.0.0.1:{env_port(stack.d, 'SUTRA_API_PORT')}"
    hybrid = f"http://127.0.0.1:{env_port(stack.d, 'SUTRA_HYBRID_PORT')}"
    with httpx.Client(base_url=api, timeout=60) as c:
        assert c.post("/learn", json={"content": "Smoking causes lung cancer."}).status_code == 200
        for _ in range(ASKS):
            assert c.post("/ask", json={"question": "What does smoking cause?"}).status_code == 200
        for _ in range(BAD_ASKS):
            assert c.post("/ask", json={"query": "no question field"}).status_code == 422
        for _ in range(MISSING):
            assert c.get("/concepts/" + "0" * 32).status_code == 404
    with httpx.Client(base_url=hybrid, timeout=60) as c:
        assert c.get("/v1/models").status_code == 200
        assert c.get("/v1/models/no-such-model").status_code == 404

    body: dict[str, Any] = {}

    def shown() -> bool:
        nonlocal body
        body = _status(stack)
        st, api_app = body["storage"], body["apps"]["api"]
        ask = _row(api_app, "POST", "/ask")
        return bool(st["ops_per_second"]) and ask["requests_total"] == ASKS + BAD_ASKS \
            and bool(ask["requests_per_second"])

    wait_until(shown, 60, 0.2, what=f"the window to show the calls (last {body})")
    storage = body["storage"]
    assert storage["calls_total"] > ASKS and 0 < storage["window_seconds"] <= CONTROL_RATE_WINDOW_SECONDS + 2
    assert storage["ops_per_second"] > 0
    assert 0 < storage["latency_ms"]["p50"] <= storage["latency_ms"]["p99"]
    assert {"concepts", "wal_bytes", "fsync", "read_only"} <= set(storage)  # the keys it had stay

    app = body["apps"]["api"]
    assert app["up"] is True and app["url"].endswith("/metrics")
    ask = _row(app, "POST", "/ask")
    assert ask["errors_4xx"] == BAD_ASKS and ask["errors_5xx"] == 0
    assert 0 < ask["p50_ms"] <= ask["p99_ms"]
    missing = _row(app, "GET", "/concepts/{concept_id}")
    assert missing["requests_total"] == MISSING and missing["errors_4xx"] == MISSING
    assert app["errors_4xx"] == BAD_ASKS + MISSING and app["errors_5xx"] == 0
    assert app["requests_total"] == sum(r["requests_total"] for r in app["routes"] if not r["monitoring"])
    assert _row(app, "GET", "/metrics")["monitoring"] is True  # control's own readings, apart
    assert app["requests_per_second"] > 0 and app["errors_per_second"] is not None

    models = _row(body["apps"]["hybrid"], "GET", "/v1/models")
    assert models["requests_total"] == 1 and models["errors_4xx"] == 0
    assert body["apps"]["hybrid"]["errors_4xx"] >= 1  # the unknown model

    # Watching is not load: polling /api/status adds no storage operation (its stats and health calls, and
    # the sampler's, are probes)
    calls = _status(stack)["storage"]["calls_total"]
    for _ in range(30):
        _status(stack)
    assert _status(stack)["storage"]["calls_total"] == calls


def test_a_minute_of_status_polling_logs_no_http_client_line(stack: Control) -> None:
    logs = stack.d / ".sutra" / "logs"
    deadline = time.monotonic() + 60
    polls = 0
    while time.monotonic() < deadline:  # and the sampler probes every app's /metrics each second meanwhile
        _status(stack)
        polls += 1
        time.sleep(0.5)
    assert polls > 60
    text = "".join(p.read_text(errors="replace") for p in sorted(logs.glob("control.log*")))
    assert "Application startup complete" in text  # control's own INFO lines are there
    lines = [line for line in text.splitlines() if "httpx" in line or "httpcore" in line or "HTTP Request" in line]
    assert not lines, lines[:5]
