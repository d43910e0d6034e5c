"""``reformsim calibrate``: fit the baseline's free parameters to observed figures."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from reformsim.model.scenario import load_scenario
from tqdm import tqdm

from .calibrate import (
    calibrate,
    fitted_toml,
    load_spec,
    no_fit,
    plot_report,
    report,
    report_markdown,
    validate_fit,
)
from .cli import days_from_years, output_folder, positive_float, positive_int
from .io import atomic_write, write_json

REPORT_SEED_OFFSET = 1000  # out-of-sample seeds for the report: 1001, 1002, ...


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="fit behaviour parameters to observed figures; write fitted.toml and a report")
    p.add_argument("--targets", default=None, help="targets TOML (default: the built-in experiments/targets/default.toml)")
    p.add_argument("--scenario", default="baseline", help="scenario to start from (default: baseline)")
    p.add_argument("--budget", type=positive_int, default=50, help="model evaluations (each runs every seed; default 50)")
    p.add_argument("--seeds", type=positive_int, default=2, help="seeds per evaluation, common random numbers (default 2)")
    p.add_argument("--report-seeds", type=positive_int, default=4, help="fresh seeds for the fitted point's report (default 4)")
    p.add_argument("--population", type=positive_int, default=50_000, help="residents in the scaled county (default 50,000)")
    p.add_argument("--years", type=positive_float, default=1.0, help="simulated years per run (default 1)")
    p.add_argument("--out", default="runs/calibration", help="output folder (default runs/calibration)")
    p.add_argument("--plots", default=None, help="folder for the PNGs (default OUT/img)")
    p.add_argument("--no-fit", action="store_true",
                   help="only validate: run the scenario as it is on the report seeds, write the report and plots")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    base = load_scenario(args.scenario)
    spec = load_spec(args.targets, base)
    days = days_from_years(args.years, minimum=30)  # the figures need at least a month
    out = output_folder(args.out)
    seeds = list(range(1, args.seeds + 1))
    report_seeds = [REPORT_SEED_OFFSET + i for i in range(1, args.report_seeds + 1)]
    if args.no_fit:
        with tqdm(total=1, desc="validation run", disable=args.quiet):
            fit = no_fit(spec, base, seeds=report_seeds, days=days, population=args.population)
        return _write(args, out, fit, fit.best)
    with tqdm(total=args.budget, unit="eval", disable=args.quiet, desc="calibrate") as bar:
        best = [float("inf")]

        def progress(ev) -> None:
            best[0] = min(best[0], ev.loss)
            bar.update(1)
            bar.set_postfix(loss=f"{ev.loss:.3g}", best=f"{best[0]:.3g}")

        fit = calibrate(spec, base, seeds=seeds, days=days, population=args.population, budget=args.budget,
                        progress=progress)
    with tqdm(total=1, desc="report run", disable=args.quiet):
        final = validate_fit(fit, report_seeds)
    return _write(args, out, fit, final)


def _write(args: argparse.Namespace, out: Path, fit, final) -> int:
    """fitted.toml (when fitted), report.json, report.md and the plots."""
    rep = report(fit, final)
    command = "reformsim " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[0].endswith("reformsim") \
        else "reformsim calibrate"
    rep["command"] = command
    if rep["fitted"]:
        atomic_write(out / "fitted.toml", lambda p: p.write_text(fitted_toml(fit, command), encoding="utf-8"))
    write_json(out / "report.json", rep)
    md = report_markdown(rep)
    atomic_write(out / "report.md", lambda p: p.write_text(md, encoding="utf-8"))
    plot_report(rep, Path(args.plots) if args.plots else out / "img")
    print(md)
    print(f"wrote {out}/{'fitted.toml, ' if rep['fitted'] else ''}report.json, report.md and plots")
    return 0
