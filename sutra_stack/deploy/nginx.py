"""`sutra generate-nginx`: the nginx site in front of the stack, for one machine or several.

What the site does (one `server`, or two with TLS: port 80 then only redirects to https):

- `/`: the client's production build as static files (`sutra_stack/apps/client/static`, or
  `--static-root`): `/assets/` (file names carry a content hash) cached for a year as immutable,
  every other path falls back to `index.html` (the client routes itself) and is never cached;
  the client's own security headers on both (`SECURITY_HEADERS`, the static server's).
- `/api/X` → `/X` on the `sutra_api` upstream (the same rule as the client's other fronts,
  `API_PREFIX`): one or more sutra-api nodes.
- `/v1/` → the `sutra_hybrid` upstream (the OpenAI-compatible API, one or more nodes) with
  `proxy_buffering off`, so streamed chat completions pass at once.
- `/dashboard/X` → `/X` on the admin process (sutra-control: `control.host:control.port` of the
  config, or 127.0.0.1:5000 where the config has no [control] settings), reachable only from
  `--admin-allow` networks (default loopback only), or left out with `--dashboard none`.
- Passive health, since open-source nginx has no active checks: each upstream server has
  `max_fails`/`fail_timeout`, and a request that could not reach one node (refused, reset, timed
  out, 502/504) goes to the next (`proxy_next_upstream`; nginx never resends a POST that reached
  a node). A 503 is not a node failure: it is what every API node answers while storage is down,
  and it is passed on as it is.
- Request bodies up to `MAX_REQUEST_BODY_BYTES` (the apps' own limit: nginx answers 413 beyond
  it), headers up to `MAX_HTTP_HEADER_BYTES`, upstream answers awaited
  `CLIENT_PROXY_TIMEOUT_SECONDS` (the static client server's wait).
- Upstreams by address: nginx resolves a name once, at start (open-source nginx 1.22 has no
  `resolve`), so a name is refused.
- The apps behind it check `Host` against DNS rebinding; nginx has chosen the site by its
  `server_name` already, so it names them as `localhost` and passes the name the browser used
  in `X-Forwarded-Host`.

`standalone_conf` wraps a site in a whole `nginx.conf` whose pid, logs and temp files live in one
writable folder: what `nginx -t -c` and a test's own nginx run need.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from sutra_stack.apps.client import API_PREFIX
from sutra_stack.apps.client.app import SECURITY_HEADERS
from sutra_stack.apps.client.mode import STATIC_DIR
from sutra_stack.config import Settings
from sutra_stack.deploy.plan import check_host_port
from sutra_stack.errors import InvalidArgument
from sutra_stack.limits import CLIENT_PROXY_TIMEOUT_SECONDS, MAX_HTTP_HEADER_BYTES, MAX_REQUEST_BODY_BYTES

# The admin process's address where the config has no [control] settings (a setting-free default).
DEFAULT_DASHBOARD = "127.0.0.1:5000"
NO_DASHBOARD = "none"
DEFAULT_ADMIN_ALLOW = ("127.0.0.1", "::1")
MAX_FAILS = 2  # failed attempts within FAIL_TIMEOUT_SECONDS that take a node out of rotation
FAIL_TIMEOUT_SECONDS = 10  # ... for this long; then nginx tries it again
ASSET_MAX_AGE_SECONDS = 365 * 24 * 3600
UPSTREAM_KEEPALIVE = 32  # idle keep-alive connections to each upstream, per nginx worker
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
INDENT = "    "


@dataclass(frozen=True)
class SiteOptions:
    api: tuple[str, ...] = ()  # HOST:PORT of each sutra-api node (default: api.host:api.port)
    hybrid: tuple[str, ...] = ()  # HOST:PORT of each sutra-hybrid node (default: hybrid.host:hybrid.port)
    dashboard: str | None = None  # HOST:PORT of the admin process (default: control.host:control.port); "none"
    admin_allow: tuple[str, ...] = DEFAULT_ADMIN_ALLOW  # networks that may reach the dashboard
    server_names: tuple[str, ...] = ()  # default "_": any name
    listen: int | None = None  # default 80, or 443 with TLS
    tls_cert: Path | None = None
    tls_key: Path | None = None
    static_root: Path = field(default_factory=lambda: STATIC_DIR)


def _address(text: str, option: str) -> str:
    """HOST:PORT whose host is an IP address, as nginx's `server` line writes it."""
    check_host_port(text, option)
    host, _, port = text.rpartition(":")
    bare = host.strip("[]")
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        raise InvalidArgument(f"{option} {text}: give the node's address, not a name (nginx resolves a name only "
                              "once, when it starts, and open-source nginx cannot re-resolve it)") from None
    if ip.is_unspecified:
        raise InvalidArgument(f"{option} {text}: {bare} is 'every address', not one to connect to: give the "
                              "node's address")
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


