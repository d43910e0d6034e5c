"""Compare scenarios over the same seeds: paired differences under common random numbers.

Every scenario is run with the same seeds (and population). Randomness is drawn from streams tied
to each resident and purpose (``agents.streams``), so a reform run and the baseline run with the
same seed differ only where the policy changes behaviour: the per-seed (paired) difference has a
far smaller spread than the difference between independent runs, and a few seeds show a real
effect.

Outputs: a long table (one row per scenario, seed and metric, with the paired difference from
the first scenario), the targets over time for the plot, and text/PNG renderings of both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from reformsim.model import metrics
from reformsim.model.metrics import TARGETS, flatten_summary
from reformsim.model.params import Scenario
from scipy import stats

from .backends import open_executor
from .ensemble import apply as apply_member
from .io import atomic_write, write_parquet
from .runner import run

# metrics printed by ``reformsim compare``, after the targets (dotted keys index nested summary dicts)
KEY_METRICS = (
    "county_internal_inpatient_share", "referral_attendance", "referrals_up", "referrals_down",
    "admissions_per_capita", "avg_length_of_stay", "cost_per_visit_township", "cost_per_visit_county",
    "cost_per_stay_county", "oop_share", "drug_share", "service_revenue_share", "fund_balance",
    "provider_surplus_county", "contract_rate", "excess_deaths",
)
LABELS = {
    "primary_visit_share": "Primary-care visit share (基层就诊率)",
    "county_internal_visit_share": "County-internal visit share (县域内就诊率)",
    "life_expectancy": "Life expectancy (人均预期寿命)",
    "county_internal_inpatient_share": "County-internal inpatient share",
    "referral_attendance": "Referrals attended",
}
PERCENT = {"primary_visit_share", "county_internal_visit_share", "county_internal_inpatient_share",
           "referral_attendance", "oop_share", "drug_share", "service_revenue_share", "contract_rate"}
SMOOTH_DAYS = 30  # daily visit shares are noisy; the plot shows 30-day shares
INTERVAL = 0.90


@dataclass
class Comparison:
    """Results of ``compare``: ``table`` (long: scenario, seed, metric, value, diff) and ``series``."""

    scenarios: list[str]
    seeds: list[int]
    days: int
    table: pd.DataFrame
    series: pd.DataFrame  # scenario, seed, day, and the targets over time
    reform_days: dict[str, list[int]]  # timeline dates of each scenario


def numeric_summary(summary: dict) -> dict[str, float]:
    """The summary's numeric figures as flat columns (``metrics.flatten_summary``), labels dropped."""
    return {k: float(v) for k, v in flatten_summary(summary).items()
            if isinstance(v, int | float) and not isinstance(v, bool) and k != "seed"}


def target_series(ts: pd.DataFrame) -> pd.DataFrame:
    """The targets day by day (``metrics.target_series`` over a trailing 30-day window)."""
    return pd.DataFrame({"day": ts["day"].to_numpy(), **metrics.target_series(ts, SMOOTH_DAYS)})


def _one_run(scenario: Scenario, seed: int, days: int, population: int | None) -> tuple[dict, pd.DataFrame]:
    """A worker task: one (scenario, seed) run reduced to its summary and target series."""
    result = run(scenario, seed, days, population)
    return result.summary, target_series(result.timeseries)


def compare(scenarios: Sequence[Scenario], seeds: Sequence[int], days: int, population: int | None = None,
            workers: int = 1, progress: Callable[[int], None] | None = None,
            members: Sequence[dict] | None = None) -> Comparison:
    """Run every scenario with every seed; differences are paired by seed against ``scenarios[0]``.

    ``members`` (one scenario patch per seed, from an ensemble) gives every scenario run with a
    seed that seed's parameter set: still paired, but the spread now includes parameter uncertainty.
    ``progress`` is called with 1 after each finished run.
    """
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must differ to be compared, got {names}")
    patch = dict(zip(seeds, members, strict=True)) if members is not None else {}
    jobs = [(apply_member(s, patch.get(seed, {})), seed) for s in scenarios for seed in seeds]
    results: dict[tuple[str, int], tuple[dict, pd.DataFrame]] = {}
    if workers <= 1:  # in this process, so progress moves run by run
        for s, seed in jobs:
            results[(s.name, seed)] = _one_run(s, seed, days, population)
            if progress is not None:
                progress(1)
    else:
        with open_executor("local", workers) as (pool, _):
            futures: list[tuple[str, int, Future]] = [(s.name, seed, pool.submit(_one_run, s, seed, days, population))
                                                      for s, seed in jobs]
            for name, seed, fut in futures:
                results[(name, seed)] = fut.result()
                if progress is not None:
                    progress(1)
    rows = []
    for (name, seed), (summary, _) in results.items():
        for metric, value in numeric_summary(summary).items():
            rows.append((name, seed, metric, value, summary["scenario_hash"], summary["version"]))
    table = pd.DataFrame(rows, columns=["scenario", "seed", "metric", "value", "scenario_hash", "version"])
    first = table[table.scenario == names[0]][["seed", "metric", "value"]].rename(columns={"value": "reference"})
    table = table.merge(first, on=["seed", "metric"], how="left")
    table["diff"] = table["value"] - table.pop("reference")  # paired: same seed, same metric
    table["scenario"] = pd.Categorical(table["scenario"], categories=names, ordered=True)
    table = table.sort_values(["scenario", "metric", "seed"], kind="stable").reset_index(drop=True)
    series = pd.concat([df.assign(scenario=name, seed=seed) for (name, seed), (_, df) in results.items()], ignore_index=True)
    reform_days = {s.name: sorted({ev.day for ev in s.timeline}) for s in scenarios}
    return Comparison(names, list(seeds), days, table, series, reform_days)


