"""Paired runs of a small county (6,000 residents, 300 days, seeds 1-3): a lever's tests compare
runs with and without it over the same seeds (common random numbers), so a difference comes from
the lever alone. Runs are cached, so the baselines of several tests are run once per process (a
module of its own: a name no other conftest shares)."""

from __future__ import annotations

from functools import cache

import numpy as np
from reformsim.model.metrics import summarize
from reformsim.model.model import CountyModel
from reformsim.model.params import Scenario, with_value

POP, DAYS, SEEDS = 6_000, 300, (1, 2, 3)
# moving inpatients down (下转) needs township beds: a county of 30,000 gives each township some two
# (6,000 residents leave them a third of one, never a whole free bed)
WARD_POP = 30_000


def scenario(changes: tuple = ()) -> Scenario:
    """The default scenario with (path, value) changes; tuples (hashable, for the cache) as lists."""
    s = Scenario()
    for path, value in changes:
        s = with_value(s, path, list(value) if isinstance(value, tuple) else value)
    return s


@cache
def run(changes: tuple = (), seed: int = 1, days: int = DAYS, population: int = POP) -> CountyModel:
    """A finished model for (lever changes, seed); cached so paired baselines are shared."""
    m = CountyModel(scenario(changes), rng=seed, population=population)
    m.run_days(days)
    return m


@cache
def summary(changes: tuple = (), seed: int = 1, days: int = DAYS, population: int = POP) -> dict:
    return summarize(run(changes, seed, days, population))


def paired(metric, lever: tuple, base: tuple = (), seeds=SEEDS, days: int = DAYS, population: int = POP) -> np.ndarray:
    """Per-seed differences lever − base of ``metric(model, summary)``."""
    return np.array([metric(run(base + lever, s, days, population), summary(base + lever, s, days, population))
                     - metric(run(base, s, days, population), summary(base, s, days, population)) for s in seeds])
