"""The `sutra` command. Thin: each submodule parses its commands and calls the library."""

from __future__ import annotations

from importlib import metadata

import typer

import sutra_stack

app = typer.Typer(
    name="sutra",
    help="Run and use the Sutra stack: an explainable knowledge-graph reasoning service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # every command and group inherits -h
)


def version() -> str:
    """The installed distribution's version (the package's own when run from a source tree)."""
    try:
        return metadata.version("sutra-stack")
    except metadata.PackageNotFoundError:
        return sutra_stack.__version__


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"sutra {version()}")
        raise typer.Exit()


@app.callback()
def _main(
    _version: bool = typer.Option(False, "--version", "-V", callback=_show_version, is_eager=True,
                                  help="Print the version and exit."),
) -> None:
    """Run and use the Sutra stack: an explainable knowledge-graph reasoning service."""


# Each module registers its commands on `app` when imported.
from sutra_stack.cli import deploy, knowledge, stack, storage  # noqa: E402,F401


def main() -> None:
    app()
