"""The 2025 target cards: primary-care visit share ≥ 65%, county-internal care ≥ 90%, life
expectancy ≥ 77, over the last simulated year.

Life expectancy is a period life table over a year of deaths: until the run has one, its card
says it is still measuring instead of showing a number a workshop would read as a result.
"""

from __future__ import annotations

import math

import solara
from reformsim.model.metrics import TARGETS

from .figures import target_status
from .i18n import t

CARD_CSS = "min-width:200px;flex:1 1 200px"
# Vuetify breaks card titles anywhere (word-break: break-all): "Life expec/tancy" in a narrow card
TITLE_CSS = ".target-card .v-card__title { word-break: normal; overflow-wrap: anywhere; hyphens: auto; }"


def fmt_target(key: str, value: float) -> str:
    """A target's value as its card shows it."""
    if not math.isfinite(value):
        return "—"
    return f"{value:.1f}" if key == "life_expectancy" else f"{100 * value:.1f}%"


def TargetCard(key: str, value: float) -> solara.Element:
    """One target: value, threshold and met / not met (grey while not yet measured)."""
    met = target_status(value, key)
    colour = "#9e9e9e" if met is None else ("#2e7d32" if met else "#c62828")
    waiting = t("measuring") if key == "life_expectancy" else t("no_data")
    status = waiting if met is None else (t("met") if met else t("not_met"))
    with solara.Card(t(key), classes=[f"target-card target-card-{key}"], style=CARD_CSS) as card:
        with solara.Row(style="align-items:baseline;flex-wrap:wrap"):
            solara.Text(fmt_target(key, value), classes=["target-value"], style="font-size:28px;font-weight:600")
            solara.Text(f"{t('target_is')} ≥ {fmt_target(key, TARGETS[key])}", style="color:#616161")
        solara.Text(status, classes=["target-status"],
                    style=f"color:white;background:{colour};display:inline-block;padding:1px 10px;border-radius:10px")
    return card


def TargetCards(values: dict[str, float], day: int, population: int, full_population: int) -> solara.Element:
    """The three cards with the day and what the figures are for."""
    with solara.Column(classes=["reformsim-targets"], gap="4px") as main:
        solara.Style(TITLE_CSS)
        with solara.Row(style="align-items:baseline;flex-wrap:wrap;gap:12px"):
            solara.HTML(tag="h3", unsafe_innerHTML=t("targets"), style="margin:0")
            solara.Text(t("day_line", day=day, year=day / 365), classes=["reformsim-day"], style="font-weight:600")
            # shares over the days so far are shares still; the card says over how many
            solara.Text(t("last_year_note") if day >= 365 else t("so_far_note", days=day), style="color:#757575")
        with solara.Row(style="flex-wrap:wrap"):
            for key in TARGETS:
                TargetCard(key, values[key])
        solara.Text(t("whole_county", full=full_population, sim=population), style="color:#757575;font-size:12px")
    return main
