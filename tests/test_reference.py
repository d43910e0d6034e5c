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

import ast
import functools
import math
from pathlib import Path

import mesa
import numpy as np
import pytest
from reformsim.model import reference
from reformsim.model.metrics import timeseries
from reformsim.model.model import CountyModel
from reformsim.model.params import Scenario, TimelineEvent, with_value
from reformsim.model.reference import ReferenceModel, Resident

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
    assert not isinstance(m, CountyModel)
    assert len(m.residents) == m.res.n
    assert all(isinstance(a, Resident) and isinstance(a, mesa.Agent) for a in m.residents[:50])
    assert len(m.agents) == m.res.n + len(m.facilities)
    m.run_days(30)
    assert m.ep.opened > 0 and m.ep.closed.sum() > 0
    assert len(m.residents) == m.res.n  # newborns get agents too (in the row they live in)
    living = int(m.res.alive[: m.res.n].sum())
    assert len(m.agents_by_type[Resident]) == living == m.alive_by_scheme.sum()  # the dead leave the model
    assert abs(m.ledger.close_step()["money_residual"]) < 1e-6


# What the reference may take from ``agents``: the mechanisms' rules (scalar functions of one case,
# pure functions of the facilities' arrays and of parameters), their parameters' typed views and
# constants, and the world's data structures and builders. No stage, batch kernel or method.
ALLOWED = {
    "beds": {"ADMITTED", "BOOKED", "TURNED_AWAY", "BedParams", "admission", "booked_day", "crowding_cost", "free_beds", "likely_wait",
             "moved_discharge_day", "open_wards", "place", "rebuild_beds", "stay", "stay_terms", "ward_tables"},
    "billing": {"BillingParams", "bed_day_prices", "bed_days", "merged_readmission", "oop_tables", "provider_cost", "stay_bill",
                "stay_bill_terms", "visit_bill", "visit_kind", "visit_parts", "visit_prices"},
    "care": {"ADMIT", "REFER", "CareParams", "care_tables", "killed", "learned", "readmitted", "referral_tier", "returns",
             "treatment_works", "triaged"},
    "choice": {"ChoiceParams", "MAX_STEPS", "booking", "choice_counts", "choose_slot", "coefficients", "drift_trust",
               "cost_units", "home_pathways", "perceived_quality", "seen_at_once", "slot_tables", "treat_chances", "up_slots"},
    "contracts": {"ContractParams", "contracted"},
    "demography": {"DemographyParams", "YEAR", "birth_count", "cdf", "chronic_chances", "death_day",
                   "expected_births", "month_slot", "newborn", "person_years", "with_new_chronic"},
    "episodes": {"EpisodePool", "Outcome", "Stage"},
    "facilities": {"AGENT_CLASS", "Facility", "FacilityState"},
    "illness": {"IllnessParams", "is_emergency", "episode_rates", "onset_count", "onset_day", "onset_kind", "onset_mean", "onset_rule",
                "poisson_cdf", "season_guides",
                "rate_params", "rates_differ", "year_left"},
    "seasons": {"YEAR", "month_starts"},
    "lifetable": {"AGE_GROUPS", "age_group", "cumulative_hazard", "hazard_schedule", "period_life_expectancy"},
    # payment's rules over the world's arrays and its state (a world data structure each model keeps)
    "payment": {"PaymentParams", "PaymentState", "budget_rate", "consortium_settles", "daily_budget", "daily_premiums",
                "daily_subsidies", "dip_value", "feel_idle", "payment_responses", "public_health_shares", "start_budgets",
                "year_end"},
    "population": {"FEMALE_SHARE", "age_on", "generate_residents"},
    "queues": {"QueueParams", "open_queues", "queue_tables", "serve"},
    "staff": {"StaffParams", "monthly_flows", "restaff", "salaries", "skill", "staff_balance", "staff_tables", "trained",
              "transfer"},
    "streams": {"Streams"},
}


