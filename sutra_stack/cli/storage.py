"""`sutra storage ...`: serve, back up, restore, export and import a store."""

from __future__ import annotations

import typer

from sutra_stack.cli import app

storage_app = typer.Typer(help="Run or maintain the storage server's data.", no_args_is_help=True)
app.add_typer(storage_app, name="storage")


# --- serve (the storage server process) ------------------------------------------------------
@storage_app.command("serve")
def serve_command(
    storage: str = typer.Option(None, "--storage", help="Data directory (default: storage.path / SUTRA_STORAGE_PATH)."),
    host: str = typer.Option(None, "--host", help="Address to bind (default: storage.host, 127.0.0.1)."),
    port: int = typer.Option(None, "--port", help="gRPC port (default: storage.port, 50051; 0: any free port)."),
    fast_port: int = typer.Option(None, "--fast-port", help="MessagePack TCP port (default: storage.fast_port, "
                                  "50052; 0: any free port)."),
) -> None:
    """Run the storage server: gRPC door, fast MessagePack door, health, metrics. Stops on SIGTERM/SIGINT."""
    from sutra_stack.config import settings_from_env
    from sutra_stack.errors import SutraError
    from sutra_stack.storage.server.app import ServeOptions, serve

    try:
        settings = settings_from_env()
        opts = ServeOptions.from_settings(settings, path=storage, host=host, port=port, fast_port=fast_port)
    except SutraError as e:
        typer.echo(f"error: {e.message}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(serve(opts, settings))
