"""Shared fixtures: small counties that run in a second or two."""

from __future__ import annotations

import pytest
from reformsim.model.metrics import timeseries
from reformsim.model.model import CountyModel


def small_model(seed: int = 1, days: int = 180, population: int = 6_000, scenario=None) -> CountyModel:
    m = CountyModel(scenario, rng=seed, population=population)
    m.run_days(days)
    return m


@pytest.fixture(scope="session")
def baseline_run():
    """One small baseline run shared by read-only tests: (model, timeseries)."""
    m = small_model(seed=3, days=400)
    return m, timeseries(m)
