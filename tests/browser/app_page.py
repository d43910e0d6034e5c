"""Helpers the browser tests share to drive the visual (viz/app.py) in Chromium as a person does:
the mouse on sliders and the map, buttons by their text or class, the page's own numbers."""

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
UPDATE_TIMEOUT_MS = 90_000  # a wait, not a speed test: a loaded 2-core machine can take tens of seconds
ERROR_MARKERS = ("Traceback", "Too many renders", "Error:")


def open_app(server: SolaraServer, page: Page) -> Locator:
    """Load the app and wait until the simulator is usable; return its Step button."""
    page.goto(server.url)
    step = page.locator(".run-step")
    expect(step).to_be_enabled(timeout=FIRST_RENDER_TIMEOUT_MS)
    expect(page.locator(".reformsim-simulator .target-card")).to_have_count(3, timeout=FIRST_RENDER_TIMEOUT_MS)
    return step


def day_shown(page: Page, selector: str = ".reformsim-day") -> int:
    """The simulated day the page shows (the first number of its day line)."""
    text = page.locator(selector).text_content(timeout=2 * UPDATE_TIMEOUT_MS) or ""
    match = re.search(r"(\d+)", text)
    assert match, f"no day in {text!r}"
    return int(match.group(1))


def drag_slider(page: Page, lever: str, fraction: float, scope: str = "") -> None:
    """Drag a lever's slider thumb with the mouse to ``fraction`` of its track (0 = left end)."""
    thumb = page.locator(f"{scope} .lever-{lever} .v-slider__thumb-container").first
    track = page.locator(f"{scope} .lever-{lever} .v-slider").first
    track.scroll_into_view_if_needed()  # the thumb's container has no size of its own to scroll to
    start, box = thumb.bounding_box(), track.bounding_box()
    assert start and box, f"lever {lever} not on screen"
    y = start["y"] + start["height"] / 2
    page.mouse.move(start["x"] + start["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + fraction * box["width"], y, steps=12)
    page.mouse.up()


def page_errors(page: Page) -> list[str]:
    """Python errors the page shows (Solara's traceback blocks, error alerts)."""
    found = [a for a in page.locator(".v-alert.error, .v-alert--error").all_inner_texts() if a.strip()]
    body = page.locator("body").inner_text(timeout=UPDATE_TIMEOUT_MS)
    return found + [m for m in ERROR_MARKERS if m in body]


def wait_for_change(read: Callable[[], object], before: object, timeout_s: float = UPDATE_TIMEOUT_MS / 1000) -> object:
    """Poll ``read()`` until it differs from ``before``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = read()
        if now != before:
            return now
        time.sleep(0.3)
    raise AssertionError(f"still {str(before)[:80]!r} after {timeout_s:.0f} s")


def chart_words(page: Page, css: str) -> str:
    """The words a chart view draws (titles, axes, legend) in its SVG."""
    return " ".join(page.locator(f".{css} svg text").all_text_contents())
