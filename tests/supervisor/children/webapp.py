"""Test child: a tiny ASGI app under uvicorn, on the socket the supervisor hands it.

Answers every path with the VERSION of `version.py` in $APP_DIR (imported at start, so a
broken version.py makes the new instance fail to start). /ready answers 200.
"""

import os
import sys

import uvicorn

sys.path.insert(0, os.environ["APP_DIR"])
import version

from sutra_stack.apps.common.sockets import handover_server, inherited_sockets


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            await send({"type": msg["type"] + ".complete"})
            if msg["type"] == "lifespan.shutdown":
                return
    body = f"{version.VERSION} {os.getpid()}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


socks = inherited_sockets()
if not socks:
    sys.exit("webapp: no socket handed (LISTEN_FDS)")
config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
handover_server(config, drain=3.0).run(sockets=socks)
