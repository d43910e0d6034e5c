"""The trade-off panel beside the levers: where the next five years end with and without the last
lever change, so every change shows what it costs and who pays. It also runs the what-if: one
thread starts a change's projections and reports each one that finishes; another prepares
"without" while the county is paused."""

from __future__ import annotations

import concurrent.futures as cf
import html
import math
import threading

import solara

from .figures import PERCENT, TRADEOFFS
from .i18n import t
from .names import change_text
from .whatif import BAND_SEEDS, Request, WhatIf

PREPARE_AFTER_S = 0.3  # paused this long (not stepping again): project the current settings ahead of a lever change
TABLE_CSS = (".tradeoff-table td, .tradeoff-table th { padding: 1px 6px; border-bottom: 1px solid #eceff1; "
             "text-align: right; white-space: nowrap; } .tradeoff-table td:first-child, .tradeoff-table "
             "th:first-child { text-align: left; white-space: normal; }")
progress = solara.reactive(0)  # finished projections, per browser session: a new value redraws the charts


def measure_label(key: str) -> str:
    if key.startswith("surplus_"):
        return t("surplus_tier", tier=t(key.removeprefix("surplus_")))
    return t(key)


def fmt(key: str, value: float, signed: bool = False) -> str:
    """A measure's value (or a difference, ``signed``): shares in % (differences in points)."""
    if not math.isfinite(value):
        return "—"
    scaled = 100 * value if key in PERCENT else value
    digits = 1 if key in PERCENT or key == "life_expectancy" or abs(value) < 1000 else 0
    scaled = round(scaled, digits) + 0.0  # no "-0.0"
    sign = "+" if signed and scaled != 0 else ""
    text = f"{scaled:{sign},.{digits}f}"
    if key in PERCENT:
        return f"{text} {t('points')}" if signed else f"{text}%"
    return text


def use_what_if(whatif: WhatIf, request: Request | None, day: int, playing: bool) -> None:
    """Run ``request``'s projections and bump ``progress`` as each finishes; prepare "without" once
    the county has been paused for a moment."""
    serial = request.serial if request is not None else 0

    def publish(futures: list[cf.Future], cancel: threading.Event) -> None:
        waiting = set(futures)
        while waiting and not cancel.is_set():
            done, waiting = cf.wait(waiting, timeout=0.5, return_when=cf.FIRST_COMPLETED)
            if done:
                progress.set(progress.value + 1)

    def run(cancel: threading.Event) -> None:
        if request is None:
            return
        # the session's seed first (the lever change started it), alone: the band's seeds would take
        # the cores it needs
        publish(whatif.submit(request, request.seeds[:1]), cancel)
        if not cancel.is_set():
            publish(whatif.submit(request, request.seeds[1:]), cancel)

    def prepare(cancel: threading.Event) -> None:
        if not playing and not cancel.wait(PREPARE_AFTER_S):
            whatif.prepare()

    solara.use_thread(run, dependencies=[id(whatif), serial], intrusive_cancel=False)
    solara.use_thread(prepare, dependencies=[id(whatif), day, playing], intrusive_cancel=False)


@solara.component
def TradeoffPanel(whatif: WhatIf, request: Request | None, day: int, playing: bool, tick: int) -> solara.Element:
    """The what-if of ``request`` (the latest lever change): its status and, once "with" and
    "without" are in, the five-year trade-offs. ``tick`` (``progress``) redraws it as projections
    finish."""
    use_what_if(whatif, request, day, playing)
    with solara.Column(classes=["reformsim-tradeoffs"], gap="4px") as main:
        solara.HTML(tag="h3", unsafe_innerHTML=html.escape(t("tradeoffs")), style="margin:4px 0")
        if request is None:
            solara.Text(t("whatif_idle"), classes=["whatif-status"], style="font-size:13px")
            return main
        change = change_text(*request.label)
        failed = request.error()
        rows = request.tradeoffs()
        if failed is not None:
            solara.Error(t("whatif_failed", error=str(failed).splitlines()[0] if str(failed) else type(failed).__name__))
        elif rows is None:
            solara.Text(t("whatif_running", day=request.day), classes=["whatif-status", "whatif-running"])
            solara.ProgressLinear(True)
        if rows is None:
            return main
        solara.Text(t("whatif_ready", day=request.day, change=change), classes=["whatif-status", "whatif-ready"],
                    style="font-size:13px;font-weight:600")
        solara.Text(f"{t('tradeoffs_hint', n=request.band_done() + 1)} · "
                    f"{t('whatif_band', done=request.band_done(), total=BAND_SEEDS)}", style="font-size:12px;color:#616161")
        head = "".join(f"<th>{html.escape(h)}</th>" for h in (t("metric"), t("without"), t("with"), t("difference"),
                                                               t("range")))
        body = "".join(
            f"<tr class='tradeoff-{key}'><td>{html.escape(measure_label(key))}</td><td>{fmt(key, a)}</td>"
            f"<td>{fmt(key, b)}</td><td><b>{fmt(key, b - a, True)}</b></td>"
            f"<td>{fmt(key, lo, True)} … {fmt(key, hi, True)}</td></tr>"
            for key in TRADEOFFS for a, b, lo, hi in [rows[key]])
        solara.HTML(tag="table", unsafe_innerHTML=f"<tr>{head}</tr>{body}", classes=["tradeoff-table"],
                    style="border-collapse:collapse;font-size:12px")
        solara.Style(TABLE_CSS)
    return main

