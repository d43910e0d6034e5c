"""``reformsim infer``: ABC-SMC to the baseline levels and the training evidence; writes an ensemble."""

from __future__ import annotations

import argparse
import os

from reformsim.model.scenario import dump_scenario, load_scenario

from .backends import BACKENDS, BackendError, open_executor
from .calibrate import load_spec
from .cli import UsageError, output_folder, positive_int
from .ensemble import apply, write_ensemble
from .evidence_file import load_evidence
from .identifiability import markdown, pair_plot, widths
from .io import atomic_write, write_parquet


def default_priors() -> str:
    from importlib import resources

    return str(resources.files("reformsim.experiments.targets") / "infer.toml")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("infer", help="calibration with uncertainty (ABC-SMC, pyabc): levels + training effects -> an ensemble")
    p.add_argument("--targets", default=None, help="levels and priors TOML (default: the built-in experiments/targets/infer.toml)")
    p.add_argument("--evidence", default=None, help="evidence TOML whose training rows are fitted (default: built-in)")
    p.add_argument("--scenario", default="baseline", help="scenario the parameters patch (default: baseline)")
    p.add_argument("--particles", type=positive_int, default=60, help="ABC population size = ensemble size (default 60)")
    p.add_argument("--generations", type=positive_int, default=4, help="SMC generations at most (default 4)")
    p.add_argument("--max-simulations", type=positive_int, default=800, help="particles simulated at most (default 800)")
    p.add_argument("--population", type=positive_int, default=8_000, help="residents of the scaled county (default 8,000)")
    p.add_argument("--backend", choices=[b for b in BACKENDS if b != "ray"], default="local",
                   help="local process pool (default), serial or dask")
    p.add_argument("--workers", type=positive_int, default=None, help="parallel particles (default: CPU count)")
    p.add_argument("--address", default=None, help="scheduler address of an existing Dask cluster")
    p.add_argument("--seed", type=positive_int, default=1, help="seed of the sampler's own draws (default 1)")
    p.add_argument("--out", default="runs/infer", help="output folder (default runs/infer)")
    p.set_defaults(func=cmd_infer)


def cmd_infer(args: argparse.Namespace) -> int:
    from .infer import infer

    base = load_scenario(args.scenario)
    spec = load_spec(args.targets or default_priors(), base)
    if not spec.parameters:
        raise UsageError(f"{spec.source}: no [parameters.NAME] tables: nothing to infer")
    rows = [r for r in load_evidence(args.evidence) if r.role == "training" and r.status == "expressible"]
    out = output_folder(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # pyabc writes its history as it goes: into a temporary database, renamed over abc.db at the end,
    # so an interrupted run leaves the last finished run's database as it was
    db = out / ".abc.db.tmp"
    db.unlink(missing_ok=True)
    try:
        with open_executor(args.backend, args.workers, args.address) as (pool, slots):
            post = infer(spec, base, rows, population=args.population,
                         executor=None if args.backend == "serial" else pool, slots=slots, particles=args.particles,
                         generations=args.generations, max_simulations=args.max_simulations, db=db, rng_seed=args.seed)
    except BackendError as exc:
        raise UsageError(str(exc)) from None
    os.replace(db, out / "abc.db")
    ident = widths(post.table, post.prior)
    central = post.ensemble.central()
    header = (f"ABC-SMC (pyabc) to {len(spec.targets)} levels and training rows {', '.join(r.id for r in rows)}\n"
              f"{len(post.ensemble.members)} particles, {len(post.history)} generations, "
              f"{int(post.history.simulations.sum())} simulations, {post.seconds:.0f} s, {args.population} residents\n"
              f"central member: {central + 1}")
    central_scn = apply(base, post.ensemble.members[central].set).model_copy(
        update={"name": f"{base.name}-central", "description": f"{base.description} (central member of {out / 'ensemble.toml'})"})
    central_text = f"# The ensemble's central member (reformsim infer)\n{dump_scenario(central_scn)}"
    written = [write_ensemble(post.ensemble, out / "ensemble.toml", header),
               atomic_write(out / "central.toml", lambda p: p.write_text(central_text, encoding="utf-8")),
               write_parquet(out / "posterior.parquet", post.table),
               atomic_write(out / "generations.csv", lambda p: post.history.to_csv(p, index=False)),
               atomic_write(out / "identifiability.csv", lambda p: ident.to_csv(p, index=False)),
               atomic_write(out / "identifiability.md", lambda p: p.write_text(markdown(ident), encoding="utf-8")),
               pair_plot(post.table, post.prior, out / "pairs.png")]
    print(header)
    print(post.history.to_string(index=False))
    print(markdown(ident))
    print(f"wrote {', '.join(str(w) for w in written)}")
    return 0
