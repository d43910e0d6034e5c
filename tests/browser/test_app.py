"""The planners' app (viz/app.py) in headless Chromium: levers, stepping, cards, charts, compare mode.

Run with ``.venv/bin/pytest tests/browser/test_app.py -m browser -s`` (prints the measured speed).
``REFORMSIM_VIZ_MIN_DAYS_PER_S`` sets the speed the test demands (default 2: CI machines are shared;
the demo is meant to reach 5+ simulated days per second).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from app_page import (
    APP,
    FIRST_RENDER_TIMEOUT_MS,
    ROOT,
    UPDATE_TIMEOUT_MS,
    day_shown,
    open_app,
    wait_for_change,
)
from playwright.sync_api import Page, expect

if TYPE_CHECKING:  # conftest is not importable as a module at run time
    from conftest import SolaraServer

pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "docs" / "screenshot.png"
TIMELINE_APP = Path(__file__).parent / "apps" / "timeline_app.py"  # the app on a reform from day 3


def measure_play(page: Page, server: SolaraServer, seconds: float = 15.0) -> tuple[int, int, float, float]:
    """Press play, read the day twice ``seconds`` apart, pause; (day0, day1, t0, t1)."""
    try:
        page.get_by_role("button", name="▶").click()
        time.sleep(3)
        d0, t0 = day_shown(page), time.monotonic()
        time.sleep(seconds)
        d1, t1 = day_shown(page), time.monotonic()
        page.get_by_role("button", name="❚❚").click()
    except Exception as exc:  # say what the server saw: the page alone rarely tells
        raise AssertionError(f"{exc}\nalerts: {page.locator('.v-alert').all_inner_texts()}\n"
                             f"server log:\n{server.log()[-3000:]}") from exc
    return d0, d1, t0, t1


def test_lever_and_steps_change_cards_and_charts(
    solara_server: Callable[[Path], SolaraServer],
    browser_page: Page,
    record_property: Callable[[str, object], None],
) -> None:
    """Change a lever, step, and see the cards, the map and the charts change; measure the speed."""
    server = solara_server(APP)
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    step = open_app(server, page)

    cards = page.locator(".target-card .target-value")
    cards_before = cards.all_inner_texts()
    map_img = page.locator(".reformsim-map-img img, img.reformsim-map-img").first
    expect(map_img).to_be_visible(timeout=UPDATE_TIMEOUT_MS)
    map_before = map_img.get_attribute("src")
    chart = page.locator(".target-charts").first

    # send doctors down: keyboard End puts the slider at its maximum
    label = page.locator(".lever-transfer_seniors .lever-label")
    expect(label).to_contain_text(": 0", timeout=UPDATE_TIMEOUT_MS)
    slider = page.locator(".lever-transfer_seniors [role=slider]")
    slider.focus()
    slider.press("End")
    expect(label).to_contain_text(": 200", timeout=UPDATE_TIMEOUT_MS)

    for n in (1, 2, 3):
        step.click()
        expect(page.locator(".reformsim-day")).to_contain_text(f"Day {5 * n} ", timeout=UPDATE_TIMEOUT_MS)
    expect(page.locator(".reformsim-series").first).to_contain_text("lever changed", timeout=UPDATE_TIMEOUT_MS)
    cards_after = cards.all_inner_texts()
    # the shares move; life expectancy waits for a simulated year
    assert cards_after != cards_before and all(re.match(r"\d+\.\d%$", s) for s in cards_after[:2]), cards_after
    assert cards_after[2] == "—", cards_after
    expect(page.locator(".target-card .target-status")).to_have_count(3)
    assert wait_for_change(lambda: map_img.get_attribute("src"), map_before)
    expect(chart).to_be_visible(timeout=UPDATE_TIMEOUT_MS)
    chart_before = chart.screenshot()
    step.click()
    wait_for_change(chart.screenshot, chart_before)

    # speed of the default demo: play for a while and count simulated days
    d0, d1, t0, t1 = measure_play(page, server)
    rate = (d1 - d0) / (t1 - t0)
    record_property("days_per_second", round(rate, 2))
    print(f"browser demo speed: {rate:.2f} simulated days/s (day {d0} -> {d1} in {t1 - t0:.1f} s)")
    assert rate >= float(os.environ.get("REFORMSIM_VIZ_MIN_DAYS_PER_S", "2")), (
        f"{rate:.2f} days/s; alerts {page.locator('.v-alert').all_inner_texts()}; server log:\n{server.log()[-2000:]}")

    page.set_viewport_size({"width": 1500, "height": 2300})
    # clicks scrolled the app's content pane: back to the top for the README picture
    page.evaluate("() => { document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; }); window.scrollTo(0, 0); }")
    time.sleep(2)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert SCREENSHOT.stat().st_size > 50_000

    # 中文: the card titles and statuses switch language
    page.locator(".lang-zh").click()
    expect(page.locator(".target-card-primary_visit_share")).to_contain_text("基层就诊率", timeout=UPDATE_TIMEOUT_MS)
    expect(page.locator(".target-card .target-status").first).to_have_text(re.compile("达标|未达标"))
    assert not errors, f"JavaScript errors in the page: {errors}"
    assert not server.cdn_misses(), f"assets missing from the cache: {server.cdn_misses()}"


def test_compare_mode_steps_both_scenarios(
    solara_server: Callable[[Path], SolaraServer],
    browser_page: Page,
) -> None:
    """Page 1: a lever in B, lockstep steps, and a difference table and charts that move."""
    server = solara_server(APP)
    page = browser_page
    open_app(server, page)
    page.get_by_role("tab", name="Page 1").click()
    step = page.locator(".compare-step")
    expect(step).to_be_enabled(timeout=FIRST_RENDER_TIMEOUT_MS)
    expect(page.locator(".compare-side-b .target-card")).to_have_count(3, timeout=UPDATE_TIMEOUT_MS)

    page.locator(".compare-side-b").get_by_text("Reform levers").first.click()
    penalty = page.locator(".compare-side-b .lever-no_referral_penalty [role=slider]")
    expect(penalty).to_be_attached(timeout=UPDATE_TIMEOUT_MS)  # the thumb itself has no size
    penalty.focus()
    penalty.press("End")
    expect(page.locator(".compare-side-b .lever-no_referral_penalty .lever-label")).to_contain_text("40%")

    table = page.locator(".compare-table")
    for n in (1, 2):
        step.click()
        expect(page.locator(".compare-day")).to_have_text(f"Day {10 * n}", timeout=UPDATE_TIMEOUT_MS)
    expect(table).to_contain_text("Difference B − A")
    expect(page.locator(".compare-diffs .diff-charts .vega-embed")).to_have_count(1, timeout=UPDATE_TIMEOUT_MS)
    # the same seed on both sides: only the lever can make the out-of-pocket share differ
    oop = table.locator("tr", has_text="Out-of-pocket").inner_text()
    assert not re.search(r"[+-]0\.0 pt", oop), oop


def test_timeline_lever_changes_show_in_the_lever_panel(
    solara_server: Callable[[Path], SolaraServer],
    browser_page: Page,
) -> None:
    """A lever the scenario's timeline moves (not the user) shows its new value and marks the charts."""
    server = solara_server(TIMELINE_APP)
    page = browser_page
    step = open_app(server, page)
    markup = page.locator(".lever-drug_markup .lever-label")
    regime = page.locator(".lever-payment_regime .v-select__selection")
    expect(markup).to_contain_text(": 15%", timeout=UPDATE_TIMEOUT_MS)
    expect(regime).to_have_text("Fee for service")
    step.click()  # days 0-4: the timeline applies on day 3
    expect(page.locator(".reformsim-day")).to_contain_text("Day 5 ", timeout=UPDATE_TIMEOUT_MS)
    expect(markup).to_contain_text(": 0%", timeout=UPDATE_TIMEOUT_MS)
    expect(regime).to_have_text("Capitation (consortium budget)", timeout=UPDATE_TIMEOUT_MS)
    expect(page.locator(".reformsim-series").first).to_contain_text("lever changed", timeout=UPDATE_TIMEOUT_MS)
