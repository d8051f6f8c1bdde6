"""The process-wide settings the storage server runs with (storage/server/tuning.py), and that
importing the stack's modules sets none of them."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from sutra_stack.storage import StorageClient
from sutra_stack.storage.server.tuning import GRPC_EXPERIMENTS
from tests.support.storage_server import storage_server

SHOW = ("import os\n{before}\n"
        "print(os.environ.get('GRPC_EXPERIMENTS'), os.environ.get('GRPC_ENABLE_FORK_SUPPORT'))")
APPLY = "from sutra_stack.storage.server import tuning; tuning.apply()"
# Everything a test, the CLI or sutra-api may import, and an engine made in the process.
IMPORT_ALL = ("import sutra_stack.storage.server, sutra_stack.storage.server.app, sutra_stack.cli, "
              "sutra_stack.apps.api.app\nfrom sutra_stack.storage.engine import Engine\nEngine.in_memory().close()")
CORE_ERROR = re.compile(r"^E\d{4} [\d:. ]+\S+\.cc:\d+\]", re.MULTILINE)  # how gRPC core logs an error


def _grpc_vars(before: str, env: dict[str, str]) -> list[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("GRPC_EXPERIMENTS", "GRPC_ENABLE_FORK_SUPPORT")}
    out = subprocess.run([sys.executable, "-c", SHOW.format(before=before)], env={**base, **env},
                         capture_output=True, text=True, check=True, timeout=60)
    return out.stdout.split()


def test_the_server_tuning_turns_the_eventengine_listener_and_fork_support_off_unless_the_operator_chose() -> None:
    assert GRPC_EXPERIMENTS == "-event_engine_listener"
    assert _grpc_vars(APPLY, {}) == [GRPC_EXPERIMENTS, "false"]
    chosen = {"GRPC_EXPERIMENTS": "event_engine_listener", "GRPC_ENABLE_FORK_SUPPORT": "true"}
    assert _grpc_vars(APPLY, chosen) == ["event_engine_listener", "true"]


def test_importing_the_stack_and_making_an_engine_set_nothing_process_wide() -> None:
    assert _grpc_vars(IMPORT_ALL, {}) == ["None", "None"]


def test_tuning_applied_after_grpc_was_imported_leaves_grpc_alone_and_says_so() -> None:
    base = {k: v for k, v in os.environ.items() if k not in ("GRPC_EXPERIMENTS", "GRPC_ENABLE_FORK_SUPPORT")}
    out = subprocess.run([sys.executable, "-c", SHOW.format(before="import grpc\n" + APPLY)], env=base,
                         capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["None", "None"]
    assert "grpc was imported before the server's tuning" in out.stderr


def test_a_server_with_the_setting_serves_and_logs_no_grpc_core_error() -> None:
    with storage_server() as srv:
        with StorageClient(f"grpc://{srv.address}") as c:
            cid = c.learn_concept("water boils at 100 degrees")
            got = c.query_concept(cid)
            assert got is not None and got.content == "water boils at 100 degrees"
        log = srv.log_text()
    # an experiment gRPC core no longer knows is logged as "Unknown experiment" at start
    assert not CORE_ERROR.search(log), CORE_ERROR.findall(log)
