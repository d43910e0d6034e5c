"""Which calibrated parameters the data pin down: posterior against prior widths, and pair plots.

For each parameter: the prior's central 90% width (uniform priors: 0.9 × the range) and the
posterior's weighted 90% interval. A posterior narrower than half its prior is *identified*; up to
0.8 of it, *partly*; wider, the data say little and conclusions resting on it rest on the prior.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .io import atomic_write

IDENTIFIED, PARTLY = 0.5, 0.8
CENTRAL = 0.90


def widths(table: pd.DataFrame, prior: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Per parameter: prior range, posterior mean and 90% interval, width ratio and a verdict."""
    from pyabc.weighted_statistics import weighted_quantile

    w = table["weight"].to_numpy()
    rows = []
    for name, (lo, hi) in prior.items():
        x = table[name].to_numpy()
        q_lo, q_hi = (weighted_quantile(x, w, alpha=a) for a in ((1 - CENTRAL) / 2, (1 + CENTRAL) / 2))
        ratio = (q_hi - q_lo) / (CENTRAL * (hi - lo))
        verdict = "identified" if ratio < IDENTIFIED else "partly" if ratio < PARTLY else "not identified"
        rows.append({"parameter": name, "prior_low": lo, "prior_high": hi, "mean": float(np.average(x, weights=w)),
                     "post_low": float(q_lo), "post_high": float(q_hi), "width_ratio": float(ratio), "verdict": verdict})
    return pd.DataFrame(rows)


def markdown(t: pd.DataFrame) -> str:
    lines = ["| parameter | prior | posterior mean | posterior 90% | width / prior | verdict |", "|---|---|---|---|---|---|"]
    for r in t.itertuples():
        lines.append(f"| {r.parameter} | [{r.prior_low:.3g}, {r.prior_high:.3g}] | {r.mean:.3g} | "
                     f"[{r.post_low:.3g}, {r.post_high:.3g}] | {r.width_ratio:.2f} | {r.verdict} |")
    return "\n".join(lines) + "\n"


def pair_plot(table: pd.DataFrame, prior: dict[str, tuple[float, float]], path: str | Path) -> Path:
    """pyabc's KDE matrix of the final population (1-D and 2-D marginals), axes at the prior ranges."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pyabc.visualization import plot_kde_matrix

    names = list(prior)
    axes = plot_kde_matrix(table[names], table["weight"].to_numpy(), limits=prior, height=1.6, numx=30, numy=30)
    fig = np.atleast_2d(axes)[0, 0].get_figure()
    try:
        return atomic_write(path, lambda p: fig.savefig(p, dpi=80, format="png"))
    finally:
        plt.close(fig)
