"""The gRPC core setting the storage server runs with (see storage/server/__init__.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from sutra_stack.storage import StorageClient
from sutra_stack.storage.server import GRPC_EXPERIMENTS
from tests.support.storage_server import storage_server

SHOW = "import os, sutra_stack.storage.server; print(os.environ.get('GRPC_EXPERIMENTS'))"
CORE_ERROR = re.compile(r"^E\d{4} [\d:. ]+\S+\.cc:\d+\]", re.MULTILINE)  # how gRPC core logs an error


def _experiments(env: dict[str, str]) -> str:
    base = {k: v for k, v in os.environ.items() if k != "GRPC_EXPERIMENTS"}
    out = subprocess.run([sys.executable, "-c", SHOW], env={**base, **env}, capture_output=True, text=True,
                         check=True, timeout=60)
    return out.stdout.strip()


def test_the_server_turns_the_eventengine_listener_off_unless_the_operator_chose() -> None:
    assert GRPC_EXPERIMENTS == "-event_engine_listener"
    assert _experiments({}) == GRPC_EXPERIMENTS
    assert _experiments({"GRPC_EXPERIMENTS": "event_engine_listener"}) == "event_engine_listener"


def test_a_server_with_the_setting_serves_and_logs_no_grpc_core_error() -> None:
    with storage_server() as srv:
        with StorageClient(f"grpc://{srv.address}") as c:
            cid = c.learn_concept("water boils at 100 degrees")
            got = c.query_concept(cid)
            assert got is not None and got.content == "water boils at 100 degrees"
        log = srv.log_text()
    # an experiment gRPC core no longer knows is logged as "Unknown experiment" at start
    assert not CORE_ERROR.search(log), CORE_ERROR.findall(log)
