"""The write-ahead log: its lifecycle (`log`), group commit (`groupcommit`), the record and segment
format (`framing`), the segment files (`segments`), reading a log back (`recovery`) and the
file-operation seam every change to the store's disk goes through (`fileops`)."""

from sutra_stack.storage.wal.groupcommit import MAX_INFLIGHT_FSYNCS
from sutra_stack.storage.wal.log import FSYNC_POLICIES, WriteAheadLog

__all__ = ["FSYNC_POLICIES", "MAX_INFLIGHT_FSYNCS", "WriteAheadLog"]
