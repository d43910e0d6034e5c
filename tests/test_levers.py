"""Every reform lever moves outcomes the documented way, through its mechanism.

Each test runs a small county (6,000 residents, 300 days) with and without the lever over the same seeds
(common random numbers), so differences are paired by seed. Levers are set as scenario fields from
day 0 unless a test is about timing.
"""

from __future__ import annotations

import numpy as np
import pytest
from paired import DAYS, POP, WARD_POP, paired, run, scenario
from reformsim.agents.billing import visit_prices
from reformsim.model.model import CountyModel
from reformsim.model.params import Scenario, TimelineEvent, with_value

# a county whose hospitals have a queue (few outpatient slots per doctor), so waiting matters
CONGESTED = (("facilities.visits_per_doctor_day", (30.0, 16.0, 4.0, 4.0)),)


def township_skill(m: CountyModel) -> float:
    return float(m.fac.skill[m.county.kind == "township"].mean())


def tier_sum(m: CountyModel, field: str, tier: int) -> float:
    return float(getattr(m.fac, field)[m.fac.tier == tier].sum())


# ---------------------------------------------------------------- staff
def test_transfers_raise_township_capability_and_primary_share_and_lower_county_capacity():
    lever = (("staff.transfer_seniors_to_townships", 46),)  # seed 000
    assert (paired(lambda m, s: township_skill(m), lever) > 0.1).all()
    assert (paired(lambda m, s: tier_sum(m, "capacity", 2), lever) < 0).all()
    assert (paired(lambda m, s: s["primary_visit_share"], lever) > 0).all()
    m = run(lever, 1)
    assert m.staff_balance == pytest.approx(0.0, abs=1e-6)
    on_loan = m.fac.loan[m.county.kind == "township"].sum()
    assert on_loan == pytest.approx(-m.fac.loan[m.fac.tier == 2].sum())  # every lent doctor is somewhere
    assert on_loan == pytest.approx(46 * m.scale)  # the seed's count, scaled to the county's size


def test_transfer_capability_ramps_in_after_the_posting_date():
    s = scenario((("staff.transfer_skill_lag_days", 60),))
    s = s.model_copy(update={"timeline": [TimelineEvent(day=30, path="staff.transfer_seniors_to_townships", value=46)]})
    m = CountyModel(s, rng=1, population=5_000)
    skill = []
    for _ in range(130):
        m.step()
        skill.append(township_skill(m))
    assert skill[20] == pytest.approx(skill[0])  # nothing before the posting date
    assert skill[0] < skill[60] < skill[120]  # part-way through the lag, then the full gain
    assert skill[120] == pytest.approx(skill[100])


def test_short_postings_cost_capability_at_each_handover():
    def mean_skill(term: int) -> float:
        s = scenario((("staff.transfer_seniors_to_townships", 46), ("staff.transfer_term_days", term),
                      ("staff.transfer_skill_lag_days", 60)))
        m = CountyModel(s, rng=1, population=2_500)
        skill = []
        for _ in range(300):
            m.step()
            skill.append(township_skill(m))
        return float(np.mean(skill[60:]))

    assert mean_skill(90) < mean_skill(365)


def test_training_raises_township_skill_after_its_lag():
    lever = (("staff.training_person_times_per_year", 5439.0), ("staff.training_lag_days", 60))  # seed 000
    early = paired(lambda m, s: township_skill(m), lever, seeds=(1,), days=45)
    late = paired(lambda m, s: township_skill(m), lever, seeds=(1,), days=200)
    assert early[0] == pytest.approx(0.0)
    assert late[0] > 0


def test_recruitment_fills_approved_posts_at_townships():
    lever = (("staff.approved_primary_posts", 212.0), ("staff.recruitment_years", 3.0))  # seed 000
    m0, m1 = run((), 1, 125), run(lever, 1, 125)
    towns = m1.county.kind == "township"
    added = m1.fac.junior[towns].sum() - m0.fac.junior[towns].sum()
    assert added == pytest.approx(212 * m1.scale / 36 * 4, rel=0.05)  # four monthly intakes
    assert m1.staff_balance == pytest.approx(0.0, abs=1e-6)


def test_higher_pay_lowers_attrition():
    lever = (("staff.pay_index", (1.3, 1.3, 1.3, 1.3)),)  # 两个允许: pay ceilings raised
    m0, m1 = run((), 1, 125), run(lever, 1, 125)
    assert m1.staff.left < m0.staff.left
    assert m1.fac.staff.sum() > m0.fac.staff.sum()


