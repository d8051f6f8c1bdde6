"""`sutra storage ...`: serve, back up, restore, export and import a store."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import typer

from sutra_stack.cli import app
from sutra_stack.storage.server.command import serve_command

storage_app = typer.Typer(help="Run or maintain the storage server's data.", no_args_is_help=True)
app.add_typer(storage_app, name="storage")


# --- serve (the storage server process) ------------------------------------------------------
# The storage server's command is defined beside the server (`python -m sutra_stack.storage.server` runs it too).
storage_app.command("serve")(serve_command)


# --- maintenance of a stopped store: backup / restore / export / import ----------------------
def _store_path(path: str | None) -> Path:
    from sutra_stack.config import settings_from_env

    return Path(path or settings_from_env()["storage.path"])


def _maintain(action: Callable[[], str]) -> None:
    from sutra_stack.errors import SutraError

    try:
        message = action()
        if message:
            typer.echo(message)
    except SutraError as e:
        typer.echo(f"error: {e.message}", err=True)
        raise typer.Exit(1) from None


StoreOpt = typer.Option(None, "--storage", help="Data directory (default: storage.path / SUTRA_STORAGE_PATH).")


@storage_app.command("backup")
def backup_command(dest: Path = typer.Argument(..., help="Empty directory to copy the store into."),
                   storage: str = StoreOpt) -> None:
    """Copy a stopped store (snapshot, index, WAL) into DEST. Refuses while a server holds the store,
    and a DEST that is the data directory, inside it or contains it."""
    from sutra_stack.errors import FailedPrecondition
    from sutra_stack.storage import backups
    from sutra_stack.storage.engine import maintenance

    path = _store_path(storage)

    def run() -> str:
        problem = backups.overlap(dest, path)
        if problem:
            raise FailedPrecondition(f"backup destination {dest} {problem}: choose a folder outside it, such as "
                                     f"{backups.default_backup_dir(path) / 'NAME'}", field="dest")
        return f"backed up {path} to {dest}: {len(maintenance.backup(path, dest))} files"

    _maintain(run)


@storage_app.command("restore")
def restore_command(src: Path = typer.Argument(..., help="A directory written by `sutra storage backup`."),
                    storage: str = StoreOpt) -> None:
    """Restore a backup into the (missing or empty) data directory."""
    from sutra_stack.storage.engine import maintenance

    path = _store_path(storage)
    _maintain(lambda: f"restored {src} into {path}: {len(maintenance.restore(src, path))} files")


@storage_app.command("export")
def export_command(file: Path = typer.Option(..., "--jsonl", help="JSON-lines file to write ('-': stdout)."),
                   storage: str = StoreOpt,
                   vectors: bool = typer.Option(False, "--vectors", help="Include each concept's vector.")) -> None:
    """Export a stopped store as JSON lines: concepts first, then associations."""
    from sutra_stack.config import settings_from_env
    from sutra_stack.storage.engine import maintenance

    path = _store_path(storage)

    def run() -> str:
        if str(file) == "-":
            c, a = maintenance.export_jsonl(path, sys.stdout, settings_from_env(), vectors=vectors)
            return ""
        with open(file, "w", encoding="utf-8") as out:
            c, a = maintenance.export_jsonl(path, out, settings_from_env(), vectors=vectors)
        return f"exported {c} concepts and {a} associations from {path} to {file}"

    _maintain(run)


@storage_app.command("import")
def import_command(file: Path = typer.Argument(..., help="JSON-lines file written by `sutra storage export`."),
                   storage: str = StoreOpt) -> None:
    """Learn every record of a JSONL export into a stopped store (created if missing)."""
    from sutra_stack.config import settings_from_env
    from sutra_stack.storage.engine import maintenance

    path = _store_path(storage)

    def run() -> str:
        with open(file, encoding="utf-8") as lines:
            c, a = maintenance.import_jsonl(path, lines, settings_from_env())
        return f"imported {c} concepts and {a} associations into {path}"

    _maintain(run)


# --- admin calls to a running storage server -------------------------------------------------
@storage_app.command("resume-writes")
def resume_writes_command(
    storage: str = typer.Option(None, "--storage", metavar="HOST:PORT",
                                help="Storage server address (default: setting storage.server)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Return a store that turned read-only after a disk failure to writing, without a restart.

    Free space (or fix the disk) first: the server opens a new WAL segment and accepts writes
    again; if it cannot, it says why and stays read-only. Needs the storage token when one is set
    (SUTRA_STORAGE_TOKEN). A store configured read-only (storage.read_only) is refused."""
    import json

    from sutra_stack.apps.common.storage import connect_storage
    from sutra_stack.config import load_config
    from sutra_stack.errors import SutraError

    try:
        settings = load_config().settings  # sutra.toml and .env here, then SUTRA_* variables
        address = storage or settings["storage.server"]
        with connect_storage(settings, address) as client:
            result = client.resume_writes()
    except SutraError as e:
        typer.echo(f"error: {e.message}", err=True)
        raise typer.Exit(2 if e.code == "INVALID_ARGUMENT" else 1) from None
    typer.echo(json.dumps(result, indent=2) if as_json else f"{address}: {result['message']}")
