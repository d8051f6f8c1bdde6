"""`python -m sutra_stack.supervisor [-c CONFIG] [SERVICE...]`: the background supervisor of `sutra up -d`.

A light entry point (no CLI framework imported) so the long-lived process stays small.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from sutra_stack.config import load_config
from sutra_stack.errors import SutraError
from sutra_stack.supervisor.manager import Manager
from sutra_stack.supervisor.spec import load_stack


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m sutra_stack.supervisor")
    ap.add_argument("-c", "--config", default=None)
    ap.add_argument("services", nargs="*")
    args = ap.parse_args()
    try:
        loaded = load_config(args.config)
        stack = load_stack(loaded)
        stack.order(args.services)
        asyncio.run(Manager(loaded, stack, None).run(args.services))
    except SutraError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
