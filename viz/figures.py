"""The figures the visual draws, from a run's daily columns: the targets, money and waits day by
day, and what a five-year projection ends at.

The formulas are ``model.metrics``'; this module only picks columns and windows and turns counts
and money into whole-county figures (the demo simulates a scaled county: ``model.scale`` of it).
"""

from __future__ import annotations

import numpy as np
from reformsim.model import metrics
from reformsim.model.model import CountyModel
from reformsim.model.params import TIERS

from .projection import COLUMNS

SMOOTH_DAYS = 30  # the charts' trailing window: daily shares are noisy
YEAR = 365  # the targets are annual shares, and the trade-offs look at the fifth year
TRADEOFFS = ("primary_visit_share", "county_internal_visit_share", "life_expectancy", "oop_share", "fund_balance",
             *(f"surplus_{t}" for t in TIERS), "wait_county", "wait_township")
PERCENT = ("primary_visit_share", "county_internal_visit_share", "oop_share")


def daily_columns(model: CountyModel) -> dict[str, np.ndarray]:
    """The columns of ``projection.COLUMNS`` recorded so far (copies: the run goes on)."""
    return {k: np.array(model.datacollector.model_vars[k], dtype=float) for k in COLUMNS}


def joined(history: dict[str, np.ndarray], ahead: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A run's past followed by a projection of it, so trailing windows run across today."""
    return {k: np.concatenate([history[k], ahead[k]]) for k in COLUMNS}


def chart_series(daily: dict[str, np.ndarray], scale: float, window: int = SMOOTH_DAYS) -> dict[str, np.ndarray]:
    """Day by day: the three targets and the out-of-pocket share over the trailing ``window``; the
    fund balance and cumulative surplus by tier in ¥ million for the whole county."""
    out = metrics.target_series(daily, window)
    out["oop_share"] = metrics.oop_share_series(daily, window)
    out["fund_balance"] = daily["fund_balance"] / scale / 1e6
    for t in TIERS:
        out[f"surplus_{t}"] = daily[f"surplus_{t}"] / scale / 1e6
    return out


def current_targets(daily: dict[str, np.ndarray]) -> dict[str, float]:
    """The 2025 targets over the last simulated year (the run so far if shorter); NaN if not measured."""
    return {k: (float(v[-1]) if len(v) else float("nan")) for k, v in metrics.target_series(daily, YEAR).items()}


def target_status(value: float, key: str) -> bool | None:
    """True if met, False if not, None if not yet measured."""
    return None if not np.isfinite(value) else bool(value >= metrics.TARGETS[key])


def end_figures(daily: dict[str, np.ndarray], start: int, scale: float) -> dict[str, float]:
    """Where a projection from day ``start`` ends: the targets and out-of-pocket share over its last
    year, the fund balance at its end (¥ million, whole county), each tier's surplus made over the
    projection (¥ million, whole county) and the mean wait over its last year (days)."""
    shares = metrics.target_series(daily, YEAR)
    out = {k: float(v[-1]) for k, v in shares.items()}
    out["oop_share"] = float(metrics.oop_share_series(daily, YEAR)[-1])
    out["fund_balance"] = float(daily["fund_balance"][-1]) / scale / 1e6
    for t in TIERS:
        surplus = daily[f"surplus_{t}"]
        out[f"surplus_{t}"] = float(surplus[-1] - (surplus[start - 1] if start > 0 else 0.0)) / scale / 1e6
    for t in ("county", "township"):
        out[f"wait_{t}"] = float(np.mean(daily[f"wait_{t}"][-YEAR:]))
    return out
