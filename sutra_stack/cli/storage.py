"""`sutra storage ...`: serve, back up, restore, export and import a store."""

from __future__ import annotations

import typer

from sutra_stack.cli import app

storage_app = typer.Typer(help="Run or maintain the storage server's data.", no_args_is_help=True)
app.add_typer(storage_app, name="storage")
