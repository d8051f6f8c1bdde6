"""The stats answer carries what the server served: calls and their latency histogram, on both doors, the
probes (health, stats, server_info) left out, so that a monitor polling it does not show as load."""

from __future__ import annotations

import pytest

from sutra_stack.errors import InvalidArgument
from sutra_stack.storage import StorageClient
from sutra_stack.storage.model import StoreStats
from sutra_stack.storage.server.metrics import BUCKETS
from tests.support.storage_server import StorageServerHandle

from .conftest import addresses


def _check_histogram(st: StoreStats) -> None:
    assert st.call_seconds_le == list(BUCKETS)
    assert len(st.call_seconds_buckets) == len(BUCKETS)
    assert st.call_seconds_buckets == sorted(st.call_seconds_buckets)  # cumulative
    assert st.call_seconds_buckets[-1] <= st.calls  # the rest took longer than the largest bound


def test_stats_counts_the_calls_served_on_both_doors(server: StorageServerHandle) -> None:
    doors = addresses(server)
    with StorageClient(doors["grpc"]) as g, StorageClient(doors["tcp"]) as t:
        before = g.stats()
        _check_histogram(before)
        for i in range(5):
            t.learn_concept(f"counted call {i} over the fast door")
        cid = g.learn_concept("counted call over grpc")
        assert g.query_concept(cid) is not None
        with pytest.raises(InvalidArgument):
            t.learn_concept("")  # a refused call is a call served too
        for _ in range(10):  # probes are not load
            g.health()
            t.stats()
            t.server_info()
        by_grpc, by_tcp = g.stats(), t.stats()
    assert by_grpc.calls - before.calls == 8
    assert by_grpc.calls == by_tcp.calls and by_grpc.call_seconds_buckets == by_tcp.call_seconds_buckets
    _check_histogram(by_grpc)
    # every call of this test was fast: all 8 are within the largest bound
    assert by_grpc.call_seconds_buckets[-1] - before.call_seconds_buckets[-1] == 8
    assert by_grpc.to_dict()["calls"] == by_grpc.calls  # the record's own fields: sutra-api's /stats has them too
