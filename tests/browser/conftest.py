"""Fixtures that run a Solara app with ``solara run`` and drive it in headless Chromium.

Prerequisites (CI installs both; a missing one FAILS the test, it is never skipped):
  * ``bash tests/browser/install_chromium.sh``   -> /usr/bin/chromium
  * ``bash tests/browser/fill_solara_assets.sh`` -> Solara's front-end assets, offline

Environment variables:
  * ``REFORMSIM_SOLARA_ASSETS``: asset cache directory (default ~/.cache/reformsim/solara-assets);
    passed to the server as ``SOLARA_ASSETS_PROXY_CACHE_DIR``.
  * ``REFORMSIM_SOLARA_START_TIMEOUT``: seconds to wait for the server to answer (default 60).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright, sync_playwright

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FILL_SCRIPT = HERE / "fill_solara_assets.sh"
INSTALL_SCRIPT = HERE / "install_chromium.sh"


def assets_dir() -> Path:
    """Return the Solara asset cache directory the tests use."""
    default = Path.home() / ".cache" / "reformsim" / "solara-assets"
    return Path(os.environ.get("REFORMSIM_SOLARA_ASSETS", default))


def required_asset_specs() -> list[str]:
    """Read the package specs from the fill script, so the list lives in one place."""
    block = re.search(r"^SPECS=\((.*?)^\)", FILL_SCRIPT.read_text(), re.S | re.M)
    assert block, f"no SPECS=( ... ) array in {FILL_SCRIPT}"
    return re.findall(r'"([^"]+)"', block.group(1))


def _rel(path: Path) -> Path:
    """Path relative to the repository root, as a developer would type it there."""
    return path.relative_to(HERE.parents[1])


def require_prerequisites() -> None:
    """Fail (not skip) with a one-line hint when Chromium or the asset cache is missing."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} missing: run `bash {_rel(INSTALL_SCRIPT)}`", pytrace=False)
    cache = assets_dir()
    missing = [s for s in required_asset_specs() if not (cache / s / "package.json").is_file()]
    if missing:
        pytest.fail(
            f"Solara assets {missing} missing in {cache}: run `bash {_rel(FILL_SCRIPT)} {cache}`",
            pytrace=False,
        )


def free_port() -> int:
    """Ask the OS for a free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SolaraServer:
    """A running ``solara run`` process."""

    url: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        """Return the server's combined stdout/stderr so far."""
        return self.log_path.read_text(errors="replace")

    def cdn_misses(self) -> list[str]:
        """Lines where Solara tried the public CDN: an asset the cache lacks."""
        return [ln for ln in self.log().splitlines() if "Could not load URL" in ln]


def _wait_until_up(server: SolaraServer, timeout: float) -> None:
    """Poll the page URL until it answers 200, failing early if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"solara exited with {server.process.returncode}:\n{server.log()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(
        f"solara did not answer {server.url} within {timeout:.0f} s:\n{server.log()[-3000:]}"
    )


@pytest.fixture(scope="session")
def solara_assets() -> Path:
    """The asset cache the servers use (a test may build a variant of it)."""
    return assets_dir()


@pytest.fixture(scope="session")
def solara_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[Path], SolaraServer]]:
    """Factory: ``solara_server(app_path, assets=None, env=None)`` starts (once per app, asset cache
    and environment) a production server and returns it; ``assets`` replaces the asset cache
    directory, ``env`` adds environment variables.

    All servers are terminated at the end of the session.
    """
    require_prerequisites()
    servers: dict[tuple, SolaraServer] = {}
    timeout = float(os.environ.get("REFORMSIM_SOLARA_START_TIMEOUT", "60"))

    def start(app_path: Path, assets: Path | None = None, env: dict[str, str] | None = None) -> SolaraServer:
        app_path = Path(app_path).resolve()
        assets = Path(assets or assets_dir())
        key = (app_path, assets, tuple(sorted((env or {}).items())))
        if key in servers:
            return servers[key]
        port = free_port()
        log_path = tmp_path_factory.mktemp("solara") / f"{app_path.stem}-{port}.log"
        env = {
            **os.environ,
            "SOLARA_ASSETS_PROXY_CACHE_DIR": str(assets),
            # Nothing outside the machine is reachable; don't let telemetry try.
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
            **(env or {}),
        }
        # `python -m solara` uses this interpreter's solara, whatever PATH says.
        cmd = [
            sys.executable,
            "-m",
            "solara",
            "run",
            str(app_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-open",
            "--production",
        ]
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=app_path.parent
            )
        server = SolaraServer(f"http://127.0.0.1:{port}/", log_path, proc)
        servers[key] = server
        _wait_until_up(server, timeout)
        return server

    yield start
    for server in servers.values():
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    """One Playwright driver for the session."""
    require_prerequisites()
    with sync_playwright() as pw:
        yield pw


@pytest.fixture
def browser_page(playwright_instance: Playwright, tmp_path: Path) -> Iterator[Page]:
    """A page in Debian's headless Chromium with a fresh user-data-dir per test."""
    context = playwright_instance.chromium.launch_persistent_context(
        user_data_dir=tmp_path / "chromium-profile",
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1400, "height": 900},
    )
    page = context.pages[0] if context.pages else context.new_page()
    try:
        yield page
    finally:
        context.close()
