"""The one exception family of the stack.

Every error carries a gRPC status name (`code`) so that the gRPC door, the msgpack door, the
client and the REST apps all speak the same language. Messages say what to do, not only what
went wrong.
"""

from __future__ import annotations

import enum


def shown(value: object, limit: int = 60) -> str:
    """A caller's value as an error message quotes it: a string, bytes or number as its repr cut to `limit`
    characters; anything else by its type (the repr of a list or map recurses as deep as it nests)."""
    if isinstance(value, (str, bytes)):
        return repr(value[:limit])[:limit]
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)[:limit]
    return f"a {type(value).__name__}"


# What to check when the storage server cannot be reached (the client says it; the CLI, which must not
# import grpc before `sutra storage serve` tunes it, cuts it off to say it in its own words).
STORAGE_UNREACHABLE_HINT = ("is the storage server running there? (`sutra up` starts it; a client takes its "
                            "address from SUTRA_STORAGE_SERVER or the storage.server setting)")


class Reason(enum.Enum):
    """Why a connection-level error happened, set where it is raised: what callers decide a retry on
    (never the message's text)."""

    UNREACHABLE = "unreachable"  # no connection could be made: nothing was sent
    CLOSED_IDLE = "closed_idle"  # the server closed the connection for idling and read nothing sent after
    CONNECTION_LOST = "connection_lost"  # lost during a call: a write may or may not have been applied
    TIMED_OUT = "timed_out"  # no answer in time: a write may or may not have been applied


class SutraError(Exception):
    """Base of every error the stack raises on purpose."""

    code: str = "INTERNAL"

    def __init__(self, message: str, *, field: str | None = None, reason: Reason | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason

    def to_dict(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out

    @staticmethod
    def from_code(code: str, message: str, field: str | None = None) -> SutraError:
        cls = ERROR_CLASSES.get(code, SutraError)
        err = cls(message, field=field)
        if cls is SutraError:
            err.code = code
        return err


class InvalidArgument(SutraError, ValueError):
    code = "INVALID_ARGUMENT"


class NotFound(SutraError, KeyError):
    code = "NOT_FOUND"

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class AlreadyExists(SutraError):
    code = "ALREADY_EXISTS"


class Unauthenticated(SutraError):
    code = "UNAUTHENTICATED"


class PermissionDenied(SutraError):
    code = "PERMISSION_DENIED"


class ResourceExhausted(SutraError):
    code = "RESOURCE_EXHAUSTED"


class FailedPrecondition(SutraError):
    code = "FAILED_PRECONDITION"


class Unavailable(SutraError, ConnectionError):
    code = "UNAVAILABLE"


class DataLoss(SutraError):
    """Stored data is corrupt: the message names the file and offset."""

    code = "DATA_LOSS"


class Internal(SutraError):
    code = "INTERNAL"


class ConfigError(SutraError):
    """A mistake in sutra.toml, .env or a SUTRA_* variable, found before anything starts."""

    code = "INVALID_ARGUMENT"


ERROR_CLASSES: dict[str, type[SutraError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument,
        NotFound,
        AlreadyExists,
        Unauthenticated,
        PermissionDenied,
        ResourceExhausted,
        FailedPrecondition,
        Unavailable,
        DataLoss,
        Internal,
    )
}
