"""Property-based tests: conservation, bounds and determinism hold under every lever and regime.

Hypothesis draws small counties (1–3k residents, a few townships), a payment regime and a
random timeline of lever changes (scheduled in the scenario and pulled live with
``set_lever``), runs 30–90 days and checks after every day that:

* episodes are conserved: opened = closed (all outcomes) + open, and the open flags agree;
* money is conserved: each day's ``money_residual`` is ~0 relative to that day's flows;
* staff are conserved: ``model.staff_balance`` ~ 0;
* no stock goes negative or over its limit (beds, queues, staff, the living, trust);
* every share in the time series and the summary lies in [0, 1];

and that a (scenario, seed) pair always gives the same time series.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reformsim.model.metrics import summarize, timeseries
from reformsim.model.model import CountyModel
from reformsim.model.params import TIERS, Scenario, TimelineEvent, with_value

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

share = st.floats(0.0, 1.0)
# levers a planner can pull, with valid values (paths are scenario fields; see model/params.py)
LEVERS: dict[str, st.SearchStrategy] = {
    "payment.regime": st.sampled_from(["ffs", "capitation", "drg"]),
    "payment.response_strength": share,
    "payment.capitation_per_resident": st.floats(0.0, 3000.0),
    "prices.drug_markup": share,
    "prices.service_multiplier.1": st.floats(0.2, 4.0),
    "prices.service_multiplier.2": st.floats(0.2, 4.0),
    "policy.reserved_slot_share": share,
    "policy.reserved_bed_share": share,
    "policy.contract_rate": share,
    "policy.contract_rate_key": share,
    "policy.mutual_recognition": share,
    "policy.telemedicine_skill": st.floats(0.0, 3.0),
    "policy.down_referral_base": share,
    "policy.chronic_management": share,
    "policy.post_subsidy_per_year": st.floats(0.0, 200_000.0),
    "staff.transfer_seniors_to_townships": st.integers(0, 200),
    "staff.tidal_share": share,
    "staff.approved_primary_posts": st.floats(0.0, 500.0),
    "staff.training_person_times_per_year": st.floats(0.0, 30_000.0),
    "staff.attrition_rate": share,
    "staff.pay_index.0": st.floats(0.1, 10.0),
    "staff.pay_index.1": st.floats(0.1, 10.0),
    "staff.attrition_pay_elasticity": st.floats(0.0, 5.0),
    "insurance.resident.outpatient_ratio.1": share,
    "insurance.resident.inpatient_ratio.2": share,
    "insurance.resident.no_referral_penalty": share,
    "behaviour.referral_bypass_penalty": st.floats(-5.0, 0.0),
    "behaviour.trust_social_weight": share,
    "illness.incidence_scale": st.floats(0.0, 3.0),
    # staff changes re-staff the wards (beds themselves would leave patients above a lowered ceiling)
    "facilities.county_nurses.0": st.floats(0.0, 3000.0),
    "facilities.county_senior.1": st.floats(0.0, 500.0),
    "facilities.township_junior": st.floats(0.0, 40.0),
    "facilities.tertiary_nurses": st.floats(0.0, 2000.0),
    "facilities.max_bed_wait_days": st.floats(0.0, 60.0),
    "facilities.crowding_skill_loss": st.floats(0.0, 10.0),
}


@st.composite
def lever_change(draw, days: int) -> tuple[int, str, object]:
    """(day, path, value): one lever pulled on one day of the run."""
    path = draw(st.sampled_from(sorted(LEVERS)))
    return draw(st.integers(0, days - 1)), path, draw(LEVERS[path])


@st.composite
def scenarios(draw) -> tuple[Scenario, int, int, list[tuple[int, str, object]]]:
    """(scenario with a scheduled timeline, seed, days, live lever changes) for a small county."""
    days = draw(st.integers(30, 90))
    scn = Scenario()
    for path, value in (
        ("county.population", draw(st.integers(1_000, 3_000))),
        ("county.townships", draw(st.integers(1, 4))),
        ("county.villages_per_township", draw(st.integers(1, 5))),
        ("county.urban_share", draw(st.floats(0.0, 0.9))),
        ("county.mountain_share", draw(share)),
        ("payment.regime", draw(st.sampled_from(["ffs", "capitation", "drg"]))),
    ):
        scn = with_value(scn, path, value)
    events = draw(st.lists(lever_change(days), max_size=4))
    scn = scn.model_copy(update={"timeline": [TimelineEvent(day=d, path=p, value=v) for d, p, v in events]})
    live = draw(st.lists(lever_change(days), max_size=3))
    return scn, draw(st.integers(0, 2**31 - 1)), days, sorted(live, key=lambda e: e[0])


def run_checked(scn: Scenario, seed: int, days: int, live: list[tuple[int, str, object]]) -> CountyModel:
    """Run day by day, pulling ``live`` levers on their days and checking stocks after each day."""
    m = CountyModel(scn, rng=seed)
    pending = list(live)
    for day in range(days):
        while pending and pending[0][0] == day:
            _, path, value = pending.pop(0)
            m.set_lever(path, value)
        m.step()
        check_stocks(m)
    return m


def check_stocks(m: CountyModel) -> None:
    """Conservation and bounds of the model's state at the end of a day."""
    f, e, r = m.fac, m.ep, m.res
    assert e.opened == e.closed.sum() + e.n_open, "episodes opened != closed + open"
    assert e.n_open == int(e.open.sum()), "open-episode count disagrees with open flags"
    # a day's stages run once: an episode left due today or earlier would never be taken up again
    assert (e.due[e.open] > m.day).all(), "an open episode is due on a day already run"
    assert (e.closed >= 0).all() and e.n_open >= 0
    assert abs(m.staff_balance) <= 1e-6 * max(m.staff.initial, 1.0), f"staff not conserved: {m.staff_balance}"
    assert (f.occupied >= -1e-9).all() and (f.occupied_priority >= -1e-9).all(), "negative bed occupancy"
    ceiling = f.beds * (1 + m.p.facilities.extra_bed_share)  # extra beds (加床) for emergencies
    assert (f.occupied + f.occupied_priority <= ceiling + 1e-9).all(), "more beds occupied than beds and extra beds"
    assert (f.waiting >= -1e-9).all() and (f.waiting_priority >= -1e-9).all(), "negative waiting list"
    listed = e.open & (e.listed_day >= 0)
    assert np.array_equal(np.bincount(e.facility[listed], minlength=len(f.tier)), f.waiting + f.waiting_priority), \
        "waiting lists disagree with the patients on them"
    assert (f.backlog >= 0).all() and (f.backlog_priority >= 0).all(), "negative queue"
    for cadre in ("senior", "junior", "nurses", "village_doctors"):
        assert (getattr(f, cadre) >= -1e-9).all(), f"negative {cadre} staff"
    assert np.isfinite(f.revenue).all() and np.isfinite(f.cost).all()
    alive = r.alive[: r.n]
    assert (m.alive_by_scheme >= 0).all()
    # the capitation budget and premiums are paid on these counts
    assert np.array_equal(m.alive_by_scheme, np.bincount(r.scheme[: r.n][alive], minlength=2)), \
        "living residents by scheme disagree with alive flags"
    trust = r.trust[: r.n]
    assert ((trust >= 0) & (trust <= 1)).all(), "trust outside [0, 1]"
    # a living resident's open episode points back at them; the dead have none
    ep_of = r.episode[: r.n]
    assert (ep_of[~alive] < 0).all(), "a dead resident still has an open episode"
    assert not r.contract[: r.n][~alive].any(), "a dead resident still holds a family-doctor contract"
    assert m.contract_count == np.count_nonzero(r.contract[: r.n]), "the kept count of contracts disagrees with the flags"
    linked = ep_of[ep_of >= 0]
    assert e.open[linked].all() and len(linked) == e.n_open, "resident/episode links broken"
    # episodes carry copies of their resident's fixed attributes
    for name in ("home", "scheme", "income"):
        assert np.array_equal(getattr(e, name)[linked], getattr(r, name)[: r.n][ep_of >= 0]), f"episode {name} is stale"


