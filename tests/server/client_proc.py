"""A client process for the two-process consistency test: reads commands on stdin, answers on stdout.

  learn <text>   → the concept id, once the server acknowledged the write
  get <id>       → "found" or "missing"
"""

from __future__ import annotations

import sys

from sutra_stack.storage import StorageClient


def main() -> None:
    client = StorageClient(sys.argv[1])
    for line in sys.stdin:
        cmd, _, arg = line.rstrip("\n").partition(" ")
        if cmd == "learn":
            out = client.learn_concept(arg)
        elif cmd == "get":
            out = "found" if client.query_concept(arg) is not None else "missing"
        else:
            out = f"unknown command {cmd}"
        sys.stdout.write(out + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
