"""`python -m sutra_stack.apps.hybrid`: serve sutra-hybrid on a handed socket or on hybrid.host:hybrid.port."""

from __future__ import annotations

import sys

from sutra_stack.apps.common.serve import run_app


def main() -> int:
    return run_app("sutra-hybrid", "sutra_stack.apps.hybrid.app:factory", "hybrid")


if __name__ == "__main__":
    sys.exit(main())
