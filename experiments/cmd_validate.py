"""``reformsim validate``: the evidence scoreboard — every expressible evidence row as a paired experiment."""

from __future__ import annotations

import argparse
import time

from tqdm import tqdm

from .backends import open_executor
from .cli import UsageError, output_folder, positive_int
from .ensemble import load_ensemble
from .evidence_file import load_evidence
from .paired import effects, plan, run_plan
from .scoreboard import counts, markdown, scoreboard, write

# --quick: few seeds, a few minutes on 2 cores; the full run: twice the seeds. Both on 20,000
# residents: a county scaled below that has less than one staffed bed a township, so rows that
# need patients moved down (下转) or a township admission would measure whole-bed noise
QUICK = {"seeds": 3, "population": 20_000}
FULL = {"seeds": 6, "population": 20_000}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="the evidence scoreboard: published reform effects beside simulated ones")
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK['seeds']} seeds on a {QUICK['population']:,}-resident county (a few minutes on 2 cores)")
    p.add_argument("--seeds", type=positive_int, default=None, help=f"seeds per row (default {FULL['seeds']})")
    p.add_argument("--population", type=positive_int, default=None,
                   help=f"residents of the scaled county (default {FULL['population']:,})")
    p.add_argument("--evidence", default=None, help="evidence TOML (default: the built-in experiments/evidence/evidence.toml)")
    p.add_argument("--rows", default=None, help="comma-separated row ids to run (default: all)")
    p.add_argument("--ensemble", default=None, help="an ensemble file from `reformsim infer`: one member per seed")
    p.add_argument("--workers", type=positive_int, default=None, help="parallel runs (default: CPU count)")
    p.add_argument("--out", default="runs/validate", help="output folder (default runs/validate)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    size = QUICK if args.quick else FULL
    n_seeds, population = args.seeds or size["seeds"], args.population or size["population"]
    out = output_folder(args.out)
    rows = load_evidence(args.evidence)
    if args.rows:
        wanted = [x.strip() for x in args.rows.split(",") if x.strip()]
        unknown = sorted(set(wanted) - {r.id for r in rows})
        if unknown:
            raise UsageError(f"--rows: unknown row '{unknown[0]}'")
        rows = [r for r in rows if r.id in wanted]
    seeds = list(range(1, n_seeds + 1))
    patches = load_ensemble(args.ensemble).draw(seeds) if args.ensemble else None
    p = plan(rows, seeds, population, patches=patches)
    t0 = time.perf_counter()
    with open_executor("local", args.workers) as (pool, _), \
            tqdm(total=len(p.jobs), unit="run", disable=args.quiet, desc="validate") as bar:
        results = run_plan(p, pool, bar.update)
    table = scoreboard(rows, effects(rows, p, results))
    ens = f" · ensemble {args.ensemble}" if args.ensemble else ""
    header = (f"Scoreboard: {len(seeds)} seeds · {population:,} residents · {len(p.jobs)} runs in "
              f"{time.perf_counter() - t0:.0f} s{ens}")
    print(markdown(table, header))
    written = write(table, out, header)
    c = counts(table)
    held, train = c.set_index("role").loc["held_out"], c.set_index("role").loc["training"]
    print(f"sign matches: in-sample {train.sign_match}/{train.signed}, out-of-sample {held.sign_match}/{held.signed}; "
          f"within range: in-sample {train.within}/{train.ranged}, out-of-sample {held.within}/{held.ranged}")
    print(f"wrote {', '.join(str(w) for w in written)}")
    return 0
