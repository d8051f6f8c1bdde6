"""`python -m sutra_stack.apps.client`: the `client` service. Mode "dev" runs Vite's dev server from
the `web/` workspace (after `npm ci` when needed); mode "static" serves the built bundle on
client.host:client.port and says READY=1 like every app (`apps.common.serve`)."""

from __future__ import annotations

import subprocess
import sys

from sutra_stack.apps.client import devserver
from sutra_stack.apps.client.mode import resolve_mode, static_built, web_dir
from sutra_stack.apps.common.serve import run_app
from sutra_stack.config import settings_from_env
from sutra_stack.errors import ConfigError


def main() -> int:
    try:
        settings = settings_from_env()
        mode = resolve_mode(settings)
        if mode == "dev":
            web = web_dir()
            if web is None:
                raise ConfigError("client.mode is dev but this installation has no web/ workspace (an installed "
                                  "wheel): set client.mode = \"static\"", field="client.mode")
            devserver.ensure_installed(web)
            devserver.exec_vite(web)  # does not return
    except ConfigError as e:
        print(f"sutra-client: {e.message}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as e:
        print(f"sutra-client: npm ci failed (exit {e.returncode}); its output is above", file=sys.stderr)
        return 1
    if not static_built():
        print("sutra-client: no client bundle in this package: serving a page that says how to build it "
              "(make web)", file=sys.stderr)
    return run_app("sutra-client", "sutra_stack.apps.client.app:factory", "client", settings, ready_path="/")


if __name__ == "__main__":
    sys.exit(main())
