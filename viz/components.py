"""The views of the visual: target cards, lever panel, referral map, time series, facility panel.

The functions named like components that take the model (``TargetCards(model)``, ...) are
*plain functions*: the app wraps them (``app.every_frame``) so that they re-render after every
step (see MESA.md), and they read the model under its lock (``reads_model``). The
``@solara.component`` pieces they use hold their own hooks.
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import solara
from matplotlib.figure import Figure
from mesa.visualization.utils import force_update
from reformsim.model.metrics import TARGETS
from reformsim.model.params import TIERS

from .figures import (
    FLOW_COLOURS,
    TARGET_COLOUR,
    TIER_COLOURS,
    network_figure,
    series_spec,
    stack_spec,
    to_png,
)
from .i18n import t
from .vizmodel import (
    LEVERS,
    TRANSFER_PATH,
    VizModel,
    current_targets,
    facility_facts,
    money_series,
    target_series,
    target_status,
)

selected_facility: solara.Reactive[int | None] = solara.reactive(None)  # None: the lead county hospital


# ---------------------------------------------------------------------- small pieces
@solara.component
def Png(make: Callable[[], Figure], deps: list[Any], classes: list[str] | None = None) -> solara.Element:
    """A matplotlib figure as an image, redrawn only when ``deps`` change."""
    data = solara.use_memo(lambda: to_png(make()), deps)
    return solara.Image(data, width="100%", classes=classes or [])


def heading(text: str, level: int = 3) -> solara.Element:
    """A section heading (HTML: Solara's Markdown pulls a diagram library from a CDN)."""
    return solara.HTML(tag=f"h{level}", unsafe_innerHTML=html.escape(text), style="margin:4px 0")


def table(rows: list[tuple[str, ...]], header: tuple[str, ...] | None = None, css: str = "") -> solara.Element:
    """A plain HTML table of text cells."""
    cell = "padding:2px 10px;border-bottom:1px solid #e0e0e0"
    head = "".join(f'<th style="{cell};text-align:left">{html.escape(h)}</th>' for h in header) if header else ""
    body = "".join("<tr>" + "".join(f'<td style="{cell}">{html.escape(c)}</td>' for c in r) + "</tr>" for r in rows)
    return solara.HTML(tag="table", unsafe_innerHTML=(f"<tr>{head}</tr>" if head else "") + body,
                       classes=[css] if css else [], style="border-collapse:collapse;font-size:13px")


def legend(items: list[tuple[str, str]], dashed: bool = False) -> solara.Element:
    """A row of coloured keys (HTML, so it follows the language switch)."""
    style = "border-top:2px dashed {c};width:18px;height:0" if dashed else "background:{c};width:12px;height:12px;border-radius:6px"
    spans = "".join(
        f'<span style="display:inline-flex;align-items:center;margin-right:12px">'
        f'<span style="display:inline-block;{style.format(c=colour)};margin-right:4px"></span>{label}</span>'
        for label, colour in items
    )
    return solara.HTML(tag="div", unsafe_innerHTML=spans, style="font-size:12px")


def fmt_target(key: str, value: float) -> str:
    """A target value as shown on its card."""
    if not math.isfinite(value):
        return "—"
    return f"{value:.1f}" if key == "life_expectancy" else f"{100 * value:.1f}%"


def reads_model(view: Callable[[VizModel], solara.Element]) -> Callable[[VizModel], solara.Element]:
    """Run a view of the model under the model's lock, never during a simulated day.

    A view renders in whichever thread asks for a render: the play loop's, between steps, but also the
    browser's after a lever change or a click, while the play loop may be inside a step. Unlocked, such
    a render read the DataCollector half-way through a day (series one day apart in length) and Solara
    replaced the whole app with the traceback (issue 8, tests/browser/test_stress.py).
    """

    @functools.wraps(view)
    def locked(model: VizModel) -> solara.Element:
        with model.lock:
            return view(model)

    return locked


def lever_marks(model: VizModel) -> list[int]:
    """Days on which a lever was changed (dotted lines on the charts)."""
    return sorted({day for day, _, _ in getattr(model, "lever_log", [])})


# ---------------------------------------------------------------------- target cards
def TargetCard(key: str, value: float) -> solara.Element:
    """One 2025 target: value, threshold and met / not met."""
    met = target_status(value, key)
    colour = "#9e9e9e" if met is None else ("#2e7d32" if met else "#c62828")
    status = t("no_data") if met is None else (t("met") if met else t("not_met"))
    with solara.Card(t(key), classes=[f"target-card target-card-{key}"], style="min-width:210px;flex:1") as card:
        solara.Text(fmt_target(key, value), classes=["target-value"], style="font-size:28px;font-weight:600")
        solara.Text(f"{t('target_is')} ≥ {fmt_target(key, TARGETS[key])}", style="margin-left:10px;color:#616161")
        solara.HTML(tag="div", unsafe_innerHTML=status, classes=["target-status"],
                    style=f"color:white;background:{colour};display:inline-block;padding:1px 10px;border-radius:10px;margin-top:4px")
    return card


@reads_model
def TargetCards(model: VizModel) -> solara.Element:
    """Cards for the 2025 targets (primary share ≥ 65%, county-internal ≥ 90%, life expectancy ≥ 77)."""
    values = current_targets(model)
    alive = int(model.alive_by_scheme.sum())
    with solara.Column(classes=["reformsim-targets"]) as main:
        heading(t("targets"))
        solara.Text(f"{t('day')} {model.steps} ({t('year')} {model.steps / 365:.1f}) · {t('residents')} {alive:,} · "
                    f"{t('last_year_note')}", classes=["reformsim-day"])
        with solara.Row(style="flex-wrap:wrap"):
            for key in TARGETS:
                TargetCard(key, values[key])
        solara.Text(t("next_tab_hint"), style="color:#757575;font-size:12px")
    return main


# ---------------------------------------------------------------------- levers
@solara.component
def LeverPanel(model: VizModel, on_change: Callable[[], None] = force_update, version: int = 0) -> solara.Element:
    """Sliders and selects for the main reform levers; a change applies from the next simulated day.

    A component of its own (not redrawn at every step: it only changes when a lever does), which
    saves a fifth of each frame. ``version`` is ``model.lever_version`` as the caller read it: a new
    value (a lever moved by the timeline or the user) is a new argument, hence a redraw.
    """
    _, set_changes = solara.use_state(0)
    with model.lock:  # all levers as of one moment, never half-way through a day's timeline
        values = dict(model.lever_values)

    def setter(key: str, convert: Callable[[Any], Any] = lambda v: v) -> Callable[[Any], None]:
        def apply(value: Any) -> None:
            model.apply_lever(key, convert(value))
            set_changes(lambda n: n + 1)
            on_change()

        return apply

    with solara.Column(classes=["reformsim-levers"], gap="0px") as main:
        heading(t("levers"))
        for lever in LEVERS:
            value = values[lever.key]
            with solara.Column(classes=["reformsim-lever", f"lever-{lever.key}"], gap="0px"):
                if lever.kind == "select":
                    labels = {t(o): o for o in lever.options}
                    solara.Select(t(lever.key), values=list(labels), value=t(value), on_value=setter(lever.key, labels.get))
                    continue
                shown = f"{int(value)}" if lever.kind == "int" else f"{100 * float(value):.0f}%"
                if lever.path == TRANSFER_PATH:
                    shown += f" (= {int(value) * model.scale:.1f} {t('transfer_now')})"
                solara.Text(f"{t(lever.key)}: {shown}", classes=["lever-label"], style="font-size:13px")
                if lever.kind == "int":
                    solara.SliderInt("", value=int(value), min=int(lever.lo), max=int(lever.hi), step=int(lever.step),
                                     on_value=setter(lever.key))
                else:
                    solara.SliderFloat("", value=float(value), min=lever.lo, max=lever.hi, step=lever.step,
                                       on_value=setter(lever.key))
    return main


# ---------------------------------------------------------------------- the map
def resolve_facility(model: VizModel) -> int:
    """The facility the panel shows: the user's pick if valid, else the lead county hospital."""
    fid = selected_facility.value
    return fid if fid is not None and 0 <= fid < model.county.n_facilities else model.county.lead_hospital


def MapLegend() -> solara.Element:
    """Tier colours and flow colours."""
    with solara.Column(gap="2px") as main:
        legend([(t(k), c) for k, c in zip(TIERS, TIER_COLOURS, strict=True)])
        legend([(t(k), c) for k, c in FLOW_COLOURS.items()] + [(t("node_size_note"), "#bdbdbd")])
    return main


@reads_model
def NetworkMap(model: VizModel) -> solara.Element:
    """The referral network drawn on the county's geography."""
    fid = resolve_facility(model)
    with solara.Column(classes=["reformsim-map"]) as main:
        heading(t("network"))
        MapLegend()

        def draw() -> Figure:
            with model.lock:  # Png draws it later in the render pass, outside this view's lock
                return network_figure(model, fid)

        Png(draw, [id(model), model.steps, fid], classes=["reformsim-map-img"])
    return main


# ---------------------------------------------------------------------- time series
def Chart(spec: dict, css: str = "") -> solara.Element:
    """A Vega-Lite chart drawn by the browser."""
    with solara.Div(classes=["reformsim-chart", css]) as main:
        solara.widgets.VegaLite.element(spec=spec)
    return main


def SeriesLegend(model: VizModel, target: bool = True) -> solara.Element:
    """The keys common to a stack of charts: the target line and the lever-change marks."""
    items = [(t("target_is"), TARGET_COLOUR)] if target else []
    if lever_marks(model):
        items.append((t("lever_change"), "#455a64"))
    with solara.Div(classes=["reformsim-series"]) as main:
        legend(items, dashed=True)
    return main


def target_title(key: str) -> str:
    """A chart title with its target, e.g. 'Primary-care visit share (target ≥ 65.0%)'."""
    return f"{t(key)} ({t('target_is')} ≥ {fmt_target(key, TARGETS[key])})"


@reads_model
def TargetSeries(model: VizModel) -> solara.Element:
    """The three targets over time (30-day rolling shares) with their target lines, in one view."""
    s = target_series(model)
    marks = lever_marks(model)
    panels = [series_spec({t(key): s[key]}, target=target, marks=marks, percent=key != "life_expectancy",
                          x_title=t("day"), title=target_title(key))
              for key, target in TARGETS.items()]
    with solara.Column(classes=["reformsim-target-series"], gap="0px") as main:
        heading(t("target_series"))
        SeriesLegend(model)
        Chart(stack_spec(panels), css="target-charts")
    return main


@reads_model
def MoneySeries(model: VizModel) -> solara.Element:
    """Fund balance, out-of-pocket share and providers' cumulative surplus by tier, in one view."""
    m = money_series(model)
    marks = lever_marks(model)
    day = t("day")
    panels = [
        series_spec({t("fund_balance"): m["fund_balance"]}, zero_line=True, marks=marks, x_title=day, title=t("fund_balance")),
        series_spec({t("oop_share"): m["oop_share"]}, percent=True, marks=marks, x_title=day, title=t("oop_share")),
        series_spec({t(k): m[f"surplus_{k}"] for k in TIERS}, zero_line=True, marks=marks, x_title=day, legend=True,
                    colours=TIER_COLOURS, title=t("provider_surplus")),
    ]
    with solara.Column(classes=["reformsim-money"], gap="0px") as main:
        heading(t("money_series"))
        SeriesLegend(model, target=False)
        Chart(stack_spec(panels), css="money-charts")
    return main


# ---------------------------------------------------------------------- facility panel
def facility_choices(model: VizModel) -> dict[str, int]:
    """Facility names for the picker, hospitals first."""
    order = np.lexsort((np.arange(model.county.n_facilities), -model.county.tier))
    return {f"{model.county.name[i]} · {t(TIERS[model.county.tier[i]])}": int(i) for i in order}


@reads_model
def FacilityPanel(model: VizModel) -> solara.Element:
    """Load, wait, staff, beds and money of the chosen facility, and its visits per day."""
    fid = resolve_facility(model)
    choices = facility_choices(model)
    label = next(k for k, v in choices.items() if v == fid)
    f = facility_facts(model, fid)
    rows = [
        ("visits_today", f"{f['visits_today']:.0f}"),
        ("capacity", f"{f['capacity']:.0f}"),
        ("wait_days", f"{f['wait_days']:.2f}"),
        ("doctors", f"{f['senior']:.1f} / {f['junior']:.1f} / {f['village_doctors']:.0f}"),
        ("on_loan", f"{f['on_loan']:+.1f}"),
        ("nurses", f"{f['nurses']:.0f}"),
        ("beds", f"{f['beds_occupied']:.0f} / {f['beds']:.0f}"),
        ("skill", f"{f['skill']:.2f}"),
        ("revenue", f"{f['revenue']:,.0f}"),
        ("surplus", f"{f['surplus']:,.0f}"),
    ]
    history = np.array([day[fid] for day in model.visits_history]) if model.visits_history else np.zeros(0)
    with solara.Column(classes=["reformsim-facility"]) as main:
        heading(t("facility"))
        solara.Select(t("choose_facility"), values=list(choices), value=label,
                      on_value=lambda name: selected_facility.set(choices[name]))
        table([(t(k), v) for k, v in rows], css="facility-facts")
        solara.Text(t("visits_history"), style="font-weight:600")
        Chart(series_spec({t("visits_history"): history}, marks=lever_marks(model), x_title=t("day"), width=900, height=90),
              css="facility-history")
    return main
