"""Provider payment (issue 19): each lever moves care through the providers' margins, in the
direction and roughly by the size of the published effects (EVIDENCE rows named in each test),
and the money of every regime adds up.

Runs are paired by seed on a small county (common random numbers): a difference between two runs
with the same seed comes from the lever alone.
"""

from __future__ import annotations

import numpy as np
import pytest
from paired import SEEDS, WARD_POP, paired, run, scenario, summary
from reformsim.model.metrics import summarize, timeseries
from reformsim.model.model import CountyModel
from reformsim.model.params import Scenario, get_path, with_value

# beds to spare everywhere: what a lever does to where patients are treated, not to who gets a bed
AMPLE_BEDS = (("facilities.township_beds", 4_000), ("facilities.community_beds", 1_000),
              ("facilities.county_beds", (150_000, 65_000)), ("facilities.tertiary_beds", 60_000))
CAPITATION = (("payment.regime", "capitation"),)
DRG = (("payment.regime", "drg"),)


def relative(metric, lever: tuple, base: tuple = (), seeds=SEEDS) -> np.ndarray:
    """Per-seed relative change of ``metric(summary)`` with the lever."""
    return np.array([metric(summary(base + lever, s)) / metric(summary(base, s)) - 1 for s in seeds])


# ---------------------------------------------------------------- drug pricing
def test_zero_markup_lowers_the_drug_share_by_a_few_points_and_is_partly_offset_by_tests():
    """EVIDENCE D1: the drug share of the bill falls (-11.7 pp in the study, tolerance 5), and
    providers make part of it up with tests, whose margin rose against the drugs'."""
    lever = (("prices.drug_markup", 0.0),)
    d = paired(lambda m, s: s["drug_share"], lever)
    assert ((d < -0.02) & (d > -0.15)).all(), d
    assert (run(lever).payment.responses.tests_visit > 1.0).all()  # tests replace drugs at every facility
    per_visit = lambda m, s: m.ledger.test.sum() / m.fac.visits_total.sum()  # noqa: E731
    assert (paired(per_visit, lever) > 0).all()


# ---------------------------------------------------------------- case payment
@pytest.mark.parametrize("regime", ["drg", "dip"])
def test_case_payment_shortens_stays_and_raises_down_referral(regime):
    """EVIDENCE Y1, Y4: a day, test or drug of a stay paid per case earns nothing more (DIP: only its
    resources' share of points), so stays shorten and recovering inpatients are sent down more."""
    lever = (("payment.regime", regime),)
    los = relative(lambda s: s["avg_length_of_stay"], lever)
    assert ((los < 0) & (los > -0.25)).all(), los
    if regime == "drg":
        assert (los < -0.05).all(), los  # the published -5..-15%
    assert (paired(lambda m, s: s["referrals_down"], lever, population=WARD_POP) > 0).all()
    assert (relative(lambda s: s["cost_per_stay"]["county"], lever) < 0).all()


def test_a_higher_drg_base_rate_raises_admissions():
    """The case's margin, not the regime's name, moves admissions: a 20% higher case rate raises
    what an admission earns, so common cases, borderline serious ones and idle beds are admitted
    more (supplier-induced, EVIDENCE S6), and the rate above the reference is not offset by target
    income. A few percent, not tens: DRG price rises of 10% add about 1% of patients, mostly
    emergencies (Norway 2003-07), and move coding more than volume (Dafny 2005); measured +1.3 to +2.8%."""
    lever = (("payment.drg_rate_level", 1.2),)
    d = relative(lambda s: s["admissions_by_tier"]["county"], lever, base=DRG)
    assert ((d > 0.003) & (d < 0.08)).all(), d
    m = run(DRG + lever)
    county = m.fac.tier == 2
    assert (m.payment.responses.admission_serious[county] > 1.0).all()
    assert (run(()).payment.responses.admission_serious == 1.0).all()  # fee-for-service as calibrated


def test_dip_under_a_floating_point_value_raises_cost_per_case_over_fixed_case_rates():
    """EVIDENCE Y2: the city paid a fixed rate per admission before DIP, and under DIP's city-wide
    budget with a floating point value cost per case rose (+6%, CI 2.5-9.3%): a day or a test of
    a stay earns its resources' share of points under DIP and nothing under a fixed rate, and the
    falling point value pushes intensity up (target income). Against fee-for-service DIP lowers
    it, as case payment does (Y1; ``test_case_payment_shortens_stays_and_raises_down_referral``)."""
    d = relative(lambda s: s["cost_per_stay_all"], (("payment.regime", "dip"),), base=DRG)
    assert ((d > 0.01) & (d < 0.4)).all(), d


