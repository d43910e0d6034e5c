"""``reformsim viz``: start the Solara visual (viz/app.py) in a browser-facing server.

The server runs as a child process in a session of its own, with the what-if's worker processes
under it. On SIGTERM or Ctrl-C the whole group is stopped and the port is free when this command
returns. A bad scenario or a port in use is refused in one line before anything starts.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

from reformsim.model.scenario import load_scenario

from .cli import UsageError

ASSETS_ENV = "SOLARA_ASSETS_PROXY_CACHE_DIR"
# where tests/browser/fill_solara_assets.sh puts Solara's front end for machines without internet
DEFAULT_ASSETS = Path.home() / ".cache" / "reformsim" / "solara-assets"
STOP_WAIT_S = 10.0  # a server that has not stopped by then is killed


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
    from reformsim.viz.controls import SCENARIO_ENV

    env = dict(os.environ if environ is None else environ)
    env[SCENARIO_ENV] = scenario
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    cache = Path(env.get("REFORMSIM_SOLARA_ASSETS", DEFAULT_ASSETS))  # the variable the browser tests use
    if not env.get(ASSETS_ENV) and cache.is_dir():
        env[ASSETS_ENV] = str(cache)
    return env


def viz_command(port: int, host: str) -> list[str]:
    """``solara run`` on the app, with this interpreter's Solara."""
    return [sys.executable, "-m", "solara", "run", str(app_path()), "--host", host, "--port", str(port),
            "--no-open", "--production"]


def check_port(host: str, port: int) -> None:
    """Refuse a port another program listens on (before the server prints anything)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"port {port} on {host} is in use (another reformsim viz?); choose one with --port") from None
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def serve(proc: subprocess.Popen) -> bool:
    """Wait for the server; on SIGTERM or Ctrl-C stop it and its workers (its process group) and
    wait until they are gone. True if it was stopped by a signal."""
    asked: list[float] = []

    def on_signal(signum: int, frame: object) -> None:
        # only ask here: waiting inside a signal handler would wait on the lock the interrupted
        # Popen.wait holds
        if not asked and proc.poll() is None:
            asked.append(time.monotonic())
            os.killpg(proc.pid, signal.SIGTERM)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while proc.poll() is None:
            time.sleep(0.2)
            if asked and time.monotonic() - asked[0] > STOP_WAIT_S:
                os.killpg(proc.pid, signal.SIGKILL)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # workers the server left behind
    return bool(asked)


def cmd_viz(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a TCP port (1-65535)")
    path = Path(args.scenario)
    scenario = str(path.resolve()) if path.exists() else args.scenario
    load_scenario(scenario)  # a bad name or file fails here, in one line, not in the browser
    check_port(args.host, args.port)
    print(f"reformsim viz: scenario {args.scenario} at http://{args.host}:{args.port}/  (Ctrl-C stops)", flush=True)
    proc = subprocess.Popen(viz_command(args.port, args.host), env=viz_env(scenario), start_new_session=True)
    if serve(proc):
        print("reformsim viz: stopped", flush=True)
        return 0
    return proc.returncode
