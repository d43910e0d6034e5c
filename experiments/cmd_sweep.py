"""``reformsim sweep`` (run a sweep spec, resumable) and ``reformsim analyze`` (sensitivity indices)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .backends import BACKENDS, BackendError, open_executor
from .cli import UsageError, positive_float, positive_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="run a parameter sweep from a TOML spec (re-run the same command to resume)",
                       description="Run every run of a sweep spec, writing batched Parquet parts under --out. "
                                   "Running it again skips finished runs and retries failed ones.")
    p.add_argument("spec", help="sweep spec (TOML); see experiments/sweeps/example.toml")
    p.add_argument("--out", required=True, help="results folder (created, or resumed if it holds this sweep)")
    p.add_argument("--backend", choices=BACKENDS, default="local",
                   help="local process pool (default), serial (this process), dask or ray")
    p.add_argument("--workers", type=positive_int, default=None, help="parallel runs (default: CPU count)")
    p.add_argument("--address", default=None, help="scheduler address of an existing Dask or Ray cluster")
    p.add_argument("--flush-every", type=positive_int, default=32,
                   help="write a Parquet part every N finished runs (default 32) ...")
    p.add_argument("--flush-seconds", type=positive_float, default=30.0,
                   help="... or every S seconds, whichever comes first (default 30)")
    p.add_argument("--limit", type=positive_int, default=None, help="start at most N unfinished runs, then stop")
    p.add_argument("--ensemble", default=None,
                   help="an ensemble file from `reformsim infer`: each replication seed runs with the member it draws")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)

    a = sub.add_parser("analyze", help="sensitivity indices of a sweep's outputs (table + PNG)")
    a.add_argument("dir", help="a sweep results folder")
    a.add_argument("--method", choices=("sobol", "morris", "delta", "rbd_fast"), default=None,
                   help="SALib analyser (default: the one matching the design; rbd_fast for latin/factorial)")
    a.add_argument("--targets", default=None, help="comma-separated summary columns (default: the spec's [analysis] targets)")
    a.add_argument("--conf", type=float, default=0.95, help="confidence level of the intervals (default 0.95)")
    a.add_argument("--resamples", type=positive_int, default=100, help="bootstrap resamples for the intervals (default 100)")
    a.add_argument("--no-plot", action="store_true", help="skip the PNG")
    a.set_defaults(func=cmd_analyze)


def cmd_sweep(args: argparse.Namespace) -> int:
    from .ensemble import load_ensemble
    from .sweep import load_spec, run_sweep, with_ensemble

    spec = load_spec(args.spec)
    if args.ensemble:
        spec = with_ensemble(spec, load_ensemble(args.ensemble))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    try:
        with open_executor(args.backend, args.workers, args.address) as (executor, slots):
            report = run_sweep(spec, out, executor, slots, backend=args.backend, flush_every=args.flush_every,
                               flush_seconds=args.flush_seconds, limit=args.limit, progress=not args.quiet)
    except BackendError as exc:
        raise UsageError(str(exc)) from None
    print(f"{spec.name}: {report.done} runs done now, {report.already_done} before, {report.failed} failed, "
          f"{report.not_run} not started, of {report.n_runs} ({report.seconds:.1f} s) -> {out}")
    for line in report.errors[:5]:
        print(f"  failed {line}", file=sys.stderr)
    if report.failed:
        print(f"{report.failed} runs failed (see {out}/manifest.jsonl); run the same command again to retry them",
              file=sys.stderr)
        return 1
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from .analyze import DEFAULT_METHOD, analyze_sweep, format_table, plot
    from .io import atomic_write, read_json

    out = Path(args.dir)
    if not (0 < args.conf < 1):
        raise UsageError(f"--conf must be between 0 and 1, got {args.conf}")
    targets = [t.strip() for t in args.targets.split(",") if t.strip()] if args.targets else None
    method = args.method or DEFAULT_METHOD[read_json(out / "sweep.json")["design"]]
    table, warnings = analyze_sweep(out, method, targets, args.conf, args.resamples)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if table.empty:
        raise UsageError("no target could be analysed (see warnings above)")
    print(format_table(table, method))
    csv = atomic_write(out / "analysis" / f"sensitivity_{method}.csv", lambda p: table.to_csv(p, index=False))
    print(f"wrote {csv}")
    if not args.no_plot:
        print(f"wrote {plot(table, method, out / 'analysis' / f'sensitivity_{method}.png')}")
    return 0
