"""Take the pictures of docs/workshop.md and the README in both languages, from the running app.

Run from the repository root: ``.venv/bin/python tests/browser/take_screenshots.py``. It starts
``reformsim viz`` on a free port, plays the steps a workshop does (two simulated years, a lever
change and its what-if, a hover on the map, a comparison), saves the pictures under docs/ and
stops the server.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request

from app_page import ROOT, UPDATE_TIMEOUT_MS, drag_slider, open_app
from conftest import CHROMIUM, CHROMIUM_ARGS, free_port
from playwright.sync_api import Page, expect, sync_playwright
from reformsim.viz.names import scenario_title

IMG = ROOT / "docs" / "img"
LONG_MS = 180_000  # a what-if on a busy machine


class Server:
    """``reformsim viz`` on a free port; the address the page opens."""

    def __init__(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/"
        self.proc = subprocess.Popen([sys.executable, "-m", "reformsim.experiments.cli", "viz", "--port", str(port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url, timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("reformsim viz did not start")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def shoot(page: Page, selector: str, name: str) -> None:
    target = page.locator(selector).first
    target.scroll_into_view_if_needed()
    time.sleep(1.5)  # charts redraw a moment after their data arrives
    target.screenshot(path=IMG / name)
    print("wrote", IMG / name)


def workshop(page: Page, server: Server, language: str) -> None:
    step = open_app(server, page)
    if language == "zh":
        page.locator(".lang-zh").click()
    page.locator(".days-per-step .v-select__slot").click()
    page.locator(".menuable__content__active").get_by_role("option", name="90", exact=True).click()
    for _ in range(5):  # more than a year, so life expectancy is measured
        step.click()
        time.sleep(1)
    expect(page.locator(".reformsim-day")).to_contain_text("450", timeout=UPDATE_TIMEOUT_MS)
    drag_slider(page, "transfer_seniors", 0.25)
    expect(page.locator(".whatif-ready")).to_be_visible(timeout=LONG_MS)
    expect(page.locator(".tradeoff-table")).to_contain_text("%", timeout=LONG_MS)
    time.sleep(25)  # the band's seeds
    shoot(page, ".reformsim-simulator", f"workshop_simulator_{language}.png")
    shoot(page, ".reformsim-lever-panel", f"workshop_levers_{language}.png")
    shoot(page, ".reformsim-tradeoffs", f"workshop_tradeoffs_{language}.png")
    shoot(page, ".reformsim-target-series", f"workshop_whatif_{language}.png")
    node = page.locator(".map-node-township").nth(2)
    node.scroll_into_view_if_needed()
    node.click()
    node.hover()
    expect(page.locator(".map-tip")).to_be_visible(timeout=UPDATE_TIMEOUT_MS)
    shoot(page, ".reformsim-map", f"workshop_map_{language}.png")
    if language == "en":
        page.mouse.move(5, 5)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=ROOT / "docs" / "screenshot.png", full_page=True)
        print("wrote docs/screenshot.png")
    tab = "Compare two scenarios" if language == "en" else "情景对比"
    page.get_by_role("tab", name=tab).click()
    page.locator(".compare-pick-b .v-select__slot").click()
    reform = scenario_title("chuxiong_five_ones", language)
    page.locator(".menuable__content__active").get_by_role("option", name=reform, exact=True).click()
    page.locator(".compare-start").click()
    page.locator(".compare-days .v-select__slot").click()
    page.locator(".menuable__content__active").get_by_role("option", name="90", exact=True).click()
    for _ in range(9):  # two years: the reform starts on day 365
        page.locator(".compare-step").click()
        time.sleep(1.5)
    shoot(page, ".reformsim-compare", f"workshop_compare_{language}.png")


def main() -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    server = Server()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for language in ("en", "zh"):
                page = browser.new_page(viewport={"width": 1400, "height": 2600})
                workshop(page, server, language)
                page.close()
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
