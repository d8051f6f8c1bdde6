"""The StorageClient under sutra-api's Reasoner polls the fast door for quick answers; on a machine whose
cores are all busy its polls run out (the server waits for the core a poll holds), and then an
operation stops polling for a while rather than pay the whole budget on every other call."""

from __future__ import annotations

from sutra_stack.limits import BUSY_POLL_MAX_BACKOFF_CALLS
from sutra_stack.storage.client.transport import BusyPoll


def polls(poll: BusyPoll, op: str) -> bool:
    """Whether the next call of `op` polls (and, if it does, that call's poll over)."""
    until = poll.begin(op, 1.0)
    if until:
        poll.end()
    return bool(until)


def test_an_operation_whose_polls_run_out_sleeps_through_twice_as_many_calls_each_time() -> None:
    poll = BusyPoll(0.001)
    rests = []
    for _ in range(9):
        assert polls(poll, "search_candidates")
        poll.polled("search_candidates", in_time=False)  # the answer came after the budget was spent
        rest = 0
        while not polls(poll, "search_candidates"):
            rest += 1
        rests.append(rest)
    assert rests == [1, 2, 4, 8, 16, 32, 64, 64, 64] and max(rests) == BUSY_POLL_MAX_BACKOFF_CALLS
    assert polls(poll, "query_concept"), "other operations poll as before"
    poll.polled("search_candidates", in_time=True)  # answered within its poll: back to polling every call
    poll.polled("search_candidates", in_time=False)
    assert not polls(poll, "search_candidates") and polls(poll, "search_candidates")
