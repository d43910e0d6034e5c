"""Compare mode in headless Chromium: Play runs for a minute at every days-per-step setting
without an error while the day advances (it crashed with "Too many renders" within 30 s), and a
lever moved on side B shows in B's heading and in the difference table.

``REFORMSIM_COMPARE_PLAY_S`` shortens the minute for a quick local run.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from app_page import APP, UPDATE_TIMEOUT_MS, day_shown, drag_slider, open_app, page_errors
from playwright.sync_api import Page, expect
from reformsim.viz.controls import DAY_CHOICES

if TYPE_CHECKING:  # conftest is not importable as a module at run time
    from conftest import SolaraServer

pytestmark = pytest.mark.browser

PLAY_S = float(os.environ.get("REFORMSIM_COMPARE_PLAY_S", "60"))


def choose_days(page: Page, days: int) -> None:
    page.locator(".compare-days .v-select__slot").click()
    page.locator(".menuable__content__active").get_by_role("option", name=str(days), exact=True).click()
    expect(page.locator(".compare-days .v-select__selection")).to_have_text(str(days))


def test_compare_plays_a_minute_at_every_setting(
    solara_server: Callable[[Path], SolaraServer], browser_page: Page, record_property: Callable[[str, object], None]
) -> None:
    server = solara_server(APP)
    page = browser_page
    js_errors: list[str] = []
    page.on("pageerror", lambda exc: js_errors.append(str(exc)))
    open_app(server, page)
    log_start = len(server.log())
    page.get_by_role("tab", name="Compare two scenarios").click()
    play = page.locator(".compare-play")
    expect(play).to_be_enabled(timeout=UPDATE_TIMEOUT_MS)

    # side B: a penalty for skipping referral, moved with the mouse
    page.locator(".compare-side-b").get_by_role("button", name="Reform levers").click()
    drag_slider(page, "no_referral_penalty", 1.0, scope=".compare-side-b")
    expect(page.locator(".compare-side-b .lever-no_referral_penalty .lever-value")).to_have_text("40%",
                                                                                                   timeout=UPDATE_TIMEOUT_MS)
    expect(page.locator(".compare-side-b .compare-side-title")).to_contain_text(
        "changed: Reimbursement lost without a referral")

    rates = {}
    for days in DAY_CHOICES:
        choose_days(page, days)
        before = day_shown(page, ".compare-day")
        play.click()
        expect(play).to_have_text("Pause", timeout=UPDATE_TIMEOUT_MS)
        t0 = time.monotonic()
        seen = before
        while time.monotonic() - t0 < PLAY_S:
            time.sleep(5)
            errors = page_errors(page)
            assert not errors, f"{days} days per step, {time.monotonic() - t0:.0f} s: {errors}\n{server.log()[log_start:][-3000:]}"
            seen = day_shown(page, ".compare-day")
        play.click()
        expect(play).to_have_text("Play", timeout=UPDATE_TIMEOUT_MS)
        rates[days] = (seen - before) / PLAY_S
        print(f"compare mode, {days} days per step: day {before} -> {seen} in {PLAY_S:.0f} s")
        assert seen > before, f"the day did not advance at {days} days per step"
    record_property("compare_days_per_s", rates)

    # every difference chart fits the 1,400-pixel window (the third column used to be cut off): its
    # box neither scrolls nor reaches past the window
    expect(page.locator(".diff-charts svg").first).to_be_visible(timeout=UPDATE_TIMEOUT_MS)
    fits = page.evaluate("""() => { const box = document.querySelector('.diff-charts').parentElement;
        const svg = box.querySelector('svg').getBoundingClientRect();
        return box.scrollWidth <= box.clientWidth && svg.right <= window.innerWidth; }""")
    assert fits, "the difference charts do not fit the window"
    # the same seed on both sides: only the lever makes the out-of-pocket share differ
    oop = page.locator(".compare-table tr", has_text="Out-of-pocket").inner_text()
    assert not re.search(r"\t0\.0 pt$", oop.strip()), oop
    assert not js_errors, js_errors
    assert "Traceback" not in server.log()[log_start:], server.log()[log_start:][-5000:]
