"""Whether the engine accepts writes, who hears when that changes, and resuming after a disk failure.

A store refuses writes when it is configured read-only (`storage.read_only`) or when its WAL
turned read-only after a disk failure. The second is learnt on a failed or refused write (and
whenever stats are read); listeners registered with `on_writable_change` are called then, and
again when `resume_writes` returns the log to writing, so a server can flip its health at once.
Only a store that turned read-only after a failure can be resumed; a configured one cannot.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from sutra_stack.errors import FailedPrecondition
from sutra_stack.storage.wal import WriteAheadLog

log = logging.getLogger("sutra_stack.storage.engine")

WritableListener = Callable[[bool], None]


class RecordLog(Protocol):
    """What the engine writes its records to: the WriteAheadLog, or the MemoryLog of a store that
    keeps nothing (which numbers records and is never read-only)."""

    @property
    def read_only(self) -> bool: ...

    @property
    def last_lsn(self) -> int: ...

    @property
    def size_bytes(self) -> int: ...

    @property
    def segment_count(self) -> int: ...

    @property
    def fsync_policy(self) -> str: ...

    def append(self, payload: bytes) -> int:
        """Write one record; its lsn once it is as durable as the policy makes it."""
        ...

    def close(self) -> None: ...


class WritableMixin:
    """Mixed into Engine: `_log` (the WAL or MemoryLog) and `_read_only` (configured) come from it."""

    _log: RecordLog
    _read_only: bool
    _writable_listeners: list[WritableListener]
    _log_read_only_seen: bool
    _writable_lock: threading.Lock

    def _init_writable(self) -> None:
        self._writable_listeners = []
        self._log_read_only_seen = False
        self._writable_lock = threading.Lock()

    @property
    def writable(self) -> bool:
        return not (self._read_only or self._log.read_only)

    def on_writable_change(self, listener: WritableListener) -> None:
        """Call `listener(writable)` whenever the WAL turns read-only or returns to writing."""
        self._writable_listeners.append(listener)

    def _note_log_state(self) -> None:
        """Tell the listeners if the WAL's read-only state changed since they last heard."""
        ro = bool(self._log.read_only)
        with self._writable_lock:
            if ro == self._log_read_only_seen:
                return
            self._log_read_only_seen = ro
        if ro:
            log.error("the store is READ-ONLY after a disk failure: reads are served, writes refused; free space "
                      "or fix the disk, then run `sutra storage resume-writes`")
        for listener in list(self._writable_listeners):
            try:
                listener(not ro and not self._read_only)
            except Exception:  # a listener must not break the write path
                log.exception("a writability listener failed")

    def resume_writes(self) -> dict[str, Any]:
        """Return a store whose WAL turned read-only after a disk failure to writing.

        {"resumed": bool, "read_only": bool, "message": str}; a store that is writable is left
        alone ("resumed": False). A configured read-only store is refused (FailedPrecondition), and
        so is a resume that fails (the OS error; the store stays read-only).
        """
        if self._read_only:
            raise FailedPrecondition("this store is configured read-only (storage.read_only / "
                                     "SUTRA_STORAGE_READ_ONLY): change the setting and restart to accept writes; "
                                     "resume-writes only returns a store to writing after a disk failure",
                                     field="storage.read_only")
        wal = self._log
        if not wal.read_only or not isinstance(wal, WriteAheadLog):
            self._note_log_state()
            return {"resumed": False, "read_only": False,
                    "message": "the store already accepts writes; nothing to do"}
        try:
            segment = wal.resume_writes()
        finally:
            self._note_log_state()
        if not segment:  # another caller resumed it meanwhile
            return {"resumed": False, "read_only": False,
                    "message": "the store already accepts writes; nothing to do"}
        log.warning("writes resumed: the write-ahead log continues in %s", segment)
        return {"resumed": True, "read_only": False,
                "message": f"writes resumed: the write-ahead log continues in a new segment {segment}"}
