"""Sensitivity indices of sweep outputs to the swept factors, with SALib.

Each target (a summary column) is averaged over the replications of a design point — seeds
are replications, never factors — and handed to the SALib analyser matching the design:
Sobol' indices for a Sobol'/Saltelli design, Morris elementary effects for a Morris design,
and the given-data RBD-FAST (default) or delta (Borgonovo; slow in SALib 1.6) analysers for any
design (Latin hypercube, factorial). Confidence intervals are SALib's bootstrap intervals. ``noise_share`` reports how
much of a target's run-to-run variance is seed noise (within-point variance / total).
"""

from __future__ import annotations

import contextlib
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from .io import read_json
from .sweep import SweepError, read_params, read_summary

METHODS = ("sobol", "morris", "delta", "rbd_fast")
DEFAULT_METHOD = {"sobol": "sobol", "morris": "morris", "latin": "rbd_fast", "factorial": "rbd_fast"}
# the index each method ranks factors by, and a second one drawn beside it
PLOTTED = {"sobol": ("S1", "ST"), "morris": ("mu_star", "sigma"), "delta": ("delta", "S1"), "rbd_fast": ("S1", None)}
_ANALYSIS_SEED = 20_251_123  # bootstrap resampling seed: the same folder gives the same intervals


def analyze_sweep(out: str | Path, method: str | None = None, targets: list[str] | None = None,
                  conf_level: float = 0.95, resamples: int = 100) -> tuple[pd.DataFrame, list[str]]:
    """Tidy table (target, factor, index, value, conf, noise_share) and warnings about skipped targets."""
    out = Path(out)
    meta = read_json(out / "sweep.json")
    design = meta["design"]
    method = method or DEFAULT_METHOD[design]
    if method not in METHODS:
        raise SweepError(f"unknown analysis method '{method}' (choose from {', '.join(METHODS)})")
    if method in ("sobol", "morris") and design != method:
        raise SweepError(f"the {method} analysis needs a {method} design; this sweep used '{design}' (try --method delta)")
    X = pq.read_table(out / "design.parquet").to_pandas().sort_values("point")
    names = list(meta["factors"])
    Xm = X[names].to_numpy(dtype=float)
    runs = read_params(out).select(["run_id", "point"]).to_pandas().merge(
        read_summary(out).to_pandas(), on="run_id", how="inner")
    targets = targets or list(meta.get("targets", []))
    unknown = [t for t in targets if t not in runs.columns]
    if unknown:
        raise SweepError(f"unknown target '{unknown[0]}' (summary columns: {', '.join(c for c in runs.columns if c not in ('run_id', 'point'))})")
    missing = len(X) - runs["point"].nunique()
    if method in ("sobol", "morris") and missing:
        raise SweepError(f"the {method} analysis needs every design point: {missing} of {len(X)} points have no "
                         "finished run (run the same `reformsim sweep` again to retry failed runs)")
    problem = _problem(meta, Xm)
    rows, warnings = [], []
    for target in targets:
        per_point = runs.groupby("point")[target].mean().reindex(X["point"])
        keep = per_point.notna().to_numpy()
        if method in ("sobol", "morris") and not keep.all():
            warnings.append(f"{target}: skipped, {int((~keep).sum())} design points have no value (NaN)")
            continue
        if keep.sum() < 4 or np.nanstd(per_point.to_numpy()) == 0:
            warnings.append(f"{target}: skipped, it does not vary across design points")
            continue
        try:
            res = _salib(method, problem, Xm[keep], per_point.to_numpy()[keep], meta, conf_level, resamples)
        except (ValueError, ArithmeticError, IndexError) as exc:  # SALib's own checks on small samples
            warnings.append(f"{target}: skipped, SALib's {method} analyser failed ({type(exc).__name__}: {exc})")
            continue
        found = _tidy(res, target, names, _noise_share(runs, target))
        if all(math.isnan(r[3]) for r in found):
            warnings.append(f"{target}: the {method} analyser returned no index from {int(keep.sum())} design "
                            "points; use more design.samples (delta needs >= 10 points per bin of each factor)")
            continue
        rows += found
    return pd.DataFrame(rows, columns=["target", "factor", "index", "value", "conf", "noise_share"]), warnings


def _problem(meta: dict, X: np.ndarray) -> dict:
    """SALib's problem; a factorial design's bounds are its level coordinates' range."""
    if meta.get("problem"):
        return meta["problem"]
    lo, hi = X.min(axis=0), X.max(axis=0)
    return {"num_vars": X.shape[1], "names": list(meta["factors"]), "bounds": [[float(a), float(b)] for a, b in zip(lo, hi, strict=True)]}