def test_tidal_deployment_moves_juniors_to_townships_in_peak_months_and_back():
    lever = (("staff.tidal_share", 0.2), ("staff.tidal_months", (2,)))
    s = scenario(lever)
    m, m0 = CountyModel(s, rng=1, population=5_000), CountyModel(Scenario(), rng=1, population=5_000)
    towns = m.county.kind == "township"
    m.run_days(32)  # day 31 starts month 2 (the peak)
    m0.run_days(32)
    assert m.fac.junior[towns].sum() > m0.fac.junior[towns].sum() + 0.1
    assert tier_sum(m, "capacity", 2) < tier_sum(m0, "capacity", 2)
    m.run_days(28)  # day 59 starts month 3: back home
    m0.run_days(28)
    assert m.fac.tidal[towns].sum() == pytest.approx(0.0, abs=1e-9)
    assert m.staff_balance == pytest.approx(0.0, abs=1e-6)


# ---------------------------------------------------------------- prices
def test_zero_markup_lowers_drug_revenue():
    lever = (("prices.drug_markup", 0.0),)
    assert (paired(lambda m, s: m.ledger.drug.sum(), lever) < 0).all()
    assert (paired(lambda m, s: s["drug_share"], lever) < 0).all()


@pytest.mark.parametrize("shares", [(0.8, 0.1, 0.1), (0.5, 0.3, 0.2)])
def test_lost_markup_is_made_up_in_the_configured_shares(shares):
    """With price-blind residents and providers that ignore their margins (the substitution
    response is tested in tests/test_payment.py) care is identical, so the money moves exactly as configured."""
    base = (("behaviour.beta_cost", 0.0), ("prices.markup_compensation", shares), ("payment.response_strength", 0.0))
    lever = (("prices.drug_markup", 0.0),)
    m0, m1 = run(base, 1, 90), run(base + lever, 1, 90)
    lost = m0.ledger.drug.sum() - m1.ledger.drug.sum()
    assert lost > 0
    assert m1.ledger.service.sum() - m0.ledger.service.sum() == pytest.approx(shares[0] * lost, rel=1e-6)
    assert m1.ledger.subsidies - m0.ledger.subsidies == pytest.approx(shares[1] * lost, rel=1e-6)
    # internal savings lower providers' costs by the rest
    assert m0.fac.cost.sum() - m1.fac.cost.sum() > 0


def test_markup_removed_by_tier_cuts_only_those_tiers_drug_prices():
    """Seed 003's essential-medicines zero mark-up is village and township care's; one number is every tier's."""
    primary = with_value(Scenario(), "prices.drug_markup", [0.0, 0.0, 0.15, 0.15]).prices
    every = with_value(Scenario(), "prices.drug_markup", 0.0).prices
    base, cut, all_cut = visit_prices(Scenario().prices), visit_prices(primary), visit_prices(every)
    assert (cut.drug[:2] < base.drug[:2]).all() and np.array_equal(cut.drug[2:], base.drug[2:])
    assert np.array_equal(all_cut.drug[:2], cut.drug[:2]) and (all_cut.drug[2:] < base.drug[2:]).all()
    assert every.drug_markup == [0.0] * 4


def test_price_multipliers_scale_their_part_of_the_bill():
    p = Scenario().prices
    up = with_value(Scenario(), "prices.test_multiplier", [1.0, 1.0, 0.5, 0.5]).prices
    base, cut = visit_prices(p), visit_prices(up)
    assert np.allclose(cut.test[2:], 0.5 * base.test[2:]) and np.allclose(cut.test[:2], base.test[:2])
    assert np.allclose(cut.service, base.service) and np.allclose(cut.drug, base.drug)


# ---------------------------------------------------------------- insurance
def test_each_reimbursement_change_reaches_the_costs_residents_weigh_the_next_day():
    """The choice keeps its out-of-pocket table until prices or cover change: every change, one
    after another, must rebuild it."""
    m = CountyModel(Scenario(), rng=1, population=3_000)
    m.run_days(2)
    seen = [m.care_seeking.pathways()[2].copy()]
    for ratio in (0.9, 0.3, 0.6):
        m.set_lever("insurance.resident.outpatient_ratio.2", ratio)
        m.run_days(1)
        costs = m.care_seeking.pathways()[2]
        assert not any(np.array_equal(costs, before) for before in seen), ratio
        seen.append(costs.copy())


