"""Calibrate the baseline's free behaviour parameters to observed figures.

A *targets file* (TOML) names observed figures and how much each counts::

    [targets.primary_visit_share]
    value = 0.634        # DATA.md: primary-care share of visits within counties, 2024
    weight = 3.0
    tolerance = 0.02     # optional: the error that counts as one unit of loss (default: 10% of value)

and, optionally, the free parameters and their bounds::

    [parameters.incidence]
    paths = ["illness.incidence_scale"]
    mode = "set"         # set | shift (add to the base value) | scale (multiply it; lists element-wise)
    lower = 0.6
    upper = 1.6
    match = "..."        # optional: a target proportional to this parameter (a price scale); it is
                         # solved by ratio matching (x <- x * observed / simulated), not by the optimiser

The loss is the weighted sum of squared errors, each in units of its tolerance, of the
seed-averaged simulated figures. Every evaluation runs the same seeds (common random numbers),
so two parameter vectors are compared on the same residents, onsets and draws. The optimiser is
scipy's bounded Nelder–Mead on the unit cube of the parameters' bounds. The fitted point is then
re-run on fresh seeds, so the reported intervals are out of sample.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from reformsim.model.metrics import summarize, timeseries
from reformsim.model.model import CountyModel
from reformsim.model.params import SEVERITIES, TIERS, Scenario, with_value
from reformsim.model.scenario import ScenarioError
from scipy import optimize, stats

YEAR = 365
MODES = ("set", "shift", "scale")


class CalibrationError(ScenarioError):
    """A targets file or parameter specification that cannot be used; the message names it.

    A ScenarioError, so the CLI prints it as one line and exits 2."""


# ---------------------------------------------------------------------- what can be targeted
@dataclass(frozen=True)
class Metric:
    """A simulated figure that can be compared with an observed one."""

    label: str
    kind: str  # share (0..1) | rate (per capita) | cost (¥) | years
    get: Callable[[dict], float]


def _key(name: str) -> Callable[[dict], float]:
    return lambda s: float(s[name])


def _tier(group: str, tier: str) -> Callable[[dict], float]:
    return lambda s: float(s[group][tier])


METRICS: dict[str, Metric] = {
    "primary_visit_share": Metric("Primary-care share of within-county visits", "share", _key("primary_visit_share")),
    "county_internal_visit_share": Metric("County-internal share of visits", "share", _key("county_internal_visit_share")),
    "visits_per_capita": Metric("Outpatient visits per capita per year", "rate", _key("visits_per_capita")),
    "admissions_per_capita": Metric("Admissions per capita per year", "rate", _key("admissions_per_capita")),
    "two_week_visit_rate": Metric("Two-week visit rate (visits per person in 14 days)", "share", _key("two_week_visit_rate")),
    "life_expectancy": Metric("Life expectancy at birth (years)", "years", _key("life_expectancy")),
    "resident_inpatient_fund_share": Metric("Resident insurance: fund share of inpatient bills", "share",
                                            _key("resident_inpatient_fund_share")),
    "complex_admission_tertiary_share": Metric("Complex (stroke, heart) admissions at tertiary level", "share",
                                               _key("complex_admission_tertiary_share")),
    "referral_attendance": Metric("Referral letters followed up", "share", _key("referral_attendance")),
    "bypass_share": Metric("Minor/common first contacts at county or tertiary", "share", _key("bypass_share")),
    "oop_share": Metric("Out-of-pocket share of all bills", "share", _key("oop_share")),
    **{f"cost_per_visit_{t}": Metric(f"Cost per outpatient visit, {t} (¥)", "cost", _tier("cost_per_visit", t)) for t in TIERS},
    **{f"cost_per_stay_{t}": Metric(f"Cost per inpatient stay, {t} (¥)", "cost", _tier("cost_per_stay", t)) for t in TIERS[1:]},
}


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    weight: float = 1.0
    tolerance: float | None = None
    source: str = ""

    @property
    def scale(self) -> float:
        """One unit of loss: the tolerance, or 10% of the observed value."""
        return self.tolerance if self.tolerance else max(0.1 * abs(self.value), 1e-9)


@dataclass(frozen=True)
class Parameter:
    """A free parameter: one number written to one or more scenario fields."""

    name: str
    paths: tuple[str, ...]
    lower: float
    upper: float
    mode: str = "set"
    match: str | None = None  # a target proportional to this parameter: solved by ratio matching
    source: str = ""  # where its range comes from (a prior's reason)

    def apply(self, base: Scenario, scn: Scenario, x: float) -> Scenario:
        """``scn`` with this parameter at ``x`` (``shift``/``scale`` act on the value in ``base``)."""
        for path in self.paths:
            old = _get(base, path)
            if self.mode == "set":
                new: Any = x
            elif self.mode == "shift":
                new = [v + x for v in old] if isinstance(old, list) else old + x
            else:
                new = [v * x for v in old] if isinstance(old, list) else old * x
            scn = with_value(scn, path, new)
        return scn

    def start(self, base: Scenario) -> float:
        """The value of this parameter that reproduces ``base`` (clipped into the bounds)."""
        x = {"set": None, "shift": 0.0, "scale": 1.0}[self.mode]
        if x is None:
            v = _get(base, self.paths[0])
            x = float(np.mean(v)) if isinstance(v, list) else float(v)
        return float(np.clip(x, self.lower, self.upper))


@dataclass
class Spec:
    """Targets and free parameters read from a targets file."""

    targets: list[Target]
    parameters: list[Parameter] = field(default_factory=list)
    source: str = ""


def _get(scn: Scenario, path: str) -> Any:
    node: Any = scn.model_dump()
    for p in path.split("."):
        node = node[int(p)] if isinstance(node, list) else node[p]
    return node


# ---------------------------------------------------------------------- reading a targets file
def default_targets_path() -> Path:
    return Path(str(resources.files("reformsim.experiments.targets") / "default.toml"))


def load_spec(path: str | Path | None = None, base: Scenario | None = None) -> Spec:
    """Read and check a targets file (the built-in one if ``path`` is None)."""
    path = Path(path) if path is not None else default_targets_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalibrationError(f"targets file not found: {path}") from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise CalibrationError(f"{path}: not a UTF-8 text file") from None
    return parse_spec(text, path.name, base)


def parse_spec(text: str, source: str, base: Scenario | None = None) -> Spec:
    """Check every target (known name, finite value in range, weight ≥ 0) and parameter."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CalibrationError(f"{source}: not valid TOML ({exc})") from None
    extra = set(data) - {"targets", "parameters"}
    if extra:
        raise CalibrationError(f"{source}: unknown section '{sorted(extra)[0]}' (expected [targets.*], [parameters.*])")
    raw = data.get("targets", {})
    if not raw:
        raise CalibrationError(f"{source}: no [targets.NAME] tables")
    targets = [_target(name, t, source) for name, t in raw.items()]
    base = base or Scenario()
    params = [_parameter(name, p, source, base) for name, p in data.get("parameters", {}).items()]
    named = {t.name for t in targets}
    for p in params:
        if p.match and p.match not in named:
            raise CalibrationError(f"{source}: parameter '{p.name}' matches '{p.match}', which is not a target here")
    return Spec(targets, params, source)


