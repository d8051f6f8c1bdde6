"""A write refused because the store is read-only answers 503 with what the operator does.

The storage server refuses writes with FAILED_PRECONDITION when its store is read-only (its WAL
turned read-only after a disk failure, or storage.read_only is set); other FAILED_PRECONDITION
errors stay 409. Which one it was is asked of the store itself (`stats().read_only`, on this
error path only), so the answer does not depend on the door or on the wording of the message.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sutra_stack.apps.common.blocking import blocking
from sutra_stack.apps.common.errors import error_response, sutra_error_response
from sutra_stack.errors import FailedPrecondition

READ_ONLY_HINT = ("reads are still served. Operator: free space on the storage server's disk (or fix it), then "
                  "run `sutra storage resume-writes`; a store configured with storage.read_only stays read-only "
                  "until the setting changes")


def install_read_only_handler(app: FastAPI) -> None:
    @app.exception_handler(FailedPrecondition)
    async def _failed_precondition(request: Request, exc: FailedPrecondition) -> JSONResponse:
        try:
            read_only = bool((await blocking(lambda: request.app.state.store.store().stats())).read_only)
        except Exception:  # noqa: BLE001 - cannot tell: answer with the error as it came
            read_only = False
        if not read_only:
            return sutra_error_response(exc)
        request.app.state.metrics.storage_read_only.set(1)
        return error_response(503, exc.code, f"the store is read-only, writes are refused: {exc.message}; "
                              f"{READ_ONLY_HINT}", field="read_only")
