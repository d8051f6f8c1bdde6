"""`python -m sutra_stack.storage.server`: run the storage server (same as `sutra storage serve`)."""

import sys

from sutra_stack.storage.server.app import main

sys.exit(main())
