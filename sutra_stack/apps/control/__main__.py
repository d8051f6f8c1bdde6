"""`python -m sutra_stack.apps.control`: serve sutra-control on a handed socket or on control.host:control.port."""

from __future__ import annotations

import sys

from sutra_stack.apps.api.__main__ import handed_socket
from sutra_stack.apps.common.serve import serve
from sutra_stack.config import settings_from_env
from sutra_stack.errors import ConfigError
from sutra_stack.limits import CONTROL_REQUEST_TIMEOUT_SECONDS


def main() -> int:
    try:
        settings = settings_from_env()
    except ConfigError as e:
        print(f"sutra-control: {e.message}", file=sys.stderr)
        return 2
    try:
        serve("sutra_stack.apps.control.app:factory", host=settings["control.host"], port=settings["control.port"],
              sock=handed_socket(), log_level=settings["log.level"], ready_path="/ready", service="sutra-control",
              request_timeout=CONTROL_REQUEST_TIMEOUT_SECONDS)
    except OSError as e:
        print(f"sutra-control: cannot listen on {settings['control.host']}:{settings['control.port']}: {e}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
