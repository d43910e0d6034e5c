"""Compare mode: two counties on the same seed stepped in lockstep, with B − A day by day.

With common random numbers the same seed gives the same illnesses and draws on both sides, so
a difference is the policy's effect, not noise: the workshop's main tool. Each side's levers
can be moved while it runs; its heading then lists what was changed.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import solara
from reformsim.model.metrics import TARGETS

from .cards import TargetCard
from .charts import Chart
from .controls import DAY_CHOICES, ScenarioPicker, Setup, default_scenario
from .figures import PERCENT, chart_series, current_targets, daily_columns
from .i18n import t
from .leverpanel import LeverPanel
from .levers import LEVER_BY_PATH, Lever
from .names import lever_label, scenario_title
from .player import use_player
from .session import Session
from .specs import Line, series_spec, stack_spec
from .tradeoffs import TABLE_CSS, fmt, measure_label

COMPARED = ("primary_visit_share", "county_internal_visit_share", "life_expectancy", "oop_share", "fund_balance",
            "surplus_township", "surplus_county", "wait_county", "wait_township")


class Comparison:
    """Scenario A and scenario B over the same seed and size, stepped together."""

    def __init__(self, scenario_a: str, scenario_b: str, population: int, seed: int):
        self.a = Session(scenario_a, population, seed)
        self.b = Session(scenario_b, population, seed)

    def step(self, days: int) -> None:
        """Both sides ``days`` days on, a day each in turn."""
        for _ in range(days):
            self.a.step()
            self.b.step()

    @property
    def day(self) -> int:
        return min(self.a.day, self.b.day)

    def series(self, side: Session) -> dict[str, np.ndarray]:
        """The compared series of one side, day by day (waits as they are, the rest 30-day)."""
        with side.lock:
            daily = daily_columns(side.model)
        out = chart_series(daily, side.model.scale)
        out["wait_county"], out["wait_township"] = daily["wait_county"], daily["wait_township"]
        out.update({f"target_{k}": v for k, v in current_targets(daily).items()})
        return out


def side_heading(side: str, session: Session) -> str:
    """'B: Sanming', or with what was changed: 'B: Sanming, changed: Drug mark-up'."""
    with session.lock:
        paths = [c.path for c in session.changes] + list(session.pending)
    labels = list(dict.fromkeys(lever_label(LEVER_BY_PATH[p].key) for p in paths if p in LEVER_BY_PATH))
    scenario = scenario_title(session.scenario_name)
    if labels:
        return t("side_changed", side=side, scenario=scenario, levers=", ".join(labels))
    return t("side_title", side=side, scenario=scenario)


def latest(values: dict[str, np.ndarray], key: str) -> float:
    """Today's value: the targets over the last year, the rest as the charts show them."""
    if key in TARGETS:
        return float(values[f"target_{key}"])
    return float(values[key][-1]) if len(values[key]) else math.nan


@solara.component
def Side(name: str, session: Session, values: dict[str, np.ndarray], on_change) -> solara.Element:
    with solara.Column(classes=[f"compare-side-{name.lower()}"], gap="4px") as main:
        solara.HTML(tag="h3", unsafe_innerHTML=html.escape(side_heading(t(f"side_{name.lower()}"), session)),
                    classes=["compare-side-title"], style="margin:4px 0")
        with solara.Row(style="flex-wrap:wrap"):
            for key in TARGETS:
                TargetCard(key, latest(values, key))
        with solara.Details(t("levers"), expand=False):
            with session.lock:
                current = session.values()
                pending = frozenset(LEVER_BY_PATH[p].key for p in session.pending if p in LEVER_BY_PATH)
            LeverPanel(current, pending, on_change, title=False)
    return main


