"""The charts over time: the three targets and money, each with its change marks and, after a
lever change, the five-year what-if drawn on: "without" and "with" the change on the session's
seed, and the band of the other seeds."""

from __future__ import annotations

import html
import warnings

import numpy as np
import solara
from reformsim.model.metrics import TARGETS
from reformsim.model.params import TIERS

from .cards import fmt_target
from .charts import Chart
from .i18n import t
from .specs import Band, Line, series_spec, stack_spec
from .whatif import Request

HISTORY, WITHOUT, WITH = "#1565c0", "#757575", "#ef6c00"
TIER_COLOURS = ("#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a")


def projected(request: Request | None, role: str) -> list[dict[str, np.ndarray]]:
    """The chart series of a request's finished projections in ``role``, the session's seed first."""
    if request is None or request.series(role, None) is None:
        return []
    return [run for run in (request.series(role, seed) for seed in request.seeds) if run is not None]


def what_if_layers(key: str, request: Request | None, without: list, with_: list) -> tuple[list[Line], list[Band]]:
    """The lines and bands a what-if adds to the chart of ``key`` (from the day before it starts, so
    the lines join the history)."""
    if request is None or not without or not with_:
        return [], []
    start = max(request.day - 1, 0)
    lines, bands = [], []
    for name, runs, colour, dash in ((t("before_change"), without, WITHOUT, (5, 3)), (t("after_change"), with_, WITH, ())):
        lines.append(Line(name, runs[0][key][start:], colour, start, dash))
        if len(runs) > 1:
            stack = np.stack([run[key][start:] for run in runs])
            with warnings.catch_warnings():  # all-NaN days: life expectancy's first year
                warnings.simplefilter("ignore", RuntimeWarning)
                bands.append(Band(np.nanmin(stack, axis=0), np.nanmax(stack, axis=0), colour, start))
    return lines, bands


def heading(text: str) -> solara.Element:
    return solara.HTML(tag="h3", unsafe_innerHTML=html.escape(text), style="margin:4px 0")


@solara.component
def TargetSeries(series: dict[str, np.ndarray], day: int, marks: list[tuple[int, str]], request: Request | None,
                 progress: int) -> solara.Element:
    """The targets over time (30-day shares) with their target lines, change marks and what-if.
    ``progress`` counts finished projections: a new value redraws."""
    without, with_ = projected(request, "without"), projected(request, "with")
    panels = []
    for key, target in TARGETS.items():
        extra_lines, bands = what_if_layers(key, request, without, with_)
        lines = [Line(t("history"), series[key], HISTORY), *extra_lines]
        panels.append(series_spec(lines, title=f"{t(key)} ({t('target_is')} ≥ {fmt_target(key, target)})",
                                  x_title=t("day"), percent=key != "life_expectancy", target=target, marks=marks,
                                  bands=bands, today=day if extra_lines else None, legend=key == "primary_visit_share",
                                  width=250))
    with solara.Column(classes=["reformsim-target-series"], gap="0px") as main:
        heading(t("target_series"))
        Chart(stack_spec(panels, columns=3), css="target-charts", filename="targets.png")
    return main


@solara.component
def MoneySeries(series: dict[str, np.ndarray], day: int, marks: list[tuple[int, str]], request: Request | None,
                progress: int) -> solara.Element:
    """Fund balance, out-of-pocket share (with the what-if) and providers' cumulative surplus by tier."""
    without, with_ = projected(request, "without"), projected(request, "with")
    panels = []
    for key, percent in (("fund_balance", False), ("oop_share", True)):
        extra_lines, bands = what_if_layers(key, request, without, with_)
        panels.append(series_spec([Line(t("history"), series[key], HISTORY), *extra_lines], title=t(key),
                                  x_title=t("day"), percent=percent, zero_line=not percent, marks=marks, bands=bands,
                                  today=day if extra_lines else None, width=250))
    surplus = [Line(t(tier), series[f"surplus_{tier}"], colour) for tier, colour in zip(TIERS, TIER_COLOURS, strict=True)]
    panels.append(series_spec(surplus, title=t("provider_surplus"), x_title=t("day"), zero_line=True, marks=marks,
                              legend=True, width=250))
    with solara.Column(classes=["reformsim-money"], gap="0px") as main:
        heading(t("money_series"))
        Chart(stack_spec(panels, columns=3), css="money-charts", filename="money.png")
    return main

