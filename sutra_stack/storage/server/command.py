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
    storage: str = typer.Option(None, "--storage", help="Data directory (default: storage.path / SUTRA_STORAGE_PATH)."),
    host: str = typer.Option(None, "--host", help="Address to bind (default: storage.host, 127.0.0.1)."),
    port: int = typer.Option(None, "--port", help="gRPC port (default: storage.port, 50051; 0: any free port)."),
    fast_port: int = typer.Option(None, "--fast-port", help="MessagePack TCP port (default: storage.fast_port, "
                                  "50052; 0: any free port)."),
) -> None:
    """Run the storage server: gRPC door, fast MessagePack door, health, metrics. Stops on SIGTERM/SIGINT."""
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
    """`python -m sutra_stack.storage.server [--storage DIR] [--host H] [--port P] [--fast-port P]`."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(serve_command)
    app(prog_name="python -m sutra_stack.storage.server")
