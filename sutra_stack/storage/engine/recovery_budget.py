"""The recovery target as a budget of WAL bytes: when to wake the snapshotter, when writers wait.

storage.recovery_target_seconds bounds how long a restart after a crash spends replaying the
WAL. At the replay rate (measured by a start that replayed enough, else
DEFAULT_REPLAY_BYTES_PER_SECOND) that is a budget of WAL bytes. A snapshot of a large store
takes long and what is written meanwhile stays in the WAL, so the snapshotter wakes at the budget
less what the last snapshot let in (half the budget before any, with a margin as the store grows,
never later than storage.snapshot_wal_bytes), and once the WAL holds the whole budget while a
snapshot runs, writers wait (`admit`) until it is in place and the WAL it covers is dropped. With
the target off (0) nothing waits and only the size and interval wake the snapshotter.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)
# WAL replay rate assumed until a start replays enough to measure it (bytes of log per second).
# bench/bench_recovery.py on 2 vCPUs (built-in embedder, dimension 384, ef_construction 200):
# 3.8-5.6 MB/s at 100K concepts, 2.6 MB/s at 1M.
DEFAULT_REPLAY_BYTES_PER_SECOND = 4 * 1024 * 1024
MIN_MEASURED_REPLAY_BYTES = 4 * 1024 * 1024  # a replay this long measures the rate
MIN_BUDGET_BYTES = 4096


class RecoveryBudget:
    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.target = float(settings["storage.recovery_target_seconds"])
        self.size_limit = int(settings["storage.snapshot_wal_bytes"])
        self.replay_rate = float(DEFAULT_REPLAY_BYTES_PER_SECOND)  # WAL bytes replayed per second
        self.wake_bytes = self.size_limit  # WAL size at which the snapshotter is woken
        self.budget_bytes = 0  # WAL size at which writers wait for a running snapshot (0: never)
        self.written_during_snapshot = -1  # WAL bytes the last snapshot let in (-1: none taken yet)
        self.write_waits = 0  # writes that waited for a snapshot
        self.write_wait_seconds = 0.0
        self._room = threading.Condition(threading.Lock())
        self._snapshotting = False
        self._set_thresholds()

    def measured_replay(self, replayed: int, seconds: float) -> None:
        """A start replayed `replayed` bytes in `seconds`: take its rate when that measures it."""
        if replayed >= MIN_MEASURED_REPLAY_BYTES and seconds > 0:
            self.replay_rate = replayed / seconds
            log.info("replayed %d bytes of WAL in %.2f s (%.1f MB/s)", replayed, seconds, self.replay_rate / 1e6)
            self._set_thresholds()

    def snapshot_done(self, wal_bytes_left: int) -> None:
        """A snapshot is in place and the WAL it covers dropped; `wal_bytes_left` came in meanwhile."""
        self.written_during_snapshot = wal_bytes_left
        self._set_thresholds()

    def _set_thresholds(self) -> None:
        if self.target <= 0:
            self.budget_bytes, self.wake_bytes = 0, self.size_limit
            return
        budget = max(MIN_BUDGET_BYTES, int(self.target * self.replay_rate))
        during = budget // 2 if self.written_during_snapshot < 0 else self.written_during_snapshot * 3 // 2
        self.budget_bytes = budget
        self.wake_bytes = min(self.size_limit, max(budget // 4, budget - during))

    def estimate(self, wal_bytes: int) -> float:
        """Seconds a restart after a crash would spend replaying `wal_bytes` of WAL."""
        return wal_bytes / self.replay_rate

    def admit(self, wal_size: Callable[[], int], wake: Callable[[], None], closing: threading.Event) -> None:
        """Before a write is logged (no lock held): while a snapshot runs and the WAL already holds
        the budget, wait until the snapshot ends (in place or failed) or the store closes. Without a
        running snapshot nothing waits: `wake` starts one."""
        budget = self.budget_bytes
        if budget <= 0 or wal_size() < budget:
            return
        wake()
        t0 = time.perf_counter()
        waited = False
        with self._room:
            while self._snapshotting and wal_size() >= budget and not closing.is_set():
                if not waited:
                    waited = True
                    if self.write_waits == 0:
                        log.info("writes wait for the snapshot in progress: replaying the WAL (%d bytes) after a "
                                 "crash would pass storage.recovery_target_seconds; raise it (or set 0) to let "
                                 "bulk loads run on at the cost of longer crash restarts", wal_size())
                self._room.wait(timeout=1.0)
            if waited:
                self.write_waits += 1
                self.write_wait_seconds += time.perf_counter() - t0

    def snapshot_running(self, running: bool) -> None:
        with self._room:
            self._snapshotting = running
            self._room.notify_all()
