"""The per-resident reference model as an oracle for the vectorised engine.

Both call the same rules with the same common random numbers, so for one seed they should make
the same decisions. Two checks:

* with beds to spare (no contest for the last bed, the one place where batch and one-by-one
  allocation may legitimately differ) the two runs agree day by day on every metric;
* on the default county they agree on the summary metrics within a stated statistical tolerance:
  for each seed, |engine - reference| <= 3 * sqrt(2) * sigma, where sigma is the engine's
  seed-to-seed standard deviation of that metric (estimated from other seeds, floored at the
  binomial/Poisson standard error): the noise of the difference between two *independent* runs.
  Sharing random numbers makes the actual difference far smaller, so a vectorisation bug that
  moves a metric shows up. (Sampling formulas alone are not enough: in a county of a few
  thousand the tertiary hospital has three or four beds, patients queue for them and re-visit
  daily, and the visit metrics vary ten to twenty times more between seeds than binomial noise.)
"""

from __future__ import annotations

import functools
import math

import mesa
import numpy as np
import pytest
from reformsim.agents.reference import ReferenceModel, Resident
from reformsim.model.metrics import timeseries
from reformsim.model.model import CountyModel
from reformsim.model.params import Scenario, with_value

AMPLE_BEDS = {"facilities.township_beds": 4_000, "facilities.community_beds": 1_000,
              "facilities.county_beds": [150_000, 65_000], "facilities.tertiary_beds": 60_000}


def _ample_beds() -> Scenario:
    s = Scenario()
    for path, value in AMPLE_BEDS.items():
        s = with_value(s, path, value)
    return s


def _pair(scenario: Scenario | None, seed: int, population: int, days: int) -> tuple[CountyModel, ReferenceModel]:
    engine = CountyModel(scenario, rng=seed, population=population)
    reference = ReferenceModel(scenario, rng=seed, population=population)
    engine.run_days(days)
    reference.run_days(days)
    return engine, reference


def _metrics(model: CountyModel) -> dict[str, tuple[float, float]]:
    """Run totals as (value, standard error of one run): binomial for shares, Poisson for counts."""
    s = timeseries(model).sum(numeric_only=True)
    pop = float(model.res.alive[: model.res.n].sum())
    visits = np.array([s[f"visits_{t}"] for t in ("village", "township", "county", "tertiary")])
    admissions = sum(s[c] for c in s.index if c.startswith("admissions_"))

    def share(k: float, n: float) -> tuple[float, float]:
        p = k / n
        return p, math.sqrt(max(p * (1 - p), 1e-12) / n)

    def count(k: float, per: float = 1.0) -> tuple[float, float]:
        return k / per, math.sqrt(max(k, 1.0)) / per

    return {
        "primary_visit_share": share(visits[:2].sum(), visits[:3].sum()),
        "county_internal_visit_share": share(visits[:3].sum(), visits.sum()),
        "visits_per_capita": count(visits.sum(), pop),
        "admissions_per_capita": count(admissions, pop),
        "referrals_up": count(s["referrals_up"]),
        "referral_attendance": share(s["referrals_attended"], s["referral_decisions"]),
        "bypass_share": share(s["bypass"], s["first_contacts"]),
        "episodes": count(s["episodes"]),
        "deaths": count(s["deaths"]),
    }


@functools.cache
def _engine_spread(population: int, days: int, seeds: tuple[int, ...]) -> dict[str, float]:
    """Seed-to-seed standard deviation of each metric in the engine, floored at its sampling error."""
    runs = []
    for seed in seeds:
        m = CountyModel(rng=seed, population=population)
        m.run_days(days)
        runs.append(_metrics(m))
    return {k: max(float(np.std([r[k][0] for r in runs], ddof=1)), max(r[k][1] for r in runs)) for k in runs[0]}


def _assert_statistically_equal(engine: CountyModel, reference: ReferenceModel, sigma: dict[str, float]) -> None:
    a, b = _metrics(engine), _metrics(reference)
    for key, (va, _) in a.items():
        vb = b[key][0]
        tolerance = 3 * math.sqrt(2) * sigma[key]
        assert abs(va - vb) <= tolerance, f"{key}: engine {va:.4g} vs reference {vb:.4g} (tolerance {tolerance:.3g})"


def test_residents_are_mesa_agents_driven_by_their_own_step():
    m = ReferenceModel(rng=4, population=800)
    assert len(m.residents) == m.res.n
    assert all(isinstance(a, Resident) and isinstance(a, mesa.Agent) for a in m.residents[:50])
    assert len(m.agents) == m.res.n + len(m.facilities)
    m.run_days(30)
    assert m.ep.opened > 0 and m.ep.closed.sum() > 0
    assert len(m.residents) == m.res.n  # newborns get agents too
    assert abs(m.ledger.close_step()["money_residual"]) < 1e-6


def test_with_beds_to_spare_the_reference_repeats_the_engine_day_by_day():
    engine = CountyModel(_ample_beds(), rng=3, population=1_500)
    reference = ReferenceModel(_ample_beds(), rng=3, population=1_500)
    for day in range(120):
        engine.step()
        reference.step()
        a, b = engine.today.row, reference.today.row
        for key, va in a.items():
            vb = b[key]
            same = (math.isnan(va) and math.isnan(vb)) or abs(va - vb) <= 1e-9 * max(1.0, abs(va))
            assert same, f"day {day}: {key} engine {va} vs reference {vb}"
    assert engine.ep.opened == reference.ep.opened
    assert np.array_equal(engine.ep.closed, reference.ep.closed)
    assert np.array_equal(engine.res.trust, reference.res.trust)


def test_reference_agrees_with_engine_on_the_default_county():
    population, days = 2_000, 200
    engine, reference = _pair(None, seed=5, population=population, days=days)
    _assert_statistically_equal(engine, reference, _engine_spread(population, days, (11, 12, 13, 14, 15)))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reference_agrees_with_engine_over_a_year(seed: int):
    population, days = 4_000, 365
    engine, reference = _pair(None, seed=seed, population=population, days=days)
    _assert_statistically_equal(engine, reference, _engine_spread(population, days, tuple(range(10, 18))))