def test_case_payment_and_budgets_lower_readmissions_by_a_few_points():
    """EVIDENCE Y3: 30-day readmissions -3.2 pp under DIP with merged settlement: a readmission
    earns the provider nothing (case payment) or costs its pool (a budget), so it discharges
    patients readier. Y6 finds no sign of worse quality under a budget, so capitation must not
    raise them. Measured (6,000 residents, 300 days, seeds 1-3, rates ~15% at baseline): DIP -6 to
    -9 pp (-3.0 to -3.9 pp in a second year after a fee-for-service one), capitation -2.5 to -3.4 pp."""
    for lever in (CAPITATION, (("payment.regime", "dip"),)):
        d = paired(lambda m, s: s["readmission_rate_30d"], lever)
        assert ((d < -0.01) & (d > -0.10)).all(), (lever, d)


def test_drg_pays_the_rate_less_the_copayment_at_rates_per_level_and_rebases_them_on_the_bills():
    """The fund pays the case rate less what the patient pays; rates per hospital level follow its
    own cost, so the tertiary hospital, paid per case by its city, keeps a margin; next year's rates
    follow this year's (shorter, cheaper) stays, so fund spending per county stay falls with the bills."""
    lever = DRG + (("payment.out_of_county_regime", "drg"),)
    for seed in (1, 2):
        m = run(lever, seed, 730)
        ts = timeseries(m)
        year = np.arange(len(ts)) // 365
        per_year = ts.groupby(year)[["stay_paid_county", "stays_county", "stay_cost_county"]].sum()
        paid, cost = (per_year[k] / per_year["stays_county"] for k in ("stay_paid_county", "stay_cost_county"))
        # the first year's rates are the pre-reform cost of a case, above the shorter stays' bills;
        # rebased on those bills, the fund pays less per stay than the stay is billed
        assert paid[1] < 0.9 * paid[0] and paid[1] < cost[1]
        surplus = ts["surplus_tertiary"].to_numpy()
        assert surplus[-1] - surplus[364] > 0  # the tertiary hospital's margin over the second year


# ---------------------------------------------------------------- budgets
@pytest.mark.xfail(strict=True, reason="the budget does keep cases from the tertiary hospital (its admissions -4 to -9%; "
                   "county hospitals' keep shift 0.12 -> 0.25-0.28), but in county admissions fall about as much: with beds "
                   "to spare supplier-induced demand lifts every tier's admissions 24% at baseline and the pool's thin margin "
                   "on a stay removes it for members only, and townships refer more up (keep -0.4: a county stay brings the "
                   "pool more co-payments than it costs), some of whom leave the county. On the rural default county (row "
                   "Y6) the share rises +0.35 pp on average but not on every seed: open")
def test_a_budget_that_pays_out_of_county_bills_keeps_inpatients_in_county():
    """EVIDENCE Y6: under a consortium budget the county hospitals keep cases they would have
    sent out (the budget pays for them there); with beds to spare they are admitted in county."""
    d = paired(lambda m, s: s["county_internal_inpatient_share"], CAPITATION, base=AMPLE_BEDS)
    assert (d > 0).all(), d
    m = run(AMPLE_BEDS + CAPITATION)
    assert (m.payment.responses.keep[m.fac.tier == 2] > 0).all()


def test_retention_decides_how_far_a_budget_moves_behaviour():
    """A budget set at the expected spending moves behaviour only through what the consortium keeps
    of its result: with no retention it moves far less than with full retention."""
    kept = CAPITATION
    none = CAPITATION + (("payment.capitation_retention", 0.0),)
    for metric in (lambda m, s: s["cost_per_stay"]["county"], lambda m, s: s["referrals_down"]):
        assert (np.abs(paired(metric, none, population=WARD_POP)) < np.abs(paired(metric, kept, population=WARD_POP))).all()


def test_blind_to_margins_a_regime_changes_who_pays_not_the_care():
    """With ``response_strength`` 0 no behaviour moves: every regime gives the same care, day by day."""
    blind = (("payment.response_strength", 0.0),)
    care = ("visits_", "admissions_", "stays_", "stay_days_", "referrals_up", "referrals_down", "episodes", "deaths")
    ffs = timeseries(run(blind, 1, 120, 3_000))
    for regime in ("capitation", "drg", "dip"):
        other = timeseries(run(blind + (("payment.regime", regime),), 1, 120, 3_000))
        for col in (c for c in ffs.columns if c.startswith(care)):
            assert np.array_equal(ffs[col].to_numpy(), other[col].to_numpy()), (regime, col)


