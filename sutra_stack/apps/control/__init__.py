"""sutra-control (`python -m sutra_stack.apps.control`, 127.0.0.1:5000): the admin process.

It reads the supervisor through its control socket (protocol 3, `supervisor/control.py`), the
storage server through `StorageClient` and the apps through their `/metrics`. Started outside
`sutra up` it probes the configured addresses and says process control is not available.

Errors are `{"error": {"code", "message", "field"?}}` (gRPC status names). "Admin" routes need
`Authorization: Bearer <control.token>` (401 without it; `sutra up` generates the token into
`<state_dir>/control.token` when none is configured), never a cookie or a query parameter. Every
request's `Host` must be a name it serves (400); a write with a foreign `Origin` is refused (403).

State
- `GET /api/status`: `{"services": [row], "supervisor", "process_control", "error", "storage", "apps",
  "last_event_id", "streams" (open now), "at"}`. A row: `name, state, pid, uptime, since, restarts,
  reloads, health, ports, cpu_percent, memory_bytes, last_exit, last_error, start_failure, transitions` (the last 10:
  `{at, state, why}`). `storage`: `reachable, server, health, concepts, associations, wal_bytes,
  wal_segments, last_snapshot, snapshot_age_seconds, snapshot_bytes, fsync, read_only, memory_bytes,
  calls_total, ops_per_second, latency_ms: {p50, p99}, window_seconds`. `apps`: `api` and `hybrid`, each
  `url, up (, error), requests_total, requests_per_second, errors_4xx, errors_5xx, errors_per_second,
  routes: [{method, route, requests_total, errors_4xx, errors_5xx, requests_per_second, p50_ms, p99_ms}]`.
  Totals are counts since the process started; rates (per second) and percentiles (milliseconds) are
  over the window between sutra-control's own samples (one every `CONTROL_SAMPLE_SECONDS`, the window
  `CONTROL_RATE_WINDOW_SECONDS` long, `window_seconds` as measured), the same for every caller; null
  until there are two samples, percentiles also when the window holds no call. Storage counts every
  operation but the probes (health, stats, server_info); the apps count every request, sutra-control's
  own read of `/metrics` each sample too (the `/metrics` row).
- `GET /api/history?since=T`: the samples of the last hour, one a second:
  `{"samples": [{"at", "services": {name: {cpu_percent, memory_bytes, state}}}]}`.
- `GET /api/events?after=SEQ` (admin): the supervisor's transitions kept (history over time).

The stream (admin): `GET /api/stream[?logs=api,hybrid]`, `text/event-stream` read with fetch (send the
token in the header; EventSource cannot). Each event has `id:` (one increasing sequence per
sutra-control process), `event:` and a JSON `data:` line:
- `snapshot`: the first event, the body of `/api/status` without storage and apps;
- `state`: one per transition, `{at, service, old, state, why}`;
- `metrics`: every second, a history sample;
- `log`: with `?logs=`, the new lines of one of those services, `{service, lines: [{at, text, cursor}]}`
  (not replayed on resume: fetch what was missed with `/api/logs/{service}?after=<last cursor>`);
- `dropped`: a client that fell `CONTROL_STREAM_QUEUE` events (or
  `CONTROL_STREAM_QUEUE_BYTES`) behind has its connection closed (a `dropped` event ends it when it
  can still be written); it may reconnect with `Last-Event-ID`.
Reconnect with `Last-Event-ID: <last id seen>`: the events after it follow (no snapshot) while
they are still kept (`CONTROL_EVENTS_KEPT`); otherwise a snapshot with `"resumed": false` comes
first. Idle streams get a `: keep-alive` comment every 15 s; at most `MAX_CONTROL_STREAMS` are open.

Logs (admin): `GET /api/logs/{service}?before=CURSOR|after=CURSOR&limit=N&text=FILTER`: lines
`{at, text, cursor}` oldest first, with `first` (pass as `before` to page back) and `next` (pass as
`after` to follow); no cursor is the tail. Cursors survive rotation. `text` filters
case-insensitively. Service `sutra` is the supervisor's own log.

Actions (admin): `POST /api/services/{name}/start|stop|restart` (answers once done, with the row),
`POST /api/storage/snapshot`, `POST /api/storage/backup {"name": "nightly-1"}` (into
storage.backup_dir).

Bulk learning (admin), see `jobs.py`: `POST /admin/bulk-learn` multipart/form-data with field
`file` (and `format`: txt | jsonl | csv, else from the extension; `column` for csv; both may be
query parameters too), up to `MAX_BULK_UPLOAD_BYTES`, streamed to disk: 202 with the job. Refused:
binary (NUL bytes), empty, over the limit (413), not multipart. `GET /admin/bulk-learn` (jobs,
newest first), `GET /admin/bulk-learn/{id}` (`state, lines_total, lines_done, learned, errors,
percent, rate, eta_seconds, message, ...`), `POST .../{id}/cancel`, `POST .../{id}/resume`,
`GET .../{id}/errors` (JSON lines `{line, error}`).
"""