SHARE_COLUMNS = ("primary_visit_share", "county_internal_visit_share", "county_internal_inpatient_share", "contract_rate")


def check_series(ts: pd.DataFrame, extra_beds: float) -> None:
    """Daily money conservation and share bounds in the time series; occupancy up to the extra
    beds (加床) allowed above the beds."""
    flows = ts[["premiums", "subsidies", "oop"]].abs().sum(axis=1) + ts["provider_revenue"].abs() + ts["fund_change"].abs()
    # the residual is a difference of running totals, so allow rounding relative to the fund too
    scale = flows + 1e-9 * ts["fund_balance"].abs() + 1.0
    assert (ts["money_residual"].abs() <= 1e-6 * scale).all(), "money not conserved on some day"
    for col in SHARE_COLUMNS:
        v = ts[col].dropna()
        assert ((v >= 0) & (v <= 1 + 1e-9)).all(), f"{col} outside [0, 1]"
    for t in TIERS:
        v = ts[f"occupancy_{t}"]
        assert ((v >= 0) & (v <= 1 + extra_beds + 1e-9)).all(), f"occupancy_{t} outside [0, 1 + extra beds]"
    for col in ("alive", "episodes_open", "deaths", "births", *(f"staff_{t}" for t in TIERS)):
        assert (ts[col] >= 0).all(), f"negative {col}"


