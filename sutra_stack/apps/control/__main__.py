"""`python -m sutra_stack.apps.control`: serve sutra-control on a handed socket or on control.host:control.port."""

from __future__ import annotations

import sys

from sutra_stack.apps.common.serve import run_app
from sutra_stack.limits import CONTROL_REQUEST_TIMEOUT_SECONDS


def main() -> int:
    return run_app("sutra-control", "sutra_stack.apps.control.app:factory", "control",
                   request_timeout=CONTROL_REQUEST_TIMEOUT_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
