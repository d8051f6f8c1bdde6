"""`sutra generate-systemd`: the config's services as hardened systemd units (`sutra_stack.deploy`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sutra_stack.cli import app
from sutra_stack.cli.stack import ConfigOpt, _fail, _load
from sutra_stack.deploy import install as installing
from sutra_stack.deploy.plan import DEFAULT_ENV_FILE, ROLES, Options, generate
from sutra_stack.errors import SutraError


@app.command("generate-systemd")
def generate_systemd(
    out: Annotated[Path | None, typer.Option("--out", help="Folder to write the files into.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the files (secrets masked); write nothing.")]
    = False,
    role: Annotated[str, typer.Option(help=f"Which services: {' | '.join(ROLES)}.")] = "all",
    storage_server: Annotated[str | None, typer.Option(
        "--storage-server", help="HOST:PORT of the storage node (with --role api).")] = None,
    user: Annotated[str, typer.Option(help="User the services run as.")] = "sutra",
    group: Annotated[str | None, typer.Option(help="Group (default: the user's name).")] = None,
    env_file: Annotated[Path, typer.Option("--env-file", help="Where the settings (and secrets) live.")]
    = DEFAULT_ENV_FILE,
    python: Annotated[Path | None, typer.Option(
        help="Interpreter of the installed stack (default: this one, e.g. the venv's).")] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        help="A service to leave out (development only, e.g. a dev server); repeatable.")] = None,
    install: Annotated[bool, typer.Option("--install", help="Copy the files into place (root).")] = False,
    root: Annotated[Path | None, typer.Option(help="With --install: install under this folder instead of /.")]
    = None,
    config: ConfigOpt = None,
) -> None:
    """Write systemd units for the config's production services, sutra.target and the settings file."""
    if not (out or dry_run or install):
        raise _fail("give --out DIR (write the files), --dry-run (print them) or --install (put them in place)", 2)
    if root is not None and not install:
        raise _fail("--root is for --install", 2)
    loaded, stack = _load(config)
    opts = Options(role=role, storage_server=storage_server, user=user, group=group, env_file=env_file,
                   exclude=tuple(exclude or ()), **({"python": python} if python else {}))
    try:
        dep = generate(loaded, stack, opts)
        if dry_run:
            installing.dry_run(dep, typer.echo)
        if out is not None:
            written = installing.write_out(dep, out)
            typer.echo(f"wrote {len(written)} files to {out}")
            if not install:
                typer.echo("to install them (as root):")
                for line in installing.copy_instructions(dep, out.resolve()):
                    typer.echo(f"  {line}")
        if install:
            installing.install(dep, root or Path("/"), typer.echo)
            typer.echo(f"enable and start the stack with: {installing.ENABLE_COMMAND}")
    except SutraError as e:
        raise _fail(e) from None
    for note in dep.notes:
        typer.echo(f"note: {note}", err=True)
