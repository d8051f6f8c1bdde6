"""Test child: writes argv[1] numbered lines as fast as it can (half to stderr), then sleeps."""

import os
import sys
import time

n = int(sys.argv[1])
out = os.fdopen(1, "wb", buffering=1 << 16)
for i in range(n):
    out.write(b"line %08d %s\n" % (i, b"x" * 40))
out.flush()
sys.stderr.write("done writing\n")
sys.stderr.flush()
time.sleep(3600)
