"""Compare mode: two scenarios stepped in lockstep over the same seed, with difference charts.

With common random numbers (the same seed gives the same illnesses and draws), the difference
B − A is the effect of the policy, not noise: the workshop's main tool.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np
import solara
from reformsim.model.scenario import builtin_names

from .components import Chart, LeverPanel, NetworkMap, TargetCard, fmt_target, heading, table
from .figures import series_spec, stack_spec
from .i18n import t
from .vizmodel import VizModel, compare_metrics, current_targets, default_scenario

DAY_CHOICES = (1, 5, 10, 30, 90)
PERCENT_METRICS = ("primary_visit_share", "county_internal_visit_share", "oop_share")


@dataclass
class Comparison:
    """Scenario A and scenario B over the same seed and population, stepped together."""

    a: VizModel
    b: VizModel
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, scenario_a: str, scenario_b: str, population: int, seed: int) -> Comparison:
        """Two fresh models that differ only in their scenario."""
        return cls(VizModel(scenario_a, population, seed), VizModel(scenario_b, population, seed))

    def step(self, days: int) -> None:
        """Advance both models ``days`` days, one day each in turn."""
        with self.lock:
            for _ in range(days):
                self.a.step()
                self.b.step()

    def differences(self) -> dict[str, np.ndarray]:
        """B − A for each compared series, day by day."""
        ma, mb = compare_metrics(self.a), compare_metrics(self.b)
        n = min(self.a.steps, self.b.steps)
        return {k: mb[k][:n] - ma[k][:n] for k in ma}

    def latest(self) -> dict[str, tuple[float, float]]:
        """Today's value of each compared series in A and B (targets over the last year)."""
        ma, mb = compare_metrics(self.a), compare_metrics(self.b)
        out = {k: (_last(ma[k]), _last(mb[k])) for k in ma}
        ta, tb = current_targets(self.a), current_targets(self.b)
        out.update({k: (ta[k], tb[k]) for k in ta})
        return out


def _last(x: np.ndarray) -> float:
    return float(x[-1]) if len(x) else float("nan")


def scenario_choices() -> list[str]:
    """Built-in scenarios, plus the one the app was started with if it is a file."""
    names = builtin_names()
    return names if default_scenario() in names else [default_scenario(), *names]


# per browser session (solara.reactive is scoped to the session's kernel)
comparison: solara.Reactive[Comparison | None] = solara.reactive(None)
scenario_a = solara.reactive(default_scenario())
scenario_b = solara.reactive(default_scenario())
days_per_step = solara.reactive(10)
playing = solara.reactive(False)
tick = solara.reactive(0)


def next_tick() -> None:
    """Redraw the comparison. The lever panels get this one function, so that they redraw when
    their model's ``lever_version`` moves, not for a new callback at every tick."""
    tick.set(tick.value + 1)


def _fmt(key: str, value: float) -> str:
    if not math.isfinite(value):
        return "—"
    if key in PERCENT_METRICS:
        return f"{100 * value:.1f}%"
    return fmt_target(key, value) if key == "life_expectancy" else f"{value:,.2f}"


def _fmt_diff(key: str, value: float) -> str:
    if not math.isfinite(value):
        return "—"
    return f"{100 * value:+.1f} pt" if key in PERCENT_METRICS else f"{value:+,.2f}"


@solara.component
def ComparePanel(model: VizModel) -> solara.Element:
    """Scenario pickers, lockstep controls, both sides' targets, maps and levers, and B − A charts."""
    tick.get()  # re-render after every lockstep step
    cmp = comparison.value

    def start() -> None:
        playing.set(False)
        comparison.set(Comparison.start(scenario_a.value, scenario_b.value, model.p.county.population, model.seed))
        next_tick()

    def step_once() -> None:
        if comparison.value is not None:
            comparison.value.step(days_per_step.value)
            next_tick()

    def play_loop(cancel: threading.Event) -> None:
        while playing.value and comparison.value is not None and not cancel.is_set():
            step_once()

    solara.use_effect(lambda: start() if comparison.value is None else None, [])
    solara.use_thread(play_loop, dependencies=[playing.value, id(cmp)], intrusive_cancel=False)

    with solara.Column(classes=["reformsim-compare"], style="width:100%") as main:
        heading(t("compare"), 2)
        solara.Text(t("compare_hint"))
        with solara.Row(style="flex-wrap:wrap;align-items:center"):
            solara.Select(f"{t('scenario')} {t('side_a')}", values=scenario_choices(), value=scenario_a)
            solara.Select(f"{t('scenario')} {t('side_b')}", values=scenario_choices(), value=scenario_b)
            solara.Button(t("new_comparison"), on_click=start, color="primary", classes=["compare-start"])
            solara.Select(t("step_days"), values=list(DAY_CHOICES), value=days_per_step)
            solara.Button(t("step"), on_click=step_once, disabled=playing.value or cmp is None,
                          color="primary", classes=["compare-step"])
            solara.Button(t("pause") if playing.value else t("play"), on_click=lambda: playing.set(not playing.value),
                          disabled=cmp is None, classes=["compare-play"])
        if cmp is None:
            solara.Text("…")
            return main
        with cmp.lock:
            solara.Text(f"{t('day')} {cmp.a.steps}", classes=["compare-day"], style="font-weight:600")
            with solara.Columns([1, 1]):
                for side, m in ((t("side_a"), cmp.a), (t("side_b"), cmp.b)):
                    with solara.Column(classes=[f"compare-side-{'a' if m is cmp.a else 'b'}"]):
                        heading(f"{side}: {m.scenario_name}")
                        values = current_targets(m)
                        with solara.Row(style="flex-wrap:wrap"):
                            for key, value in values.items():
                                TargetCard(key, value)
                        NetworkMap(m)
                        with solara.Details(t("levers")):
                            LeverPanel(m, on_change=next_tick, version=m.lever_version)
            DifferenceTable(cmp)
            DifferenceCharts(cmp)
    return main


def DifferenceTable(cmp: Comparison) -> solara.Element:
    """Metric | A | B | B − A for today."""
    rows = [(t(k), _fmt(k, a), _fmt(k, b), _fmt_diff(k, b - a)) for k, (a, b) in cmp.latest().items()]
    return table(rows, (t("metric"), t("side_a"), t("side_b"), t("difference")), css="compare-table")


def DifferenceCharts(cmp: Comparison) -> solara.Element:
    """One small chart per compared series: B − A by day, with a zero line (one view, three columns)."""
    panels = [series_spec({t("difference"): d}, percent=key in PERCENT_METRICS, zero_line=True, x_title=t("day"),
                          width=280, height=100, colours=("#c62828",), title=t(key))
              for key, d in cmp.differences().items()]
    with solara.Column(classes=["compare-diffs"]) as main:
        heading(t("difference"))
        Chart(stack_spec(panels, columns=3), css="diff-charts")
    return main
