"""`sutra storage ...`: serve, back up, restore, export and import a store.

A data directory is `--data-dir` (`--storage`, its old name, is still accepted with a note); a
running server's address is `--server HOST:PORT`, as for learn / ask / stats."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import typer

from sutra_stack.cli import app
from sutra_stack.cli.knowledge import JsonOpt, OldStorageOpt, ServerOpt, Target, server_flag
from sutra_stack.storage.server.command import serve_command

storage_app = typer.Typer(help="Run or maintain the storage server's data.", no_args_is_help=True)
app.add_typer(storage_app, name="storage")


# --- serve (the storage server process) ------------------------------------------------------
# The storage server's command is defined beside the server (`python -m sutra_stack.storage.server` runs it too).
storage_app.command("serve")(serve_command)


# --- maintenance of a stopped store: backup / restore / export / import ----------------------
def _store_path(path: str | None, old: str | None = None) -> Path:
    """The data directory: --data-dir, the old --storage (with a note), or setting storage.path."""
    from sutra_stack.config import settings_from_env

    if old is not None:
        typer.echo("note: --storage is deprecated for a data directory: use --data-dir", err=True)
        path = path or old
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


StoreOpt = typer.Option(None, "--data-dir", help="Data directory (default: storage.path / SUTRA_STORAGE_PATH).")
OldStoreOpt = typer.Option(None, "--storage", hidden=True, help="Old name of --data-dir.")


@storage_app.command("backup")
def backup_command(dest: Path = typer.Argument(..., help="Empty directory to copy the store into."),
                   data_dir: str = StoreOpt, old_storage: str = OldStoreOpt) -> None:
    """Copy a stopped store (snapshot, index, WAL) into DEST. Refuses while a server holds the store,
    and a DEST that is the data directory, inside it or contains it."""
    from sutra_stack.errors import FailedPrecondition
    from sutra_stack.storage import backups
    from sutra_stack.storage.engine import maintenance

    path = _store_path(data_dir, old_storage)

    def run() -> str:
        problem = backups.overlap(dest, path)
        if problem:
            raise FailedPrecondition(f"backup destination {dest} {problem}: choose a folder outside it, such as "
                                     f"{backups.default_backup_dir(path) / 'NAME'}", field="dest")
        return f"backed up {path} to {dest}: {len(maintenance.backup(path, dest))} files"

    _maintain(run)


@storage_app.command("restore")
def restore_command(src: Path = typer.Argument(..., help="A directory written by `sutra storage backup`."),
                    data_dir: str = StoreOpt, old_storage: str = OldStoreOpt) -> None:
    """Restore a backup into the (missing or empty) data directory."""
    from sutra_stack.storage.engine import maintenance

    path = _store_path(data_dir, old_storage)
    _maintain(lambda: f"restored {src} into {path}: {len(maintenance.restore(src, path))} files")


@storage_app.command("export")
def export_command(file: Path = typer.Option(..., "--jsonl", help="JSON-lines file to write ('-': stdout)."),
                   data_dir: str = StoreOpt, old_storage: str = OldStoreOpt,
                   vectors: bool = typer.Option(False, "--vectors", help="Include each concept's vector.")) -> None:
    """Export a stopped store as JSON lines: concepts first, then associations."""
    from sutra_stack.config import settings_from_env
    from sutra_stack.storage.engine import maintenance

    path = _store_path(data_dir, old_storage)

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
                   data_dir: str = StoreOpt, old_storage: str = OldStoreOpt) -> None:
    """Learn every record of a JSONL export into a stopped store (created if missing)."""
    from sutra_stack.config import settings_from_env
    from sutra_stack.storage.engine import maintenance

    path = _store_path(data_dir, old_storage)

    def run() -> str:
        with open(file, encoding="utf-8") as lines:
            c, a = maintenance.import_jsonl(path, lines, settings_from_env())
        return f"imported {c} concepts and {a} associations into {path}"

    _maintain(run)


# --- admin calls to a running storage server -------------------------------------------------
@storage_app.command("resume-writes")
def resume_writes_command(
    server: str = ServerOpt,
    old_storage: str = OldStorageOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Return a store that turned read-only after a disk failure to writing, without a restart.

    Free space (or fix the disk) first: the server opens a new WAL segment and accepts writes
    again; if it cannot, it says why and stays read-only. Needs the storage token when one is set
    (SUTRA_STORAGE_TOKEN). A store configured read-only (storage.read_only) is refused."""
    import json

    from sutra_stack.apps.common.storage import connect_storage

    target = Target(*server_flag(server, old_storage))  # sutra.toml and .env here, then SUTRA_* variables
    try:
        with connect_storage(target.settings, target.address) as client:
            result = client.resume_writes()
    except Exception as e:  # noqa: BLE001 - turned into a clear message
        target.explain(e)
    typer.echo(json.dumps(result, indent=2) if as_json else f"{target.address}: {result['message']}")
