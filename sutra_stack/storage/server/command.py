"""The storage server's command and its flags, defined once: `sutra storage serve` registers it
and `python -m sutra_stack.storage.server` runs it.

Flags override the `SUTRA_STORAGE_*` settings. The command applies the server's process-wide
tuning (`tuning.apply`) before it imports the server, whose modules import grpc.
"""

from __future__ import annotations

import typer

from sutra_stack.config import settings_from_env
from sutra_stack.errors import SutraError
from sutra_stack.storage.server import tuning


def serve_command(
    data_dir: str = typer.Option(None, "--data-dir", help="Data directory (default: storage.path / "
                                 "SUTRA_STORAGE_PATH)."),
    storage: str = typer.Option(None, "--storage", hidden=True, help="Old name of --data-dir."),
    host: str = typer.Option(None, "--host", help="Address to bind (default: storage.host, 127.0.0.1)."),
    port: int = typer.Option(None, "--port", help="gRPC port (default: storage.port, 50051; 0: any free port)."),
    fast_port: int = typer.Option(None, "--fast-port", help="MessagePack TCP port (default: storage.fast_port, "
                                  "50052; 0: any free port)."),
) -> None:
    """Run the storage server: gRPC door, fast MessagePack door, health, metrics. Stops on SIGTERM/SIGINT."""
    if storage is not None:
        typer.echo("note: --storage is deprecated for a data directory: use --data-dir", err=True)
    storage = data_dir or storage
    tuning.apply()
    # Imported here, not at the top: grpc reads its settings when first imported, after `apply()`.
    from sutra_stack.storage.server.app import ServeOptions, serve

    try:
        settings = settings_from_env()
        opts = ServeOptions.from_settings(settings, path=storage, host=host, port=port, fast_port=fast_port)
    except SutraError as e:
        typer.echo(f"error: {e.message}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(serve(opts, settings))


def main() -> None:
    """`python -m sutra_stack.storage.server [--data-dir DIR] [--host H] [--port P] [--fast-port P]`."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                      context_settings={"help_option_names": ["-h", "--help"]})
    app.command()(serve_command)
    app(prog_name="python -m sutra_stack.storage.server")
