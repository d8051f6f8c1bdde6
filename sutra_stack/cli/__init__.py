"""The `sutra` command. Thin: each submodule parses its commands and calls the library."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="sutra",
    help="Run and use the Sutra stack: an explainable knowledge-graph reasoning service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module registers its commands on `app` when imported.
from sutra_stack.cli import deploy, knowledge, stack, storage  # noqa: E402,F401


def main() -> None:
    app()
