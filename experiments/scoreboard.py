"""The evidence scoreboard: each published effect beside the simulated one, and a verdict.

Per row: the simulated effect's mean over seeds with its 90% t-interval (``compare.mean_interval``),
whether its sign matches the published one, whether it falls within the published range, and one
line saying so. Rules, written once here:

- *sign*: the published direction, or the sign of the point against no effect (0, or 1 for an odds
  ratio). A ``"0"`` direction (a null finding) matches when the simulated mean is within the
  row's tolerance of no effect. Levels (a seed's reported share) have no sign.
- *range*: the published interval, else the point ± the row's tolerance; the simulated *mean* must
  fall inside it (not merely its seed interval). Rows with only a direction have no range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .compare import mean_interval
from .evidence_file import Row
from .io import atomic_write, write_parquet

EDGE = 6.0  # the forest plot's half-width, in published half-ranges
ROLE_LABEL = {"training": "in-sample (training)", "held_out": "out-of-sample (held out)", "check": "seed-reported check"}


def published_range(r: Row) -> tuple[float, float] | None:
    p = r.published
    if p.low is not None:
        return p.low, p.high
    if p.point is not None and p.tolerance is not None:
        return p.point - p.tolerance, p.point + p.tolerance
    return None


def published_sign(r: Row) -> float | None:
    """+1 / -1 / 0 (a null finding); None for a level."""
    p = r.published
    if p.direction is not None:
        return {"+": 1.0, "-": -1.0, "0": 0.0}[p.direction]
    if r.measure.effect == "level" or p.point is None:
        return None
    return float(np.sign(p.point - r.reference))


def judge(r: Row, values: np.ndarray | None) -> dict:
    """One scoreboard row: published, simulated (mean, 90% interval over seeds), sign, range, verdict."""
    p = r.published
    rng = published_range(r)
    out = {"id": r.id, "role": r.role, "status": r.status, "figure": r.measure.figure, "effect": r.measure.effect,
           "published": p.text, "point": p.point, "low": rng[0] if rng else math.nan, "high": rng[1] if rng else math.nan,
           "direction": p.direction or "", "citation": r.citation, "note": r.note or r.missing,
           "mean": math.nan, "lo": math.nan, "hi": math.nan, "seeds": 0, "sign_match": None, "within": None}
    if values is None:
        out["verdict"] = f"not expressible yet: needs {r.missing}"
        return out
    finite = values[np.isfinite(values)]
    mean, lo, hi = mean_interval(values)
    out.update(mean=mean, lo=lo, hi=hi, seeds=int(len(finite)))
    if not len(finite):
        out["verdict"] = "no seed could measure it (the subgroup or figure was empty)"
        return out
    sign = published_sign(r)
    if sign == 0.0:
        tol = p.tolerance if p.tolerance is not None else 0.0
        out["sign_match"] = bool(abs(mean - r.reference) <= tol)
    elif sign is not None:
        out["sign_match"] = bool(np.sign(mean - r.reference) == sign)
    if rng is not None:
        out["within"] = bool(rng[0] <= mean <= rng[1])
    out["verdict"] = _verdict(out, rng, sign)
    return out


def _verdict(o: dict, rng: tuple[float, float] | None, sign: float | None) -> str:
    sim = f"{o['mean']:.3g} [{o['lo']:.3g}, {o['hi']:.3g}]"
    where = f"published {rng[0]:.3g} to {rng[1]:.3g}" if rng else "published direction only"
    if o["sign_match"] is False:
        return f"wrong sign: simulated {sim}, {where}"
    lead = "right sign" if o["sign_match"] else ("a level" if sign is None else "")
    if o["within"] is None:
        return f"{lead}: simulated {sim} ({where})"
    if o["within"]:
        return f"{lead}, within range: simulated {sim}, {where}".lstrip(", ")
    side = "too small" if (o["point"] is not None and abs(o["mean"]) < abs(o["point"])) else "too large"
    if sign is None or sign == 0.0:
        side = "below the range" if o["mean"] < rng[0] else "above the range"
    return f"{lead}, {side}: simulated {sim}, {where}".lstrip(", ")


def scoreboard(rows: Sequence[Row], effects: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame([judge(r, effects.get(r.id)) for r in rows])


def counts(board: pd.DataFrame) -> pd.DataFrame:
    """Per role: rows, expressible rows, sign matches / signed rows, within range / ranged rows."""
    out = []
    for role in ("training", "held_out", "check"):
        g = board[board.role == role]
        ran = g[g.seeds > 0]
        signed = ran[ran.sign_match.notna()]
        ranged = ran[ran.within.notna()]
        out.append({"role": role, "rows": len(g), "run": len(ran),
                    "sign_match": int(signed.sign_match.astype(bool).sum()), "signed": len(signed),
                    "within": int(ranged.within.astype(bool).sum()), "ranged": len(ranged)})
    return pd.DataFrame(out)


def _mark(v) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else ("yes" if v else "no")


def _num(x: float) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


def markdown(board: pd.DataFrame, header: str = "") -> str:
    """The scoreboard as Markdown: counts per role, then one table per role."""
    c = counts(board)
    lines = [header, ""] if header else []
    lines += ["| role | rows | run | sign matches | within range |", "|---|---|---|---|---|"]
    for x in c.itertuples():
        lines.append(f"| {ROLE_LABEL[x.role]} | {x.rows} | {x.run} | {x.sign_match} of {x.signed} | {x.within} of {x.ranged} |")
    for role in ("training", "held_out", "check"):
        g = board[board.role == role]
        if g.empty:
            continue
        lines += ["", f"### {ROLE_LABEL[role].capitalize()}", "",
                  "| id | published | range | simulated [90% CI] | sign | within | verdict |", "|---|---|---|---|---|---|---|"]
        for r in g.itertuples():
            rng = f"{_num(r.low)} to {_num(r.high)}" if not math.isnan(r.low) else (r.direction or "")
            sim = f"{_num(r.mean)} [{_num(r.lo)}, {_num(r.hi)}]" if r.seeds else "–"
            lines.append(f"| {r.id} | {r.published} | {rng} | {sim} | {_mark(r.sign_match)} | {_mark(r.within)} | {r.verdict} |")
    return "\n".join(lines) + "\n"


def plot(board: pd.DataFrame, path: str | Path) -> Path:
    """Forest plot on a common scale: each effect minus the published point, in units of the
    published half-range (the band from -1 to 1 is the published interval); rows with only a
    direction are drawn by sign (+1 or -1 where the simulated effect points)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = board[board.seeds > 0].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(g) + 1.6))
    colours = {"training": "tab:blue", "held_out": "tab:orange", "check": "tab:green"}
    for i, r in enumerate(g.itertuples()):
        y = len(g) - i
        if not math.isnan(r.low):
            centre = r.point if r.point is not None and not math.isnan(r.point) else (r.low + r.high) / 2
            half = max((r.high - r.low) / 2, 1e-12)
            ax.plot([(r.low - centre) / half, (r.high - centre) / half], [y, y], color="0.75", lw=6, solid_capstyle="butt")
            x, lo, hi = ((v - centre) / half for v in (r.mean, r.lo, r.hi))
        else:  # direction only: where the simulated effect points, against the published direction
            ref = 1.0 if r.effect == "odds_ratio" else 0.0
            want = {"+": 1.0, "-": -1.0, "0": 0.0}[r.direction]
            ax.plot([want], [y], marker="|", color="0.5", ms=12)
            x = lo = hi = float(np.sign(r.mean - ref))
        # beyond the axis a row is drawn at its edge as an arrowhead pointing out
        cx, clo, chi = (float(np.clip(v, -EDGE, EDGE)) for v in (x, lo, hi))
        marker = "o" if cx == x else (">" if x > 0 else "<")
        ax.errorbar([cx], [y], xerr=[[max(cx - clo, 0)], [max(chi - cx, 0)]], fmt=marker, color=colours[r.role], ms=5,
                    capsize=2)
    ax.axvline(0, color="0.4", lw=0.8, ls=":")
    ax.set_yticks(range(len(g), 0, -1), [f"{r.id} ({r.role.replace('_', '-')})" for r in g.itertuples()], fontsize=7)
    ax.set_xlim(-EDGE - 0.5, EDGE + 0.5)
    ax.set_xlabel("(simulated − published) / published half-range   (grey: the published range)")
    ax.set_title("Evidence scoreboard: simulated effects (90% seed interval) against published ones", fontsize=9)
    for role, c in colours.items():
        ax.plot([], [], "o", color=c, label=ROLE_LABEL[role])
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    try:
        return atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    finally:
        plt.close(fig)


def write(board: pd.DataFrame, out: str | Path, header: str = "") -> list[Path]:
    """scoreboard.csv, scoreboard.parquet, scoreboard.md and scoreboard.png under ``out``."""
    out = Path(out)
    flat = board.assign(sign_match=board.sign_match.map(_mark), within=board.within.map(_mark))
    return [atomic_write(out / "scoreboard.csv", lambda p: flat.to_csv(p, index=False)),
            write_parquet(out / "scoreboard.parquet", flat),
            atomic_write(out / "scoreboard.md", lambda p: p.write_text(markdown(board, header), encoding="utf-8")),
            plot(board, out / "scoreboard.png")]
