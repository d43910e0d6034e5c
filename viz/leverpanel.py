"""The lever panel: each lever with its value, what it does in the model and its evidence.

The panel is a Vue template (``vue/levers.vue``) of plain sliders and selects: a slider reports a
value when it is let go or a key is pressed, so a mouse drag is one lever change.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import solara

from .i18n import lang, t
from .levers import LEVER_BY_KEY, LEVERS, Lever, percent
from .names import lever_evidence, lever_label, lever_what, option_label


@solara.component_vue("vue/levers.vue")
def _LeverList(levers: list, evidence_label: str, event_change: Callable[[dict], None]) -> None:
    pass


def shown(lever: Lever, value: Any) -> str:
    """A lever's value as its label shows it."""
    if lever.kind == "share":
        return percent(value)
    if lever.kind == "select":
        return option_label(value)
    return t("doctors_whole_county", n=int(value))


@solara.component
def LeverPanel(values: dict[str, Any], pending: frozenset[str], on_change: Callable[[Lever, Any], None],
               title: bool = True) -> solara.Element:
    """Sliders and selects for ``values`` (lever key -> value); ``pending`` names the levers whose
    change applies from the next simulated day; ``on_change(lever, value)`` applies a change."""
    language = lang.value

    def levers() -> list[dict]:
        return [{"key": lv.key, "label": lever_label(lv.key), "what": lever_what(lv.key),
                 "evidence": lever_evidence(lv.key), "kind": lv.kind, "value": values[lv.key],
                 "shown": shown(lv, values[lv.key]), "pending": lv.key in pending,
                 "min": lv.lo, "max": lv.hi, "step": lv.step,
                 "options": [{"value": o, "text": option_label(o)} for o in lv.options]} for lv in LEVERS]

    items = solara.use_memo(levers, [tuple(values.items()), pending, language])

    def change(event: dict) -> None:
        on_change(LEVER_BY_KEY[event["key"]], event["value"])

    with solara.Column(classes=["reformsim-lever-panel"], gap="2px") as main:
        if title:
            solara.HTML(tag="h3", unsafe_innerHTML=html.escape(t("levers")), style="margin:4px 0")
            solara.Text(t("levers_hint"), style="font-size:12px;color:#616161")
        _LeverList(levers=items, evidence_label=t("evidence"), event_change=change)
    return main