NEW_LEVERS = ("payment.budget_growth", "payment.capitation_retention", "payment.consortium_cohesion",
              "payment.member_pass_through", "payment.member_rate_cap", "payment.drg_rate_level", "payment.drg_rebase",
              "payment.dip_resource_share", "payment.readmission_merge_days", "payment.response.los_elasticity",
              "payment.response.crowd_out", "policy.village_doctor_subsidy_per_year", "policy.public_health_per_resident",
              "insurance.critical_illness_ratio", "facilities.attempt_margin", "facilities.attempt_slope",
              "facilities.success_slope", "facilities.readmission_window_days", "payment.capitation_risk_width",
              "payment.min_history_days", "payment.idle_memory_days", "payment.response.serious_admission_share")


def test_setting_a_lever_to_its_current_value_changes_nothing():
    base = timeseries(run(CAPITATION, 2, 120, 3_000))
    for path in NEW_LEVERS:
        m = CountyModel(scenario(CAPITATION), rng=2, population=3_000)
        m.run_days(60)
        m.set_lever(path, get_path(m.p, path))
        m.run_days(60)
        ts = timeseries(m)
        for col in base.columns:
            assert np.array_equal(base[col].to_numpy(), ts[col].to_numpy(), equal_nan=True), (path, col)


# ---------------------------------------------------------------- money
@pytest.mark.parametrize("changes", [
    (("payment.regime", "dip"),),
    (("payment.regime", "capitation"), ("payment.consortium_pays_drg", True), ("policy.public_health_to_consortium", True)),
    (("payment.regime", "drg"), ("payment.out_of_county_regime", "drg"), ("payment.drg_rebase", 1.0)),
], ids=["dip", "capitation+drg+public-health", "drg-everywhere"])
def test_money_is_conserved_through_the_funds_personal_accounts_and_providers(changes):
    """premiums + subsidies + out of pocket = provider revenue + the change of every fund (pooled,
    personal accounts, critical illness), every day across a year end; personal accounts pay
    employees' outpatient costs and the critical-illness layer pays large stays."""
    critical = (("insurance.critical_illness_premium", 40.0), ("insurance.critical_illness_ratio", 0.6),
                ("insurance.critical_illness_threshold", 5_000.0))
    m = CountyModel(scenario(changes + critical), rng=3, population=3_000)
    worst = 0.0
    for _ in range(380):
        m.step()
        row = m.today.row
        worst = max(worst, abs(row["money_residual"]) / (row["premiums"] + row["subsidies"] + row["oop"]))
    assert worst < 1e-9
    led = m.ledger
    share = m.p.insurance.employee.personal_account_share
    assert 0 < led.personal < share * led.premiums  # paid in, and paid out
    assert led.critical < 40.0 * m.alive_by_scheme[0] * 380 / 365  # it has paid claims


# ---------------------------------------------------------------- bad settings
@pytest.mark.parametrize(("path", "value"), [
    ("payment.regime", "pay-for-performance"), ("payment.out_of_county_regime", "capitation"),
    ("payment.readmission_merge_days", -1), ("payment.capitation_per_resident", -5.0),
    ("payment.response.los_cap", 9.0), ("facilities.attempt_slope", 0.0),
])
def test_a_bad_payment_setting_is_one_line_naming_it(path, value):
    with pytest.raises(ValueError) as err:
        with_value(Scenario(), path, value)
    line = str(err.value).strip()
    assert "\n" not in line and path in line, line


# ---------------------------------------------------------------- continuity
CONTINUOUS = [
    ("payment.drg_rate_level", np.linspace(0.6, 1.4, 20), DRG),
    ("payment.response_strength", np.linspace(0.0, 1.0, 20), CAPITATION),
    ("staff.revenue_linked_pay", np.linspace(0.0, 1.0, 20), ()),
    ("payment.capitation_per_resident", np.linspace(700.0, 1_300.0, 20), CAPITATION),
    ("policy.county_support_skill", np.linspace(0.0, 0.6, 20), CAPITATION),
]


@pytest.mark.slow
@pytest.mark.parametrize(("path", "values", "base"), CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
def test_continuous_levers_move_outputs_continuously(path, values, base):
    """No knife-edge: over 20 points of a continuous lever (common random numbers), no step between
    neighbours jumps by more than a few times the typical (mean) step. Steps within a few cases'
    worth of the figure (1% of its level, 1 pp of a share) are what a 2,000-resident county resolves."""
    figures = []
    for v in values:
        m = run(base + ((path, float(v)),), 1, 200, 2_000)
        s = summarize(m)
        figures.append([s["admissions_per_capita"], s["avg_length_of_stay"], s["county_internal_inpatient_share"],
                        s["primary_visit_share"]])
    figures = np.array(figures)
    steps = np.abs(np.diff(figures, axis=0))
    resolution = np.array([0.01, 0.01, 0.0, 0.0]) * np.abs(figures).mean(axis=0) + np.array([0.0, 0.0, 0.01, 0.01])
    assert (steps.max(axis=0) <= np.maximum(8 * steps.mean(axis=0), resolution)).all(), (steps.max(axis=0), steps.mean(axis=0))
