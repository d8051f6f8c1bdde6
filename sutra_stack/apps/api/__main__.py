"""`python -m sutra_stack.apps.api`: serve sutra-api on a handed socket or on api.host:api.port."""

from __future__ import annotations

import socket
import sys

from sutra_stack.apps.common.serve import serve
from sutra_stack.apps.common.sockets import inherited_sockets
from sutra_stack.config import settings_from_env
from sutra_stack.errors import ConfigError


def handed_socket() -> socket.socket | None:
    """The listening socket the supervisor (or systemd) handed us, if any."""
    found = inherited_sockets()
    return found[0] if found else None


def main() -> int:
    try:
        settings = settings_from_env()
    except ConfigError as e:
        print(f"sutra-api: {e.message}", file=sys.stderr)
        return 2
    try:
        serve(
            "sutra_stack.apps.api.app:factory",
            host=settings["api.host"],
            port=settings["api.port"],
            workers=settings["api.workers"],
            sock=handed_socket(),
            log_level=settings["log.level"],
        )
    except OSError as e:
        print(f"sutra-api: cannot listen on {settings['api.host']}:{settings['api.port']}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
