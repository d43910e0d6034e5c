"""``reformsim run``, ``reformsim scenarios`` and ``reformsim show``."""

from __future__ import annotations

import argparse

from reformsim.model.metrics import targets_table
from reformsim.model.params import with_value
from reformsim.model.scenario import builtin_names, dump_scenario, load_scenario
from tqdm import tqdm

from .cli import UsageError, days_from_years, output_folder, positive_float, positive_int, seed_int
from .runner import run, write_run

TARGET_LABELS = {
    "primary_visit_share": "Primary-care visit share (基层就诊率)",
    "county_internal_visit_share": "County-internal visit share (县域内就诊率)",
    "life_expectancy": "Life expectancy (人均预期寿命)",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run one scenario and write summary.json, timeseries.parquet, facilities.parquet")
    p.add_argument("--scenario", default="baseline", help="built-in name or TOML file (default: baseline)")
    p.add_argument("--years", type=positive_float, default=5.0, help="simulated years (default 5)")
    p.add_argument("--seed", type=seed_int, default=1)
    p.add_argument("--population", type=positive_int, default=None, help="scale the generated county to N residents")
    p.add_argument("--out", default="runs/latest", help="output folder (default runs/latest)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    s = sub.add_parser("scenarios", help="list the built-in scenarios")
    s.set_defaults(func=cmd_scenarios)

    sh = sub.add_parser("show", help="print a scenario's fully resolved parameters as TOML")
    sh.add_argument("scenario")
    sh.set_defaults(func=cmd_show)


def format_targets(summary: dict) -> str:
    lines = [f"{'target':48} {'value':>8} {'target':>8}  met"]
    for key, value, threshold, met in targets_table(summary):
        pct = key != "life_expectancy"
        fmt = (lambda x: f"{100 * x:7.1f}%") if pct else (lambda x: f"{x:8.1f}")
        lines.append(f"{TARGET_LABELS[key]:48} {fmt(value)} {'≥' + fmt(threshold).strip():>8}  {'yes' if met else 'no'}")
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    days = days_from_years(args.years)
    if args.population is not None:
        try:
            scenario = with_value(scenario, "county.population", args.population)
        except ValueError as exc:
            raise UsageError(f"--population {args.population}: {str(exc).split(': ', 2)[-1]}") from None
    out = output_folder(args.out)
    out.mkdir(parents=True, exist_ok=True)  # fail now, not after the simulation, if it cannot be made
    with tqdm(total=days, unit="day", disable=args.quiet, desc=scenario.name) as bar:
        result = run(scenario, args.seed, days, None, bar.update)
    write_run(result, out)
    print(format_targets(result.summary))
    print(f"wrote {out}/summary.json, timeseries.parquet, facilities.parquet")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    for name in builtin_names():
        s = load_scenario(name)
        print(f"{name:24} {s.description}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    print(dump_scenario(load_scenario(args.scenario)), end="")
    return 0
