"""The live state of the stack and the streams that carry it.

`Hub` keeps the last status of every service, one numbered event per change and a metrics
sample every `CONTROL_SAMPLE_SECONDS` (the last `CONTROL_HISTORY_SECONDS` of samples are kept for
charts), and fans them out to stream subscribers; a subscriber may also follow services' logs (`log`
events, read from the supervisor's files every `LOG_POLL_SECONDS` while someone follows them).
Two tasks feed it: one long-polls the
supervisor's `events` (a state change reaches subscribers as soon as the supervisor makes it),
one asks for `status` every second (CPU, memory). A third takes the traffic sample (`sample`, the
storage server's calls and the apps' /metrics, for the rates of `/api/status`) as often, on its own
so that a slow probe never holds up the others.

Event ids are one sequence per sutra-control process, starting at 1. The last `CONTROL_EVENTS_KEPT`
events are kept: a client reconnecting with `Last-Event-ID: N` gets every event after N when they
are still kept (else a fresh snapshot, marked `"resumed": false`). Each subscriber has a queue of
`CONTROL_STREAM_QUEUE` events and `CONTROL_STREAM_QUEUE_BYTES`; one that falls that far behind is
dropped (its stream ends with an event `dropped`) and nobody else waits for it. An event is encoded
once, whatever the number of subscribers.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import time
from typing import Any

from sutra_stack.apps.control.link import Link
from sutra_stack.errors import SutraError
from sutra_stack.limits import (
    CONTROL_EVENTS_KEPT,
    CONTROL_HISTORY_SECONDS,
    CONTROL_SAMPLE_SECONDS,
    CONTROL_STREAM_QUEUE,
    CONTROL_STREAM_QUEUE_BYTES,
)
from sutra_stack.supervisor.control import MAX_EVENTS_WAIT_SECONDS, MAX_LOG_PAGE_LINES

log = logging.getLogger("sutra.control")
EVENTS_WAIT = min(25.0, MAX_EVENTS_WAIT_SECONDS)
LOG_POLL_SECONDS = 0.2  # a followed log is read this often


class Subscriber:
    def __init__(self, logs: frozenset[str] = frozenset()) -> None:
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(CONTROL_STREAM_QUEUE)
        self.queued_bytes = 0  # of the events in its queue
        self.dropped = False
        self.logs = logs  # services whose new log lines it gets as `log` events
        self.task: asyncio.Task[Any] | None = None  # the task writing its response (cancelled when dropped)

    def wants(self, ev: dict[str, Any]) -> bool:
        return ev["event"] != "log" or ev["data"]["service"] in self.logs


class Hub:
    def __init__(self, link: Link, probe_status: Any = None, sample: Any = None) -> None:
        self.link = link
        self.probe_status = probe_status  # async () -> services rows, when there is no supervisor
        self.sample = sample  # async () -> None: one traffic reading (StatusSources.sample)
        self.seq = 0
        self.events: collections.deque[dict[str, Any]] = collections.deque(maxlen=CONTROL_EVENTS_KEPT)
        self.samples: collections.deque[dict[str, Any]] = collections.deque(
            maxlen=int(CONTROL_HISTORY_SECONDS / CONTROL_SAMPLE_SECONDS))
        self.services: list[dict[str, Any]] = []
        self.supervisor: dict[str, Any] | None = None
        self.error = ""
        self.subscribers: set[Subscriber] = set()
        self.tasks: list[asyncio.Task[None]] = []
        self._sup_id = ""
        self._after = 0
        self.followers: dict[str, asyncio.Task[None]] = {}  # service -> the task tailing its log

    # ---- feeding -----------------------------------------------------------------------------
    def start(self) -> None:
        self.tasks.append(asyncio.create_task(self._sampler(), name="control sampler"))
        if self.sample is not None:
            self.tasks.append(asyncio.create_task(self._traffic(), name="control traffic"))
        if self.link.available:
            self.tasks.append(asyncio.create_task(self._follow(), name="control events"))

    async def close(self) -> None:
        for t in self.tasks:
            t.cancel()
        for t in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        for sub in list(self.subscribers):
            self._end(sub)

    async def refresh(self) -> None:
        """Ask for the status now (every service's row, the supervisor's)."""
        try:
            if self.link.available:
                out = await self.link.ask("status", timeout=10)
                self.services, self.supervisor = out["services"], out["supervisor"]
            elif self.probe_status is not None:
                self.services = await self.probe_status()
            self.error = ""
        except SutraError as e:
            self.error = e.message
        except Exception as e:  # noqa: BLE001 - shown, the sampler keeps going
            self.error = f"{e.__class__.__name__}: {e}"

    async def _sampler(self) -> None:
        while True:
            await self.refresh()
            sample = {"at": round(time.time(), 3), "services": {
                r["name"]: {"cpu_percent": r.get("cpu_percent", 0.0), "memory_bytes": r.get("memory_bytes", 0),
                            "state": r.get("state")} for r in self.services}}
            self.samples.append(sample)
            self.publish("metrics", sample)
            await asyncio.sleep(CONTROL_SAMPLE_SECONDS)

    async def _traffic(self) -> None:
        while True:
            t0 = time.monotonic()
            try:
                await self.sample()
            except Exception:  # a failed reading leaves a gap, the next one comes
                log.exception("the traffic sample failed")
            await asyncio.sleep(max(0.0, CONTROL_SAMPLE_SECONDS - (time.monotonic() - t0)))

    async def _follow(self) -> None:
        while True:
            try:
                out = await self.link.ask("events", after=self._after, wait=EVENTS_WAIT, timeout=EVENTS_WAIT + 10)
            except SutraError as e:
                self.error = e.message
                await asyncio.sleep(1.0)
                continue
            except Exception as e:  # noqa: BLE001
                self.error = f"{e.__class__.__name__}: {e}"
                await asyncio.sleep(1.0)
                continue
            if out["supervisor_id"] != self._sup_id:  # a new supervisor: its numbering starts again
                first = not self._sup_id
                self._sup_id, self._after = out["supervisor_id"], 0
                if first:
                    self._after = out["last"]  # its history is in the snapshot, not replayed as news
                continue
            for ev in out["events"]:
                self._after = max(self._after, ev["seq"])
                row = next((r for r in self.services if r["name"] == ev["service"]), None)
                if row is not None:
                    row["state"] = ev["state"]
                self.publish("state", {k: ev[k] for k in ("at", "service", "old", "state", "why")})
            if out["events"]:
                asyncio.create_task(self.refresh())  # pid, ports and health of the new state

    # ---- fan-out -----------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {"services": self.services, "supervisor": self.supervisor, "error": self.error,
                "process_control": self.link.available, "last_event_id": self.seq, "streams": len(self.subscribers)}

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        self.seq += 1
        ev: dict[str, Any] = {"id": self.seq, "event": kind, "data": data}
        encoded = ev["sse"] = sse(ev)  # encoded once for every subscriber
        if kind != "log":  # log lines are not replayed on resume: their cursors fetch what was missed
            self.events.append(ev)
        for sub in list(self.subscribers):
            if not sub.wants(ev):
                continue
            if sub.queued_bytes + len(encoded) > CONTROL_STREAM_QUEUE_BYTES:
                self._drop(sub)
                continue
            try:
                sub.queue.put_nowait(ev)
                sub.queued_bytes += len(encoded)
            except asyncio.QueueFull:
                self._drop(sub)

    def _drop(self, sub: Subscriber) -> None:
        sub.dropped = True
        self.subscribers.discard(sub)
        if sub.task is not None:  # its response is stuck writing to the client: end it, close the connection
            sub.task.cancel()
        log.warning("dropped a stream client %d events (%d bytes) behind (CONTROL_STREAM_QUEUE, "
                    "CONTROL_STREAM_QUEUE_BYTES)", sub.queue.qsize(), sub.queued_bytes)

    def _end(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)
        with contextlib.suppress(asyncio.QueueFull):
            sub.queue.put_nowait(None)

    def subscribe(self, last_id: int | None, logs: frozenset[str] = frozenset()) -> tuple[Subscriber,
                                                                                         list[dict[str, Any]]]:
        """A new subscriber and what it gets first: the events after `last_id` when they are all still kept,
        else a snapshot. `logs`: services whose log lines it follows."""
        sub = Subscriber(logs)
        self.subscribers.add(sub)
        for name in logs:
            if name not in self.followers and self.link.available:
                self.followers[name] = asyncio.create_task(self._tail(name), name=f"control tail {name}")
        oldest = self.events[0]["id"] if self.events else self.seq + 1
        if last_id is not None and oldest - 1 <= last_id <= self.seq:
            return sub, [e for e in self.events if e["id"] > last_id and sub.wants(e)]
        data = self.snapshot()
        if last_id is not None:
            data["resumed"] = False  # asked to resume from events no longer kept: start afresh
        return sub, [{"id": self.seq, "event": "snapshot", "data": data}]

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    async def _tail(self, name: str) -> None:
        """Publish a service's new log lines while a subscriber follows them (from the end when it began)."""
        try:
            cursor = (await self.link.ask("log_page", service=name, limit=1))["next"]
            while any(name in s.logs for s in self.subscribers):
                out = await self.link.ask("log_page", service=name, after=cursor, limit=MAX_LOG_PAGE_LINES) \
                    if cursor else await self.link.ask("log_page", service=name, limit=1)
                cursor = out["next"] or cursor
                if out["lines"]:
                    self.publish("log", {"service": name, "lines": out["lines"]})
                if len(out["lines"]) < MAX_LOG_PAGE_LINES:
                    await asyncio.sleep(LOG_POLL_SECONDS)
        except SutraError as e:
            self.error = e.message
        finally:
            self.followers.pop(name, None)


def sse(ev: dict[str, Any]) -> bytes:
    """One event in the text/event-stream format (its encoding kept in the event when it has one)."""
    if "sse" in ev:
        return bytes(ev["sse"])
    return f"id: {ev['id']}\nevent: {ev['event']}\ndata: {json.dumps(ev['data'], separators=(',', ':'))}\n\n".encode()
