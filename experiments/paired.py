"""Paired experiments: each evidence row's two arms on the same seeds, and its effect per seed.

Both arms of a row run with the same seed, so under the model's common random numbers they
differ only where the lever changes behaviour (``compare`` relies on the same property). Arms
that several rows share — the default or the rural county, unchanged — are run once per seed:
a run is keyed by its resolved scenario, seed, horizon and population.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from reformsim.model.params import Scenario

from .evidence_file import Row, arms
from .measures import measure

RunKey = tuple[str, int, int, int | None]  # scenario hash, seed, days, population


@dataclass
class Job:
    scenario: Scenario
    seed: int
    days: int
    population: int | None
    figures: set[str] = field(default_factory=set)


@dataclass
class Plan:
    """The distinct runs of a set of rows, and for each row its (base, lever) run per seed."""

    population: int | None
    jobs: dict[RunKey, Job] = field(default_factory=dict)
    pairs: dict[str, list[tuple[RunKey | None, RunKey]]] = field(default_factory=dict)

    def add(self, scn: Scenario, seed: int, days: int, figure: str) -> RunKey:
        """A run measuring ``figure`` (merged with an equal run already planned)."""
        key = (scn.hash(), seed, days, self.population)
        self.jobs.setdefault(key, Job(scn, seed, days, self.population)).figures.add(figure)
        return key


def plan(rows: Sequence[Row], seeds: Sequence[int], population: int | None,
         patch: dict[str, Any] | None = None, patches: Sequence[dict[str, Any]] | None = None) -> Plan:
    """The runs the expressible ``rows`` need on ``seeds``.

    ``patch`` (parameter field -> value) applies to every run; ``patches`` gives one per seed
    instead (an ensemble member paired with each seed), so parameter uncertainty enters the spread.
    """
    p = Plan(population)
    for r in rows:
        if r.status != "expressible":
            continue
        assert r.experiment is not None
        days, figure = r.experiment.days, r.measure.figure
        p.pairs[r.id] = []
        for i, seed in enumerate(seeds):
            base, lever = arms(r, population, patches[i] if patches is not None else patch)
            p.pairs[r.id].append((None if base is None else p.add(base, seed, days, figure),
                                  p.add(lever, seed, days, figure)))
    return p


def run_plan(p: Plan, executor: Executor | None = None,
             progress: Callable[[int], None] | None = None) -> dict[RunKey, dict[str, float]]:
    """Every run's figures: on ``executor`` (any concurrent.futures executor), or here, in order."""
    out: dict[RunKey, dict[str, float]] = {}
    if executor is None:
        for key, j in p.jobs.items():
            out[key] = measure(j.scenario, j.seed, j.days, j.population, sorted(j.figures))
            if progress:
                progress(1)
        return out
    futures = {key: executor.submit(measure, j.scenario, j.seed, j.days, j.population, sorted(j.figures))
               for key, j in p.jobs.items()}
    for key, fut in futures.items():
        out[key] = fut.result()
        if progress:
            progress(1)
    return out


def effect(r: Row, base: float | None, lever: float) -> float:
    """The row's effect from one seed's figures (see evidence_file for the kinds)."""
    kind, m = r.measure.effect, r.measure
    if kind == "level":
        raw = lever
    elif kind == "difference":
        raw = lever - base
    elif kind == "relative":
        raw = lever / base - 1 if base else math.nan
    else:  # odds ratio of two shares
        raw = _odds(lever) / _odds(base) if 0 < base < 1 and 0 < lever < 1 else math.nan
    return raw * m.scale / m.per


def _odds(p: float) -> float:
    return p / (1 - p)


def effects(rows: Sequence[Row], p: Plan, results: dict[RunKey, dict[str, float]]) -> dict[str, np.ndarray]:
    """Per expressible row, its effect on each seed (NaN where a seed could not measure it)."""
    out = {}
    for r in rows:
        if r.id not in p.pairs:
            continue
        f = r.measure.figure
        out[r.id] = np.array([effect(r, None if b is None else results[b][f], results[lv][f]) for b, lv in p.pairs[r.id]])
    return out
