"""`sutra generate-systemd` (the config's services as hardened systemd units) and `sutra generate-nginx`
(the nginx site in front of them), both from `sutra_stack.deploy`."""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import Annotated

import typer

from sutra_stack.cli import app
from sutra_stack.cli.stack import ConfigOpt, _fail, _load
from sutra_stack.deploy import install as installing
from sutra_stack.deploy import nginx
from sutra_stack.deploy.plan import DEFAULT_ENV_FILE, ROLES, Options, generate
from sutra_stack.errors import InvalidArgument, SutraError


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


@app.command("generate-nginx")
def generate_nginx(
    out: Annotated[Path | None, typer.Option("--out", help="File to write the site to (default: print it).")]
    = None,
    api: Annotated[list[str] | None, typer.Option(
        "--api", help="ADDRESS:PORT of a sutra-api node; repeatable (default: api.host:api.port).")] = None,
    hybrid: Annotated[list[str] | None, typer.Option(
        help="ADDRESS:PORT of a sutra-hybrid node; repeatable (default: hybrid.host:hybrid.port).")] = None,
    dashboard: Annotated[str | None, typer.Option(help=(
        "ADDRESS:PORT of the admin dashboard (default: control.host:control.port, else "
        f"{nginx.DEFAULT_DASHBOARD}), or '{nginx.NO_DASHBOARD}' to leave it out."))] = None,
    admin_allow: Annotated[list[str] | None, typer.Option(
        "--admin-allow", help="A network that may reach the dashboard; repeatable (default: loopback only).")]
    = None,
    server_name: Annotated[list[str] | None, typer.Option(
        "--server-name", help="A name the site answers to; repeatable (default: any).")] = None,
    listen: Annotated[int | None, typer.Option(help="Port to listen on (default 80, or 443 with TLS).")] = None,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="Certificate (chain) file for https.")]
    = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="Its private key file.")] = None,
    static_root: Annotated[Path | None, typer.Option(
        "--static-root", help="Folder of the client's production build (default: the installed package's).")]
    = None,
    standalone: Annotated[Path | None, typer.Option(
        help="Write a whole nginx.conf instead, with pid, logs and temp files in this folder.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Write the nginx site: the client's static build, /api/ to sutra-api nodes, /v1/ to sutra-hybrid."""
    loaded, _stack = _load(config)
    opts = nginx.SiteOptions(
        api=tuple(api or ()), hybrid=tuple(hybrid or ()), dashboard=dashboard,
        admin_allow=tuple(admin_allow) if admin_allow else nginx.DEFAULT_ADMIN_ALLOW,
        server_names=tuple(server_name or ()), listen=listen, tls_cert=tls_cert, tls_key=tls_key,
        **({"static_root": static_root} if static_root else {}))
    try:
        text = nginx.site(loaded.settings, opts)
        if standalone is not None:
            if not standalone.is_absolute():
                raise InvalidArgument(f"--standalone must be an absolute path, got {str(standalone)!r}")
            # run as root, nginx's workers would drop to `nobody`, who cannot use a private folder
            user = pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None
            text = nginx.standalone_conf(text, standalone, user)
    except SutraError as e:
        raise _fail(e) from None
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text)
    typer.echo(f"wrote {out}; check it with `nginx -t`" + ("" if standalone else
               " once it is included in nginx.conf's http {} (e.g. /etc/nginx/sites-enabled/sutra)"))