def _bound(host: str, port: int) -> str:
    """A service's bind address as one to connect to (0.0.0.0 and :: mean this machine)."""
    if host in ("", "0.0.0.0", "localhost"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise InvalidArgument(f"--admin-allow {text!r}: give an address or network (e.g. 10.0.0.0/24)") from None


def _upstream(name: str, servers: list[str]) -> list[str]:
    lines = [f"upstream {name} {{"]
    lines += [f"{INDENT}server {s} max_fails={MAX_FAILS} fail_timeout={FAIL_TIMEOUT_SECONDS}s;" for s in servers]
    lines += [f"{INDENT}keepalive {UPSTREAM_KEEPALIVE};", "}", ""]
    return lines


def _proxy_common() -> list[str]:
    """What every proxied location shares (set once in the server: a location that sets none of
    these inherits them)."""
    timeout = f"{CLIENT_PROXY_TIMEOUT_SECONDS:g}s"
    return [
        "proxy_http_version 1.1;",
        'proxy_set_header Connection "";',
        "proxy_set_header Host localhost;",
        "proxy_set_header X-Forwarded-Host $host;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_next_upstream error timeout http_502 http_504;",
        f"proxy_read_timeout {timeout};  # CLIENT_PROXY_TIMEOUT_SECONDS",
        f"proxy_send_timeout {timeout};",
    ]


def _headers(tls: bool) -> list[str]:
    out = [f'add_header {k} "{v}" always;' for k, v in SECURITY_HEADERS.items()]
    if tls:
        out.append('add_header strict-transport-security "max-age=31536000" always;')
    return out


def _location(match: str, body: list[str]) -> list[str]:
    return [f"location {match} {{", *[INDENT + b for b in body], "}"]


def site(settings: Settings, opts: SiteOptions) -> str:
    """The nginx site (upstreams and servers, for `http {}` or sites-enabled); InvalidArgument on
    anything nginx could not use."""
    if (opts.tls_cert is None) != (opts.tls_key is None):
        raise InvalidArgument("--tls-cert and --tls-key go together: give both, or neither")
    tls = opts.tls_cert is not None
    for p, option in ((opts.tls_cert, "--tls-cert"), (opts.tls_key, "--tls-key"), (opts.static_root, "--static-root")):
        if p is not None and not p.is_absolute():
            raise InvalidArgument(f"{option} must be an absolute path, got {str(p)!r}")
    apis = [_address(a, "--api") for a in opts.api] or [_bound(settings["api.host"], settings["api.port"])]
    if len(set(apis)) != len(apis):
        raise InvalidArgument(f"--api names a node twice: {', '.join(apis)}")
    hybrids = [_address(h, "--hybrid") for h in opts.hybrid] or [_bound(settings["hybrid.host"],
                                                                          settings["hybrid.port"])]
    if len(set(hybrids)) != len(hybrids):
        raise InvalidArgument(f"--hybrid names a node twice: {', '.join(hybrids)}")
    if opts.dashboard == NO_DASHBOARD:
        dashboard = None
    elif opts.dashboard:
        dashboard = _address(opts.dashboard, "--dashboard")
    elif "control.port" in settings:
        dashboard = _bound(settings["control.host"], settings["control.port"])
    else:
        dashboard = DEFAULT_DASHBOARD
    allow = [_network(n) for n in opts.admin_allow]
    if dashboard and not allow:
        raise InvalidArgument("--admin-allow: name at least one network that may reach the dashboard")
    port = opts.listen or (443 if tls else 80)
    if not 0 < port <= 65535:
        raise InvalidArgument(f"--listen must be a port (1-65535), got {port}")
    names = " ".join(opts.server_names) or "_"
    for n in opts.server_names:
        if not n or any(c in n for c in " ;{}'\"\\$"):
            raise InvalidArgument(f"--server-name {n!r}: a host name (letters, digits, '.', '-', '*')")
    root = str(opts.static_root)

    out = ["# Generated by `sutra generate-nginx`: the Sutra stack's site. Edit the config, then generate again.", ""]
    out += _upstream("sutra_api", apis) + _upstream("sutra_hybrid", hybrids)
    if dashboard:
        out += _upstream("sutra_dashboard", [dashboard])
    if tls:
        out += ["server {", f"{INDENT}listen 80;", f"{INDENT}listen [::]:80;", f"{INDENT}server_name {names};",
                f"{INDENT}return 301 https://$host$request_uri;", "}", ""]
    listen = f"{port} ssl http2" if tls else str(port)
    body = [f"listen {listen};", f"listen [::]:{listen};", f"server_name {names};", ""]
    if tls:
        body += [f"ssl_certificate {opts.tls_cert};", f"ssl_certificate_key {opts.tls_key};",
                 "ssl_protocols TLSv1.2 TLSv1.3;", "ssl_session_cache shared:sutra_tls:10m;",
                 "ssl_session_timeout 1d;", ""]
    body += [f"client_max_body_size {MAX_REQUEST_BODY_BYTES};  # MAX_REQUEST_BODY_BYTES, the apps' own limit",
             f"large_client_header_buffers 4 {MAX_HTTP_HEADER_BYTES};  # MAX_HTTP_HEADER_BYTES",
             "server_tokens off;", f"root {root};", "", *_proxy_common(), ""]
    body += _location("/assets/", ["try_files $uri =404;", *_headers(tls),
                                   f'add_header Cache-Control "public, max-age={ASSET_MAX_AGE_SECONDS}, immutable" '
                                   "always;"])
    body += _location("/", ["try_files $uri /index.html;  # the client routes itself", *_headers(tls),
                            'add_header Cache-Control "no-cache" always;'])
    body += [""]
    api_proxy = [f"proxy_next_upstream_tries {len(apis)};", "proxy_pass http://sutra_api/;"]  # /api/X -> /X
    body += _location(f"= {API_PREFIX}", api_proxy)
    body += _location(f"{API_PREFIX}/", api_proxy)
    body += [""]
    body += _location("/v1/", [f"proxy_next_upstream_tries {len(hybrids)};",
                               "proxy_buffering off;  # streamed chat completions pass at once",
                               "proxy_cache off;", "proxy_pass http://sutra_hybrid;"])
    if dashboard:
        body += [""]
        guard = [*[f"allow {n};" for n in allow], "deny all;"]
        body += _location("/dashboard/", [*guard, "proxy_buffering off;", "proxy_pass http://sutra_dashboard/;"])
    out += ["server {", *[(INDENT + b) if b else "" for b in body], "}"]
    return "\n".join(out) + "\n"


def standalone_conf(site_text: str, folder: Path, user: str | None = None) -> str:
    """A whole nginx.conf serving `site_text`, with its pid, logs and temp files in `folder`."""
    lines = [f"user {user};" if user else "", f"pid {folder / 'nginx.pid'};", "worker_processes 1;",
             f"error_log {folder / 'error.log'} info;", "events { worker_connections 1024; }", "http {",
             f"{INDENT}include /etc/nginx/mime.types;", f"{INDENT}default_type application/octet-stream;",
             f"{INDENT}access_log {folder / 'access.log'};",
             *[f"{INDENT}{t}_temp_path {folder / (t + '_temp')};" for t in TEMP_PATHS],
             *[(INDENT + line) if line else "" for line in site_text.splitlines()], "}"]
    return "\n".join(lines).lstrip("\n") + "\n"
