"""Parameter sweeps: a TOML spec, an experimental design, and resumable batched runs.

A sweep is a base scenario, factors (dotted scenario fields, timeline events included), a
design that places points in factor space (full factorial, or SALib's Latin hypercube,
Sobol'/Saltelli and Morris samplers) and replications. Replications are seeds spawned from
one ``numpy.random.SeedSequence`` and shared by every design point (common random numbers),
never a sampled factor.

Results land in one folder:

- ``sweep.json``       what the folder holds (sweep hash, design, run count) — checked on resume
- ``spec.toml``        the spec as given
- ``params.parquet``   run_id, point, replicate, seed and each factor's value
- ``design.parquet``   the raw design matrix (one row per point) the analysers need
- ``summary/part-NNNNNN.parquet``     one row per finished run (run summary, flattened)
- ``timeseries/part-NNNNNN.parquet``  optional: every k-th day of each run
- ``manifest.jsonl``   one line per attempt: run_id, status (done / failed), error, seconds

Parts are written atomically (``io.atomic_write``) every few runs; a summary part's presence
marks its runs finished, so re-running the same command skips them and retries the rest.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import time
import tomllib
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from reformsim.model.metrics import flatten_summary
from reformsim.model.params import Scenario, first_error
from reformsim.model.scenario import ScenarioError, load_scenario

from .io import ResultsError, atomic_write, read_json, write_json, write_parquet

# design name -> canonical name ("saltelli" is the older SALib name of the Sobol' sampler)
DESIGNS = {"factorial": "factorial", "latin": "latin", "lhs": "latin", "sobol": "sobol",
           "saltelli": "sobol", "morris": "morris"}
# spec distribution name -> (SALib dist code, the keys that parameterise it)
DISTRIBUTIONS = {
    "uniform": ("unif", ("low", "high")),
    "loguniform": ("logunif", ("low", "high")),
    "triangular": ("triang", ("low", "high", "mode")),
    "normal": ("norm", ("mean", "sd")),
    "truncnormal": ("truncnorm", ("low", "high", "mean", "sd")),
}
_TOP_KEYS = {"name", "description", "base", "set", "timeline", "factors", "design", "replications",
             "seed", "years", "days", "population", "outputs", "analysis"}
_FACTOR_KEYS = {"name", "path", "low", "high", "mode", "mean", "sd", "distribution", "levels", "n", "integer"}
_DESIGN_KEYS = {"method", "samples", "levels", "second_order"}
_OUTPUT_KEYS = {"summary", "timeseries_every", "timeseries_columns"}
_ANALYSIS_KEYS = {"targets"}


DEFAULT_TARGETS = ("primary_visit_share", "county_internal_visit_share", "life_expectancy")
# spec tables that do not change what runs (left out of the sweep's identity)
_NOT_RUN_KEYS = ("name", "description", "analysis")


class SweepError(ScenarioError):
    """A sweep spec or results folder that cannot be used; the message names the problem."""


@dataclass(frozen=True)
class Factor:
    """One swept scenario field.

    ``levels`` are the discrete values of a factorial factor, or the categories of a
    categorical factor in a sampled design (sampled as a uniform index). Otherwise the
    factor is continuous with a SALib distribution ``dist`` and its ``bounds``.
    """

    name: str
    path: str
    dist: str = "unif"
    bounds: tuple[float, ...] = ()
    levels: tuple = ()
    integer: bool = False

    def value(self, x: float) -> Any:
        """The scenario value for design coordinate ``x``."""
        if self.levels and self.dist == "index":
            return self.levels[min(int(math.floor(x)), len(self.levels) - 1)]
        return int(round(x)) if self.integer else float(x)


@dataclass
class SweepSpec:
    name: str
    base: Scenario
    factors: list[Factor]
    design: str
    samples: int
    levels: int  # Morris grid levels
    second_order: bool
    replications: int
    seed: int
    days: int
    population: int | None
    summary_keys: tuple[str, ...] | None  # None: every summary key
    timeseries_every: int  # 0: no time series
    timeseries_columns: tuple[str, ...] | None
    targets: tuple[str, ...] = ()
    text: str = ""
    raw: dict = field(default_factory=dict)
    # an ensemble (``--ensemble``): each replication seed runs with the member it draws
    member_patches: dict[int, dict[str, Any]] = field(default_factory=dict)

    def problem(self) -> dict:
        """The SALib problem dict (categorical factors are an index on [0, n_levels))."""
        return {
            "num_vars": len(self.factors),
            "names": [f.name for f in self.factors],
            "bounds": [list(f.bounds) for f in self.factors],
            "dists": [("unif" if f.dist == "index" else f.dist) for f in self.factors],
        }

    def sweep_hash(self) -> str:
        """Identity of the sweep: the parsed spec and the resolved base scenario."""
        runs = {k: v for k, v in self.raw.items() if k not in _NOT_RUN_KEYS}
        identity = {"spec": runs, "base": self.base.hash()}
        if self.member_patches:  # another ensemble is another sweep
            identity["members"] = {str(k): v for k, v in self.member_patches.items()}
        blob = json.dumps(identity, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


# ------------------------------------------------------------------ parsing the spec
def load_spec(path: str | Path) -> SweepSpec:
    """Read and check a sweep spec (TOML); any problem raises ``SweepError`` naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SweepError(f"sweep spec not found: {path}") from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise SweepError(f"{path}: cannot read sweep spec ({type(exc).__name__})") from None
    return parse_spec(text, path.name, base_dir=path.parent)


