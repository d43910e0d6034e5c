"""The core simulator: invariants, determinism, the graph, choice directions, mortality."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from reformsim.agents import choice
from reformsim.agents.episodes import Calendar, EpisodePool, Outcome
from reformsim.agents.lifetable import (
    MAX_AGE,
    cumulative_hazard,
    death_age,
    hazard_schedule,
    life_expectancy_from_rates,
    period_life_expectancy,
)
from reformsim.model.county import CountyError, build_county, load_county_csv
from reformsim.model.metrics import DAILY_METRICS, DailyCollector, _reporter, summarize, timeseries
from reformsim.model.params import (
    BehaviourParams,
    CountyParams,
    FacilityParams,
    Scenario,
    with_value,
)
from small import small_model


def test_every_episode_ends_exactly_once(baseline_run):
    m, ts = baseline_run
    assert m.ep.opened > 10_000
    assert m.ep.opened == m.ep.closed.sum() + m.ep.n_open
    assert (ts["episodes_opened"] - ts["episodes_closed"] == ts["episodes_open"]).all()
    # every outcome occurs, and open episodes are only those still in care
    assert (m.ep.closed > 0).all()
    open_ids = np.flatnonzero(m.ep.open)
    assert len(open_ids) == m.ep.n_open
    assert (m.res.episode[m.ep.resident[open_ids]] == open_ids).all()


def test_closing_an_episode_twice_is_an_error():
    pool = EpisodePool(8)
    ids = pool.allocate(3)
    pool.close(ids[:1], Outcome.RESOLVED)
    with pytest.raises(RuntimeError):
        pool.close(ids[:1], Outcome.DIED)


def test_an_episode_opens_in_a_reused_row_as_new():
    """A row closed and reused starts clean: the new resident's attributes and onset, no steps,
    referral, visits, care, bed or bill carried over from the episode that had it."""
    m = small_model(days=40)
    e, r = m.ep, m.res
    worn = np.flatnonzero(e.open & (e.steps > 0))[:5]
    assert len(worn)
    e.visits[worn], e.has_referral[worn], e.referred_tier[worn], e.treated_day[worn] = 3, True, 2, 7
    e.bed_facility[worn], e.stay_cost[worn], e.billed_deductible[worn] = 1, 99.0, True
    m.end(worn, Outcome.RESOLVED)
    rows = np.flatnonzero(r.alive[: r.n] & (r.episode[: r.n] < 0))[:5]
    ids = e.begin(rows, r, r.uid[rows], np.array([0, 1, 2, 3, 1]), np.array([0, 1, 0, 1, 0], bool), m.day, np.arange(5))
    assert sorted(ids) == sorted(worn)  # the closed rows are the ones reused
    assert np.array_equal(e.resident[ids], rows) and np.array_equal(e.person[ids], r.uid[rows])
    for name in ("home", "scheme", "income"):
        assert np.array_equal(getattr(e, name)[ids], getattr(r, name)[rows]), name
    assert e.severity[ids].tolist() == [0, 1, 2, 3, 1] and e.needs_bed[ids].tolist() == [False, True, False, True, False]
    assert (e.start[ids] == m.day).all() and e.key[ids].tolist() == list(range(5)) and e.open[ids].all()
    assert (e.steps[ids] == 0).all() and (e.visits[ids] == 0).all() and not e.has_referral[ids].any()
    assert (e.referred_tier[ids] == -1).all() and (e.treated_day[ids] == -1).all() and (e.bed_facility[ids] == -1).all()
    assert (e.stay_cost[ids] == 0).all() and not e.billed_deductible[ids].any()


def test_each_stage_gets_its_days_episodes_once_and_live():
    """Whatever the calendar held (earlier bookings, today's visits with no wait), a stage's
    handler gets each episode due for it today once, open, at that stage."""
    m = small_model(days=0)
    seen = []
    for mechanism, stage in ((m.beds, "discharge"), (m.beds, "down"), (m.care_seeking, "choose"), (m.care, "visit")):
        handler = getattr(mechanism, stage)

        def check(eps, _handler=handler, _stage=stage):
            e = m.ep
            assert len(np.unique(eps)) == len(eps), _stage
            assert e.open[eps].all() and (e.due[eps] == m.day).all(), _stage
            seen.append(len(eps))
            _handler(eps)

        setattr(mechanism, stage, check)
    m.run_days(60)
    assert sum(seen) > 1_000


def test_each_reference_resident_walks_its_days_episode_once_per_stage_and_live(monkeypatch):
    """The reference's form of the test above: whatever its agenda held (stale bookings, a visit
    booked for today), a resident carries its own open episode through a stage only when that
    stage is due today, and through each stage at most once a day."""
    from reformsim.agents.episodes import Stage
    from reformsim.model.reference import ReferenceModel, Resident

    m = ReferenceModel(rng=1, population=1_500)
    seen = set()
    for stage, name in Resident.STAGES.items():
        handler = getattr(Resident, name)

        def check(self, ep, _handler=handler, _stage=stage):
            e = m.ep
            assert e.open[ep] and e.due[ep] == m.day and e.stage[ep] == _stage, _stage
            assert self.alive and self.episode == ep, _stage
            assert (m.day, self.uid, _stage) not in seen, _stage
            seen.add((m.day, self.uid, _stage))
            _handler(self, ep)

        monkeypatch.setattr(Resident, name, check)
    m.run_days(60)
    assert len(seen) > 1_000
    assert {stage for _, _, stage in seen} == set(Stage)


def test_money_is_conserved_every_step(baseline_run):
    _, ts = baseline_run
    flows = ts[["premiums", "subsidies", "oop"]].abs().sum(axis=1)
    assert (ts["money_residual"].abs() <= 1e-9 * flows.max() + 1e-6).all()
    # and the stocks add up: fund change + provider revenue = inflows over the run
    inflow = ts[["premiums", "subsidies", "oop"]].sum().sum()
    assert inflow == pytest.approx(ts["provider_revenue"].sum() + ts["fund_change"].sum(), rel=1e-9)


def test_staff_are_conserved_every_step(baseline_run):
    _, ts = baseline_run
    assert ts["staff_balance"].abs().max() < 1e-6


def test_no_negative_stocks(baseline_run):
    m, _ = baseline_run
    f = m.fac
    assert (f.occupied >= -1e-9).all() and (f.occupied_priority >= -1e-9).all()
    assert ((f.occupied + f.occupied_priority) <= f.beds * (1 + m.p.facilities.extra_bed_share) + 1e-9).all()
    assert (f.waiting >= 0).all() and (f.waiting_priority >= 0).all()
    assert (f.backlog >= 0).all() and (f.staff >= 0).all()


def test_same_seed_same_run_other_seed_differs():
    a, b, c = (small_model(seed=s, days=90, population=3_000) for s in (5, 5, 6))
    ta, tb, tc = timeseries(a), timeseries(b), timeseries(c)
    assert ta.equals(tb)
    sa, sb = summarize(a, ta), summarize(b, tb)
    assert json.dumps(sa, sort_keys=True) == json.dumps(sb, sort_keys=True)  # NaN-safe equality
    assert not ta["visits_village"].equals(tc["visits_village"])


def test_every_village_reaches_a_county_hospital():
    c = build_county(CountyParams(), FacilityParams(), seed=1)
    up = nx.DiGraph([(a, b) for a, b, d in c.graph.edges(data=True) if d["kind"] == "refer_up"])
    county = np.flatnonzero(c.tier == 2)
    for v in np.flatnonzero(c.kind == "village"):
        assert any(nx.has_path(up, int(v), int(h)) for h in county)
    assert all(d["travel_min"] > 0 for *_, d in c.graph.edges(data=True))


def test_default_county_is_chuxiong_like():
    c = build_county(CountyParams(), FacilityParams(), seed=1)
    assert c.home_population.sum() == 631_530
    assert (c.kind == "township").sum() == 15
    assert (c.kind == "county").sum() == 2 and (c.kind == "tertiary").sum() == 1
    assert (c.kind == "community").sum() >= 1


def test_a_scaled_down_county_keeps_the_reference_county_staff_per_resident():
    """A tenth of the county is the county at a tenth of the scale: its village doctors (at least
    one a village in the reference county, 一村一室) and hospital staff per resident are the full
    county's, so a small run stands for the default county rather than one with ten times the
    village doctors per resident."""
    full = build_county(CountyParams(), FacilityParams(), seed=1)
    tenth = build_county(CountyParams(population=63_153), FacilityParams(), seed=1)

    def per_resident(c, kind, what):
        return getattr(c, what)[c.kind == kind].sum() / c.home_population.sum()

    assert (tenth.kind == "community").sum() == (full.kind == "community").sum()

    for kind, what in (("village", "village_doctors"), ("community", "junior"), ("county", "senior"), ("township", "junior")):
        assert per_resident(tenth, kind, what) == pytest.approx(per_resident(full, kind, what), rel=0.1), (kind, what)


def _choice_shares(**change) -> np.ndarray:
    """Shares of [self, village, township, county] for a common episode under one change."""
    e = 2000
    base = dict(
        sev=np.ones(e, dtype=np.int8), slot_tier=np.tile([0, 1, 2], (e, 1)), quality=np.tile([0.5, 0.6, 0.9], (e, 1)),
        trust=np.full((e, 4), 0.7, dtype=np.float32), oop=np.tile([20.0, 40.0, 150.0], (e, 1)),
        income_band=np.ones(e, dtype=np.int64), travel_min=np.tile([5.0, 30.0, 60.0], (e, 1)),
        wait_days=np.zeros((e, 3)), delay_days=np.zeros((e, 3)), referred_to=np.zeros((e, 3), bool),
        contract=np.zeros(e, bool), b=BehaviourParams(),
    )
    base.update(change)
    return choice.choice_probabilities(choice.utilities(**base)).mean(axis=0)


def test_choice_moves_the_right_way_with_price_travel_and_quality():
    e = 2000
    ref = _choice_shares()
    dearer = _choice_shares(oop=np.tile([20.0, 40.0, 600.0], (e, 1)))
    farther = _choice_shares(travel_min=np.tile([5.0, 30.0, 180.0], (e, 1)))
    better_township = _choice_shares(quality=np.tile([0.5, 0.85, 0.9], (e, 1)))
    assert dearer[3] < ref[3] and farther[3] < ref[3]
    assert better_township[2] > ref[2]
    referred = _choice_shares(referred_to=np.tile([False, False, True], (e, 1)))
    assert referred[3] > ref[3]


def test_poorer_residents_are_more_price_sensitive():
    e = 2000
    dear = np.tile([20.0, 40.0, 600.0], (e, 1))
    low = _choice_shares(oop=dear, income_band=np.zeros(e, dtype=np.int64))
    high = _choice_shares(oop=dear, income_band=np.full(e, 2, dtype=np.int64))
    assert low[3] < high[3]


def test_price_and_distance_matter_less_and_delay_more_as_illness_is_more_severe():
    """EVIDENCE P4: facility attributes swing the choice for minor illness by tens of points and
    for severe illness hardly at all; a pathway's delay weighs on severe illness."""
    e = 2000

    def swing(sev: int, **change) -> float:
        """The relative change of the county hospital's share: an elasticity's numerator."""
        s = np.full(e, sev, dtype=np.int8)
        before = _choice_shares(sev=s)[3]
        return abs(_choice_shares(sev=s, **change)[3] - before) / before

    dearer = {"oop": np.tile([20.0, 40.0, 600.0], (e, 1))}
    farther = {"travel_min": np.tile([5.0, 30.0, 180.0], (e, 1))}
    slower = {"delay_days": np.tile([3.0, 2.0, 0.0], (e, 1))}
    assert swing(0, **dearer) > 2 * swing(3, **dearer)
    assert swing(0, **farther) > swing(3, **farther)
    assert swing(3, **slower) > swing(0, **slower)


