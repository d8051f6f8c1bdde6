"""`python -m sutra_stack.apps.api`: serve sutra-api on a handed socket or on api.host:api.port."""

from __future__ import annotations

import sys

from sutra_stack.apps.common.serve import run_app


def main() -> int:
    return run_app("sutra-api", "sutra_stack.apps.api.app:factory", "api")


if __name__ == "__main__":
    sys.exit(main())