def interval(values: np.ndarray) -> tuple[float, float]:
    """The 5th–95th percentile of runs (the spread a single run may show)."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(values, [(1 - INTERVAL) / 2, (1 + INTERVAL) / 2])
    return float(lo), float(hi)


def mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and its 90% t-interval (for paired differences; degenerate with one seed)."""
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(values.mean())
    if n < 2:
        return mean, mean, mean
    half = float(stats.t.ppf((1 + INTERVAL) / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half


def metric_stats(comp: Comparison, metrics: Sequence[str]) -> pd.DataFrame:
    """Per scenario and metric: mean, 90% interval of runs, paired difference and its 90% interval."""
    rows = []
    for (name, metric), g in comp.table.groupby(["scenario", "metric"], observed=True, sort=False):
        if metric not in metrics:
            continue
        v, d = g["value"].to_numpy(), g["diff"].to_numpy()
        lo, hi = interval(v)
        dm, dlo, dhi = mean_interval(d)
        rows.append(dict(scenario=name, metric=metric, mean=float(np.nanmean(v)) if np.isfinite(v).any() else float("nan"),
                         lo=lo, hi=hi, diff=dm, diff_lo=dlo, diff_hi=dhi))
    out = pd.DataFrame(rows)
    if len(out):
        out["metric"] = pd.Categorical(out["metric"], categories=list(metrics), ordered=True)
        out["scenario"] = pd.Categorical(out["scenario"], categories=comp.scenarios, ordered=True)  # command order
        out = out.sort_values(["metric", "scenario"], kind="stable").reset_index(drop=True)
    return out


def _fmt(metric: str, x: float, signed: bool = False) -> str:
    if not np.isfinite(x):
        return "n/a"
    if metric in PERCENT:
        return f"{100 * x:+.1f}%" if signed else f"{100 * x:.1f}%"
    if abs(x) >= 1e4:
        return f"{x:+,.0f}" if signed else f"{x:,.0f}"
    return f"{x:+.2f}" if signed else f"{x:.2f}"


def format_comparison(comp: Comparison) -> str:
    """Text table: targets first (with thresholds), then key metrics; paired differences from the first."""
    metrics = [*TARGETS, *KEY_METRICS]
    st = metric_stats(comp, metrics)
    ref = comp.scenarios[0]
    head = (f"{len(comp.seeds)} seeds × {comp.days} days; value: mean [90% of runs]; "
            f"diff: paired difference from {ref}, mean [90% CI]")
    lines = [head, ""]
    width = max(len(n) for n in comp.scenarios) + 2
    for i, metric in enumerate(metrics):
        g = st[st.metric == metric]
        if g.empty:
            continue
        if i == len(TARGETS):
            lines.append("")
        label = LABELS.get(metric, metric)
        if metric in TARGETS:
            label += f"  (target ≥ {_fmt(metric, TARGETS[metric])})"
        lines.append(label)
        for r in g.itertuples():
            line = f"  {r.scenario:{width}} {_fmt(metric, r.mean):>12} [{_fmt(metric, r.lo)}, {_fmt(metric, r.hi)}]"
            if r.scenario != ref:
                line += f"   diff {_fmt(metric, r.diff, True)} [{_fmt(metric, r.diff_lo, True)}, {_fmt(metric, r.diff_hi, True)}]"
            if metric in TARGETS and np.isfinite(r.mean):
                line += "   met" if r.mean >= TARGETS[metric] else "   not met"
            lines.append(line)
    return "\n".join(lines)


def plot_targets(comp: Comparison, path: str | Path) -> Path:
    """PNG: each target over time per scenario (mean over seeds, band = range of seeds), target lines dashed."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and in tests
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(TARGETS), 1, figsize=(9, 3.0 * len(TARGETS)), sharex=True)
    years = comp.series["day"] / 365.0
    s = comp.series.assign(year=years)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (metric, threshold) in zip(np.atleast_1d(axes), TARGETS.items(), strict=True):
        for i, name in enumerate(comp.scenarios):
            g = s[s.scenario == name].groupby("year")[metric]
            mean, lo, hi = g.mean(), g.min(), g.max()
            c = colours[i % len(colours)]
            ax.plot(mean.index, mean.to_numpy(), color=c, lw=1.4, label=name)
            ax.fill_between(mean.index, lo.to_numpy(), hi.to_numpy(), color=c, alpha=0.15, lw=0)
            for day in comp.reform_days.get(name, []):
                if day > 0:
                    ax.axvline(day / 365.0, color=c, ls=":", lw=0.8)
        ax.axhline(threshold, color="black", ls="--", lw=1.0, label=f"target {threshold:g}")
        ax.set_ylabel(LABELS[metric].split(" (")[0], fontsize=9)
        ax.grid(alpha=0.3)
    first = np.atleast_1d(axes)[0]
    first.legend(fontsize=8, loc="best")
    first.set_title("Targets over time (dotted: reform dates; band: range over seeds)", fontsize=10)
    np.atleast_1d(axes)[-1].set_xlabel("year")
    fig.tight_layout()
    try:
        return atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    finally:
        plt.close(fig)


def write_comparison(comp: Comparison, out: str | Path) -> list[Path]:
    """comparison.parquet (long table), targets_over_time.parquet and targets.png under ``out``."""
    out = Path(out)
    table = comp.table.assign(scenario=comp.table["scenario"].astype(str))
    series = comp.series.assign(scenario=comp.series["scenario"].astype(str))
    return [write_parquet(out / "comparison.parquet", table),
            write_parquet(out / "targets_over_time.parquet", series),
            plot_targets(comp, out / "targets.png")]