def test_wider_reimbursement_gap_raises_primary_share():
    lever = (("insurance.resident.outpatient_ratio", (0.75, 0.7, 0.2, 0.1)),)  # primary 70-75%, hospitals 10-20%
    assert (paired(lambda m, s: s["primary_visit_share"], lever) > 0).all()


@pytest.mark.slow
def test_lower_ratio_without_referral_raises_primary_share():
    lever = (("insurance.resident.no_referral_penalty", 0.3),)
    assert paired(lambda m, s: s["primary_visit_share"], lever).mean() > 0


# ---------------------------------------------------------------- payment
@pytest.mark.parametrize("regime", ["capitation", pytest.param("drg", marks=pytest.mark.slow)])
def test_prospective_payment_lowers_cost_per_admission_and_raises_down_referral(regime):
    lever = (("payment.regime", regime),)
    assert (paired(lambda m, s: s["cost_per_stay"]["county"], lever) < 0).all()
    assert (paired(lambda m, s: s["referrals_down"], lever, population=WARD_POP) > 0).all()
    los = paired(lambda m, s: s["avg_length_of_stay"], lever)
    if regime == "drg":
        assert (los < 0).all()
    else:
        # under a budget a county hospital weighs a day's margin partly through the pool (its stake):
        # its stays shorten by a few percent, within seed noise of the whole county's mean stay
        m = run(lever, 1)
        assert (m.payment.responses.los[m.fac.tier == 2] < 0.99).all() and los.mean() < 0


def test_salaried_doctors_order_fewer_tests():
    lever = (("staff.revenue_linked_pay", 0.0),)  # seed 004 Sanming: post-based annual salary
    per_visit = lambda m, s: m.ledger.test.sum() / max(m.ledger.service.sum(), 1)  # noqa: E731
    assert (paired(per_visit, lever, seeds=(1,)) < 0).all()


# ---------------------------------------------------------------- access
def test_reserved_capacity_raises_attendance_of_referrals():
    lever = (("policy.reserved_slot_share", 1 / 3), ("policy.reserved_bed_share", 0.25))  # seed 002
    # contracted residents referred up never wait longer than the others, and in a congested
    # county wait less at the hospitals that keep slots for them
    m = CountyModel(scenario(CONGESTED + lever), rng=1, population=POP)
    q, hospital = m.queues, m.fac.tier >= 2
    shorter = 0
    for _ in range(DAYS):
        m.step()
        assert (q.wait_priority <= q.wait_general + 1e-12).all()
        shorter += q.wait_priority[hospital].sum() < q.wait_general[hospital].sum()
    assert shorter > 0  # on the days the tertiary queue binds (the effect on referrals: tests/test_capacity_effects.py)


CONTRACTS = (("policy.contract_rate", 0.3985), ("policy.contract_rate_key", 0.7308))  # seed 003


def test_contracting_reaches_the_overall_and_key_population_rates():
    m = run(CONTRACTS, 1, 2)
    r = m.res
    alive = r.alive[: r.n]
    key = ((r.age(m.day) >= 65) | (r.chronic[: r.n] > 0)) & alive
    assert r.contract[: r.n][alive].mean() == pytest.approx(0.3985, abs=0.02)
    assert r.contract[: r.n][key].mean() == pytest.approx(0.7308, abs=0.03)


@pytest.mark.slow
def test_contracting_raises_primary_share():
    assert (paired(lambda m, s: s["primary_visit_share"], CONTRACTS, seeds=(1, 2)) > 0).all()


@pytest.mark.slow
def test_telemedicine_raises_township_capability_and_primary_share():
    lever = (("policy.telemedicine_skill", 0.3),)
    assert (paired(lambda m, s: township_skill(m), lever, seeds=(1,)) == pytest.approx(0.3))
    assert (paired(lambda m, s: s["primary_visit_share"], lever, seeds=(1, 2)) > 0).all()


def test_mutual_recognition_lowers_test_spending():
    lever = (("policy.mutual_recognition", 0.8),)
    assert (paired(lambda m, s: m.ledger.test.sum(), lever, seeds=(1,), days=120) < 0).all()


def test_tertiary_support_and_central_townships_raise_capability_where_aimed():
    lever = (("policy.county_support_skill", 0.3), ("policy.central_townships", 2))  # seed 004 Guangdong
    m0, m1 = run((), 1, 5), run(lever, 1, 5)
    diff = m1.fac.skill - m0.fac.skill
    county = m1.fac.tier == 2
    assert np.allclose(diff[county], 0.3)
    assert int((diff[m1.county.kind == "township"] > 0).sum()) == 2
    assert np.allclose(diff[(m1.fac.tier != 2) & ~m1.staff.central], 0.0)