@solara.component
def ComparePanel(setup: Setup, shown: bool) -> solara.Element:
    """Scenario pickers, lockstep controls, each side's targets and levers, and B − A. The two
    counties are made when the tab is first ``shown``, not with the page (it would start slower)."""
    scenario_a = solara.use_reactive(default_scenario())
    scenario_b = solara.use_reactive(default_scenario())
    days = solara.use_reactive(30)
    playing = solara.use_reactive(False)
    frame = solara.use_reactive(0)
    cmp, set_cmp = solara.use_state(None)

    def start() -> None:
        playing.set(False)
        set_cmp(Comparison(scenario_a.value, scenario_b.value, setup.population, setup.seed))

    solara.use_effect(lambda: start() if shown and cmp is None else None, [shown])

    def step() -> None:
        if cmp is not None:
            cmp.step(days.value)

    def step_once() -> None:
        step()
        frame.set(frame.value + 1)

    def changer(session: Session):
        def change(lever: Lever, value: Any) -> None:
            try:
                session.set_lever(lever, value)
            except ValueError:
                return
            frame.set(frame.value + 1)

        return change

    use_player(step, frame, playing.value, cmp)
    with solara.Column(classes=["reformsim-compare"], style="width:100%") as main:
        solara.Text(t("compare_hint"), style="font-size:13px")
        with solara.Columns([1, 1]):
            ScenarioPicker(scenario_a.value, scenario_a.set, css="compare-pick-a")
            ScenarioPicker(scenario_b.value, scenario_b.set, css="compare-pick-b")
        with solara.Row(style="flex-wrap:wrap;align-items:center"):
            solara.Button(t("new_comparison"), on_click=start, color="primary", classes=["compare-start"])
            with solara.Div(style="width:140px"):
                solara.Select(t("days_per_frame"), values=list(DAY_CHOICES), value=days, classes=["compare-days"])
            solara.Button(t("step"), on_click=step_once, disabled=playing.value or cmp is None, color="primary",
                          classes=["compare-step"])
            solara.Button(t("pause") if playing.value else t("play"), on_click=lambda: playing.set(not playing.value),
                          disabled=cmp is None, classes=["compare-play"])
            if cmp is not None:
                solara.Text(t("compare_day", day=cmp.day), classes=["compare-day"], style="font-weight:600")
        if cmp is None:
            solara.ProgressLinear(True)
            return main
        va, vb = cmp.series(cmp.a), cmp.series(cmp.b)
        with solara.Columns([1, 1]):
            Side("A", cmp.a, va, changer(cmp.a))
            Side("B", cmp.b, vb, changer(cmp.b))
        DifferenceTable(va, vb)
        DifferenceCharts(va, vb)
    return main


def DifferenceTable(va: dict[str, np.ndarray], vb: dict[str, np.ndarray]) -> solara.Element:
    """Measure | A | B | B − A, today."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in (t("metric"), t("side_a"), t("side_b"), t("diff_title")))
    rows = "".join(f"<tr><td>{html.escape(measure_label(k))}</td><td>{fmt(k, latest(va, k))}</td>"
                   f"<td>{fmt(k, latest(vb, k))}</td><td>{fmt(k, latest(vb, k) - latest(va, k), True)}</td></tr>"
                   for k in COMPARED)
    with solara.Column(gap="0px") as main:
        solara.Style(TABLE_CSS)
        solara.HTML(tag="table", unsafe_innerHTML=f"<tr>{head}</tr>{rows}", classes=["compare-table", "tradeoff-table"],
                    style="border-collapse:collapse;font-size:13px;width:auto")
    return main


def DifferenceCharts(va: dict[str, np.ndarray], vb: dict[str, np.ndarray]) -> solara.Element:
    """B − A by day for each compared measure, with a zero line."""
    n = min(len(va["oop_share"]), len(vb["oop_share"]))
    panels = [series_spec([Line(t("diff_title"), vb[k][:n] - va[k][:n], "#c62828")], title=measure_label(k),
                          x_title=t("day"), percent=k in PERCENT, zero_line=True, width=260, height=100)
              for k in COMPARED]
    with solara.Column(classes=["compare-diffs"], gap="0px") as main:
        solara.HTML(tag="h3", unsafe_innerHTML=html.escape(t("diff_title")), style="margin:4px 0")
        Chart(stack_spec(panels, columns=3), css="diff-charts", filename="difference.png")
    return main
