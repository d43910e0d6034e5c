"""Export in headless Chromium: the lever settings saved as a scenario file reproduce the session's
run with `reformsim run`, the run downloads as CSV and Parquet, and a chart saves as PNG."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from app_page import APP, UPDATE_TIMEOUT_MS, drag_slider, open_app
from playwright.sync_api import Page, expect

if TYPE_CHECKING:  # conftest is not importable as a module at run time
    from conftest import SolaraServer

pytestmark = pytest.mark.browser


def download(page: Page, button: str, folder: Path) -> Path:
    """Press a download button; the file it saved."""
    with page.expect_download(timeout=UPDATE_TIMEOUT_MS) as info:
        page.locator(button).click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def test_exported_scenario_reproduces_the_session_with_reformsim_run(
    solara_server: Callable[[Path], SolaraServer], browser_page: Page, tmp_path: Path
) -> None:
    server = solara_server(APP)
    page = browser_page
    step = open_app(server, page)
    drag_slider(page, "reserved_slots", 0.6)  # on day 0
    expect(page.locator(".lever-reserved_slots .lever-value")).not_to_have_text("0%", timeout=UPDATE_TIMEOUT_MS)
    for day in (10, 20):
        step.click()
        expect(page.locator(".reformsim-day")).to_contain_text(f"Day {day} ", timeout=UPDATE_TIMEOUT_MS)
    drag_slider(page, "transfer_seniors", 0.3)  # on day 20
    expect(page.locator(".lever-transfer_seniors .lever-value")).not_to_have_text("0 doctors (whole county)",
                                                                                  timeout=UPDATE_TIMEOUT_MS)
    step.click()
    expect(page.locator(".reformsim-day")).to_contain_text("Day 30 ", timeout=UPDATE_TIMEOUT_MS)

    toml = download(page, ".export-toml .v-btn", tmp_path)
    parquet = download(page, ".export-parquet .v-btn", tmp_path)
    csv = download(page, ".export-csv .v-btn", tmp_path)
    command = toml.read_text().splitlines()[0].removeprefix("# ").split()
    assert command[:3] == ["reformsim", "run", "--scenario"] and "--years" in command, command
    command[3] = str(toml)
    out = tmp_path / "rerun"
    subprocess.run([sys.executable, "-m", "reformsim.experiments.cli", *command[1:], "--out", str(out), "--quiet"],
                   check=True, capture_output=True)
    rerun = pd.read_parquet(out / "timeseries.parquet")
    session = pd.read_parquet(parquet)
    assert len(session) == 30
    pd.testing.assert_frame_equal(session, rerun[session.columns])
    assert pd.read_csv(csv)["fund_balance"].tolist() == pytest.approx(session["fund_balance"].tolist())

    png = download(page, ".target-charts + .chart-png, .reformsim-target-series .chart-png", tmp_path)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
