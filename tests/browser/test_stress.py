"""Reliability of the visual (issue 8): 100 rapid lever changes and a restart while it plays.

Run with ``.venv/bin/python -m pytest tests/browser/test_stress.py -m browser -s``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from app_page import APP, UPDATE_TIMEOUT_MS, day_shown, open_app, page_errors
from playwright.sync_api import Locator, Page, expect
from reformsim.viz.leverpanel import shown
from reformsim.viz.levers import LEVER_BY_KEY

if TYPE_CHECKING:  # conftest is not importable as a module at run time
    from conftest import SolaraServer

pytestmark = pytest.mark.browser

CHANGES = 100
# sliders of several kinds: an int lever that moves staff, price, insurance and policy shares
SLIDERS = (
    "transfer_seniors",
    "drug_markup",
    "no_referral_penalty",
    "county_inpatient_ratio",
    "reserved_slots",
    "contract_rate",
)
# the payment-regime select, by the English labels of its options
REGIMES = ("Capitation (consortium budget)", "DRG (per admission)", "Fee for service")
SELECT_EVERY = 20  # every twentieth change is a payment-regime switch (through its menu: ~1 s)
RUN = 3  # changes to one slider before the next: moving the focus costs ~0.2 s on the busy page
DAYS_PER_STEP = 10


def slider(page: Page, key: str) -> Locator:
    """The slider thumb of one lever (it takes the keyboard)."""
    return page.locator(f".lever-{key} [role=slider]")


def label(page: Page, key: str) -> Locator:
    """The lever's value as the server-side panel shows it."""
    return page.locator(f".lever-{key} .lever-value")


def choose_regime(page: Page, name: str) -> None:
    """Open the payment-regime select and pick ``name``, as a person would: looking that the select
    shows it, and picking again if the click was lost (under load the server's redraw for an
    earlier change can replace the open menu under the pointer). What the model then takes is
    asserted from the server-rendered label, not from here."""
    for _ in range(3):
        page.locator(".lever-payment_regime .v-select__slot").click()
        # vuetify keeps closed menus in the DOM: pick from the open one
        page.locator(".menuable__content__active").get_by_role("option", name=name, exact=True).click()
        try:
            expect(page.locator(".lever-payment_regime .v-select__selection")).to_have_text(name, timeout=5_000)
            return
        except AssertionError:
            page.keyboard.press("Escape")  # close a menu left open before trying again
    raise AssertionError(f"the payment-regime select never showed {name!r}")


