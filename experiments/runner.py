"""Run one scenario with one seed and collect its results.

A run is a pure function of (scenario, seed): the same pair gives the same summary and
time series. Every row written carries the scenario hash, seed and package version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from reformsim.model.metrics import summarize, timeseries
from reformsim.model.model import CountyModel
from reformsim.model.params import Scenario

from .io import write_json, write_parquet


@dataclass
class RunResult:
    summary: dict
    timeseries: pd.DataFrame
    facilities: pd.DataFrame


def facilities_table(m: CountyModel) -> pd.DataFrame:
    f, c = m.fac, m.county
    return pd.DataFrame({
        "facility": np.arange(c.n_facilities), "name": c.name, "kind": c.kind.astype(str), "tier": f.tier,
        "x": c.x, "y": c.y, "parent": c.parent, "senior": f.senior, "junior": f.junior, "nurses": f.nurses,
        "village_doctors": f.village_doctors, "beds": f.beds, "skill": f.skill, "capacity_per_day": f.capacity,
        "visits_total": f.visits_total, "occupied_beds": f.occupied + f.occupied_priority,
        "wait_days": m.wait_general, "revenue": f.revenue, "cost": f.cost, "surplus": f.revenue - f.cost,
    })


def run(scenario: Scenario, seed: int, days: int, population: int | None = None,
        progress: Callable[[int], None] | None = None) -> RunResult:
    m = CountyModel(scenario, rng=seed, population=population)
    m.run_days(days, progress)
    ts = timeseries(m)
    summary = summarize(m, ts)
    for k, v in (("scenario_hash", summary["scenario_hash"]), ("seed", seed), ("version", summary["version"])):
        ts[k] = v
    fac = facilities_table(m)
    fac["scenario_hash"], fac["seed"] = summary["scenario_hash"], seed
    return RunResult(summary, ts, fac)


def write_run(result: RunResult, out: str | Path) -> None:
    """summary.json, timeseries.parquet (one row per day), facilities.parquet — each written atomically."""
    out = Path(out)
    write_parquet(out / "timeseries.parquet", result.timeseries)
    write_parquet(out / "facilities.parquet", result.facilities)
    write_json(out / "summary.json", result.summary)  # last: its presence marks a complete run