def test_a_pathway_carries_the_care_that_follows_a_referral():
    """A village clinic that cannot treat a complex case is valued by where it sends it: the
    county's, then the tertiary hospital's quality and stay cost, a day per referral (an emergency
    is seen at once, ``choice.booking``: no queue wait on the way, except the referral up to the
    tertiary hospital, which books a specialist appointment: ``choice.seen_at_once``)."""
    slot_fac, slot_tier = np.arange(4), np.array([0, 1, 2, 3])
    up = choice.up_slots(slot_tier[None])[0]
    assert up.tolist() == [1, 2, 3, -1]
    skill = np.array([0.9, 1.3, 2.35, 3.4])
    quality = choice.perceived_quality(skill[:, None], np.arange(4)[None, :], 3.0)
    wait_priority = np.array([0.0, 0.0, 1.0, 2.0])
    oop_visit = np.broadcast_to(np.array([10.0, 30.0, 100.0, 200.0])[None, :, None], (2, 4, 2)).copy()
    oop_stay = np.broadcast_to(np.array([0.0, 1000.0, 3000.0, 8000.0])[None, :, None], (2, 4, 2)).copy()
    p_bed = np.array([0.0, 0.02, 0.55, 0.85])
    q, d, o = np.zeros((4, 4)), np.zeros((4, 4)), np.zeros((2, 2, 4, 4))
    sharp = (0.35, 1e-3)  # attempts as a step at 0.35 above skill, so the pathway's figures are exact
    choice.home_pathways(slot_fac, slot_tier, up, choice.treat_chances(skill, np.zeros(4), slot_tier, p_bed, sharp),
                         quality, wait_priority, np.zeros(4), oop_visit, oop_stay, p_bed, q, d, o)
    complex_ = 3
    assert np.allclose(q[complex_], quality[3, complex_])  # only the tertiary hospital treats it
    # a day per referral, and the tertiary hospital's priority wait (2 days) for the booked referral up
    assert d[complex_].tolist() == [5.0, 4.0, 3.0, 0.0]
    serious = 2  # treated from the county up (skill 2.35 + 0.35 > 2): a referral day from below
    assert d[serious].tolist() == [2.0, 1.0, 0.0, 0.0]
    assert o[0, 0, complex_, 0] == pytest.approx(10 + 30 + 100 + 200 + 0.85 * 8000)
    minor = 0
    assert d[minor, 0] == 0 and o[0, 0, minor, 0] == 10.0  # treated where it starts
    # a likely discretionary stay waits for its bed; emergencies (serious, complex) do not
    bed_wait = np.array([0.0, 4.0, 6.0, 10.0])
    q2, d2, o2 = np.zeros((4, 4)), np.zeros((4, 4)), np.zeros((2, 2, 4, 4))
    choice.home_pathways(slot_fac, slot_tier, up, choice.treat_chances(skill, np.zeros(4), slot_tier, p_bed, sharp),
                         quality, wait_priority, bed_wait, oop_visit, oop_stay, p_bed, q2, d2, o2)
    common = 1
    assert d2[common, 2] == pytest.approx(d[common, 2] + 0.02 * 6.0)
    assert d2[common, 3] == pytest.approx(d[common, 3] + 0.02 * 10.0)
    assert np.array_equal(d2[complex_], d[complex_]) and np.array_equal(q2, q) and np.array_equal(o2, o)
    # with the visit's own smooth rule the county attempts a few complex cases (skill 2.35 + 0.35 vs 3),
    # and a keep response there raises that share: the pathway from the village carries both
    smooth = (0.35, 0.1)
    q3, d3, o3 = np.zeros((4, 4)), np.zeros((4, 4)), np.zeros((2, 2, 4, 4))
    choice.home_pathways(slot_fac, slot_tier, up, choice.treat_chances(skill, np.zeros(4), slot_tier, p_bed, smooth),
                         quality, wait_priority, np.zeros(4), oop_visit, oop_stay, p_bed, q3, d3, o3)
    q4, d4, o4 = np.zeros((4, 4)), np.zeros((4, 4)), np.zeros((2, 2, 4, 4))
    keep = np.array([0.0, 0.0, 0.3, 0.0])
    choice.home_pathways(slot_fac, slot_tier, up, choice.treat_chances(skill, keep, slot_tier, p_bed, smooth), quality,
                         wait_priority, np.zeros(4), oop_visit, oop_stay, p_bed, q4, d4, o4)
    assert d4[complex_, 2] < d3[complex_, 2] < d[complex_, 2]