def check_summary(summary: dict, extra_beds: float) -> None:
    """Every share and rate in the summary lies in [0, 1] (NaN when its denominator is empty),
    occupancy up to the extra beds."""
    # (two_week_visit_rate is visits per person in 14 days, not a share: NHSS definition)
    scalars = ("primary_visit_share", "county_internal_visit_share", "county_internal_inpatient_share",
               "referral_attendance", "bypass_share", "oop_share", "drug_share",
               "service_revenue_share", "revisit_rate", "contract_rate")
    values = [(k, summary[k]) for k in scalars] + [(f"turnaway_share.{t}", v) for t, v in summary["turnaway_share"].items()]
    for key, v in values:
        assert math.isnan(v) or 0.0 <= v <= 1.0 + 1e-9, f"{key} = {v} outside [0, 1]"
    for t, v in summary["bed_occupancy"].items():
        assert 0.0 <= v <= 1.0 + extra_beds + 1e-9, f"bed_occupancy.{t} = {v} outside [0, 1 + extra beds]"
    assert all(math.isnan(w) or w >= 0 for w in summary["bed_wait_days"].values())
    assert summary["deaths"] >= 0 and summary["population"] >= 0
    assert math.isnan(summary["two_week_visit_rate"]) or summary["two_week_visit_rate"] >= 0
    assert all(w >= 0 for w in summary["mean_wait_days"].values())


@SETTINGS
@given(scenarios())
def test_invariants_hold_under_random_levers(case) -> None:
    """Conservation and bounds hold every day of a small county under random levers and regimes."""
    scn, seed, days, live = case
    m = run_checked(scn, seed, days, live)
    ts = timeseries(m)
    assert len(ts) == days
    check_series(ts, m.p.facilities.extra_bed_share)
    check_summary(summarize(m, ts), m.p.facilities.extra_bed_share)


@settings(max_examples=8, deadline=None)
@given(scenarios())
def test_same_seed_same_run(case) -> None:
    """A (scenario, seed) pair is a pure function: two runs give identical time series."""
    scn, seed, days, live = case
    days = min(days, 45)
    a = timeseries(run_checked(scn, seed, days, live))
    b = timeseries(run_checked(scn, seed, days, live))
    pd.testing.assert_frame_equal(a, b)


CORNERS = {
    "low": {"staff.attrition_rate": 1.0, "staff.pay_index": [0.1] * 4, "staff.attrition_pay_elasticity": 5.0,
            "policy.reserved_slot_share": 1.0, "policy.reserved_bed_share": 1.0, "facilities.township_beds": 0.0,
            "prices.service_multiplier": [0.0] * 4, "illness.incidence_scale": 20.0, "staff.tidal_share": 1.0,
            "staff.tidal_months": list(range(1, 13)), "facilities.acute_fraction": 1.0},
    "high": {"staff.pay_index": [10.0] * 4, "staff.approved_primary_posts": 1e6, "staff.transfer_seniors_to_townships": 2000,
             "policy.contract_rate": 1.0, "policy.contract_rate_key": 1.0, "policy.down_referral_base": 1.0,
             "insurance.resident.inpatient_ratio": [1.0] * 4, "insurance.resident.outpatient_ratio": [1.0] * 4,
             "policy.telemedicine_skill": 1e3, "illness.incidence_scale": 0.0},
}


@pytest.mark.parametrize("regime", ["ffs", "capitation", "drg"])
@pytest.mark.parametrize("corner", sorted(CORNERS))
def test_invariants_at_extreme_levers(corner: str, regime: str) -> None:
    """Every lever at the edge of its valid range at once: still conserved, still within bounds."""
    scn = Scenario()
    for path, value in (("county.population", 1500), ("county.townships", 2), ("payment.regime", regime),
                        *CORNERS[corner].items()):
        scn = with_value(scn, path, value)
    m = run_checked(scn, 11, 62, [])
    ts = timeseries(m)
    check_series(ts, m.p.facilities.extra_bed_share)
    check_summary(summarize(m, ts), m.p.facilities.extra_bed_share)


@pytest.mark.parametrize("regime", ["ffs", "capitation", "drg"])
def test_invariants_across_year_end(regime: str) -> None:
    """The year boundary (new onsets, chronic incidence, capitation risk sharing) keeps the books."""
    scn = Scenario()
    for path, value in (("payment.regime", regime), ("county.townships", 2), ("county.population", 1500)):
        scn = with_value(scn, path, value)
    m = run_checked(scn, 7, 372, [(200, "policy.reserved_bed_share", 0.25), (300, "staff.transfer_seniors_to_townships", 5)])
    ts = timeseries(m)
    check_series(ts, m.p.facilities.extra_bed_share)
    check_summary(summarize(m, ts), m.p.facilities.extra_bed_share)
    assert ts["episodes_opened"].iloc[-1] > ts["episodes_opened"].iloc[364], "no onsets drawn for year 2"


def test_no_episode_waits_for_ever() -> None:
    """Every episode ends or gives up within a bounded time, even when beds are all reserved."""
    scn = with_value(with_value(Scenario(), "county.population", 5000), "policy.reserved_bed_share", 1.0)
    m = CountyModel(scn, rng=1)
    m.run_days(150)
    e = m.ep
    open_ids = np.flatnonzero(e.open)
    assert (m.day - e.start[open_ids]).max(initial=0) <= 60, "an episode has been open for over 60 days"
    assert e.visits[open_ids].max(initial=0) <= 30, "an open episode has been billed over 30 visits"
