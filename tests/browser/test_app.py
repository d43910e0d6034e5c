"""The simulator tab in headless Chromium, used with the mouse: levers dragged, the five-year
what-if, stepping and playing, the map's hover card and click, a new scenario, a timeline.

How long a what-if takes and how fast playing runs are measured and recorded (run with ``-s`` to
see them; docs/performance.md keeps the figures), not asserted: on a shared machine a timed
assertion fails for the machine's load, not the app's behaviour.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from app_page import (
    APP,
    UPDATE_TIMEOUT_MS,
    chart_words,
    day_shown,
    drag_slider,
    open_app,
    page_errors,
)
from playwright.sync_api import Page, expect

if TYPE_CHECKING:  # conftest is not importable as a module at run time
    from conftest import SolaraServer

pytestmark = pytest.mark.browser

TIMELINE_APP = Path(__file__).parent / "apps" / "timeline_app.py"  # the app on a reform from day 3


def test_a_dragged_lever_draws_the_five_year_what_if(
    solara_server: Callable[[Path], SolaraServer], browser_page: Page, record_property: Callable[[str, object], None]
) -> None:
    """Drag the mark-up slider with the mouse: its value changes and, within seconds, the target
    charts show the next five years with and without the change, and the trade-offs their ends."""
    server = solara_server(APP)
    page = browser_page
    js_errors: list[str] = []
    page.on("pageerror", lambda exc: js_errors.append(str(exc)))
    step = open_app(server, page)
    step.click()
    expect(page.locator(".reformsim-day")).to_contain_text("Day 10 ", timeout=UPDATE_TIMEOUT_MS)
    # a person reads the page before moving a lever; meanwhile the app projects the current settings
    time.sleep(8)

    value = page.locator(".lever-drug_markup .lever-value")
    expect(value).to_have_text("15%")
    drag_slider(page, "drug_markup", 0.0)
    t0 = time.monotonic()
    expect(value).to_have_text("0%", timeout=UPDATE_TIMEOUT_MS)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the charts' legends name both projections once they are drawn
        words = chart_words(page, "target-charts")
        if "with the change" in words and "without the change" in words:
            break
        time.sleep(0.1)
    took = time.monotonic() - t0
    expect(page.locator(".whatif-ready")).to_contain_text("Drug mark-up")
    record_property("whatif_s", round(took, 2))
    print(f"five-year what-if drawn {took:.1f} s after the drag")
    assert "with the change" in words and "without the change" in words, words
    table = page.locator(".tradeoff-table")
    for measure in ("Primary-care visit share", "Out-of-pocket share of bills", "Insurance fund balance",
                    "Surplus made: Township centres", "County hospital wait"):
        expect(table).to_contain_text(measure)
    # the change is marked on the charts with the lever's name once the day it applies has run
    step.click()
    expect(page.locator(".reformsim-day")).to_contain_text("Day 20 ", timeout=UPDATE_TIMEOUT_MS)
    expect(page.locator(".target-charts svg")).to_contain_text("Drug mark-up", timeout=UPDATE_TIMEOUT_MS)

    # an integer lever by the mouse too: doctors to the townships, shown for the whole county
    drag_slider(page, "transfer_seniors", 0.5)
    doctors = page.locator(".lever-transfer_seniors .lever-value")
    expect(doctors).to_have_text(re.compile(r"^[1-9]\d* doctors \(whole county\)$"), timeout=UPDATE_TIMEOUT_MS)
    assert not js_errors, js_errors
    assert not page_errors(page), page_errors(page)


def test_step_play_and_the_map(
    solara_server: Callable[[Path], SolaraServer], browser_page: Page, record_property: Callable[[str, object], None]
) -> None:
    """Step and see the cards; hover a township on the map for its figures and click it to select it;
    play and measure the speed."""
    server = solara_server(APP)
    page = browser_page
    step = open_app(server, page)
    cards = page.locator(".reformsim-simulator .target-card .target-value")
    for n in (1, 2):
        step.click()
        expect(page.locator(".reformsim-day")).to_contain_text(f"Day {10 * n} ", timeout=UPDATE_TIMEOUT_MS)
    values = cards.all_inner_texts()
    assert all(re.fullmatch(r"\d+\.\d%", v) for v in values[:2]) and values[2] == "—", values
    expect(page.locator(".target-card-life_expectancy .target-status")).to_have_text("measuring — needs one simulated year")

    node = page.locator(".map-node-township").first
    node.scroll_into_view_if_needed()
    node.hover()
    tip = page.locator(".map-tip")
    expect(tip).to_be_visible(timeout=UPDATE_TIMEOUT_MS)
    expect(tip.locator(".map-tip-title")).to_contain_text("Township")
    expect(tip).to_contain_text("Visits today")
    expect(tip).to_contain_text("Doctors: senior / junior / village")
    name = tip.locator(".map-tip-title").inner_text().split(" · ")[0]
    node.click()
    expect(page.locator(".facility-title")).to_contain_text(name, timeout=UPDATE_TIMEOUT_MS)
    expect(page.locator(".facility-select")).to_contain_text(name)
    expect(page.locator(".map-node-selected")).to_have_count(1)

    play = page.locator(".run-play")
    play.click()
    expect(play).to_have_text("Pause", timeout=UPDATE_TIMEOUT_MS)
    time.sleep(3)
    d0, t0 = day_shown(page), time.monotonic()
    time.sleep(15)
    d1, t1 = day_shown(page), time.monotonic()
    play.click()
    rate = (d1 - d0) / (t1 - t0)
    record_property("days_per_second", round(rate, 1))
    print(f"playing: {rate:.1f} simulated days/s (day {d0} -> {d1})")
    assert d1 > d0, f"playing did not advance the day; server log:\n{server.log()[-2000:]}"
    assert not page_errors(page), page_errors(page)


def test_a_new_scenario_says_it_needs_a_restart(solara_server: Callable[[Path], SolaraServer], browser_page: Page) -> None:
    """Picking another scenario shows its description and timeline and says it is not applied until
    Restart; Restart starts it at day 0."""
    server = solara_server(APP)
    page = browser_page
    step = open_app(server, page)
    step.click()
    expect(page.locator(".reformsim-day")).to_contain_text("Day 10 ", timeout=UPDATE_TIMEOUT_MS)
    page.locator(".scenario-select .v-select__slot").click()
    page.locator(".menuable__content__active").get_by_role("option", name="Sanming", exact=True).click()
    expect(page.locator(".scenario-description")).to_contain_text("annual salaries")
    expect(page.locator(".restart-needed")).to_be_visible()
    page.locator(".scenario-select").get_by_role("button", name="Reform timeline").click()
    expect(page.locator(".scenario-timeline")).to_contain_text("day 365: Drug mark-up (0 = zero mark-up) → 0%")
    expect(page.locator(".reformsim-day")).to_contain_text("Day 10 ")  # not applied yet
    page.locator(".restart").click()
    expect(page.locator(".reformsim-day")).to_contain_text("Day 0 ", timeout=UPDATE_TIMEOUT_MS)
    expect(page.locator(".restart-needed")).to_have_count(0)


def test_timeline_changes_show_in_the_levers_and_as_labelled_marks(
    solara_server: Callable[[Path], SolaraServer], browser_page: Page
) -> None:
    """A lever the scenario's timeline moves (not a person) shows its new value and marks the charts
    with its name."""
    server = solara_server(TIMELINE_APP)
    page = browser_page
    step = open_app(server, page)
    markup = page.locator(".lever-drug_markup .lever-value")
    regime = page.locator(".lever-payment_regime .lever-value")
    expect(markup).to_have_text("15%", timeout=UPDATE_TIMEOUT_MS)
    expect(regime).to_have_text("Fee for service")
    step.click()  # days 0-9: the timeline applies on day 3
    expect(page.locator(".reformsim-day")).to_contain_text("Day 10 ", timeout=UPDATE_TIMEOUT_MS)
    expect(markup).to_have_text("0%", timeout=UPDATE_TIMEOUT_MS)
    expect(regime).to_have_text("Capitation (consortium budget)")
    expect(page.locator(".target-charts svg")).to_contain_text("Drug mark-up", timeout=UPDATE_TIMEOUT_MS)
