"""Run one scenario with one seed and collect its results.

A run is a pure function of (scenario, seed): the same pair gives the same summary and
time series. Every row written carries the scenario hash, seed and package version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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


FACILITY_COLUMNS = ("name", "kind", "tier", "x", "y", "parent", "senior", "junior", "nurses", "village_doctors", "beds",
                    "skill", "capacity", "visits_total", "beds_occupied", "wait_days", "revenue", "cost", "surplus")


def facilities_table(m: CountyModel) -> pd.DataFrame:
    """One row per facility at the end of the run, read from the facility agents."""
    rows = [{"facility": f.fid, **{c: getattr(f, c) for c in FACILITY_COLUMNS}} for f in m.facilities]
    table = pd.DataFrame(rows)
    return table.rename(columns={"capacity": "capacity_per_day", "beds_occupied": "occupied_beds"})


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
