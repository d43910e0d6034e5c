"""A chart component: a Vega-Lite spec drawn by the browser, with a button that saves it as PNG.

The spec travels as one JSON string: as nested lists and dicts, Solara walked every data point
of every chart at each redraw looking for components, most of a frame's time.
"""

from __future__ import annotations

import json

import solara

from .i18n import t


@solara.component_vue("vue/chart.vue")
def _VegaChart(spec: str, chart_class: str, filename: str, png_label: str) -> None:
    pass


@solara.component
def Chart(spec: dict, css: str, filename: str) -> solara.Element:
    """The chart of ``spec`` (CSS class ``css``); its PNG button saves ``filename``."""
    return _VegaChart(spec=json.dumps(spec, separators=(",", ":")), chart_class=css, filename=filename, png_label=t("download_png"))