def test_without_excess_hazard_the_life_table_reproduces_itself():
    s = Scenario()
    s = with_value(s, "illness.untreated_fatality", [0.0, 0.0, 0.0, 0.0])
    s = with_value(s, "illness.delay_fatality_per_day", [0.0, 0.0, 0.0, 0.0])
    m = small_model(seed=2, days=3 * 365, population=40_000, scenario=s)
    deaths = sum(m.year_deaths.values())
    py = sum(m.year_py.values())
    assert deaths.sum() > 800
    e0 = period_life_expectancy(deaths, py)
    assert e0 == pytest.approx(s.life_expectancy_table, abs=2.0)
    assert life_expectancy_from_rates(hazard_schedule(s.life_expectancy_table)) == pytest.approx(s.life_expectancy_table, abs=1e-6)


def test_excess_hazard_lowers_life_expectancy():
    s = Scenario()
    deadly = with_value(s, "illness.untreated_fatality", [0.0, 0.01, 0.2, 0.5])
    a = small_model(seed=4, days=365, population=20_000, scenario=s)
    b = small_model(seed=4, days=365, population=20_000, scenario=deadly)
    assert b.today.row["deaths"] >= 0
    assert sum(b.year_deaths[0]) > sum(a.year_deaths[0])


def test_county_round_trips_through_a_facilities_csv(tmp_path):
    c = build_county(CountyParams(population=5_000), FacilityParams(), seed=1)
    rows = ["id,kind,name,x,y,parent,senior,junior,nurses,village_doctors,beds,population"]
    for i in range(c.n_facilities):
        parent = f"f{c.parent[i]}" if c.parent[i] >= 0 else ""
        rows.append(f"f{i},{c.kind[i]},{c.name[i]},{c.x[i] / 1.5:.3f},{c.y[i] / 1.5:.3f},{parent},{c.senior[i]},"
                    f"{c.junior[i]},{c.nurses[i]},{c.village_doctors[i]},{c.beds[i]},{c.home_population[i]}")
    path = tmp_path / "county.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    loaded = load_county_csv(path, FacilityParams())
    assert loaded.n_facilities == c.n_facilities
    assert loaded.home_population.sum() == 5_000
    s = with_value(Scenario(), "county.facilities_csv", str(path))
    m = small_model(days=30, population=None, scenario=s)
    assert m.ep.opened > 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("id,kind\nf0,county\n", "missing column"),
        ("id,kind,name,x,y,parent,senior,junior,nurses,village_doctors,beds,population\n"
         "a,castle,A,0,0,,1,1,1,0,1,0\n", "kind 'castle'"),
        ("id,kind,name,x,y,parent,senior,junior,nurses,village_doctors,beds,population\n"
         "a,county,A,0,0,zz,1,1,1,0,1,0\n", "parent 'zz'"),
        ("id,kind,name,x,y,parent,senior,junior,nurses,village_doctors,beds,population\n"
         "a,county,A,0,0,,1,-3,1,0,1,0\n", "'junior'"),
    ],
)
def test_malformed_csv_is_refused_naming_the_problem(tmp_path, text, problem):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CountyError, match=problem):
        load_county_csv(path, FacilityParams())