def test_subsidies_flow_per_post_and_to_secondary_hospitals():
    # providers blind to their margins: the flows alone (subsidy crowd-out is tested in tests/test_payment.py)
    blind = (("payment.response_strength", 0.0),)
    lever = (("policy.post_subsidy_per_year", 120_000.0), ("policy.secondary_fixed_subsidy", 40_000_000.0))
    m0, m1 = run(blind, 1, 30), run(blind + lever, 1, 30)
    assert m1.ledger.subsidies > m0.ledger.subsidies
    county = m1.fac.tier == 2
    assert m1.fac.revenue[county].sum() - m0.fac.revenue[county].sum() == pytest.approx(
        20_000_000 * m1.scale * 30 / 365, rel=1e-6)


# ---------------------------------------------------------------- conservation
@pytest.mark.parametrize("changes", [
    (("payment.regime", "ffs"),),
    (("payment.regime", "capitation"),),
    (("payment.regime", "capitation"), ("payment.consortium_pays_drg", True)),
    (("payment.regime", "drg"), ("payment.drg_from_tier", 2)),
], ids=["ffs", "capitation", "capitation+drg", "drg"])
def test_episodes_money_and_staff_are_conserved_under_every_regime(changes):
    lever = changes + (("staff.transfer_seniors_to_townships", 46), ("staff.tidal_share", 0.1),
                       ("staff.approved_primary_posts", 212.0), ("prices.drug_markup", 0.0))
    m = CountyModel(scenario(lever), rng=2, population=4_000)
    residual = 0.0
    for _ in range(380):  # past a year end, where capitation's risk sharing settles
        m.step()
        residual = max(residual, abs(m.today.row["money_residual"]))
    assert residual < 1e-3
    assert m.staff_balance == pytest.approx(0.0, abs=1e-6)
    assert int(m.ep.open.sum()) == m.ep.n_open == m.ep.opened - m.ep.closed.sum()
    r = m.res
    assert int((r.episode[: r.n] >= 0).sum()) == m.ep.n_open  # every open episode has its resident


def _daily_episodes(timeline: list[tuple[int, str, float]], days: int = 200, seed: int = 4) -> np.ndarray:
    s = Scenario(timeline=[TimelineEvent(day=d, path=p, value=v) for d, p, v in timeline])
    m = CountyModel(s, rng=seed, population=3_000)
    m.run_days(days)
    return np.asarray(m.datacollector.model_vars["episodes"])


def test_a_mid_year_rise_in_illness_raises_onsets_from_that_day():
    """Onsets are drawn a year ahead; a change of their rates redraws the rest of the year, so
    the change takes effect on its day, not at the next new year."""
    base = _daily_episodes([])
    twice = 2 * Scenario().illness.incidence_scale
    doubled = _daily_episodes([(100, "illness.incidence_scale", twice)])
    assert np.array_equal(doubled[:100], base[:100])  # nothing changes before the day
    assert doubled[100:].sum() > 1.6 * base[100:].sum()  # twice the onsets; open episodes absorb some
    # set between steps (the live visual), it takes effect from the next day
    m = CountyModel(rng=4, population=3_000)
    m.run_days(100)
    m.set_lever("illness.incidence_scale", twice)
    m.run_days(100)
    assert np.array_equal(np.asarray(m.datacollector.model_vars["episodes"]), doubled)


def test_a_lever_that_leaves_onset_rates_alone_leaves_the_onsets_alone():
    """Common random numbers: the year's onset list is redrawn only when onset rates change."""
    def onset_list(*changes) -> tuple:
        m = CountyModel(rng=4, population=3_000)
        m.run_days(100)
        for path, value in changes:
            m.set_lever(path, value)
        m.run_days(20)
        return m.illness.year_start, m.illness.year_onsets, m.illness.year_bounds

    start, onsets, bounds = onset_list()
    for changes in ([("illness.admission_need", [0.001, 0.02, 0.35, 0.7])], [("illness.incidence_scale", Scenario().illness.incidence_scale)]):
        again = onset_list(*changes)
        assert again[0] == start == 0  # not redrawn: the list drawn at the new year stands
        assert np.array_equal(again[1], onsets) and np.array_equal(again[2], bounds), changes
    assert onset_list(("illness.incidence_scale", 2.0))[0] == 100  # redrawn from the next day
