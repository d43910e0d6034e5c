"""Matplotlib figures of the visual, drawn as PNG bytes.

Figures carry numbers only; every word is in the HTML around them, so the 中文 / English switch
needs no CJK font on the server. ``Figure`` (not pyplot) keeps drawing safe in Solara's threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from .vizmodel import VizModel

TIER_COLOURS = ("#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a")  # village, township, county, tertiary
FLOW_COLOURS = {"flow_up": "#1e88e5", "flow_down": "#43a047", "flow_bypass": "#e53935"}
SERIES_COLOURS = ("#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#c62828", "#00838f")
TARGET_COLOUR = "#b71c1c"
DPI = 72
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
FLOW_FLOOR = 0.05  # patients (fading over ~a month) below which a flow is not drawn


def to_png(fig: Figure) -> bytes:
    """Render a figure to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _segments(xy: np.ndarray, flows: np.ndarray, offset: float, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Line segments of the flows above ``floor`` (shifted sideways by ``offset`` so up and down
    flows between the same pair don't overlap) and their weights."""
    i, j = np.nonzero(flows > floor)
    a, b = xy[i], xy[j]
    d = b - a
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1) / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
    seg = np.stack([a + offset * normal, b + offset * normal], axis=1)
    return seg, flows[i, j]


class NetworkCanvas:
    """The referral map of one model, drawn once and then only updated (a new figure per frame
    cost most of a frame): facilities at their x, y sized by recent visits and coloured by tier;
    referral flows up and down and bypass flows as lines whose width grows with the flow."""

    FLOWS = (("flow_bypass", 0.0), ("flow_up", 0.006), ("flow_down", -0.006))  # (kind, sideways offset / span)

    def __init__(self, model: VizModel, size: tuple[float, float] = (6.0, 5.6)):
        c = model.county
        self.xy = np.stack([c.x, c.y], axis=1)
        self.span = float(np.ptp(self.xy[:, 0]) + np.ptp(self.xy[:, 1])) / 2 or 1.0
        self.fig = Figure(figsize=size)
        ax = self.fig.add_axes((0, 0, 1, 1))
        ax.set_aspect("equal")
        ax.axis("off")
        parents = np.flatnonzero(c.parent >= 0)
        ax.add_collection(LineCollection(np.stack([self.xy[parents], self.xy[c.parent[parents]]], axis=1),
                                         colors="#cfd8dc", linewidths=0.5, zorder=1))
        self.lines = {k: ax.add_collection(LineCollection([], colors=FLOW_COLOURS[k], alpha=0.45, zorder=2))
                      for k, _ in self.FLOWS}
        self.nodes = ax.scatter(c.x, c.y, s=6, c=[TIER_COLOURS[t] for t in c.tier], edgecolors="white",
                                linewidths=0.5, zorder=3)
        self.ring = ax.scatter([c.x[0]], [c.y[0]], s=[0], facecolors="none", edgecolors="black", linewidths=2.0, zorder=4)
        pad = 0.05 * self.span
        ax.set_xlim(c.x.min() - pad, c.x.max() + pad)
        ax.set_ylim(c.y.min() - pad, c.y.max() + pad)

    def draw(self, model: VizModel, selected: int | None = None) -> Figure:
        """Update the flows, node sizes and selection ring to the model's state; return the figure."""
        flows = {"flow_up": model.flow_up, "flow_down": model.flow_down, "flow_bypass": model.flow_bypass}
        for key, offset in self.FLOWS:
            seg, w = _segments(self.xy, flows[key], offset * self.span, FLOW_FLOOR)
            # a few short, huge flows (the county seat's own residents) would make every other line a hair:
            # scale each kind by its 95th percentile instead of its maximum
            scale = float(np.percentile(w, 95)) if len(w) else 1.0
            self.lines[key].set_segments(seg)
            self.lines[key].set_linewidths(np.minimum(0.3 + 1.8 * np.sqrt(w / scale), 5.0))
        load = model.visits_recent / max(float(model.visits_recent.max()), 1e-9)
        sizes = 6 + 500 * np.sqrt(load)
        self.nodes.set_sizes(sizes)
        if selected is not None and 0 <= selected < len(sizes):
            self.ring.set_offsets(self.xy[selected : selected + 1])
            self.ring.set_sizes([sizes[selected] + 120])
        else:
            self.ring.set_sizes([0])
        return self.fig


def network_figure(model: VizModel, selected: int | None = None) -> Figure:
    """The model's referral map (its canvas is kept on the model and reused)."""
    canvas = model.__dict__.get("_network_canvas")
    if canvas is None:
        canvas = model.__dict__["_network_canvas"] = NetworkCanvas(model)
    return canvas.draw(model, selected)


def _sample(n: int, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spread days, always with the last one."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.r_[np.linspace(0, n - 1, max_points).astype(int), n - 1])


def _number(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def series_spec(lines: dict[str, np.ndarray], *, target: float | None = None, marks: Sequence[int] = (),
                percent: bool = False, zero_line: bool = False, x_title: str = "", colours: Sequence[str] = SERIES_COLOURS,
                legend: bool = False, width: int = 440, height: int = 110, max_points: int = 200,
                title: str | None = None) -> dict:
    """A Vega-Lite time-series chart: named daily ``lines``, a dashed ``target`` line, dotted lever ``marks``.

    The browser draws it (so Chinese labels need no font on the server) and only
    ``max_points`` days per line travel over the websocket.
    """
    n = max((len(y) for y in lines.values()), default=0)
    idx = _sample(n, max_points)
    values = [{"day": int(d), "series": name, "value": _number(y[d])} for name, y in lines.items() for d in idx if d < len(y)]
    names = list(lines)
    y_axis = {"format": ".1~%" if percent else ",.4~g", "title": None}
    layers: list[dict] = [{
        "mark": {"type": "line", "strokeWidth": 1.6},
        "encoding": {
            "x": {"field": "day", "type": "quantitative", "title": x_title, "scale": {"domainMin": 0}},
            "y": {"field": "value", "type": "quantitative", "axis": y_axis, "scale": {"zero": False}},
            "color": {"field": "series", "type": "nominal",
                      "scale": {"domain": names, "range": list(colours[: len(names)])},
                      "legend": {"orient": "top", "title": None} if legend else None},
        },
    }]
    rules = [(target, TARGET_COLOUR, [6, 4])] if target is not None else []
    rules += [(0.0, "#607d8b", [])] if zero_line else []
    for y, colour, dash in rules:
        layers.append({"data": {"values": [{"y": y}]}, "mark": {"type": "rule", "color": colour, "strokeDash": dash},
                       "encoding": {"y": {"field": "y", "type": "quantitative"}}})
    if marks:
        layers.append({"data": {"values": [{"x": int(m)} for m in marks]},
                       "mark": {"type": "rule", "color": "#455a64", "strokeDash": [2, 3]},
                       "encoding": {"x": {"field": "x", "type": "quantitative"}}})
    spec = {
        "$schema": VEGA_LITE_SCHEMA,
        "width": width,
        "height": height,
        "data": {"values": values},
        "layer": layers,
    }
    if title:
        spec["title"] = {"text": title, "anchor": "start", "fontSize": 13}
    return spec


def stack_spec(panels: Sequence[dict], columns: int = 1) -> dict:
    """Several charts in one Vega-Lite view: the browser builds one view per frame instead of
    one per chart, which keeps a loaded laptop in step with the simulation."""
    parts = [{k: v for k, v in p.items() if k != "$schema"} for p in panels]
    return {"$schema": VEGA_LITE_SCHEMA, "concat": parts, "columns": columns,
            "resolve": {"scale": {"color": "independent"}, "legend": {"color": "independent"}}}
