"""Small counties that run in a second or two (a module of its own: a name no other conftest shares)."""

from __future__ import annotations

from reformsim.model.model import CountyModel


def small_model(seed: int = 1, days: int = 180, population: int | None = 6_000, scenario=None) -> CountyModel:
    m = CountyModel(scenario, rng=seed, population=population)
    m.run_days(days)
    return m
