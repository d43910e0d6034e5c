"""中文 in headless Chromium: after the switch no English word is left anywhere in the page (every
text node, both tabs, the charts' SVG, the map, the what-if), and the Chinese is drawn in the web
font the app serves (this machine has no CJK font of its own to fall back on)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from app_page import APP, UPDATE_TIMEOUT_MS, drag_slider, open_app, page_errors
from playwright.sync_api import Page, Response, expect
from reformsim.viz.fonts import FAMILY, PACKAGE

if TYPE_CHECKING:  # conftest is not importable as a module at run time
    from conftest import SolaraServer

pytestmark = pytest.mark.browser

# names that stay as they are in a Chinese page: file formats, a payment method's acronym, and the
# language switch's own "English"
ALLOWED = {"DRG", "PNG", "CSV", "TOML", "Parquet", "English"}
WORD = re.compile(r"[A-Za-z]{2,}")
# every text node the page shows, SVG included (not the ones hidden with display:none, such as
# Solara's router's own "App", nor commands to type in <code>)
TEXT_NODES = """() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const out = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const parent = n.parentElement;
        if (parent.closest('script, style, code, noscript') || !parent.getClientRects().length) continue;
        if (n.textContent.trim()) out.push(n.textContent.trim());
    }
    return out;
}"""


def english_words(page: Page) -> dict[str, str]:
    """English words in the page's text, each with a text it was found in."""
    found = {}
    for text in page.evaluate(TEXT_NODES):
        for word in set(WORD.findall(text)) - ALLOWED:
            found.setdefault(word, text[:120])
    return found


def test_chinese_leaves_no_english_word_and_uses_the_served_font(
    solara_server: Callable[[Path], SolaraServer], browser_page: Page
) -> None:
    server = solara_server(APP)
    page = browser_page
    fonts: list[Response] = []
    page.on("response", lambda r: fonts.append(r) if PACKAGE in r.url else None)
    step = open_app(server, page)
    page.locator(".lang-zh").click()
    expect(page.locator(".reformsim-day")).to_contain_text("模拟第 0 天", timeout=UPDATE_TIMEOUT_MS)
    step.click()
    expect(page.locator(".reformsim-day")).to_contain_text("模拟第 10 天", timeout=UPDATE_TIMEOUT_MS)
    # a what-if, a change mark and the map's hover card in Chinese too
    drag_slider(page, "contract_rate", 0.8)
    expect(page.locator(".whatif-ready")).to_contain_text("家庭医生签约率", timeout=90_000)
    step.click()
    expect(page.locator(".reformsim-day")).to_contain_text("模拟第 20 天", timeout=UPDATE_TIMEOUT_MS)
    node = page.locator(".map-node-township").first
    node.scroll_into_view_if_needed()
    node.hover()
    expect(page.locator(".map-tip")).to_contain_text("今日门诊量", timeout=UPDATE_TIMEOUT_MS)
    page.locator(".scenario-select").get_by_role("button", name="改革时间表").click()
    time.sleep(2)  # the charts redraw a moment after their data arrives

    leftover = english_words(page)
    assert not leftover, f"English left in the Chinese page: {leftover}"
    page.get_by_role("tab", name="情景对比").click()
    expect(page.locator(".compare-day")).to_contain_text("第 0 天", timeout=UPDATE_TIMEOUT_MS)
    page.locator(".compare-step").click()
    expect(page.locator(".compare-day")).to_contain_text("第 30 天", timeout=UPDATE_TIMEOUT_MS)
    time.sleep(2)
    leftover = english_words(page)
    assert not leftover, f"English left in the Chinese compare tab: {leftover}"

    # the font: its style sheets and a woff2 file came from the app, and the browser has the face
    expect(page.locator(".reformsim-font")).to_have_attribute("data-font", "loaded", timeout=UPDATE_TIMEOUT_MS)
    served = [r for r in fonts if r.url.startswith(server.url) and r.ok]
    assert any(r.url.endswith(".css") for r in served) and any(r.url.endswith(".woff2") for r in served), \
        [(r.status, r.url) for r in fonts]
    assert page.evaluate(f"() => [...document.fonts].some(f => f.family.includes('{FAMILY}') && f.status === 'loaded')")
    assert not page.locator(".font-missing").count()
    assert not server.cdn_misses(), server.cdn_misses()


def test_without_the_font_the_page_says_so_and_works(
    solara_server: Callable[[Path], SolaraServer], browser_page: Page, solara_assets: Path, tmp_path: Path
) -> None:
    """An asset cache without the font (and no internet to fetch it): a notice in both languages,
    Chinese in the computer's fonts, and the app otherwise as usual."""
    fontless = tmp_path / "assets"
    for entry in solara_assets.iterdir():
        if entry.name.startswith("@"):  # a scope: its packages, the font's scope without the font
            (fontless / entry.name).mkdir(parents=True)
            for package in entry.iterdir():
                if f"{entry.name}/{package.name}" != PACKAGE:
                    (fontless / entry.name / package.name).symlink_to(package)
        else:
            (fontless / entry.name).symlink_to(entry)
    # and no CDN to fall back on, even on a machine with internet
    server = solara_server(APP, fontless, {"SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm"})
    page = browser_page
    step = open_app(server, page)
    notice = page.locator(".font-missing")
    expect(notice).to_contain_text("Chinese web font could not be loaded", timeout=60_000)
    page.locator(".lang-zh").click()
    expect(notice).to_contain_text("未能加载中文网页字体")
    step.click()
    expect(page.locator(".reformsim-day")).to_contain_text("模拟第 10 天", timeout=UPDATE_TIMEOUT_MS)
    assert not page_errors(page), page_errors(page)