def test_unknown_scenario_field_is_an_error():
    with pytest.raises(ValueError, match="extra|not permitted"):
        Scenario.model_validate({"policy": {"reserved_slot_shar": 0.3}})
    with pytest.raises(ValueError, match="timeline path"):
        Scenario.model_validate({"timeline": [{"day": 1, "path": "policy.nope", "value": 1}]})


def test_a_collector_with_a_reporter_of_its_own_records_it_beside_the_daily_row():
    """The daily row is appended directly; any other reporter sends the whole collection through
    Mesa's own ``collect``, which must still record every daily metric."""
    plain = small_model(days=0)
    plain.run_days(3)
    m = small_model(days=0)
    reporters = {k: _reporter(k) for k in DAILY_METRICS} | {"open_x2": lambda model: 2 * model.ep.n_open}
    m.datacollector = DailyCollector(model_reporters=reporters)
    m.run_days(3)
    ours, mesa_way = plain.datacollector.model_vars, m.datacollector.model_vars
    assert [2 * x for x in mesa_way["episodes_open"]] == mesa_way["open_x2"]
    assert len(mesa_way["open_x2"]) == 3
    for k in DAILY_METRICS:
        assert np.array_equal(list(mesa_way[k]), list(ours[k])[-3:], equal_nan=True), k  # a day without admissions has no share


