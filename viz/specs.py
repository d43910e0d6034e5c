"""Vega-Lite specifications of the visual's charts, drawn by the browser.

The browser draws the words too (in the shipped web font), so a chart follows the language
switch without any font on the server, and only ``MAX_POINTS`` days per line travel over the
websocket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
FONT = "'Noto Sans SC', 'Noto Sans CJK SC', sans-serif"
MAX_POINTS = 200
TARGET_COLOUR = "#b71c1c"
MARK_COLOUR = "#455a64"
MARK_LABEL_CHARS = 28  # a change mark's label is cut to this many characters
SERIES_COLOURS = ("#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#c62828", "#00838f")


@dataclass(frozen=True)
class Line:
    """A named daily series starting on day ``start``; ``dash`` empty for a solid line."""

    name: str
    values: np.ndarray
    colour: str
    start: int = 0
    dash: tuple[int, ...] = ()


@dataclass(frozen=True)
class Band:
    """A shaded range between two daily series from day ``start`` (the spread over seeds)."""

    lo: np.ndarray
    hi: np.ndarray
    colour: str
    start: int = 0


def _sample(n: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spread days, always with the last one."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.r_[np.linspace(0, n - 1, max_points).astype(int), n - 1])


def _number(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def mark_labels(marks: Sequence[tuple[int, str]]) -> list[dict]:
    """One label per day that has changes ("Drug mark-up, Payment regime"), cut to fit."""
    by_day: dict[int, list[str]] = {}
    for day, label in marks:
        if label not in by_day.setdefault(int(day), []):
            by_day[int(day)].append(label)
    out = []
    for day, labels in sorted(by_day.items()):
        text = ", ".join(labels)
        out.append({"x": day, "label": text if len(text) <= MARK_LABEL_CHARS else text[: MARK_LABEL_CHARS - 1] + "…"})
    return out


def series_spec(lines: Sequence[Line], *, title: str = "", x_title: str = "", percent: bool = False,
                target: float | None = None, zero_line: bool = False, marks: Sequence[tuple[int, str]] = (),
                bands: Sequence[Band] = (), today: int | None = None, legend: bool = False,
                width: int = 300, height: int = 120) -> dict:
    """A time-series chart: ``lines`` (with a legend if ``legend``), shaded ``bands``, a dashed
    ``target``, a zero line, labelled change ``marks`` (day, what changed) and a ``today`` rule."""
    values = [{"day": int(line.start + d), "series": line.name, "value": _number(line.values[d])}
              for line in lines for d in _sample(len(line.values))]
    names = [line.name for line in lines]
    # one legend for colour and dash (the same field): they must agree on it, or vega warns
    key = {"orient": "bottom", "title": None, "direction": "horizontal"} if legend else None
    x = {"field": "day", "type": "quantitative", "title": x_title, "scale": {"domainMin": 0, "nice": False}}
    layers: list[dict] = []
    for band in bands:
        idx = _sample(len(band.lo))
        layers.append({"data": {"values": [{"day": int(band.start + d), "lo": _number(band.lo[d]), "hi": _number(band.hi[d])}
                                           for d in idx]},
                       "mark": {"type": "area", "color": band.colour, "opacity": 0.22},
                       "encoding": {"x": {"field": "day", "type": "quantitative"},
                                    "y": {"field": "lo", "type": "quantitative"}, "y2": {"field": "hi"}}})
    layers.append({
        "mark": {"type": "line", "strokeWidth": 1.6},
        "encoding": {
            "x": x,
            "y": {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False},
                  "axis": {"format": ".1~%" if percent else ",.4~g"}},
            "color": {"field": "series", "type": "nominal", "scale": {"domain": names, "range": [ln.colour for ln in lines]},
                      "legend": key},
            "strokeDash": {"field": "series", "type": "nominal",
                           "scale": {"domain": names, "range": [list(ln.dash) or [1, 0] for ln in lines]},
                           "legend": key},
        },
    })
    rules = [(target, TARGET_COLOUR, [6, 4])] if target is not None else []
    rules += [(0.0, "#90a4ae", [])] if zero_line else []
    for y, colour, dash in rules:
        layers.append({"data": {"values": [{"y": y}]}, "mark": {"type": "rule", "color": colour, "strokeDash": dash},
                       "encoding": {"y": {"field": "y", "type": "quantitative"}}})
    if today is not None:
        layers.append({"data": {"values": [{"x": int(today)}]}, "mark": {"type": "rule", "color": "#9e9e9e"},
                       "encoding": {"x": {"field": "x", "type": "quantitative"}}})
    if marks:
        labelled = {"values": mark_labels(marks)}
        layers.append({"data": labelled, "mark": {"type": "rule", "color": MARK_COLOUR, "strokeDash": [2, 3]},
                       "encoding": {"x": {"field": "x", "type": "quantitative"}}})
        layers.append({"data": labelled, "mark": {"type": "text", "align": "left", "baseline": "top", "dx": 3, "dy": 2,
                                                  "fontSize": 10, "color": MARK_COLOUR, "y": 0},
                       "encoding": {"x": {"field": "x", "type": "quantitative"}, "text": {"field": "label"}}})
    spec = {"width": width, "height": height, "data": {"values": values}, "layer": layers}
    if title:
        spec["title"] = {"text": title, "anchor": "start", "fontSize": 12, "limit": width + 40}
    return spec


def stack_spec(panels: Sequence[dict], columns: int = 1) -> dict:
    """Several charts in one view: the browser builds one view per redraw instead of one per chart."""
    return {"$schema": VEGA_LITE_SCHEMA, "concat": list(panels), "columns": columns,
            "resolve": {"scale": {"color": "independent", "strokeDash": "independent"},
                        "legend": {"color": "independent"}},
            # words in the shipped font; no English ARIA descriptions in a Chinese page
            "config": {"font": FONT, "aria": False, "view": {"stroke": None}}}
