"""``reformsim viz``: start the Solara visual (viz/app.py) in a browser-facing server."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

from reformsim.model.scenario import load_scenario

from .cli import UsageError

ASSETS_ENV = "SOLARA_ASSETS_PROXY_CACHE_DIR"
# where tests/browser/fill_solara_assets.sh puts Solara's front end for machines without internet
DEFAULT_ASSETS = Path.home() / ".cache" / "reformsim" / "solara-assets"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("viz", help="start the interactive visual (Solara) for planners and workshops")
    p.add_argument("--scenario", default="baseline", help="built-in name or TOML file to open (default: baseline)")
    p.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1; 0.0.0.0 for a room)")
    p.set_defaults(func=cmd_viz)


def app_path() -> Path:
    """The installed viz/app.py."""
    return Path(str(resources.files("reformsim.viz") / "app.py"))


def viz_env(scenario: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: the scenario to open and, offline, Solara's asset cache."""
    # the app reads it; imported late to keep the CLI quick
    from reformsim.viz.vizmodel import SCENARIO_ENV

    env = dict(os.environ if environ is None else environ)
    env[SCENARIO_ENV] = scenario
    cache = Path(env.get("REFORMSIM_SOLARA_ASSETS", DEFAULT_ASSETS))  # the variable the browser tests use
    if not env.get(ASSETS_ENV) and cache.is_dir():
        env[ASSETS_ENV] = str(cache)
    return env


def viz_command(port: int, host: str) -> list[str]:
    """``solara run`` on the app, with this interpreter's Solara."""
    return [sys.executable, "-m", "solara", "run", str(app_path()), "--host", host, "--port", str(port),
            "--no-open", "--production"]


def cmd_viz(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a TCP port (1-65535)")
    path = Path(args.scenario)
    scenario = str(path.resolve()) if path.exists() else args.scenario
    load_scenario(scenario)  # a bad name or file fails here, in one line, not in the browser
    print(f"reformsim viz: scenario {args.scenario} at http://{args.host}:{args.port}/  (Ctrl-C stops)", flush=True)
    proc = subprocess.run(viz_command(args.port, args.host), env=viz_env(scenario), check=False)
    return proc.returncode