def _salib(method: str, problem: dict, X: np.ndarray, Y: np.ndarray, meta: dict, conf: float, resamples: int) -> dict:
    from SALib.analyze import delta, morris, rbd_fast, sobol

    seed = _ANALYSIS_SEED
    if method == "delta":
        # SALib 1.6 prints bin notices on stdout and stderr
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            res = delta.analyze(problem, X, Y, num_resamples=resamples, conf_level=conf, seed=seed)
        # SALib >= 1.5 names Borgonovo's delta on the data as sampled "delta_raw"
        if "delta_raw" in res:
            res["delta"], res["delta_conf"] = res["delta_raw"], res["delta_raw_conf"]
        return res
    if method == "sobol":
        return sobol.analyze(problem, Y, calc_second_order=bool(meta.get("second_order")), num_resamples=resamples,
                             conf_level=conf, seed=seed)
    if method == "morris":
        return morris.analyze(problem, X, Y, num_resamples=resamples, conf_level=conf,
                              num_levels=int(meta.get("levels", 4)), seed=seed)
    # RBD-FAST: M harmonics need well over 2M points, also in its bootstrap resamples
    return rbd_fast.analyze(problem, X, Y, M=max(1, min(10, len(Y) // 8)), num_resamples=resamples,
                            conf_level=conf, seed=seed)


def _tidy(res, target: str, names: list[str], noise: float) -> list[tuple]:
    rows = []
    for key in ("S1", "ST", "mu", "mu_star", "sigma", "delta"):
        if key not in res:
            continue
        vals = np.asarray(res[key], dtype=float)
        confs = np.asarray(res[f"{key}_conf"], dtype=float) if f"{key}_conf" in res else np.full(len(vals), np.nan)
        rows += [(target, n, key, float(v), float(c), noise) for n, v, c in zip(names, vals, confs, strict=True)]
    if "S2" in res:
        s2, c2 = np.asarray(res["S2"]), np.asarray(res["S2_conf"])
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                rows.append((target, f"{names[i]}:{names[j]}", "S2", float(s2[i, j]), float(c2[i, j]), noise))
    return rows


def _noise_share(runs: pd.DataFrame, target: str) -> float:
    """Mean within-point variance over total variance of the run values (NaN with one replicate)."""
    y = runs[["point", target]].dropna()
    total = y[target].var()
    within = y.groupby("point")[target].var().mean()
    if not (total > 0) or math.isnan(within):
        return float("nan")
    return float(min(within / total, 1.0))


def format_table(table: pd.DataFrame, method: str) -> str:
    """One block per target: each factor's main index ± its confidence half-width."""
    main, second = PLOTTED[method]
    lines = []
    for target, t in table.groupby("target", sort=False):
        noise = t["noise_share"].iloc[0]
        lines.append(f"{target}  (seed-noise share of variance: {'n/a' if math.isnan(noise) else f'{noise:.2f}'})")
        m = t[t["index"] == main].set_index("factor")
        s = t[t["index"] == second].set_index("factor") if second else None
        hdr = f"  {'factor':36} {main:>9} {'±conf':>8}" + (f" {second:>9} {'±conf':>8}" if second else "")
        lines.append(hdr)
        for f in m.sort_values("value", ascending=False).index:
            row = f"  {f:36} {m.at[f, 'value']:9.3f} {m.at[f, 'conf']:8.3f}"
            if s is not None and f in s.index:
                row += f" {s.at[f, 'value']:9.3f} {s.at[f, 'conf']:8.3f}"
            lines.append(row)
    return "\n".join(lines)


def plot(table: pd.DataFrame, method: str, path: str | Path) -> Path:
    """Horizontal bars per target: the main index (and the second) per factor, with CI whiskers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    main, second = PLOTTED[method]
    targets = list(dict.fromkeys(table["target"]))
    fig, axes = plt.subplots(1, len(targets), figsize=(4.2 * len(targets) + 1.5, 0.5 * table["factor"].nunique() + 2.2),
                             squeeze=False, sharey=True)
    for ax, target in zip(axes[0], targets, strict=True):
        t = table[table["target"] == target]
        m = t[t["index"] == main].set_index("factor")
        factors = list(m.index)
        ypos = np.arange(len(factors))
        h = 0.38 if second else 0.7
        ax.barh(ypos - (h / 2 if second else 0), m["value"], height=h, xerr=_err(m["conf"]), label=main, color="#3b6ea8", capsize=3)
        if second:
            s = t[t["index"] == second].set_index("factor").reindex(factors)
            ax.barh(ypos + h / 2, s["value"], height=h, xerr=_err(s["conf"]), label=second, color="#e08a3c", capsize=3)
        ax.set_yticks(ypos, factors)
        ax.set_title(target, fontsize=10)
        ax.axvline(0, color="black", lw=0.6)
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Sensitivity ({method}); whiskers: confidence intervals", fontsize=11)
    fig.tight_layout()
    path = Path(path)
    from .io import atomic_write

    atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)
    return path


def _err(conf: pd.Series) -> np.ndarray | None:
    c = conf.to_numpy(dtype=float)
    return None if np.isnan(c).all() else np.nan_to_num(c)
