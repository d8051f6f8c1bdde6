"""`python -m sutra_stack.storage.server`: run the storage server (`sutra storage serve`, same flags)."""

from sutra_stack.storage.server.command import main

main()