def parse_spec(text: str, source: str = "spec", base_dir: Path | None = None) -> SweepSpec:
    """Check a spec's text; ``base_dir`` resolves a relative ``base`` scenario path."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"{source}: not valid TOML ({exc})") from None

    def err(msg: str) -> SweepError:
        return SweepError(f"{source}: {msg}")

    _no_unknown(raw, _TOP_KEYS, "", err)
    base = _base_scenario(raw, base_dir, err)
    design, samples, grid, second = _design(raw, err)
    factors_raw = raw.get("factors", [])
    if not isinstance(factors_raw, list) or not factors_raw:
        raise err("needs at least one [[factors]] table")
    data = base.model_dump(mode="json")
    factors = [_factor(f, i, design, data, err) for i, f in enumerate(factors_raw)]
    names = [f.name for f in factors]
    if len(set(names)) != len(names):
        raise err(f"factor names must be unique, got {names}")
    clash = set(names) & {"run_id", "point", "replicate", "seed"}
    if clash:
        raise err(f"factor name '{clash.pop()}' is reserved for a params.parquet column; give the factor another name")
    if design == "sobol" and len(factors) < 2:
        raise err("the Sobol' design needs at least two factors")
    population = raw.get("population")
    keys, every, cols = _outputs(raw, err)
    analysis = _table(raw, "analysis", err)
    _no_unknown(analysis, _ANALYSIS_KEYS, "analysis.", err)
    return SweepSpec(
        name=str(raw.get("name", source.removesuffix(".toml"))), base=base, factors=factors, design=design,
        samples=samples, levels=grid, second_order=second,
        replications=_int(raw.get("replications", 1), "replications", err, 1),
        seed=_int(raw.get("seed", 0), "seed", err, 0), days=_days(raw, err),
        population=None if population is None else _int(population, "population", err, 100),
        summary_keys=None if keys == "all" else tuple(keys), timeseries_every=every,
        timeseries_columns=None if cols is None else tuple(cols),
        targets=tuple(analysis.get("targets", DEFAULT_TARGETS)), text=text, raw=raw,
    )


def _design(raw: dict, err: Callable[[str], SweepError]) -> tuple[str, int, int, bool]:
    """(design, samples, Morris grid levels, Sobol' second order) from ``[design]``."""
    d = _table(raw, "design", err)
    _no_unknown(d, _DESIGN_KEYS, "design.", err)
    method = str(d.get("method", "factorial"))
    if method not in DESIGNS:
        raise err(f"design.method: unknown design '{method}' (choose from {', '.join(sorted(DESIGNS))})")
    design = DESIGNS[method]
    samples = _int(d.get("samples", 0 if design == "factorial" else 16), "design.samples", err, 0)
    if design != "factorial" and samples < 1:
        raise err(f"design.samples must be >= 1 for the {design} design")
    if design == "sobol" and samples & (samples - 1):
        raise err(f"design.samples = {samples}: the Sobol' design needs a power of 2")
    return design, samples, _int(d.get("levels", 4), "design.levels", err, 2), bool(d.get("second_order", False))


def _days(raw: dict, err: Callable[[str], SweepError]) -> int:
    if "days" in raw and "years" in raw:
        raise err("give either 'years' or 'days', not both")
    if "days" in raw:
        return _int(raw["days"], "days", err, 1)
    years = raw.get("years", 1.0)
    if isinstance(years, bool) or not isinstance(years, int | float) or not years > 0 or not math.isfinite(years):
        raise err(f"years must be a number > 0, got {years!r}")
    return max(1, int(round(float(years) * 365)))


def _outputs(raw: dict, err: Callable[[str], SweepError]) -> tuple[Any, int, list | None]:
    """(summary keys or "all", keep every k-th day, time-series columns) from ``[outputs]``."""
    out = _table(raw, "outputs", err)
    _no_unknown(out, _OUTPUT_KEYS, "outputs.", err)
    keys = out.get("summary", "all")
    if keys != "all" and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise err("outputs.summary must be \"all\" or a list of summary keys")
    every = _int(out.get("timeseries_every", 0), "outputs.timeseries_every", err, 0)
    cols = out.get("timeseries_columns")
    if cols is not None and not (isinstance(cols, list) and all(isinstance(c, str) for c in cols)):
        raise err("outputs.timeseries_columns must be a list of column names")
    _check_output_names(keys, cols, err)
    return keys, every, cols


def _no_unknown(table: dict, allowed: set[str], prefix: str, err: Callable[[str], SweepError]) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise err(f"unknown field '{prefix}{extra[0]}' (allowed: {', '.join(sorted(allowed))})")


def _table(raw: dict, key: str, err: Callable[[str], SweepError]) -> dict:
    t = raw.get(key, {})
    if not isinstance(t, dict):
        raise err(f"'{key}' must be a table")
    return t


def _int(v: Any, name: str, err: Callable[[str], SweepError], minimum: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise err(f"{name} must be an integer >= {minimum}, got {v!r}")
    return v


def _base_scenario(raw: dict, base_dir: Path | None, err: Callable[[str], SweepError]) -> Scenario:
    """The base scenario, with the spec's fixed ``[set]`` values and extra ``[[timeline]]`` events."""
    ref = raw.get("base", "baseline")
    if not isinstance(ref, str):
        raise err("base must be a scenario name or a TOML path")
    if base_dir is not None and ref.endswith(".toml") and not Path(ref).is_absolute():
        ref = str(base_dir / ref)
    try:
        base = load_scenario(ref)
    except ScenarioError as exc:
        raise err(f"base: {exc}") from None
    fixed = _table(raw, "set", err)
    events = raw.get("timeline", [])
    if not isinstance(events, list):
        raise err("timeline must be an array of tables ([[timeline]])")
    data = base.model_dump(mode="json")
    for p, v in _flatten(fixed).items():
        _leaf(data, p, f"set.{p}", err)
        _assign(data, p, v)
    data["timeline"] = data.get("timeline", []) + events
    try:
        return Scenario.model_validate(data)
    except ValueError as exc:  # pydantic.ValidationError and our own validators
        raise err(f"base scenario with [set]/[[timeline]]: {first_error(exc)}") from None


def _flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    """``{"policy": {"x": 1}}`` and ``{"policy.x": 1}`` both give ``{"policy.x": 1}``."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _leaf(data: Any, path: str, what: str, err: Callable[[str], SweepError]) -> Any:
    """The current value at a dotted path of a dumped scenario, or a clear error."""
    node = data
    for part in path.split("."):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise err(f"{what}: bad index '{part}' in '{path}' (the list has {len(node)} items)")
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise err(f"{what}: unknown field '{part}' in '{path}'")
    return node


def _assign(data: Any, path: str, value: Any) -> None:
    *head, last = path.split(".")
    node = data
    for part in head:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def _takes_one_number(data: dict, path: str, value: Any) -> bool:
    """Whether the scenario takes a single number at the list field ``path`` (and sets every item)."""
    trial = json.loads(json.dumps(data))
    _assign(trial, path, value)
    try:
        Scenario.model_validate(trial)
    except ValueError:  # pydantic's ValidationError is a ValueError
        return False
    return True


def _factor(f: Any, i: int, design: str, data: dict, err: Callable[[str], SweepError]) -> Factor:
    where = f"factors[{i}]"
    if not isinstance(f, dict):
        raise err(f"{where} must be a table")
    _no_unknown(f, _FACTOR_KEYS, f"{where}.", err)
    path = f.get("path")
    if not isinstance(path, str) or not path:
        raise err(f"{where}.path is required (a dotted scenario field, e.g. 'policy.reserved_slot_share')")
    if path.split(".")[0] == "timeline" and (len(path.split(".")) != 3 or path.split(".")[2] not in ("day", "value")):
        raise err(f"{where}.path '{path}': a timeline factor is 'timeline.<index>.day' or 'timeline.<index>.value'")
    current = _leaf(data, path, f"{where}.path", err)
    if isinstance(current, list) and current and _takes_one_number(data, path, current[0]):
        current = current[0]  # a field by tier that one number sets at every tier (prices.drug_markup)
    if isinstance(current, dict | list):
        raise err(f"{where}.path '{path}' is a section or list, not a value (add a field name or index)")
    name = str(f.get("name", path.replace(".", "_")))
    where = f"factor '{name}'"
    integer = bool(f.get("integer", isinstance(current, int) and not isinstance(current, bool)))

    if "levels" in f:
        levels = f["levels"]
        if not isinstance(levels, list) or len(levels) < 2 or len({json.dumps(x) for x in levels}) != len(levels):
            raise err(f"{where}: levels must be a list of at least two distinct values")
        if set(f) & {"low", "high", "mean", "sd", "mode", "distribution", "n"}:
            raise err(f"{where}: give either levels or a range/distribution, not both")
        if design == "factorial":
            return Factor(name, path, "levels", (), tuple(levels), integer)
        # in a sampled design the levels are categories: a uniform index into them
        return Factor(name, path, "index", (0.0, float(len(levels))), tuple(levels), integer)

    dist_name = f.get("distribution", "uniform")
    if dist_name not in DISTRIBUTIONS:
        raise err(f"{where}: unknown distribution '{dist_name}' (choose from {', '.join(DISTRIBUTIONS)})")
    code, keys = DISTRIBUTIONS[dist_name]
    missing = [k for k in keys if k not in f]
    if missing:
        raise err(f"{where}: the {dist_name} distribution needs '{missing[0]}'")
    vals = {k: f[k] for k in keys}
    for k, v in vals.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise err(f"{where}: {k} must be a finite number, got {v!r}")
    if "low" in vals and not vals["low"] < vals["high"]:
        raise err(f"{where}: bad range, low ({vals['low']}) must be < high ({vals['high']})")
    if "sd" in vals and not vals["sd"] > 0:
        raise err(f"{where}: sd must be > 0, got {vals['sd']}")
    if code == "logunif" and vals["low"] <= 0:
        raise err(f"{where}: a loguniform range needs low > 0")
    if code == "triang" and not vals["low"] <= vals["mode"] <= vals["high"]:
        raise err(f"{where}: mode must lie within [low, high]")
    if design == "factorial":
        if code != "unif":
            raise err(f"{where}: the factorial design takes levels or a low/high range with n, not a {dist_name} distribution")
        n = _int(f.get("n", 2), f"{where}.n", err, 2)
        grid = np.linspace(vals["low"], vals["high"], n)
        levels = tuple(int(round(x)) for x in grid) if integer else tuple(float(x) for x in grid)
        return Factor(name, path, "levels", (), levels, integer)
    if "n" in f:
        raise err(f"{where}: 'n' applies only to the factorial design")
    if design == "morris" and code != "unif":
        raise err(f"{where}: the Morris design takes uniform ranges only")
    if code == "triang":
        bounds = (vals["low"], vals["high"], (vals["mode"] - vals["low"]) / (vals["high"] - vals["low"]))
    else:
        bounds = tuple(float(vals[k]) for k in keys)
    return Factor(name, path, code, tuple(float(b) for b in bounds), (), integer)


def _numeric(values: Iterable) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _check_output_names(keys: Any, cols: list | None, err: Callable[[str], SweepError]) -> None:
    from reformsim.model.metrics import DAILY_METRICS

    if isinstance(keys, list):
        known = set(SUMMARY_KEYS) | set(_NESTED_SUMMARY)
        bad = [k for k in keys if k not in known and not any(k.startswith(p + "_") for p in _NESTED_SUMMARY)]
        if bad:
            raise err(f"outputs.summary: unknown summary key '{bad[0]}'")
    if cols:
        bad = [c for c in cols if c not in DAILY_METRICS and c != "day"]
        if bad:
            raise err(f"outputs.timeseries_columns: unknown column '{bad[0]}'")


SUMMARY_KEYS = (
    "primary_visit_share", "county_internal_visit_share", "county_internal_inpatient_share", "life_expectancy",
    "visits_per_capita", "admissions_per_capita", "two_week_visit_rate", "referrals_up", "referrals_down",
    "referral_attendance", "bypass_share", "oop_share", "drug_share", "service_revenue_share",
    "avg_length_of_stay", "revisit_rate", "fund_balance", "contract_rate", "deaths", "excess_deaths",
    "population", "days", "scenario", "scenario_hash", "seed", "version",
)
_NESTED_SUMMARY = ("mean_wait_days", "bed_occupancy", "cost_per_visit", "cost_per_stay", "provider_surplus")


# ------------------------------------------------------------------ the design
def design_matrix(spec: SweepSpec) -> np.ndarray:
    """Design points (rows) by factors (columns), in the sampler's order (the analysers need it)."""
    if spec.design == "factorial":
        idx = list(itertools.product(*(range(len(f.levels)) for f in spec.factors)))
        return np.array([[_level_coord(f, i) for f, i in zip(spec.factors, row, strict=True)] for row in idx], dtype=float)
    from SALib.sample import latin, morris, sobol

    problem = spec.problem()
    seed = _design_seed(spec.seed)
    if spec.design == "latin":
        return latin.sample(problem, spec.samples, seed=seed)
    if spec.design == "sobol":
        return sobol.sample(problem, spec.samples, calc_second_order=spec.second_order, seed=seed)
    return morris.sample(problem, spec.samples, num_levels=spec.levels, seed=seed)


def _level_coord(f: Factor, i: int) -> float:
    """A factorial level's numeric coordinate: the value itself, or its index if not a number."""
    v = f.levels[i]
    return float(v) if _numeric([v]) else float(i)


def _design_seed(root: int) -> int:
    design_ss, _ = np.random.SeedSequence(root).spawn(2)
    return int(design_ss.generate_state(1)[0])


def replication_seeds(root: int, n: int) -> list[int]:
    """Model seeds for replications 0..n-1, spawned from ``SeedSequence(root)`` (stable in n)."""
    _, reps = np.random.SeedSequence(root).spawn(2)
    return [int(child.generate_state(1)[0]) for child in reps.spawn(n)]


def point_values(spec: SweepSpec, x: np.ndarray) -> list[Any]:
    """The scenario values of one design point."""
    out = []
    for f, coord in zip(spec.factors, x, strict=True):
        if f.dist == "levels":  # factorial: the coordinate is the level, or its index if not a number
            out.append(f.levels[[_level_coord(f, i) for i in range(len(f.levels))].index(coord)])
        else:
            out.append(f.value(coord))
    return out


def params_table(spec: SweepSpec, X: np.ndarray) -> pa.Table:
    """One row per run: run_id, point, replicate, seed and each factor's value."""
    seeds = replication_seeds(spec.seed, spec.replications)
    n_points, reps = len(X), spec.replications
    point = np.repeat(np.arange(n_points, dtype=np.int64), reps)
    cols: dict[str, Any] = {
        "run_id": np.arange(n_points * reps, dtype=np.int64),
        "point": point,
        "replicate": np.tile(np.arange(reps, dtype=np.int64), n_points),
        "seed": np.tile(np.array(seeds, dtype=np.int64), n_points),
    }
    values = [point_values(spec, x) for x in X]
    for j, f in enumerate(spec.factors):
        cols[f.name] = pa.array([values[p][j] for p in point])
    return pa.table(cols)


def design_table(spec: SweepSpec, X: np.ndarray) -> pa.Table:
    cols = {"point": np.arange(len(X), dtype=np.int64)}
    cols.update({f.name: X[:, j] for j, f in enumerate(spec.factors)})
    return pa.table(cols)


# ------------------------------------------------------------------ one run (in a worker)
@dataclass(frozen=True)
class RunTask:
    run_id: int
    seed: int
    base: Scenario
    values: dict[str, Any]  # dotted path -> value
    days: int
    population: int | None
    summary_keys: tuple[str, ...] | None
    timeseries_every: int
    timeseries_columns: tuple[str, ...] | None
    member: dict[str, Any] = field(default_factory=dict)  # the ensemble member's fields for this seed


@dataclass
class RunOutcome:
    run_id: int
    ok: bool
    seconds: float
    error: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    timeseries: dict[str, np.ndarray] = field(default_factory=dict)


def with_ensemble(spec: SweepSpec, ensemble) -> SweepSpec:
    """``spec`` with each replication seed paired with the ensemble member it draws."""
    import dataclasses

    seeds = replication_seeds(spec.seed, spec.replications)
    return dataclasses.replace(spec, member_patches=dict(zip(seeds, ensemble.draw(seeds), strict=True)))


def apply_values(base: Scenario, values: dict[str, Any]) -> Scenario:
    """``base`` with each dotted path set (timeline events included), validated once."""
    data = base.model_dump(mode="json")
    for path, v in values.items():
        _assign(data, path, v)
    return Scenario.model_validate(data)


def run_one(task: RunTask) -> RunOutcome:
    """Run one design point with one seed. Module level so spawned and remote workers import it.

    A run that raises (an invalid factor value, a model error) returns a failed outcome with
    the error instead of raising, so one bad point never stops a sweep.
    """
    from .runner import run

    t0 = time.perf_counter()
    try:
        scenario = apply_values(task.base, {**task.member, **task.values})  # a swept factor overrides the member
        result = run(scenario, task.seed, task.days, task.population)
        summary = summary_columns(result.summary, task.summary_keys)
        ts = _subsample(result.timeseries, task.timeseries_every, task.timeseries_columns, task.run_id)
    except Exception as exc:  # noqa: BLE001 - any failure of one run is recorded, not raised
        msg = first_error(exc) if hasattr(exc, "errors") else f"{type(exc).__name__}: {exc}"
        return RunOutcome(task.run_id, False, time.perf_counter() - t0, error=msg.splitlines()[0] if msg else type(exc).__name__)
    return RunOutcome(task.run_id, True, time.perf_counter() - t0, summary=summary, timeseries=ts)


def summary_columns(summary: dict, keys: tuple[str, ...] | None) -> dict[str, Any]:
    """The summary as flat columns (``metrics.flatten_summary``); ``keys`` selects them (None: all)."""
    flat = flatten_summary(summary)
    if keys is None:
        return flat
    wanted = set(keys) | {"scenario_hash", "seed", "version"}
    return {k: v for k, v in flat.items() if k in wanted or any(k.startswith(w + "_") and w in _NESTED_SUMMARY for w in keys)}


def _subsample(ts, every: int, columns: tuple[str, ...] | None, run_id: int) -> dict[str, np.ndarray]:
    if every <= 0:
        return {}
    rows = ts[ts["day"].to_numpy() % every == 0]
    names = ["day", *(c for c in columns if c != "day")] if columns else [c for c in rows.columns if c not in ("scenario_hash", "version")]
    out = {"run_id": np.full(len(rows), run_id, dtype=np.int64)}
    out.update({c: rows[c].to_numpy() for c in names})
    return out


# ------------------------------------------------------------------ results folder
_OWN_FILES = {"spec.toml", "params.parquet", "design.parquet", "summary", "timeseries", "manifest.jsonl"}


class Results:
    """The sweep folder: what is finished, and batched atomic writes of new parts."""

    def __init__(self, out: Path):
        self.out = out
        self.summary_dir = out / "summary"
        self.ts_dir = out / "timeseries"
        self.manifest = out / "manifest.jsonl"

    def prepare(self, spec: SweepSpec, X: np.ndarray, backend: str) -> None:
        """Create the folder or check it holds this same sweep; tidy leftovers of a killed run."""
        meta_path = self.out / "sweep.json"
        if meta_path.exists():
            meta = read_json(meta_path)
            if meta.get("sweep_hash") != spec.sweep_hash():
                raise SweepError(f"{self.out} holds a different sweep ('{meta.get('name')}', spec, base scenario or ensemble changed); use another --out")
        elif self.out.exists() and any(p.name not in _OWN_FILES or any(p.glob("part-*")) for p in self.out.iterdir()):
            # (only our own files, no parts: a start killed before sweep.json; start afresh)
            raise SweepError(f"{self.out} exists and is not a sweep folder; use another --out")
        self.out.mkdir(parents=True, exist_ok=True)
        self.summary_dir.mkdir(exist_ok=True)
        self.ts_dir.mkdir(exist_ok=True)
        for d in (self.summary_dir, self.ts_dir, self.out):
            for tmp in d.glob(".*.tmp"):  # a killed process's half-written file
                tmp.unlink(missing_ok=True)
        # a time-series part without its summary part belongs to runs not marked finished
        finished_parts = {p.name for p in self.summary_dir.glob("part-*.parquet")}
        for p in self.ts_dir.glob("part-*.parquet"):
            if p.name not in finished_parts:
                p.unlink()
        if not meta_path.exists():
            atomic_write(self.out / "spec.toml", lambda p: p.write_text(spec.text, encoding="utf-8"))
            write_parquet(self.out / "params.parquet", params_table(spec, X))
            write_parquet(self.out / "design.parquet", design_table(spec, X))
            from reformsim.model import VERSION

            write_json(meta_path, {
                "name": spec.name, "sweep_hash": spec.sweep_hash(), "design": spec.design,
                "n_points": int(len(X)), "replications": spec.replications, "n_runs": int(len(X) * spec.replications),
                "factors": [f.name for f in spec.factors], "days": spec.days, "population": spec.population,
                "base_scenario_hash": spec.base.hash(), "version": VERSION, "created": _now(), "backend": backend,
                # what `reformsim analyze` needs, so it never re-reads the spec or its base scenario
                "problem": None if spec.design == "factorial" else spec.problem(),
                "second_order": spec.second_order, "levels": spec.levels, "targets": list(spec.targets),
            })

    def finished(self) -> set[int]:
        """Run ids present in summary parts (a part's presence marks its runs finished)."""
        done: set[int] = set()
        for p in sorted(self.summary_dir.glob("part-*.parquet")):
            try:
                done.update(pq.read_table(p, columns=["run_id"]).column("run_id").to_pylist())
            except (pa.ArrowInvalid, OSError) as exc:
                raise ResultsError(f"results part {p} is corrupt ({str(exc).splitlines()[0]})") from None
        return done

    def next_part(self) -> int:
        nums = [int(p.stem.split("-")[1]) for d in (self.summary_dir, self.ts_dir) for p in d.glob("part-*.parquet")]
        return max(nums, default=-1) + 1


class PartWriter:
    """Buffers finished runs in the parent and writes them as one Parquet part per flush."""

    def __init__(self, results: Results, every: int, max_seconds: float = 30.0):
        self.results = results
        self.every = every
        self.max_seconds = max_seconds
        self.part = results.next_part()
        self.done: list[RunOutcome] = []
        self.lines: list[dict] = []
        self.last_flush = time.monotonic()
        self.rows_written = 0

    def add(self, outcome: RunOutcome) -> None:
        if outcome.ok:
            self.done.append(outcome)
        self.lines.append({"run_id": outcome.run_id, "status": "done" if outcome.ok else "failed",
                           "error": outcome.error, "seconds": round(outcome.seconds, 3), "time": _now()})
        if len(self.done) >= self.every or time.monotonic() - self.last_flush > self.max_seconds:
            self.flush()

    def flush(self) -> None:
        if self.done:
            name = f"part-{self.part:06d}.parquet"
            if any(o.timeseries for o in self.done):
                write_parquet(self.results.ts_dir / name, _columns([o.timeseries for o in self.done], concat=True))
            table = _columns([{"run_id": o.run_id, **o.summary} for o in self.done], concat=False)
            write_parquet(self.results.summary_dir / name, table)  # last: marks these runs finished
            self.rows_written += table.num_rows
            for line in self.lines:
                if line["status"] == "done":
                    line["part"] = name
            self.part += 1
            self.done = []
        if self.lines:
            with open(self.results.manifest, "a", encoding="utf-8") as fh:
                fh.writelines(json.dumps(line) + "\n" for line in self.lines)
                fh.flush()
                os.fsync(fh.fileno())
            self.lines = []
        self.last_flush = time.monotonic()


def _columns(records: list[dict], concat: bool) -> pa.Table:
    """An Arrow table from per-run dicts: scalars (one row each) or NumPy columns (concatenated)."""
    names = list(dict.fromkeys(k for r in records for k in r))
    if concat:
        return pa.table({k: np.concatenate([np.asarray(r[k]) for r in records]) for k in names})
    return pa.table({k: pa.array([r.get(k) for r in records]) for k in names})


def read_manifest(out: Path) -> dict[int, dict]:
    """Latest manifest line per run id (a torn last line from a killed process is skipped)."""
    latest: dict[int, dict] = {}
    path = out / "manifest.jsonl"
    if not path.exists():
        return latest
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        latest[int(rec["run_id"])] = rec
    return latest


def read_params(out: str | Path) -> pa.Table:
    path = Path(out) / "params.parquet"
    if not path.exists():
        raise ResultsError(f"{out} is not a sweep folder (no params.parquet)")
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ResultsError(f"results file {path} is truncated or corrupt ({str(exc).splitlines()[0]})") from None


def read_summary(out: str | Path) -> pa.Table:
    """Every finished run's summary row, across parts, sorted by run id."""
    out = Path(out)
    parts = sorted((out / "summary").glob("part-*.parquet"))
    if not parts:
        raise ResultsError(f"{out} has no finished runs (no summary parts)")
    tables = [pq.read_table(p) for p in parts]
    return pa.concat_tables(tables, promote_options="permissive").sort_by("run_id")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ------------------------------------------------------------------ running a sweep
@dataclass
class SweepReport:
    n_runs: int
    already_done: int
    done: int
    failed: int
    not_run: int
    seconds: float
    rows_written: int
    errors: list[str] = field(default_factory=list)


def tasks_for(spec: SweepSpec, params: pa.Table, run_ids: Iterable[int]) -> Iterable[RunTask]:
    cols = params.to_pydict()
    for rid in run_ids:
        values = {f.path: cols[f.name][rid] for f in spec.factors}
        seed = int(cols["seed"][rid])
        yield RunTask(rid, seed, spec.base, values, spec.days, spec.population, spec.summary_keys,
                      spec.timeseries_every, spec.timeseries_columns, spec.member_patches.get(seed, {}))


def run_sweep(spec: SweepSpec, out: str | Path, executor: Executor, slots: int, *, backend: str = "local",
              flush_every: int = 32, flush_seconds: float = 30.0, limit: int | None = None,
              progress: bool = True) -> SweepReport:
    """Run every unfinished run of ``spec`` on ``executor``, writing parts under ``out``.

    At most ``2 * slots`` runs are in flight, so an interrupted sweep loses little queued work.
    Finished runs are flushed as one part every ``flush_every`` runs or ``flush_seconds``
    (whichever comes first: a kill loses at most that much finished work) and whenever the loop
    ends, Ctrl-C included. A failed run is recorded in the manifest; ``limit`` caps how many start.
    """
    from tqdm import tqdm

    out = Path(out)
    X = design_matrix(spec)
    results = Results(out)
    results.prepare(spec, X, backend)
    params = read_params(out)
    n_runs = params.num_rows
    finished = results.finished()
    todo = [r for r in range(n_runs) if r not in finished]
    if limit is not None:
        todo = todo[:limit]
    writer = PartWriter(results, flush_every, flush_seconds)
    tasks = iter(tasks_for(spec, params, todo))
    inflight: dict[Future, int] = {}
    done = failed = 0
    errors: list[str] = []
    t0 = time.perf_counter()
    bar = tqdm(total=n_runs, initial=len(finished), unit="run", disable=not progress, desc=spec.name, smoothing=0.1)
    broken = False
    try:
        while True:
            while not broken and len(inflight) < 2 * slots:
                task = next(tasks, None)
                if task is None:
                    break
                try:
                    inflight[executor.submit(run_one, task)] = task.run_id
                except BrokenExecutor:
                    broken = True
            if not inflight:
                break
            ready, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for fut in ready:
                rid = inflight.pop(fut)
                try:
                    outcome = fut.result()
                except Exception as exc:  # noqa: BLE001 - a worker that died or a backend error
                    outcome = RunOutcome(rid, False, 0.0, error=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'worker lost'}")
                    broken = broken or isinstance(exc, BrokenExecutor)
                writer.add(outcome)
                if outcome.ok:
                    done += 1
                    bar.update(1)
                else:
                    failed += 1
                    errors.append(f"run {rid}: {outcome.error}")
                bar.set_postfix(failed=failed, refresh=False)
    finally:
        for fut in inflight:
            fut.cancel()
        writer.flush()
        bar.close()
    return SweepReport(n_runs, len(finished), done, failed, len(todo) - done - failed,
                       time.perf_counter() - t0, writer.rows_written, errors)