def lever_burst(page: Page) -> tuple[dict[str, str], str]:
    """Make CHANGES lever changes with no pauses; end on known values: ({key: 'lo'|'hi'}, regime)."""
    ends = {key: ("End" if i % 2 else "Home") for i, key in enumerate(SLIDERS)}
    regime = REGIMES[0]
    # the last len(SLIDERS) + 1 changes put every lever on a value the test can predict
    free = CHANGES - len(SLIDERS) - 1
    presses = dict.fromkeys(SLIDERS, 0)
    focused = None
    for i in range(free):
        if i % SELECT_EVERY == SELECT_EVERY - 1:
            regime = REGIMES[(i // SELECT_EVERY) % len(REGIMES)]
            choose_regime(page, regime)
            focused = None
            continue
        key = SLIDERS[(sum(presses.values()) // RUN) % len(SLIDERS)]
        if key != focused:
            slider(page, key).focus()
            focused = key
        # mostly up, now and then down, so that (almost) every press moves the value; the keyboard
        # takes ~20 ms a press (the last presses, checked below, go through the locator: surer)
        presses[key] += 1
        page.keyboard.press("ArrowLeft" if presses[key] % 3 == 0 else "ArrowRight")
    for key, end in ends.items():
        slider(page, key).press(end)
    regime = REGIMES[1] if regime != REGIMES[1] else REGIMES[0]
    choose_regime(page, regime)
    return {k: ("hi" if e == "End" else "lo") for k, e in ends.items()}, regime


def lever_state(page: Page) -> dict[str, tuple[str, str | None]]:
    """Each slider lever's label (from the server) and thumb position (in the browser)."""
    return {
        key: (label(page, key).inner_text(), slider(page, key).get_attribute("aria-valuenow"))
        for key in SLIDERS
    }


def settled_day(page: Page) -> int:
    """The day shown once it stays put for a second (the play loop may finish a frame after pause)."""
    deadline = time.monotonic() + UPDATE_TIMEOUT_MS / 1000
    day = day_shown(page)
    while time.monotonic() < deadline:
        time.sleep(1)
        day, before = day_shown(page), day
        if day == before:
            break
    return day


def test_rapid_lever_changes_and_reset_while_playing(
    solara_server: Callable[[Path], SolaraServer],
    browser_page: Page,
    record_property: Callable[[str, object], None],
) -> None:
    """100 rapid lever changes and a Restart while playing leave the app alive, consistent and error-free."""
    server = solara_server(APP)
    page = browser_page
    phase = ["load"]  # what the test was doing, for the JavaScript errors
    js_errors: list[str] = []
    page.on("pageerror", lambda exc: js_errors.append(f"{phase[0]}: {exc}\n{exc.stack}"))
    open_app(server, page)
    log_start = len(server.log())  # the server is shared with other tests: judge only our part

    def context() -> str:
        """What to print when an assertion fails: the page alone rarely tells."""
        return (
            f"\npage errors: {page_errors(page)}\nserver log:\n{server.log()[log_start:][-3000:]}"
        )

    t0 = time.monotonic()
    play = page.locator(".run-play")
    play.click()
    expect(play).to_have_text("Pause", timeout=UPDATE_TIMEOUT_MS)
    expect(page.locator(".reformsim-day")).not_to_contain_text("Day 0 ", timeout=UPDATE_TIMEOUT_MS)

    day_before_burst = day_shown(page)
    phase[0] = "burst"
    t_burst = time.monotonic()
    ends, regime = lever_burst(page)
    burst_s = time.monotonic() - t_burst
    day_after_burst = day_shown(page)
    assert (play.text_content() or "").strip() == "Pause", "the model stopped playing during the burst" + context()
    assert day_after_burst > day_before_burst, "no day passed during the burst" + context()

    phase[0] = "check"
    # what the UI shows is what the model took: the browser's thumbs, the labels the server renders
    # from the model's record of its levers (written with the parameter, under the model's lock) and
    # the values the last key presses asked for all agree
    for key, end in ends.items():
        lever = LEVER_BY_KEY[key]
        value = lever.hi if end == "hi" else lever.lo
        try:
            expect(label(page, key)).to_have_text(shown(lever, value), timeout=UPDATE_TIMEOUT_MS)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nlevers: {lever_state(page)}" + context()) from exc
        expect(slider(page, key)).to_have_attribute(
            "aria-valuenow", re.compile(rf"^{value:g}(\.0+)?$"), timeout=UPDATE_TIMEOUT_MS
        )
    expect(label(page, "payment_regime")).to_have_text(regime, timeout=UPDATE_TIMEOUT_MS)
    assert not page_errors(page), context()

    phase[0] = "restart"
    # Restart while playing: a new county at day 0, stopped, levers back to the scenario's values
    expect(play).to_have_text("Pause")
    page.locator(".restart").click()
    expect(play).to_have_text("Play", timeout=UPDATE_TIMEOUT_MS)
    # the button flips before the new model exists (building it takes a moment): wait for day 0-9
    try:
        expect(page.locator(".reformsim-day")).to_have_text(
            re.compile(r"^\D*\b[0-9] "), timeout=UPDATE_TIMEOUT_MS
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nday before Restart: {day_after_burst}" + context()) from exc
    day_after_reset = day_shown(page)
    expect(label(page, "transfer_seniors")).to_have_text("0 doctors (whole county)", timeout=UPDATE_TIMEOUT_MS)
    expect(label(page, "payment_regime")).to_have_text(REGIMES[2])

    phase[0] = "after reset"
    # still alive: it plays again and the cards keep rendering numbers
    play.click()
    deadline = time.monotonic() + UPDATE_TIMEOUT_MS / 1000
    while day_shown(page) <= day_after_reset + 5 and time.monotonic() < deadline:
        time.sleep(0.5)
    play.click()
    step = page.locator(".run-step")
    expect(step).to_be_enabled(timeout=UPDATE_TIMEOUT_MS)
    day_paused = settled_day(page)
    assert day_paused > day_after_reset + 5, f"day {day_paused} after playing again" + context()
    step.click()
    expect(page.locator(".reformsim-day")).to_contain_text(
        f"Day {day_paused + DAYS_PER_STEP} ", timeout=UPDATE_TIMEOUT_MS
    )
    expect(page.locator(".reformsim-simulator .target-card")).to_have_count(3)
    values = page.locator(".reformsim-simulator .target-card .target-value").all_inner_texts()
    for value in values[:2]:  # the shares; life expectancy waits for a simulated year
        assert re.match(r"\d+\.\d%$", value), value

    total_s = time.monotonic() - t0
    record_property("burst_s", round(burst_s, 2))
    print(f"{CHANGES} lever changes in {burst_s:.1f} s while playing; whole test {total_s:.1f} s")
    assert not page_errors(page), context()
    assert not js_errors, f"JavaScript errors in the page: {js_errors}"
    server_log = server.log()[log_start:]
    assert "Traceback" not in server_log, f"exception in the server:\n{server_log[-5000:]}"