def test_summary_has_the_public_keys(baseline_run):
    m, ts = baseline_run
    s = summarize(m, ts)
    keys = {"primary_visit_share", "county_internal_visit_share", "county_internal_inpatient_share", "life_expectancy",
            "visits_per_capita", "admissions_per_capita", "referrals_up", "referrals_down", "referral_attendance",
            "mean_wait_days", "bed_occupancy", "cost_per_visit", "cost_per_stay", "oop_share", "drug_share",
            "service_revenue_share", "avg_length_of_stay", "revisit_rate", "fund_balance", "provider_surplus",
            "deaths", "scenario_hash", "seed", "version"}
    assert keys <= s.keys()
    for k in ("primary_visit_share", "county_internal_visit_share", "county_internal_inpatient_share", "oop_share",
              "drug_share", "service_revenue_share", "referral_attendance"):
        assert 0.0 <= s[k] <= 1.0, k
    assert set(s["mean_wait_days"]) == {"village", "township", "county", "tertiary"}


def test_trust_follows_treatment_outcomes():
    """Trust in a tier moves only for residents treated there, toward success; a zero learning
    rate (and no word of mouth) leaves it where it started."""
    frozen = small_model(days=0, scenario=with_value(Scenario(), "behaviour.trust_learning_rate", 0.0))
    start = frozen.res.trust[: frozen.res.n].copy()
    frozen.run_days(120)
    assert np.array_equal(frozen.res.trust[: len(start)], start)

    m = small_model(days=0)
    start = m.res.trust[: m.res.n].copy()
    m.run_days(120)
    moved = m.res.trust[: len(start)] != start
    assert moved.any(axis=1).mean() > 0.05  # thousands of treated episodes in 120 days
    # treatment mostly succeeds, so trust in the tiers used rises on average
    assert (m.res.trust[: len(start)][moved] - start[moved]).mean() > 0


