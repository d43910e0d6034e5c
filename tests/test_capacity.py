"""Inpatient capacity and the levers that change it (issue 18): what a county builds once is refused
on a timeline; hospital and township staff and beds change on it, staff conserved.

Directions are paired by seed (common random numbers) on small counties.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from reformsim.model.metrics import summarize, timeseries
from reformsim.model.model import CountyModel
from reformsim.model.params import BUILD_TIME, ESTABLISHMENT, Scenario, TimelineEvent, with_value


def listed(value):
    """A value as a scenario takes it: tuples (hashable, for the cached runs below) as lists."""
    return list(value) if isinstance(value, tuple) else value


def with_values(changes: tuple) -> Scenario:
    s = Scenario()
    for path, value in changes:
        s = with_value(s, path, listed(value))
    return s


def timeline(*events: tuple[int, str, object], base: Scenario | None = None) -> Scenario:
    s = base or Scenario()
    return s.model_copy(update={"timeline": [TimelineEvent(day=d, path=p, value=listed(v)) for d, p, v in events]})


# ---------------------------------------------------------------- build-time fields
@pytest.mark.parametrize("path", [*(f for f in BUILD_TIME if f != "county"), "county.townships", "county.population",
                                  "population.initial_trust.0"])
def test_a_field_fixed_when_the_county_is_built_is_refused_on_a_timeline(path):
    value = {"county.townships": 3, "county.population": 5_000}.get(path) or Scenario().model_dump()
    if not path.startswith("county."):
        for part in path.split("."):
            value = value[int(part)] if isinstance(value, list) else value[part]
    with pytest.raises(ValueError, match=f"timeline path '{path}': fixed when the county is built"):
        Scenario.model_validate({"timeline": [{"day": 10, "path": path, "value": value}]})
    m = CountyModel(rng=1, population=1_000)
    with pytest.raises(ValueError, match="fixed when the county is built"):
        m.set_lever(path, value)


def test_staff_and_beds_are_levers_on_a_generated_county_but_not_on_a_facilities_csv(tmp_path):
    for path in ESTABLISHMENT:
        Scenario.model_validate({"timeline": [{"day": 10, "path": path, "value": [3.0, 2.0] if "county_" in path else 3.0}]})
    csv = with_value(Scenario(), "county.facilities_csv", str(tmp_path / "f.csv")).model_dump()
    with pytest.raises(ValueError, match="a facilities CSV gives"):
        Scenario.model_validate(csv | {"timeline": [{"day": 10, "path": "facilities.tertiary_beds", "value": 9.0}]})


# ---------------------------------------------------------------- establishment on a timeline
def test_hiring_and_closing_on_a_timeline_moves_staff_and_beds_by_the_scaled_difference_conserving_staff():
    f0 = Scenario().facilities
    plus = lambda v, d: [v[0] + d[0], v[1] + d[1]]  # noqa: E731
    s = timeline((40, "facilities.county_nurses", plus(f0.county_nurses, (150, 60))),
                 (40, "facilities.county_senior", plus(f0.county_senior, (20, 0))),
                 (40, "facilities.township_junior", f0.township_junior - 2), (40, "facilities.county_beds", plus(f0.county_beds, (300, 0))))
    m, m0 = CountyModel(s, rng=2, population=5_000), CountyModel(rng=2, population=5_000)
    m.run_days(40)
    m0.run_days(40)
    county, towns = m.fac.tier == 2, m.county.kind == "township"
    assert np.array_equal(m.fac.beds, m0.fac.beds) and np.array_equal(m.fac.nurses, m0.fac.nurses)  # nothing before the day
    m.run_days(1)
    m0.run_days(1)
    k = m.scale
    kt = k * 15 / m.p.county.townships
    assert m.fac.beds[county] - m0.fac.beds[county] == pytest.approx([300 * k, 0.0])
    assert m.fac.nurses[county] - m0.fac.nurses[county] == pytest.approx([150 * k, 60 * k])
    assert m.fac.senior[county] - m0.fac.senior[county] == pytest.approx([20 * k, 0.0])
    assert m.fac.junior[towns] - m0.fac.junior[towns] == pytest.approx(np.full(towns.sum(), -2 * kt))
    assert m.staff.hired - m0.staff.hired == pytest.approx((150 + 60 + 20) * k)
    assert m.staff.left - m0.staff.left == pytest.approx(2 * kt * towns.sum())
    assert m.staff_balance == pytest.approx(0.0, abs=1e-6)
    m.run_days(100)
    assert m.staff_balance == pytest.approx(0.0, abs=1e-6)


# ---------------------------------------------------------------- the wards
SEEDS = (1, 2, 3)
F0 = Scenario().facilities
# a county whose hospitals have 80% of the default beds and staff: the wards bind. Ward tests use
# 20,000 residents (some 45 county beds after scaling; fewer beds make whole-bed noise dominate)
SHORT = tuple((f"facilities.county_{what}", tuple(0.8 * v for v in getattr(F0, f"county_{what}")))
              for what in ("beds", "senior", "junior", "nurses"))
WARD_POP = 20_000


@cache
def run(changes: tuple = (), events: tuple = (), seed: int = 1, days: int = 465, population: int = 6_000) -> CountyModel:
    m = CountyModel(timeline(*events, base=with_values(changes)), rng=seed, population=population)
    m.run_days(days)
    return m


@cache
def summary(changes: tuple = (), events: tuple = (), seed: int = 1, days: int = 465, population: int = 6_000) -> dict:
    return summarize(run(changes, events, seed, days, population))


# the baseline's wards are measured on the default county itself (2,437 county beds, 650 tertiary):
# a scaled-down county's wards of tens of beds add whole-bed noise to winter's peak and turn away
# what the full county's absorb
FULL_COUNTY = Scenario().county.population


def test_the_baseline_runs_its_county_beds_near_full_and_turns_almost_no_one_away():
    for seed in SEEDS[:2]:
        s = summary(seed=seed, days=400, population=FULL_COUNTY)
        assert 0.85 <= s["bed_occupancy"]["county"] <= 1.05, s["bed_occupancy"]
        assert s["turnaway_share"]["county"] < 0.02, s["turnaway_share"]
        assert s["bed_wait_days"]["county"] < 1.0


def test_the_baseline_turns_almost_no_emergency_away_from_the_county_or_tertiary_hospitals():
    """Emergencies are seen at once (急诊) and take extra beds (加床): at baseline, fewer than 1% of
    their attempts at a county or the tertiary hospital are turned away, winter included."""
    for seed in SEEDS[:2]:
        s = summary(seed=seed, days=400, population=FULL_COUNTY)["emergency_turnaway_share"]
        assert s["county"] < 0.01 and s["tertiary"] < 0.01, s


def test_extra_beds_keep_emergencies_in_while_discretionary_admissions_wait():
    """Where the county's wards bind, occupancy passes 100% on extra beds (加床), discretionary
    admissions wait on a list; without extra beds, paired by seed, half as many again
    emergencies are turned away (at 80% of the beds the extra ones fill in winter too)."""
    no_extra = SHORT + (("facilities.extra_bed_share", 0.0),)
    for seed in SEEDS:
        s, ts = summary(SHORT, seed=seed, population=WARD_POP), timeseries(run(SHORT, seed=seed, population=WARD_POP)).tail(365)
        assert s["bed_occupancy"]["county"] > 1.0  # extra beds in use
        assert s["bed_wait_days"]["county"] > 0.1 and ts["waiting_list_county"].mean() > 1
        hard = summary(no_extra, seed=seed, population=WARD_POP)
        assert hard["bed_occupancy"]["county"] <= 1.0 + 1e-9
        assert hard["emergency_turnaway_share"]["county"] > 1.5 * s["emergency_turnaway_share"]["county"]


def test_a_county_bed_expansion_on_the_timeline_keeps_inpatients_in_the_county():
    """S6 (capacity growth raises hospital admissions) and S4 (capacity at a tier keeps care there):
    where the county's wards bind, beds and staff added on day 100 raise county admissions and the
    county-internal inpatient share and turn fewer patients away, paired by seed. The waits need
    not shorten: the beds draw more admissions (S6), which fill the lists again."""
    grow = tuple((100, path, tuple(getattr(F0, path.split(".")[1]))) for path, _ in SHORT)
    for seed in SEEDS:
        base, more = summary(SHORT, seed=seed, population=WARD_POP), summary(SHORT, grow, seed=seed, population=WARD_POP)
        assert more["admissions_by_tier"]["county"] > base["admissions_by_tier"]["county"]
        assert more["county_internal_inpatient_share"] > base["county_internal_inpatient_share"] + 0.002
        assert more["turnaway_share"]["county"] < base["turnaway_share"]["county"]


def test_beds_bought_without_staff_are_run_thinner_and_staff_hired_fill_them():
    beds_only = ((100, "facilities.county_beds", tuple(1.5 * v for v in F0.county_beds)),)
    nurses_too = (*beds_only, (100, "facilities.county_nurses", tuple(1.5 * v for v in F0.county_nurses)),
                  (100, "facilities.county_junior", tuple(1.5 * v for v in F0.county_junior)),
                  (100, "facilities.county_senior", tuple(1.5 * v for v in F0.county_senior)))
    m0, m1, m2 = run(seed=1, days=101), run((), beds_only, seed=1, days=101), run((), nurses_too, seed=1, days=101)
    county = m0.fac.tier == 2
    staffed = [float(m.fac.staffed_beds[county].sum()) for m in (m0, m1, m2)]
    assert staffed[0] == pytest.approx(float(m0.fac.beds[county].sum()))  # the default establishment is fully staffed
    assert staffed[0] * 1.2 < staffed[1] < staffed[0] * 1.5  # 1.5x the beds at 2/3 the staff per bed: x1.5 x (2/3)**0.5
    assert staffed[1] == pytest.approx(staffed[0] * 1.5 * (2 / 3) ** 0.5, rel=0.02)
    assert staffed[2] == pytest.approx(staffed[0] * 1.5, rel=1e-6)


def test_lending_county_seniors_thins_the_county_wards():
    """县管乡用 costs the county: fewer doctors, fewer staffed beds, fewer admissions, paired by seed."""
    lend = (("staff.transfer_seniors_to_townships", 46),)  # seed 000
    for seed in SEEDS:
        m0, m1 = run(SHORT, seed=seed, population=WARD_POP), run(SHORT + lend, seed=seed, population=WARD_POP)
        ts0, ts1 = timeseries(m0).tail(365), timeseries(m1).tail(365)
        assert ts1["staffed_beds_county"].mean() < 0.995 * ts0["staffed_beds_county"].mean()
        # fewer county admissions: the beds the lent seniors ran are gone
        assert summarize(m1)["admissions_by_tier"]["county"] < summarize(m0)["admissions_by_tier"]["county"]


def test_reserved_tertiary_beds_admit_more_referred_patients_where_beds_are_scarce():
    """Seed 002: 1/4 of tertiary beds for contracted residents referred up. In a county whose
    tertiary beds are scarce, more referred patients get a tertiary bed, paired by seed (60,000
    residents: the scarce ward's some 25 beds reserve six; at 6,000 its 1.2 beds reserved none)."""
    scarce = (("facilities.tertiary_beds", 0.2 * F0.tertiary_beds), ("policy.contract_rate", 0.4))
    reserve = (("policy.reserved_bed_share", 0.25),)

    def referred_admissions(changes: tuple, seed: int) -> int:
        m = CountyModel(with_values(changes), rng=seed, population=60_000)
        tertiary, counted = m.fac.tier == 3, [0]

        def count(day, eps, facility):
            counted[0] += int((m.ep.has_referral[eps] & m.res.contract[m.ep.resident[eps]] & tertiary[facility]).sum())

        m.events.subscribe("admission", count)
        m.run_days(365)
        return counted[0]

    for seed in SEEDS:
        assert referred_admissions(scarce + reserve, seed) > referred_admissions(scarce, seed)


# ---------------------------------------------------------------- emergencies (急诊)
def test_an_emergency_is_seen_the_day_it_comes_while_others_wait_their_turn():
    from reformsim.agents.choice import booking

    for letter, contract, reserved in ((False, False, False), (True, True, True)):
        assert booking(letter, contract, reserved, 5.0, 3.0, 100, True) == (False, 100)
    assert booking(False, False, False, 5.0, 3.0, 100, False) == (False, 105)
    assert booking(True, True, True, 5.0, 3.0, 100, False) == (True, 103)


def test_outpatient_queues_at_the_county_hospitals_turn_minor_illness_away_but_not_emergencies():
    """County outpatient slots cut to a quarter (waits of days): minor first contacts leave the
    county hospitals, paired by seed, while complex episodes, seen at once, are still admitted
    there about as often (the emergency department does not queue)."""
    few_slots = (("facilities.visits_per_doctor_day", (F0.visits_per_doctor_day[0], F0.visits_per_doctor_day[1],
                                                        F0.visits_per_doctor_day[2] / 4, F0.visits_per_doctor_day[3])),)
    minor, complex_ = [], []
    for seed in SEEDS:
        base, cut = summary(seed=seed), summary(few_slots, seed=seed)
        assert cut["mean_wait_days"]["county"] > base["mean_wait_days"]["county"] + 1.0
        minor.append(cut["first_contact_minor"]["county"] - base["first_contact_minor"]["county"])
        complex_.append(cut["first_contact_complex"]["county"] - base["first_contact_complex"]["county"])
    assert np.mean(minor) < -0.05, minor
    assert abs(np.mean(complex_)) < 0.05, complex_
