"""Calibration with uncertainty: ABC-SMC (pyabc) to the baseline levels and the training effects.

Why ABC-SMC with pyabc: the model has no likelihood, a particle costs a few seconds, and the
machine has two cores. pyabc is maintained, runs on Python 3.12 and pandas 2, needs no GPU (``sbi``
needs torch, and a neural posterior needs thousands of simulations to train), and its
``ConcurrentFutureSampler`` takes any ``concurrent.futures`` executor — so particles run on the
project's own backends (``backends.open_executor``: local processes or a Dask cluster). History
matching would need an emulator fitted and checked by hand at every wave.

One particle = one draw of the free parameters (uniform priors, ``[parameters.*]`` of the targets
file) run on one seed: the baseline (for the levels) and both arms of every training row (for the
effects), paired on that seed. The seed is drawn per particle from the parameters themselves, so
a particle is reproducible while the tolerance has to cover seed noise as well — the posterior
then carries both. Summary statistics are the levels and the training effects; the distance is
the Euclidean norm of their errors, each in units of its tolerance (levels: ``tolerance``; effects:
the published half-range), weighted by ``sqrt(weight)``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from reformsim.model.params import Scenario, get_path

from .calibrate import CalibrationError, Spec, scenario_at
from .ensemble import Ensemble, Member
from .evidence_file import Row
from .paired import effects, plan, run_plan
from .scoreboard import published_range

YEAR = 365
SEED_SPACE = 2**31 - 1


@dataclass(frozen=True)
class Observation:
    """A summary statistic: its observed value and the error counted as one unit of distance."""

    name: str
    value: float
    scale: float
    weight: float = 1.0


def observations(spec: Spec, rows: Sequence[Row]) -> list[Observation]:
    """The levels of ``spec`` and the training rows' published effects (their points, half-ranges)."""
    obs = [Observation(t.name, t.value, t.scale, t.weight) for t in spec.targets]
    for r in rows:
        rng = published_range(r)
        if r.status != "expressible" or rng is None or r.published.point is None:
            raise CalibrationError(f"training row {r.id} needs a published point and a range to be fitted")
        obs.append(Observation(r.id, r.published.point, max((rng[1] - rng[0]) / 2, 1e-12)))
    return obs


def resolved_fields(spec: Spec, base: Scenario, x: Sequence[float]) -> dict[str, Any]:
    """The scenario fields a parameter vector sets (a patch for any scenario)."""
    scn = scenario_at(spec, base, list(x))
    fields: dict[str, Any] = {}
    for p in spec.parameters:
        for path in p.paths:
            fields[path] = get_path(scn, path)
    return fields


class Simulator:
    """pyabc's model: parameters -> summary statistics, for one particle on one seed.

    Picklable (cloudpickle sends it to spawned or remote workers with each generation).
    """

    def __init__(self, spec: Spec, base: Scenario, rows: Sequence[Row], population: int | None, days: int = YEAR):
        self.spec, self.base, self.rows, self.population, self.days = spec, base, list(rows), population, days
        self.names = [p.name for p in spec.parameters]

    def seed(self, x: Sequence[float]) -> int:
        """A seed from the parameter values: reproducible per particle, different across particles."""
        digest = hashlib.sha256(np.asarray(x, dtype=float).tobytes()).digest()
        return int.from_bytes(digest[:4], "little") % SEED_SPACE

    def __call__(self, par: dict) -> dict[str, float]:
        x = [float(par[n]) for n in self.names]
        return self.statistics(x, self.seed(x))

    def statistics(self, x: Sequence[float], seed: int) -> dict[str, float]:
        patch = resolved_fields(self.spec, self.base, x)
        p = plan(self.rows, [seed], self.population, patch=patch)
        levels = p.add(scenario_at(self.spec, self.base, list(x)), seed, self.days, self.spec.targets[0].name)
        for t in self.spec.targets:
            p.jobs[levels].figures.add(t.name)
        results = run_plan(p)
        stats = {t.name: results[levels][t.name] for t in self.spec.targets}
        stats.update({rid: float(v[0]) for rid, v in effects(self.rows, p, results).items()})
        return {k: (v if math.isfinite(v) else 1e6) for k, v in stats.items()}  # a figure it could not measure fails


@dataclass
class Posterior:
    ensemble: Ensemble
    table: pd.DataFrame  # the final population: parameters, weight, distance
    history: pd.DataFrame  # per generation: epsilon, particles, simulations, acceptance
    prior: dict[str, tuple[float, float]]
    seconds: float


def infer(spec: Spec, base: Scenario, rows: Sequence[Row], *, population: int | None, executor: Executor | None,
          slots: int, particles: int, generations: int, max_simulations: int, db: str | Path,
          days: int = YEAR, rng_seed: int = 0) -> Posterior:
    """Run ABC-SMC and return the final population as a weighted ensemble."""
    import time

    import pyabc

    obs = observations(spec, rows)
    prior = {p.name: (p.lower, p.upper) for p in spec.parameters}
    dist = pyabc.Distribution(**{n: pyabc.RV("uniform", lo, hi - lo) for n, (lo, hi) in prior.items()})
    distance = pyabc.PNormDistance(p=2, fixed_weights={o.name: math.sqrt(o.weight) / o.scale for o in obs})
    if executor is None:
        sampler = pyabc.SingleCoreSampler()
    else:
        sampler = pyabc.sampler.ConcurrentFutureSampler(executor, client_max_jobs=slots)
    np.random.seed(rng_seed)  # pyabc's prior draws and perturbations use NumPy's global generator
    abc = pyabc.ABCSMC(Simulator(spec, base, rows, population, days), dist, distance, population_size=particles,
                       sampler=sampler)
    abc.new(f"sqlite:///{Path(db).resolve()}", {o.name: o.value for o in obs})
    t0 = time.perf_counter()
    history = abc.run(max_nr_populations=generations, max_total_nr_simulations=max_simulations)
    seconds = time.perf_counter() - t0
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    frame = frame[[p.name for p in spec.parameters]]
    pops = history.get_all_populations()
    pops = pops[pops.t >= 0].rename(columns={"samples": "simulations"})
    members = [Member(weight=float(w), values={n: float(v) for n, v in row.items()},
                      set=resolved_fields(spec, base, list(row.to_numpy(dtype=float))))
               for (_, row), w in zip(frame.iterrows(), weights, strict=True)]
    table = frame.assign(weight=weights / weights.sum()).reset_index(drop=True)
    ens = Ensemble([p.name for p in spec.parameters], members, source=str(spec.source))
    return Posterior(ens, table, pops.reset_index(drop=True), prior, seconds)