def test_background_death_ages_invert_the_cumulative_hazard():
    """Survival from a resident's age to the drawn age of death is the resident's uniform draw."""
    e0, rng = 76.0, np.random.default_rng(3)
    m = hazard_schedule(e0)
    cum = np.concatenate([[0.0], np.cumsum(m)])
    age, u = rng.uniform(0, 105, 5_000), rng.random(5_000)
    dies_at = np.array([death_age(a, v, m, cumulative_hazard(e0)) for a, v in zip(age, u, strict=True)])
    assert np.array_equal(cumulative_hazard(e0), cum)

    def hazard_to(x):
        whole = np.minimum(x.astype(np.int64), MAX_AGE - 1)
        return cum[whole] + (x - whole) * m[whole]

    assert (dies_at >= age).all() and (dies_at <= MAX_AGE).all()
    before_cap = dies_at < MAX_AGE  # nobody outlives MAX_AGE: the rest die at it
    assert before_cap.mean() > 0.99
    assert np.allclose(np.exp(-(hazard_to(dies_at) - hazard_to(age)))[before_cap], u[before_cap], rtol=1e-9, atol=1e-12)


def test_calendar_pops_each_days_ids_in_the_order_they_were_scheduled():
    rng = np.random.default_rng(5)
    calendar, expected = Calendar(), {}
    for _ in range(60):
        n = int(rng.integers(0, 50))
        ids, days = rng.integers(0, 1000, n), rng.integers(10, 10 + rng.choice([1, 3, 30, 366]), n)
        calendar.add(days, ids)
        for d, i in zip(days.tolist(), ids.tolist(), strict=True):
            expected.setdefault(d, []).append(i)
    calendar.add_day(12, np.array([7, 8]))
    expected.setdefault(12, []).extend([7, 8])
    for d in range(420):
        assert calendar.pop(d).tolist() == expected.get(d, []), d
    assert calendar.nbytes == 0


def test_facility_agents_are_the_per_facility_view(baseline_run):
    """Each facility agent reads its row of the engine's arrays; facilities.parquet is made from them."""
    from reformsim.agents.facilities import CountyHospital, Facility, TownshipCentre
    from reformsim.experiments.runner import facilities_table

    m, _ = baseline_run
    towns = m.agents_by_type[TownshipCentre]
    assert len(towns) == int((m.county.kind == "township").sum())
    assert all(a.tier == 1 and a.kind == "township" for a in towns)
    hospital = m.agents_by_type[CountyHospital].to_list()[0]
    assert hospital.skill == m.fac.skill[hospital.fid] and hospital.beds_occupied > 0
    assert m.facility(hospital.fid) is hospital
    table = facilities_table(m)
    assert len(table) == len(m.agents.select(agent_type=Facility))
    assert table["visits_total"].sum() == m.fac.visits_total.sum()
    assert table.loc[hospital.fid, "surplus"] == hospital.revenue - hospital.cost
