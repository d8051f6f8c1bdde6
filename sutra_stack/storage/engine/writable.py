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
from typing import Any

from sutra_stack.errors import FailedPrecondition

log = logging.getLogger("sutra_stack.storage.engine")

WritableListener = Callable[[bool], None]


class WritableMixin:
    """Mixed into Engine: `_log` (the WAL or MemoryLog) and `_read_only` (configured) come from it."""

    _log: Any
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
        resume = getattr(self._log, "resume_writes", None)
        if not self._log.read_only or resume is None:
            self._note_log_state()
            return {"resumed": False, "read_only": False,
                    "message": "the store already accepts writes; nothing to do"}
        try:
            segment = resume()
        finally:
            self._note_log_state()
        if not segment:  # another caller resumed it meanwhile
            return {"resumed": False, "read_only": False,
                    "message": "the store already accepts writes; nothing to do"}
        log.warning("writes resumed: the write-ahead log continues in %s", segment)
        return {"resumed": True, "read_only": False,
                "message": f"writes resumed: the write-ahead log continues in a new segment {segment}"}
