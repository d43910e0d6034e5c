"""``reformsim compare``: scenarios over the same seeds, with paired differences from the first."""

from __future__ import annotations

import argparse

from reformsim.model.scenario import load_scenario
from tqdm import tqdm

from .cli import UsageError, days_from_years, output_folder, positive_float, positive_int
from .compare import compare, format_comparison, write_comparison
from .ensemble import load_ensemble


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare", help="run scenarios over the same seeds; print targets and paired differences; write a plot",
        description="Run each scenario with the same seeds (common random numbers), print the targets and key "
                    "metrics (mean and 90% interval) with the paired difference from the first scenario, and "
                    "write comparison.parquet, targets_over_time.parquet and targets.png.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="built-in names or TOML files; the first is the reference")
    p.add_argument("--seeds", type=positive_int, default=5, help="seeds 1..N, shared by every scenario (default 5)")
    p.add_argument("--years", type=positive_float, default=5.0, help="simulated years (default 5)")
    p.add_argument("--population", type=positive_int, default=None, help="scale the generated county to N residents")
    p.add_argument("--workers", type=positive_int, default=1, help="runs in parallel processes (default 1)")
    p.add_argument("--ensemble", default=None,
                   help="an ensemble file from `reformsim infer`: each seed runs every scenario with the member it "
                        "draws, so intervals include parameter uncertainty as well as seed noise")
    p.add_argument("--out", default="runs/compare", help="output folder (default runs/compare)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    if len(args.scenarios) < 2:
        raise UsageError("compare needs at least two scenarios (the first is the reference)")
    scenarios = [load_scenario(s) for s in args.scenarios]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise UsageError(f"scenario names repeat ({', '.join(names)}): give each file a distinct name")
    days = days_from_years(args.years)
    out = output_folder(args.out)
    seeds = list(range(1, args.seeds + 1))
    members = None
    if args.ensemble:
        ens = load_ensemble(args.ensemble)
        members = ens.draw(seeds)
        drawn = sorted({ens.member_for(s) + 1 for s in seeds})
        print(f"ensemble {args.ensemble}: {len(ens.members)} members; seeds drew members {drawn} "
              f"(intervals: seed noise and parameter uncertainty)")
    with tqdm(total=len(scenarios) * len(seeds), unit="run", disable=args.quiet, desc="compare") as bar:
        comp = compare(scenarios, seeds, days, args.population, args.workers, bar.update, members)
    print(format_comparison(comp))
    written = write_comparison(comp, out)
    print(f"wrote {', '.join(str(p) for p in written)}")
    return 0
