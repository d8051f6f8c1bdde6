"""StorageClient's busy-poll: a waiting thread polls for a quick answer, sleeps for a slow one,
and never reads a frame wrong because it polled."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sutra_stack.config import settings_from_env
from sutra_stack.errors import ConfigError, InvalidArgument, Unavailable
from sutra_stack.limits import MAX_BUSY_POLL_US
from sutra_stack.storage import StorageClient
from sutra_stack.storage.client.transport import BusyPoll, FrameReader
from sutra_stack.storage.wire import pack
from tests.support.storage_server import storage_server

from .conftest import FAST_ENV


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A client end (with a timeout, as the client's sockets have) and the peer that answers."""
    client, peer = socket.socketpair()
    client.settimeout(10)
    yield client, peer
    client.close()
    peer.close()


def _later(seconds: float, fn: object, *args: object) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        fn(*args)  # type: ignore[operator]

    t = threading.Thread(target=run)
    t.start()
    return t


def test_an_answer_later_than_the_budget_is_slept_for_not_spun_for(pair: tuple[socket.socket, socket.socket]) -> None:
    client, peer = pair
    answer = {"id": 1, "result": "x" * 1000}
    sender = _later(0.4, peer.sendall, pack(answer))
    cpu, wall = time.thread_time(), time.perf_counter()
    got = FrameReader(client).read(time.perf_counter() + 0.02)
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    sender.join()
    assert got == answer
    assert wall >= 0.35
    assert cpu < 0.15, f"the reader burnt {cpu:.3f}s of CPU waiting {wall:.3f}s with a 0.02s budget"


def test_a_quick_answer_is_read_whole_by_polling(pair: tuple[socket.socket, socket.socket]) -> None:
    client, peer = pair
    reader = FrameReader(client)
    for i in range(50):
        answer = {"id": i, "result": list(range(i))}
        peer.sendall(pack(answer))
        assert reader.read(time.perf_counter() + 1.0) == answer


def test_an_answer_split_across_sends_is_joined_after_polling(pair: tuple[socket.socket, socket.socket]) -> None:
    client, peer = pair
    frame = pack({"id": 3, "result": "y" * 5000})
    peer.sendall(frame[:3])  # not even the whole length prefix
    sender = _later(0.05, peer.sendall, frame[3:])
    assert FrameReader(client).read(time.perf_counter() + 0.01) == {"id": 3, "result": "y" * 5000}
    sender.join()


def test_a_connection_closed_while_polling_is_unavailable(pair: tuple[socket.socket, socket.socket]) -> None:
    client, peer = pair
    closer = _later(0.02, peer.close)
    with pytest.raises(Unavailable, match="closed the connection"):
        FrameReader(client).read(time.perf_counter() + 1.0)
    closer.join()


def test_one_thread_polls_at_a_time_and_a_slow_operation_stops_polling() -> None:
    poll = BusyPoll(0.001)
    until = poll.begin("vector_search", 100.0)
    assert until == pytest.approx(100.001)
    assert poll.begin("query_concept", 100.0) == 0.0, "a second thread polled while the first did"
    poll.end()
    assert poll.begin("query_concept", 200.0) == pytest.approx(200.001)
    poll.end()
    poll.waited("learn_batch", 0.05)  # answered after 50 ms: not worth polling for next time
    assert poll.begin("learn_batch", 300.0) == 0.0
    poll.waited("learn_batch", 0.0002)  # quick again (a small batch): poll again
    assert poll.begin("learn_batch", 300.0) > 0.0
    poll.end()
    off = BusyPoll(0.0)
    assert off.begin("query_concept", 1.0) == 0.0


@pytest.mark.parametrize("bad", (-1, MAX_BUSY_POLL_US + 1, 1.5, "100", True))
def test_a_bad_budget_is_refused_with_its_limit(bad: object) -> None:
    with pytest.raises(InvalidArgument, match="MAX_BUSY_POLL_US") as exc:
        StorageClient("tcp://127.0.0.1:1", busy_poll_us=bad)  # type: ignore[arg-type]
    assert exc.value.field == "busy_poll_us"


def test_the_budget_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUTRA_STORAGE_BUSY_POLL_US", "250")
    assert settings_from_env()["storage.busy_poll_us"] == 250
    for bad in ("-5", "lots", str(MAX_BUSY_POLL_US + 1)):
        monkeypatch.setenv("SUTRA_STORAGE_BUSY_POLL_US", bad)
        with pytest.raises(ConfigError, match="SUTRA_STORAGE_BUSY_POLL_US"):
            StorageClient("tcp://127.0.0.1:1")


@pytest.mark.parametrize("budget", (0, MAX_BUSY_POLL_US))
def test_threads_sharing_a_polling_client_each_get_their_own_answers(tmp_path: Path, budget: int) -> None:
    """Four threads mix quick reads (polled) with writes (slept for) on one client."""
    errors: list[str] = []
    with storage_server(tmp_path / "data", env=FAST_ENV) as srv, \
            StorageClient(srv.address, busy_poll_us=budget) as c:

        def work(t: int) -> None:
            for i in range(60):
                text = f"thread {t} concept {i}"
                cid = c.learn_concept(text)
                got = c.query_concept(cid)
                if got is None or got.content != text:
                    errors.append(f"{text}: read back {got}")
                hits = c.vector_search(text=text, k=3)
                if cid not in [h.concept_id for h in hits]:
                    errors.append(f"{text}: not its own nearest neighbour")

        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert c.stats().concepts == 240
    assert not errors, errors[:5]