def _number(v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise CalibrationError(f"{what} must be a finite number, got {v!r}")
    return float(v)


def _target(name: str, t: Any, source: str) -> Target:
    where = f"{source}: target '{name}'"
    if name not in METRICS:
        raise CalibrationError(f"{where} is unknown (known: {', '.join(METRICS)})")
    if not isinstance(t, dict) or "value" not in t:
        raise CalibrationError(f"{where} needs a value")
    unknown = set(t) - {"value", "weight", "tolerance", "source"}
    if unknown:
        raise CalibrationError(f"{where}: unknown key '{sorted(unknown)[0]}'")
    value = _number(t["value"], f"{where}: value")
    kind = METRICS[name].kind
    if kind == "share" and not 0.0 <= value <= 1.0:
        raise CalibrationError(f"{where}: a share must be within [0, 1], got {value}")
    if kind in ("cost", "rate", "years") and value < 0:
        raise CalibrationError(f"{where}: a {kind} cannot be negative, got {value}")
    weight = _number(t.get("weight", 1.0), f"{where}: weight")
    if weight < 0:
        raise CalibrationError(f"{where}: weight cannot be negative, got {weight}")
    tol = t.get("tolerance")
    if tol is not None:
        tol = _number(tol, f"{where}: tolerance")
        if tol <= 0:
            raise CalibrationError(f"{where}: tolerance must be > 0, got {tol}")
    return Target(name, value, weight, tol, str(t.get("source", "")))


def _parameter(name: str, p: Any, source: str, base: Scenario) -> Parameter:
    where = f"{source}: parameter '{name}'"
    if not isinstance(p, dict):
        raise CalibrationError(f"{where} must be a table")
    unknown = set(p) - {"paths", "path", "lower", "upper", "mode", "match", "source"}
    if unknown:
        raise CalibrationError(f"{where}: unknown key '{sorted(unknown)[0]}'")
    paths = p.get("paths", [p["path"]] if "path" in p else [])
    if not paths or not all(isinstance(x, str) for x in paths):
        raise CalibrationError(f"{where} needs paths = [\"section.field\", ...]")
    mode = p.get("mode", "set")
    if mode not in MODES:
        raise CalibrationError(f"{where}: mode must be one of {', '.join(MODES)}, got '{mode}'")
    lo, hi = _number(p.get("lower"), f"{where}: lower"), _number(p.get("upper"), f"{where}: upper")
    if not lo < hi:
        raise CalibrationError(f"{where}: lower ({lo}) must be below upper ({hi})")
    match = p.get("match")
    if match is not None and (match not in METRICS or mode == "shift"):
        raise CalibrationError(f"{where}: match must name a known target and needs mode set or scale, got '{match}'")
    par = Parameter(name, tuple(paths), lo, hi, mode, match, str(p.get("source", "")))
    for x in (lo, hi):  # both ends must give a valid scenario
        try:
            par.apply(base, base, x)
        except (KeyError, IndexError, TypeError):
            raise CalibrationError(f"{where}: no scenario field {paths}") from None
        except ValueError as exc:
            raise CalibrationError(f"{where} at {x}: {exc}") from None
    return par


# ---------------------------------------------------------------------- simulating
class ResidentInpatientBills:
    """Counts the resident scheme's inpatient bills and what its payer paid for them (the fund, or
    the consortium out of its budget under capitation), from day ``measure_from`` on (the summary's
    window: the last year), by subscribing to the model's stay bills."""

    def __init__(self, model: CountyModel, measure_from: int = 0):
        self.measure_from = measure_from
        self.bills = self.paid = 0.0
        model.events.subscribe("stay_bill", self.count)

    def count(self, day: int, eps: np.ndarray, facility: np.ndarray, scheme: np.ndarray, bill: np.ndarray,
              oop: np.ndarray, paid: np.ndarray) -> None:
        if day >= self.measure_from:
            resident = scheme == 0
            self.bills += float(bill[resident].sum())
            self.paid += float(paid[resident].sum())

    @property
    def fund_share(self) -> float:
        return self.paid / self.bills if self.bills > 0 else float("nan")


COMPLEX = SEVERITIES.index("complex")


class ComplexAdmissions:
    """Counts admissions of complex episodes (the model's stroke and heart attacks) by the tier of
    the bed, from day ``measure_from`` on, by subscribing to the model's admissions: the share at
    tertiary level is what the Kadoorie Biobank measured (DATA: where care happens)."""

    def __init__(self, model: CountyModel, measure_from: int = 0):
        self.model, self.measure_from = model, measure_from
        self.by_tier = np.zeros(4)
        model.events.subscribe("admission", self.count)

    def count(self, day: int, eps: np.ndarray, facility: np.ndarray) -> None:
        if day >= self.measure_from:
            m = self.model
            complex_ = m.ep.severity[eps] == COMPLEX
            self.by_tier += np.bincount(m.fac.tier[facility[complex_]], minlength=4)

    @property
    def tertiary_share(self) -> float:
        total = self.by_tier.sum()
        return float(self.by_tier[3] / total) if total > 0 else float("nan")


def simulate(scenario: Scenario, seed: int, days: int, population: int | None = None) -> dict:
    """The run summary plus the calibration-only figures."""
    m = CountyModel(scenario, rng=seed, population=population)
    bills = ResidentInpatientBills(m, measure_from=max(days - YEAR, 0))
    complex_ = ComplexAdmissions(m, measure_from=max(days - YEAR, 0))
    m.run_days(days)
    s = summarize(m, timeseries(m))
    s["resident_inpatient_fund_share"] = bills.fund_share
    s["complex_admission_tertiary_share"] = complex_.tertiary_share
    return s


def figures(summary: dict, targets: list[Target]) -> np.ndarray:
    return np.array([METRICS[t.name].get(summary) for t in targets], dtype=float)


def loss(sim_mean: np.ndarray, targets: list[Target]) -> float:
    """Weighted squared error in tolerance units; a figure the run could not produce costs a lot."""
    total = 0.0
    for v, t in zip(sim_mean, targets, strict=True):
        err = (v - t.value) / t.scale if math.isfinite(v) else 100.0
        total += t.weight * err * err
    return float(total)


# ---------------------------------------------------------------------- fitting
@dataclass
class Evaluation:
    x: list[float]
    per_seed: list[list[float]]  # [seed][target]
    loss: float


@dataclass
class Fit:
    spec: Spec
    base: Scenario
    seeds: list[int]
    days: int
    population: int | None
    history: list[Evaluation]
    best: Evaluation
    start: Evaluation
    scenario: Scenario
    message: str = ""
    fitted: bool = True  # False for a validation of the base scenario as it is

    @property
    def values(self) -> dict[str, float]:
        return {p.name: x for p, x in zip(self.spec.parameters, self.best.x, strict=True)}


def scenario_at(spec: Spec, base: Scenario, x: np.ndarray | list[float]) -> Scenario:
    scn = base
    for p, v in zip(spec.parameters, x, strict=True):
        scn = p.apply(base, scn, float(v))
    return scn


def evaluate(spec: Spec, base: Scenario, x: list[float], seeds: list[int], days: int,
             population: int | None) -> Evaluation:
    scn = scenario_at(spec, base, x)
    per_seed = [figures(simulate(scn, s, days, population), spec.targets).tolist() for s in seeds]
    mean = np.nanmean(np.array(per_seed), axis=0) if per_seed else np.array([])
    return Evaluation(list(map(float, x)), per_seed, loss(mean, spec.targets))


RATIO_STEPS = 2  # ratio-matching passes before the optimiser (costs are ~proportional to prices)


def calibrate(spec: Spec, base: Scenario, *, seeds: list[int], days: int, population: int | None,
              budget: int, progress: Callable[[Evaluation], None] | None = None) -> Fit:
    """Fit ``spec.parameters`` to ``spec.targets`` within ``budget`` evaluations.

    Parameters with ``match`` (price scales) are first set by ratio matching; the others are fitted
    by bounded Nelder–Mead with the matched ones held; a last ratio pass follows.
    """
    params = spec.parameters
    if not params:
        raise CalibrationError(f"{spec.source}: no [parameters.NAME] tables: nothing to fit")
    free = [i for i, p in enumerate(params) if p.match is None]
    matched = [i for i, p in enumerate(params) if p.match is not None]
    target_index = {t.name: i for i, t in enumerate(spec.targets)}
    history: list[Evaluation] = []
    cache: dict[tuple, Evaluation] = {}

    def run_at(x: np.ndarray) -> Evaluation:
        key = tuple(np.round(x, 6))
        if key not in cache:
            cache[key] = evaluate(spec, base, list(x), seeds, days, population)
            history.append(cache[key])
            if progress:
                progress(cache[key])
        return cache[key]

    def ratio_pass(x: np.ndarray) -> np.ndarray:
        ev = run_at(x)
        x = x.copy()
        mean = np.nanmean(np.array(ev.per_seed), axis=0)
        for i in matched:
            p, j = params[i], target_index[params[i].match]
            if math.isfinite(mean[j]) and mean[j] > 0:
                x[i] = float(np.clip(x[i] * spec.targets[j].value / mean[j], p.lower, p.upper))
        return x

    x = np.array([p.start(base) for p in params])
    for _ in range(RATIO_STEPS if matched else 0):
        x = ratio_pass(x)
    message = "ratio matching only"
    if free:
        lo = np.array([params[i].lower for i in free])
        span = np.array([params[i].upper for i in free]) - lo

        def objective(u: np.ndarray) -> float:
            z = x.copy()
            z[free] = lo + np.clip(u, 0, 1) * span
            return run_at(z).loss

        u0 = (x[free] - lo) / span
        d = len(free)
        # initial simplex: 20% of each range away from the start, towards the wider side
        simplex = np.vstack([u0] + [u0 + np.eye(d)[k] * (0.2 if u0[k] <= 0.5 else -0.2) for k in range(d)])
        left = max(budget - len(history) - (1 if matched else 0), d + 1)
        res = optimize.minimize(objective, u0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * d,
                                options={"maxfev": left, "initial_simplex": simplex, "xatol": 1e-3, "fatol": 1e-4})
        message = str(res.message)
        x = np.array(min(history, key=lambda e: e.loss).x)
    if matched:
        x = ratio_pass(x)
        run_at(x)
    best = min(history, key=lambda e: e.loss)
    return Fit(spec, base, seeds, days, population, history, best, history[0], scenario_at(spec, base, best.x), message)


def validate_fit(fit: Fit, seeds: list[int]) -> Evaluation:
    """The fitted point re-run on other seeds (out-of-sample figures for the report)."""
    return evaluate(fit.spec, fit.base, fit.best.x, seeds, fit.days, fit.population)


def no_fit(spec: Spec, base: Scenario, *, seeds: list[int], days: int, population: int | None) -> Fit:
    """The base scenario as it is, on ``seeds``: a validation of the current baseline without fitting."""
    x = [p.start(base) for p in spec.parameters]
    ev = Evaluation(x, [figures(simulate(base, s, days, population), spec.targets).tolist() for s in seeds], 0.0)
    ev.loss = loss(np.nanmean(np.array(ev.per_seed), axis=0), spec.targets)
    return Fit(spec, base, seeds, days, population, [ev], ev, ev, base, "no fit: the base scenario as it is",
               fitted=False)


# ---------------------------------------------------------------------- reporting
def summarise_seeds(values: list[float]) -> tuple[float, float, float]:
    """Mean and a 95% t-interval over seeds; with fewer than 3 seeds, the seeds' range."""
    v = np.array([x for x in values if math.isfinite(x)])
    if len(v) == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if len(v) < 3:  # a t-interval on 2 seeds (t = 12.7) says nothing useful
        return m, float(v.min()), float(v.max())
    half = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return m, m - half, m + half


def report(fit: Fit, final: Evaluation | None = None) -> dict:
    """Per target: observed, simulated mean and 95% interval over seeds, error; start vs fitted."""
    final = final or fit.best
    rows = []
    for i, t in enumerate(fit.spec.targets):
        mean, lo, hi = summarise_seeds([s[i] for s in final.per_seed])
        m0, lo0, hi0 = summarise_seeds([s[i] for s in fit.start.per_seed])
        err = mean - t.value
        rows.append({
            "target": t.name, "label": METRICS[t.name].label, "kind": METRICS[t.name].kind,
            "observed": t.value, "weight": t.weight, "tolerance": t.scale, "source": t.source,
            "simulated": mean, "interval": [lo, hi], "per_seed": [s[i] for s in final.per_seed],
            "error": err, "relative_error": err / t.value if t.value else float("nan"),
            "within_tolerance": bool(abs(err) <= t.scale),
            "start": m0, "start_interval": [lo0, hi0], "start_per_seed": [s[i] for s in fit.start.per_seed],
        })
    return {
        "parameters": [{"name": p.name, "paths": list(p.paths), "mode": p.mode, "lower": p.lower, "upper": p.upper,
                        "start": fit.start.x[i], "fitted": fit.best.x[i]} for i, p in enumerate(fit.spec.parameters)],
        "targets": rows,
        "loss": {"start": fit.start.loss, "fitted": fit.best.loss, "final": final.loss},
        "fitted": fit.fitted,
        "evaluations": len(fit.history),
        "loss_history": [e.loss for e in fit.history],
        "history": [{"x": e.x, "loss": e.loss, "per_seed": e.per_seed} for e in fit.history],
        "seeds": fit.seeds, "report_seeds": len(final.per_seed), "days": fit.days, "population": fit.population,
        "targets_file": fit.spec.source, "optimiser": f"scipy.optimize.minimize(Nelder-Mead, bounded): {fit.message}",
    }


def _fmt(v: float, kind: str) -> str:
    if not math.isfinite(v):
        return "n/a"
    return {"share": f"{100 * v:.1f}%", "cost": f"¥{v:,.0f}", "rate": f"{v:.3f}", "years": f"{v:.1f}"}[kind]


def report_markdown(rep: dict) -> str:
    """The report as Markdown tables (parameters, then one row per target)."""
    fitted = rep["fitted"]
    if fitted:
        head = [
            "# Calibration report", "",
            f"Targets: `{rep['targets_file']}` · {rep['evaluations']} evaluations · seeds {rep['seeds']} · "
            f"{rep['population'] or 'full'} residents · {rep['days']} days · loss {rep['loss']['start']:.3g} → "
            f"{rep['loss']['fitted']:.3g} (report run on {rep['report_seeds']} fresh seeds: {rep['loss']['final']:.3g})", "",
            "## Fitted parameters", "", "| parameter | fields | mode | bounds | start | fitted |", "|---|---|---|---|---|---|",
        ]
    else:
        head = [
            "# Validation report (no fit: the scenario as it is)", "",
            f"Targets: `{rep['targets_file']}` · {rep['report_seeds']} seeds · {rep['population'] or 'full'} residents · "
            f"{rep['days']} days · loss {rep['loss']['final']:.3g}", "",
            "## Free parameters (current values)", "", "| parameter | fields | mode | bounds | value |", "|---|---|---|---|---|",
        ]
    lines = head
    for p in rep["parameters"]:
        fit_col = f" {p['start']:.4g} | {p['fitted']:.4g} |" if fitted else f" {p['fitted']:.4g} |"
        lines.append(f"| {p['name']} | {', '.join(f'`{x}`' for x in p['paths'])} | {p['mode']} | "
                     f"[{p['lower']:g}, {p['upper']:g}] |{fit_col}")
    interval = "95% t-interval" if rep["report_seeds"] >= 3 else "range over seeds"
    before = " before |" if fitted else ""
    lines += ["", "## Targets", "",
              f"| target | observed |{before} simulated ({interval}) | error | within tolerance | weight |",
              "|---|---|---|---|---|---|" + ("---|" if fitted else "")]
    for r in rep["targets"]:
        k = r["kind"]
        lo, hi = r["interval"]
        rel = f" ({100 * r['relative_error']:+.1f}%)" if math.isfinite(r["relative_error"]) else ""
        err = f"{100 * r['error']:+.1f} pts" if k == "share" else f"{r['error']:+.3g}"
        tol = f"{100 * r['tolerance']:.1f} pts" if k == "share" else _fmt(r["tolerance"], k)
        start = f" {_fmt(r['start'], k)} |" if fitted else ""
        lines.append(f"| {r['label']} | {_fmt(r['observed'], k)} |{start} {_fmt(r['simulated'], k)} "
                     f"({_fmt(lo, k)}–{_fmt(hi, k)}) | {err}{rel} | {'yes' if r['within_tolerance'] else 'no'} "
                     f"(±{tol}) | {r['weight']:g} |")
    return "\n".join(lines) + "\n"


def fitted_toml(fit: Fit, command: str) -> str:
    """A scenario TOML: the base scenario's own settings plus the fitted fields."""
    import tomli_w

    data = fit.base.model_dump(mode="json", exclude_defaults=True)
    fitted = fit.scenario.model_dump(mode="json")
    for p in fit.spec.parameters:
        for path in p.paths:
            top = path.split(".")
            # list elements are written as the whole list
            if top[-1].isdigit():
                top = top[:-1]
            src, dst = fitted, data
            for k in top[:-1]:
                src, dst = src[k], dst.setdefault(k, {})
            dst[top[-1]] = src[top[-1]]
    data["name"] = f"{fit.base.name}-calibrated"
    data["description"] = f"{fit.base.description} (fitted by reformsim calibrate)".strip()
    data.pop("timeline", None)
    header = (f"# Fitted by `{command}`\n"
              f"# loss {fit.start.loss:.4g} -> {fit.best.loss:.4g} after {len(fit.history)} evaluations\n")
    for p, x in zip(fit.spec.parameters, fit.best.x, strict=True):
        header += f"#   {p.name} ({p.mode} {', '.join(p.paths)}) = {x:.6g}\n"
    return header + tomli_w.dumps(data)


def plot_report(rep: dict, out: str | Path) -> list[Path]:
    """One PNG per target (observed, before, fitted with its interval and seeds) and the loss curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for r in rep["targets"]:
        fig, ax = plt.subplots(figsize=(4.2, 2.6), dpi=110)
        obs, tol = r["observed"], r["tolerance"]
        ax.axhspan(obs - tol, obs + tol, color="tab:green", alpha=0.15, label="observed ± tolerance")
        ax.axhline(obs, color="tab:green", lw=2, label="observed")
        points = [(0, r["start"], r["start_interval"], r["start_per_seed"], "tab:grey", "before")] if rep["fitted"] else []
        points.append((len(points), r["simulated"], r["interval"], r["per_seed"], "tab:blue",
                       "fitted" if rep["fitted"] else "baseline"))
        for xpos, m, (lo, hi), seeds, colour, name in points:
            if math.isfinite(m):
                ax.errorbar([xpos], [m], yerr=[[m - lo], [hi - m]], fmt="o", color=colour, capsize=5, label=name)
            ax.scatter(np.full(len(seeds), xpos + 0.15), seeds, s=10, color=colour, alpha=0.5)
        ax.set_xticks([p[0] for p in points], [p[5] for p in points])
        ax.set_xlim(-0.6, len(points) - 0.4)
        ax.set_title(r["label"], fontsize=9)
        ax.legend(fontsize=6, loc="best")
        fig.tight_layout()
        path = out / f"calibration_{r['target']}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    if not rep["fitted"]:
        return written
    fig, ax = plt.subplots(figsize=(4.2, 2.6), dpi=110)
    h = np.array(rep["loss_history"])
    ax.plot(h, ".", color="tab:grey", ms=4, label="evaluation")
    ax.plot(np.minimum.accumulate(h), color="tab:blue", label="best so far")
    ax.set_yscale("log")
    ax.set_xlabel("evaluation")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / "calibration_loss.png"
    fig.savefig(path)
    plt.close(fig)
    written.append(path)
    return written