def test_the_reference_calls_no_engine_stage_kernel_or_private_method():
    """Issue 17: the reference shares the mechanisms' rules with the engine and nothing else.
    Every name it takes from ``agents`` (imported, or read off an imported module) is in
    ``ALLOWED``; it touches nothing private of another module and never imports the engine."""
    tree = ast.parse(Path(reference.__file__).read_text())
    modules, used = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("reformsim.model.model") for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            assert module != "reformsim.model.model" and not (node.level and module == "model"), "imports the engine"
            if module == "reformsim.agents":
                modules.update({a.asname or a.name: a.name for a in node.names})
            elif module.startswith("reformsim.agents."):
                used.update((module.rsplit(".", 1)[1], a.name) for a in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            assert not node.attr.startswith("_") or node.attr.startswith("__"), f"private: {node.attr}"
            if isinstance(node.value, ast.Name) and node.value.id in modules:
                used.add((modules[node.value.id], node.attr))
    assert used, "the check found no use of agents at all"
    outside = sorted(f"{m}.{name}" for m, name in used if name not in ALLOWED.get(m, ()))
    assert not outside, f"the reference calls {', '.join(outside)}"


def test_with_beds_to_spare_the_reference_repeats_the_engine_day_by_day():
    engine = CountyModel(_ample_beds(), rng=3, population=1_500)
    reference = ReferenceModel(_ample_beds(), rng=3, population=1_500)
    for day in range(120):
        engine.step()
        reference.step()
        a, b = engine.today.row, reference.today.row
        for key, va in a.items():
            vb = b[key]
            if key == "money_residual":  # rounding noise of each model's own order of sums
                flows = a["premiums"] + a["subsidies"] + a["oop"]
                assert max(abs(va), abs(vb)) <= 1e-9 * flows + 1e-6, f"day {day}: money not conserved"
                continue
            same = (math.isnan(va) and math.isnan(vb)) or abs(va - vb) <= 1e-9 * max(1.0, abs(va))
            assert same, f"day {day}: {key} engine {va} vs reference {vb}"
    assert engine.ep.opened == reference.ep.opened
    assert np.array_equal(engine.ep.closed, reference.ep.closed)
    assert np.array_equal(engine.res.trust, reference.res.trust)


def test_levers_on_a_timeline_act_alike_in_both_across_a_year():
    """Levers (a day-0 lever, capitation, onset rates redrawn mid-year and at the new year,
    contract rates, seniors on loan, approved posts, township staff and county beds) and the new year (chronic conditions, rows
    of the dead given to newborns, the year's onsets, contracts renewed, risk sharing) with beds to
    spare: the same runs day by day. The conservation residual is rounding noise of each model's
    own order of sums (a consortium account makes it ~1e-9 here), so each is held to zero instead."""
    events = ((0, "policy.reserved_slot_share", 0.3), (30, "payment.regime", "capitation"),
              (60, "illness.incidence_scale", 1.3), (90, "policy.contract_rate", 0.6),
              (100, "staff.transfer_seniors_to_townships", 46), (120, "staff.approved_primary_posts", 212),
              (150, "facilities.township_junior", 14.0), (200, "facilities.county_beds", [160_000.0, 70_000.0]),
              (365, "illness.incidence_scale", 1.1))
    s = _ample_beds().model_copy(update={"timeline": [TimelineEvent(day=d, path=p, value=v) for d, p, v in events]})
    engine = CountyModel(s, rng=2, population=1_500)
    reference = ReferenceModel(s, rng=2, population=1_500)
    for day in range(380):
        engine.step()
        reference.step()
        a, b = engine.today.row, reference.today.row
        for key, va in a.items():
            vb = b[key]
            if key == "money_residual":
                flows = a["premiums"] + a["subsidies"] + a["oop"]
                assert max(abs(va), abs(vb)) <= 1e-9 * flows + 1e-6, f"day {day}: money not conserved"
                continue
            same = (math.isnan(va) and math.isnan(vb)) or abs(va - vb) <= 1e-9 * max(1.0, abs(va))
            assert same, f"day {day}: {key} engine {va} vs reference {vb}"
    assert np.array_equal(engine.res.trust, reference.res.trust)
    assert np.array_equal(engine.res.chronic, reference.res.chronic)
    assert np.array_equal(engine.res.contract, reference.res.contract)
    assert np.array_equal(engine.fac.skill, reference.fac.skill)


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
