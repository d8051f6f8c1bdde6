"""The sutra-control application: routes over the Hub (live state), the supervisor link, the
storage server and the bulk-learning jobs. The API is described in the package docstring."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from sutra_stack.apps.common.bodylimit import BodySizeLimit
from sutra_stack.apps.common.errors import error_response, install_error_handlers, sutra_error_response
from sutra_stack.apps.common.hosts import HostCheck, allowed_names
from sutra_stack.apps.control.hub import Hub, sse
from sutra_stack.apps.control.jobs import Job, Jobs, guess_format
from sutra_stack.apps.control.link import Link
from sutra_stack.apps.control.pages import mount_pages
from sutra_stack.apps.control.security import OriginCheck, Refused, require_token
from sutra_stack.apps.control.status import StatusSources
from sutra_stack.apps.control.upload import receive_upload
from sutra_stack.config import Settings, settings_from_env
from sutra_stack.errors import InvalidArgument, ResourceExhausted, SutraError, Unavailable
from sutra_stack.limits import MAX_BULK_UPLOAD_BYTES, MAX_CONTROL_STREAMS, MAX_REQUEST_BODY_BYTES
from sutra_stack.supervisor.control import MAX_LOG_PAGE_LINES, STATE_DIR_ENV

ACTIONS = ("start", "stop", "restart")
QUIET_LOGGERS = ("httpx", "httpcore")
BULK_PATH = "/admin/bulk-learn"
KEEPALIVE_SECONDS = 15.0  # a comment line on an idle stream, so proxies and clients see it is alive
Admin = Depends(require_token)
DROPPED = b'event: dropped\ndata: {"reason": "too far behind (CONTROL_STREAM_QUEUE, CONTROL_STREAM_QUEUE_BYTES)"}\n\n'


class BackupRequest(BaseModel):
    name: str


def state_dir() -> Path:
    return Path(os.environ.get(STATE_DIR_ENV) or ".sutra").resolve()


def create_app(settings: Settings | None = None, link: Link | None = None) -> FastAPI:
    settings = settings or settings_from_env()
    link = link or Link()
    sources = StatusSources(settings, Path.cwd())
    hub = Hub(link, probe_status=sources.probe_services, sample=sources.sample)

    jobs: Jobs | None = None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal jobs
        jobs = Jobs(state_dir() / "control" / "jobs")
        app.state.jobs = jobs
        await hub.refresh()
        hub.start()
        yield
        await hub.close()
        jobs.close()
        sources.close()

    app = FastAPI(title="sutra-control", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    install_error_handlers(app)

    @app.exception_handler(Refused)
    async def _refused(_: Request, e: Refused) -> JSONResponse:
        return error_response(e.status, e.code, e.message, field=e.field)

    @app.exception_handler(ResourceExhausted)
    async def _too_big(_: Request, e: ResourceExhausted) -> JSONResponse:
        if e.field == "file":
            return error_response(413, e.code, e.message, field=e.field)
        return sutra_error_response(e)

    def the_jobs() -> Jobs:
        if jobs is None:
            raise Unavailable("sutra-control is starting")
        return jobs

    # ---- health ------------------------------------------------------------------------------------
    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok"}

    @app.get("/ready")
    async def ready() -> dict[str, Any]:
        return {"status": "ready", "process_control": link.available}

    # ---- state -------------------------------------------------------------------------------------
    @app.get("/api/status")
    async def status() -> dict[str, Any]:
        await hub.refresh()
        storage, apps = await asyncio.gather(sources.storage(), sources.apps())
        return {**hub.snapshot(), "storage": storage, "apps": apps, "at": round(time.time(), 3)}

    @app.get("/api/history")
    async def history(since: float = 0.0) -> dict[str, Any]:
        return {"samples": [s for s in hub.samples if s["at"] > since]}

    @app.get("/api/events", dependencies=[Admin])
    async def transitions(after: int = 0) -> dict[str, Any]:
        out = await link.ask("events", after=after, wait=0)
        return {"supervisor_id": out["supervisor_id"], "last": out["last"], "events": out["events"]}

    @app.get("/api/stream", dependencies=[Admin])
    async def stream(request: Request, logs: str = "") -> Response:
        if len(hub.subscribers) >= MAX_CONTROL_STREAMS:
            return error_response(503, "UNAVAILABLE", f"{len(hub.subscribers)} streams are open, the most "
                                  f"MAX_CONTROL_STREAMS={MAX_CONTROL_STREAMS} allows", headers={"Retry-After": "5"})
        last = request.headers.get("last-event-id", "").strip()
        if last and not last.isdigit():
            raise InvalidArgument("Last-Event-ID must be an event id this stream gave", field="last-event-id")
        names = frozenset(n for n in logs.split(",") if n)
        sub, first = hub.subscribe(int(last) if last else None, names)

        async def body() -> AsyncIterator[bytes]:
            sub.task = asyncio.current_task()
            try:
                for ev in first:
                    yield sse(ev)
                while True:
                    if sub.dropped:
                        yield DROPPED
                        return
                    try:
                        got = await asyncio.wait_for(sub.queue.get(), KEEPALIVE_SECONDS)
                    except TimeoutError:
                        yield b": keep-alive\n\n"
                        continue
                    if got is None:
                        return
                    sub.queued_bytes -= len(got["sse"])
                    yield sse(got)
            finally:
                hub.unsubscribe(sub)

        return StreamingResponse(body(), media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    # ---- logs --------------------------------------------------------------------------------------
    @app.get("/api/logs/{service}", dependencies=[Admin])
    async def logs(service: str, before: str | None = None, after: str | None = None, limit: int = 200,
                   text: str = "") -> dict[str, Any]:
        if not 1 <= limit <= MAX_LOG_PAGE_LINES:
            raise InvalidArgument(f"limit must be 1..{MAX_LOG_PAGE_LINES} (MAX_LOG_PAGE_LINES)", field="limit")
        out = await link.ask("log_page", service=service, before=before, after=after, limit=limit, text=text)
        return {"service": service, "lines": out["lines"], "first": out["first"], "next": out["next"]}

    # ---- actions -----------------------------------------------------------------------------------
    @app.post("/api/services/{service}/{action}", dependencies=[Admin])
    async def act(service: str, action: str) -> dict[str, Any]:
        if action not in ACTIONS:
            raise InvalidArgument(f"action must be one of {', '.join(ACTIONS)}", field="action")
        await link.ask(action, service=service, timeout=180)
        rows = (await link.ask("status"))["services"]
        return {"service": service, "action": action, "status": next(r for r in rows if r["name"] == service)}

    @app.post("/api/storage/snapshot", dependencies=[Admin])
    async def snapshot() -> dict[str, Any]:
        await asyncio.to_thread(sources.flush)
        return {"snapshot": "taken", "storage": await sources.storage()}

    @app.post("/api/storage/backup", dependencies=[Admin])
    async def backup(req: BackupRequest) -> dict[str, Any]:
        return {"name": req.name, "path": await asyncio.to_thread(sources.backup, req.name)}

    # ---- bulk learning -----------------------------------------------------------------------------
    @app.post(BULK_PATH, status_code=202, dependencies=[Admin])
    async def bulk_learn(request: Request, format: str = "", column: str = "") -> dict[str, Any]:
        js = the_jobs()
        job_id, d = js.new_dir()
        try:
            up = await receive_upload(request, d / "upload", MAX_BULK_UPLOAD_BYTES)
            fmt = guess_format(up.filename, format or up.fields.get("format", ""))
            col = (column or up.fields.get("column", "")).strip()
            if fmt == "csv" and not col:
                raise InvalidArgument("a csv upload needs 'column': the header name (or 0-based index) of the "
                                      "column holding the text", field="column")
        except BaseException:
            with contextlib.suppress(OSError):
                for p in d.iterdir():
                    p.unlink()
                d.rmdir()
            raise
        job = js.add(Job(id=job_id, filename=up.filename or "upload", format=fmt, column=col,
                         bytes_total=up.size, lines_total=up.lines))
        return job.view()

    @app.get(BULK_PATH, dependencies=[Admin])
    async def list_jobs() -> dict[str, Any]:
        return {"jobs": the_jobs().listing()}

    @app.get(BULK_PATH + "/{job_id}", dependencies=[Admin])
    async def get_job(job_id: str) -> dict[str, Any]:
        return the_jobs().get(job_id).view()

    @app.post(BULK_PATH + "/{job_id}/cancel", dependencies=[Admin])
    async def cancel_job(job_id: str) -> dict[str, Any]:
        return the_jobs().cancel(job_id).view()

    @app.post(BULK_PATH + "/{job_id}/resume", dependencies=[Admin])
    async def resume_job(job_id: str) -> dict[str, Any]:
        return the_jobs().resume(job_id).view()

    @app.get(BULK_PATH + "/{job_id}/errors", dependencies=[Admin])
    async def job_errors(job_id: str) -> Response:
        path = the_jobs().errors_path(job_id)
        if not path.exists():
            return Response(b"", media_type="application/x-ndjson")
        return FileResponse(path, media_type="application/x-ndjson", filename=f"{job_id}-errors.jsonl")

    mount_pages(app)  # the dashboard page at / (web/dashboard's build)

    # ---- middleware (outermost last) ---------------------------------------------------------------
    cors = [o.strip().lower().rstrip("/") for o in settings["control.cors_origins"].split(",") if o.strip()]
    if cors:
        app.add_middleware(CORSMiddleware, allow_origins=cors, allow_methods=["GET", "POST"],
                           allow_headers=["authorization", "content-type", "last-event-id"])
    app.add_middleware(OriginCheck, allowed=frozenset(cors))
    app.add_middleware(_BodyLimitExceptUploads)
    app.add_middleware(HostCheck, allowed=allowed_names(settings["control.host"], settings["control.allowed_hosts"]),
                       respond=lambda host: error_response(
                           400, "INVALID_ARGUMENT", f"this server is not {host!r}: add it to control.allowed_hosts "
                           "(SUTRA_CONTROL_ALLOWED_HOSTS) to reach sutra-control by that name", field="host"))
    return app


class _BodyLimitExceptUploads:
    """MAX_REQUEST_BODY_BYTES on every body but a bulk-learn upload (MAX_BULK_UPLOAD_BYTES, counted as it is
    streamed to disk)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.limited = BodySizeLimit(app, max_bytes=MAX_REQUEST_BODY_BYTES)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == BULK_PATH:
            await self.app(scope, receive, send)
        else:
            await self.limited(scope, receive, send)


def quiet_http_client_logs() -> None:
    """Only warnings from httpx and httpcore: they log a line per request at INFO, and this process probes
    every app's /metrics each `CONTROL_SAMPLE_SECONDS` (the dashboard's log view was all probes)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def factory() -> FastAPI:
    """Entry point for uvicorn (`sutra_stack.apps.control.app:factory`), settings from SUTRA_* variables."""
    quiet_http_client_logs()
    return create_app()


__all__ = ["SutraError", "create_app", "factory"]
