"""Helpers the browser tests share to drive the planners' app (viz/app.py) in Chromium."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Locator, Page, expect

if TYPE_CHECKING:  # conftest is not importable as a module at run time
    from conftest import SolaraServer

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "viz" / "app.py"
FIRST_RENDER_TIMEOUT_MS = 90_000
UPDATE_TIMEOUT_MS = 30_000


def open_app(server: SolaraServer, page: Page) -> Locator:
    """Load the app and wait for the simulator page to be usable; return its Step button."""
    page.goto(server.url)
    step = page.get_by_role("button", name="Step", exact=True)
    expect(step).to_be_enabled(timeout=FIRST_RENDER_TIMEOUT_MS)
    expect(page.locator(".target-card")).to_have_count(3, timeout=FIRST_RENDER_TIMEOUT_MS)
    return step


def day_shown(page: Page) -> int:
    """The simulated day printed above the target cards."""
    # while the model plays the page is busy redrawing: allow a slow read
    text = page.locator(".reformsim-day").text_content(timeout=2 * UPDATE_TIMEOUT_MS) or ""
    match = re.search(r"(\d+)", text)
    assert match, f"no day in {text!r}"
    return int(match.group(1))


def wait_for_change(
    read: Callable[[], object], before: object, timeout_s: float = UPDATE_TIMEOUT_MS / 1000
) -> object:
    """Poll ``read()`` until it differs from ``before`` (charts redraw asynchronously)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = read()
        if now != before:
            return now
        time.sleep(0.3)
    raise AssertionError(f"still {str(before)[:80]!r} after {timeout_s:.0f} s")
