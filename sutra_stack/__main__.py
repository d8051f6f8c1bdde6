"""`python -m sutra_stack` is the `sutra` command."""

from sutra_stack.cli import main

main()
