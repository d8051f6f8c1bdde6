"""The resident memory of a real server process, sampled in the background: its peak during a block."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import psutil


def rss(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


class PeakRss:
    """`with PeakRss(pid) as peak: ...` then `peak.growth`: the most RSS rose above its level at the start."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.pid = pid
        self.interval = interval
        self.start = rss(pid)
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss(self.pid))
            except psutil.Error:
                return
            time.sleep(self.interval)

    @property
    def growth(self) -> int:
        return self.peak - self.start

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss(self.pid))
