"""`python -m sutra_stack.apps.hybrid`: serve sutra-hybrid on a handed socket or on hybrid.host:hybrid.port."""

from __future__ import annotations

import sys

from sutra_stack.apps.api.__main__ import handed_socket
from sutra_stack.apps.common.serve import serve
from sutra_stack.config import settings_from_env
from sutra_stack.errors import ConfigError


def main() -> int:
    try:
        settings = settings_from_env()
    except ConfigError as e:
        print(f"sutra-hybrid: {e.message}", file=sys.stderr)
        return 2
    try:
        serve(
            "sutra_stack.apps.hybrid.app:factory",
            host=settings["hybrid.host"],
            port=settings["hybrid.port"],
            workers=settings["hybrid.workers"],
            sock=handed_socket(),
            log_level=settings["log.level"],
            service="sutra-hybrid",
        )
    except OSError as e:
        print(f"sutra-hybrid: cannot listen on {settings['hybrid.host']}:{settings['hybrid.port']}: {e}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
