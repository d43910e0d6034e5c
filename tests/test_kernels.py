"""The engine's compiled kernels against plain NumPy statements of what they compute.

The kernels (each mechanism's compiled stages in ``agents/``, ``Streams``, the compiled rules they call) replace dozens of
array passes by one loop; each is checked here against an independent, obviously correct
formulation on random inputs, including the edge cases a day can produce (empty, one group,
repeated ids, unavailable slots).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reformsim.agents import (
    arrays,
    beds,
    billing,
    care,
    choice,
    demography,
    episodes,
    illness,
    lifetable,
    payment,
    population,
    seasons,
)
from reformsim.agents.streams import Purpose, Streams
from reformsim.model.params import (
    BehaviourParams,
    IllnessParams,
    InsuranceParams,
    PaymentParams,
    PopulationParams,
    Scenario,
    SchemeParams,
)
from scipy import stats

ids_lists = st.lists(st.integers(0, 40), max_size=60)


def _stable_rank(group: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.full(len(group), np.iinfo(np.int64).max, dtype=np.int64)
    idx = np.flatnonzero(mask)
    order = np.argsort(group[idx], kind="stable")
    for g in np.unique(group[idx]):
        members = idx[order][group[idx][order] == g]
        out[members] = np.arange(len(members))
    return out


@settings(max_examples=200, deadline=None)
@given(ids_lists, st.data())
def test_rank_within_is_the_arrival_order_in_each_group(groups, data):
    group = np.array(groups, dtype=np.int64)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(group), max_size=len(group))), dtype=bool)
    assert np.array_equal(arrays.rank_within(group, mask), _stable_rank(group, mask))


@settings(max_examples=200, deadline=None)
@given(ids_lists, st.data())
def test_first_of_each_keeps_first_occurrences_of_kept_rows(values, data):
    ids = np.array(values, dtype=np.int64)
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=len(ids), max_size=len(ids))), dtype=bool)
    seen = np.zeros(41, dtype=np.int64)
    expected = list(dict.fromkeys(ids[keep].tolist()))
    for stamp in (1, 2):  # a second call with a new stamp sees nothing of the first
        assert arrays.first_of_each(ids, keep, seen, stamp).tolist() == expected


def test_due_by_stage_groups_todays_live_episodes_by_stage_in_entry_order():
    due = np.array([5, 5, 6, 5, 5, 5])
    stage = np.array([2, 3, 2, 2, 1, 2], dtype=np.int8)
    open_ = np.array([True, True, True, False, True, True])
    entries = np.array([5, 0, 1, 2, 3, 4, 0, 4, 1, 5])
    out, bounds = episodes.due_by_stage(entries, due, stage, open_, 5, 5, np.zeros(6, dtype=np.int64), 1)
    by_stage = {s: out[bounds[s]:bounds[s + 1]].tolist() for s in range(5)}
    assert by_stage == {0: [], 1: [4], 2: [5, 0], 3: [1], 4: []}  # 2: other day, 3: closed; repeats once


def _splitmix_numpy(seed: int, purpose: int, ids: np.ndarray, ctr: np.ndarray) -> np.ndarray:
    """The documented hash in NumPy uint64 arithmetic (SplitMix64 finaliser, twice)."""
    m1, m2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
    golden = np.uint64(0x9E3779B97F4A7C15)

    def mix(z):
        z = z ^ (z >> np.uint64(30))
        z = z * m1
        z = z ^ (z >> np.uint64(27))
        z = z * m2
        return z ^ (z >> np.uint64(31))

    with np.errstate(over="ignore"):
        key = mix(np.uint64(seed) + golden)
        z = mix(ids.astype(np.uint64) * np.uint64(0xD6E8FEB86659FD93) + ((key ^ (np.uint64(purpose) << np.uint64(56))) + golden))
        z = mix(z + (ctr.astype(np.uint64) * np.uint64(0xA0761D6478BD642F) + golden))
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53


def test_streams_are_the_splitmix_hash_and_uniform():
    ids = np.arange(0, 200_000, 3)
    ctr = (ids * 7) % 1000
    u = Streams(11).uniform(Purpose.CHOICE, ids, ctr)
    assert np.array_equal(u, _splitmix_numpy(11, int(Purpose.CHOICE), ids, ctr))
    assert u.min() > 0 and u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    # broadcasting: one id, many counters; many ids, one counter; a scalar
    s = Streams(11)
    assert np.array_equal(s.uniform(Purpose.ONSET, 5, ctr), _splitmix_numpy(11, 1, np.full(len(ctr), 5), ctr))
    assert np.array_equal(s.uniform(Purpose.ONSET, ids, 9), _splitmix_numpy(11, 1, ids, np.full(len(ids), 9)))
    assert s.uniform(Purpose.ONSET, 5, 9).shape == ()


def test_poisson_quantile_matches_scipy():
    rng = np.random.default_rng(3)
    lam = rng.uniform(0, 12, 20_000)
    u = rng.random(20_000)
    expected = stats.poisson.ppf(u, lam)
    got = np.array([illness.poisson_quantile(a, illness.poisson_cdf(b)) for a, b in zip(u, lam, strict=True)])
    # the walk and scipy's ppf may round a CDF exactly at ``u`` differently; nothing else
    assert np.mean(got == expected) > 0.9999
    assert np.all(np.abs(got - expected) <= 1)


def test_choose_slots_makes_the_choice_of_the_array_rule():
    """The engine's fused loop and the reference's array rule (``utilities`` then ``choose``)
    pick the same alternative for every episode, with unavailable slots and referrals mixed in;
    each episode's step count goes up by one, and past the last step the resident gives up."""
    rng = np.random.default_rng(5)
    homes, slots, n, fac = 7, 5, 4_000, 20
    slot_fac = rng.integers(0, fac, (homes, slots)).astype(np.int32)
    slot_tier = rng.integers(-1, 4, (homes, slots))
    wait_general, wait_priority = rng.uniform(0, 5, fac), rng.uniform(0, 1, fac)
    travel = rng.uniform(5, 180, (homes, slots)).astype(np.float32)
    oop_table = rng.uniform(0, 3000, (homes * 2 * 2 * 4, slots))
    quality = rng.uniform(0, 1, (homes * 4, slots))  # the pathways' quality and delay rows by (home, severity)
    delay = rng.uniform(0, 6, (homes * 4, slots))
    # episodes are rows of a larger pool, in no order
    pool = 3 * n
    eps = rng.permutation(pool)[:n]
    home, sev = np.zeros(pool, dtype=np.int32), np.zeros(pool, dtype=np.int8)
    scheme, income = np.zeros(pool, dtype=np.uint8), np.zeros(pool, dtype=np.uint8)
    letter, referred_tier = np.zeros(pool, dtype=bool), np.full(pool, -1, dtype=np.int8)
    person, ep_key = np.zeros(pool, dtype=np.int64), np.zeros(pool, dtype=np.uint16)
    steps = rng.integers(0, 7, pool).astype(np.int8)
    home[eps], sev[eps] = rng.integers(0, homes, n), rng.integers(0, 4, n)
    scheme[eps], income[eps] = rng.integers(0, 2, n), rng.integers(0, 3, n)
    letter[eps] = rng.random(n) < 0.4
    referred_tier[eps] = np.where(letter[eps], rng.integers(1, 4, n), -1)
    person[eps], ep_key[eps] = rng.integers(0, 10**6, n), rng.integers(0, 5_000, n)
    contract = rng.random(n) < 0.3
    trust = rng.uniform(0.2, 1, (n, 4)).astype(np.float32)
    streams = Streams(3)
    before = steps.copy()
    b = BehaviourParams(referral_bypass_penalty=-0.8)

    alt, fid = choice.choose_slots(choice.coefficients(b), streams.key, eps, person, ep_key, steps, sev, letter, referred_tier,
                                    home, scheme, income, contract, trust, choice.MAX_STEPS, slot_fac, slot_tier, wait_general,
                                    wait_priority, quality, choice.cost_table(oop_table, b.daily_income), delay, travel)

    others = np.setdiff1d(np.arange(pool), eps)
    assert np.array_equal(steps[eps], before[eps] + 1) and np.array_equal(steps[others], before[others])
    gave_up = steps[eps] > choice.MAX_STEPS
    assert gave_up.any() and np.all(alt[gave_up] == -1) and np.all(alt[~gave_up] >= 0)
    go = ~gave_up
    h, e = home[eps][go], eps[go]
    tier = slot_tier[h]
    priority = (letter[e] & contract[go])[:, None]
    # seen at once, no queue wait (choice.booking): an emergency, unless referred to the tertiary hospital
    emergency = (sev[e] >= illness.SERIOUS)[:, None] & ~(letter[e][:, None] & (tier == 3))
    draw = streams.uniform(Purpose.CHOICE, person[e], ep_key[e].astype(np.int64) * 8 + steps[e])
    u = choice.utilities(sev[e], tier, quality[h * 4 + sev[e]], trust[go], oop_table[((h * 2 + scheme[e]) * 2 + letter[e]) * 4 + sev[e]],
                         income[e], travel[h], np.where(emergency, 0.0, np.where(priority, wait_priority[slot_fac[h]],
                                                                                 wait_general[slot_fac[h]])),
                         delay[h * 4 + sev[e]], (tier == referred_tier[e][:, None]) & letter[e][:, None], contract[go], b)
    chosen = alt[go]
    assert np.array_equal(chosen, choice.choose(u, draw))
    assert np.all(tier[chosen > 0, chosen[chosen > 0] - 1] >= 0)  # never an unavailable slot
    assert np.array_equal(fid[go][chosen > 0], slot_fac[h[chosen > 0], chosen[chosen > 0] - 1])
    shares = np.bincount(chosen, minlength=slots + 1) / len(chosen)
    assert shares.min() >= 0 and shares[0] > 0  # self-care and facilities both chosen


@settings(max_examples=200, deadline=None)
@given(ids_lists, st.data())
def test_fall_ill_counts_each_living_resident_once_and_opens_only_free_ones(values, data):
    # a resident's onsets of a day come next to each other, residents in any order
    ids = np.array(list(dict.fromkeys(values)), dtype=np.int64)
    ids = np.repeat(ids, data.draw(st.lists(st.integers(1, 3), min_size=len(ids), max_size=len(ids))))
    flags = lambda: np.array(data.draw(st.lists(st.booleans(), min_size=41, max_size=41)), dtype=bool)  # noqa: E731
    alive, busy = flags(), flags()
    onsets = np.array(data.draw(st.lists(st.integers(0, 9), min_size=41, max_size=41)), dtype=np.uint16)
    episode = np.where(busy, 3, -1).astype(np.int32)
    before = onsets.copy()
    uid, born, chronic = np.arange(41) + 1000, np.arange(41) * 7, (np.arange(41) % 4).astype(np.uint8)
    rows, ctr, uid_ill, born_ill, chronic_ill = illness.fall_ill(ids, alive, onsets, episode, uid, born, chronic)
    assert np.array_equal(uid_ill, uid[rows]) and np.array_equal(born_ill, born[rows]) and np.array_equal(chronic_ill, chronic[rows])
    ill = [i for i in dict.fromkeys(ids.tolist()) if alive[i]]
    assert np.array_equal(onsets - before, np.isin(np.arange(41), ill).astype(np.uint16))
    assert rows.tolist() == [i for i in ill if not busy[i]]
    assert np.array_equal(ctr, before[rows])


def test_a_residents_onsets_of_a_day_come_together_across_births_deaths_and_the_new_year():
    """``fall_ill`` counts a resident's onset once a day by comparing with the row before."""
    from reformsim.model.model import CountyModel

    m = CountyModel(rng=4, population=3_000)
    due_days = []
    onsets_due = m.illness.due

    def recorded():
        due = onsets_due()
        due_days.append(due)
        return due

    m.illness.due = recorded
    born_before = m.res.next_uid
    m.run_days(400)
    assert m.res.next_uid > born_before and not m.res.alive[: m.res.n].all()  # births and deaths happened
    for due in due_days:
        runs = 1 + np.count_nonzero(np.diff(due)) if len(due) else 0
        assert runs == len(np.unique(due)), "a resident's onsets of one day are split"
    assert any(len(np.unique(d)) < len(d) for d in due_days), "no day with two onsets of one resident: the test checks nothing"


def _episodes(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Episode fields as the pool holds them (a larger pool; ``eps`` picks some rows in any order)."""
    size = 3 * n
    return {"eps": rng.permutation(size)[:n], "person": rng.integers(0, 10**6, size), "key": rng.integers(0, 60, size).astype(np.uint16),
            "steps": rng.integers(1, 7, size).astype(np.int8), "severity": rng.integers(0, 4, size).astype(np.int8),
            "start": rng.integers(0, 50, size).astype(np.int32), "treated_day": rng.integers(-1, 80, size).astype(np.int32)}


def test_treat_is_the_outcome_draw_against_the_success_curve_and_trust_learns_from_it():
    rng = np.random.default_rng(8)
    e, streams = _episodes(5_000, rng), Streams(4)
    fid, tier = rng.integers(0, 30, 5_000), rng.integers(0, 4, 5_000)
    skill = rng.uniform(0, 3.5, 30)
    eps = e["eps"]
    resident = np.zeros(len(e["person"]), dtype=np.int32)
    resident[eps] = rng.permutation(8_000)[:5_000]  # one episode per resident
    trust = rng.uniform(0.2, 0.9, (8_000, 4)).astype(np.float32)
    before = trust.copy()
    shift = np.where(np.arange(30) % 3 == 0, 0.5, 0.0)  # discharge readiness at some facilities
    success = (0.25, 0.92, 6.0, 0.1)
    resolved, again = care.treat(streams.key, eps, fid, tier, e["person"], e["key"], e["steps"], e["severity"], resident,
                                    skill, success, trust, 0.1, shift)
    u = streams.uniform(Purpose.OUTCOME, e["person"][eps], e["key"][eps].astype(np.int64) * 8 + e["steps"][eps])
    p = 0.25 + (0.92 - 0.25) / (1 + np.exp(-6.0 * (skill[fid] - e["severity"][eps] + 0.1)))
    p = 1 / (1 + (1 - p) / p * np.exp(-shift[fid]))  # the readiness shift moves the log-odds
    ok = u < p
    assert np.array_equal(resolved, eps[ok]) and np.array_equal(again, eps[~ok])
    # capable facilities succeed more often than ones treating above their skill
    capable = skill[fid] >= e["severity"][eps]
    assert ok[capable].mean() > ok[~capable].mean() + 0.2
    # trust in the treating tier moves toward the outcome, in float32; nothing else moves
    rows = resident[eps]
    expected = before.copy()
    expected[rows, tier] = before[rows, tier] + np.float32(0.1) * (ok.astype(np.float32) - before[rows, tier])
    assert np.array_equal(trust, expected)


@settings(max_examples=20, deadline=None)
@given(st.booleans(), st.integers(0, 10**6))
def test_dies_draws_against_the_excess_fatality_of_the_delay(untreated, seed):
    rng = np.random.default_rng(seed)
    e, streams = _episodes(2_000, rng), Streams(seed)
    base, per_day = np.array([0.0, 0.01, 0.2, 0.5]), np.array([0.0, 0.0, 0.01, 0.03])
    eps, day = e["eps"], 90
    got = care.dies(streams.key, eps, e["person"], e["key"], e["severity"], e["start"], e["treated_day"], day, untreated,
                       base, per_day)
    sev = e["severity"][eps]
    delay = day - e["start"][eps] if untreated else np.maximum(e["treated_day"][eps] - e["start"][eps], 0)
    p = np.clip(np.where(untreated, base[sev], 0.0) + per_day[sev] * delay, 0, 1)
    assert np.array_equal(got, streams.uniform(Purpose.FATALITY, e["person"][eps], e["key"][eps]) < p)
    assert not got[p == 0].any()


def test_onset_kinds_follow_the_severity_mix_and_bed_need():
    rng = np.random.default_rng(2)
    n, streams, p = 20_000, Streams(6), IllnessParams()
    uid, ctr = rng.integers(0, 10**6, n), rng.integers(0, 9, n)
    age = rng.uniform(0, 95, n)
    chronic = rng.integers(0, 4, n).astype(np.uint8)
    # the rates by age band and chronic condition, as documented
    band = np.digitize(age, illness.AGE_BANDS) - 1
    acute = np.asarray(p.acute_rate)[band] * p.incidence_scale
    follow = (((chronic & 1) > 0) * p.hypertension_followups + ((chronic & 2) > 0) * p.diabetes_followups) * p.incidence_scale
    rates = illness.rate_params(illness.IllnessParams.of(Scenario()))
    # the rest of a year from day 165 holds that share of each kind's onsets: the seasons' weights
    season_acute, season_chronic = (seasons.daily(m, normalise=True)
                                    for m in (Scenario().illness.acute_by_month, Scenario().illness.chronic_by_month))
    # a year's onset counts are Poisson at those rates, from each resident's ONSET draw for the year
    k = illness.onset_counts(streams.key, uid, age, chronic, *rates, 3, 165, 365)
    u_year = streams.uniform(Purpose.ONSET, uid, 3)
    lam = (acute * season_acute[165:].sum() + follow * season_chronic[165:].sum()) / 365
    assert k.tolist() == [illness.poisson_quantile(a, illness.poisson_cdf(b)) for a, b in zip(u_year, lam, strict=True)]
    # more distinct rates than the call keeps CDFs for: the others are drawn the same way
    assert len(np.unique(lam)) > 3
    assert np.array_equal(illness.onset_counts(streams.key, uid, age, chronic, *rates, 3, 165, 365, 3), k)
    need_by_sev = np.asarray(p.admission_need, dtype=float)
    day = 20  # in January, both kinds run above their yearly rate, by their own profiles
    sev, need = illness.onset_kinds(streams.key, uid, ctr, day, age, chronic, *rates, illness.severity_cdf(p), 0.04,
                                    need_by_sev)
    u_kind, u_sev, u_adm = (streams.uniform(q, uid, ctr) for q in (Purpose.KIND, Purpose.SEVERITY, Purpose.ADMIT))
    acute, follow = acute * season_acute[day], follow * season_chronic[day]
    follow_up = u_kind * (acute + follow) >= acute
    mix = np.array([p.severity_young, p.severity_middle, p.severity_old])[np.digitize(age, [15, 60])]
    acute_sev = (u_sev[:, None] > np.cumsum(mix, axis=1)[:, :-1]).sum(axis=1)
    expected = np.where(follow_up, np.where(u_sev < 0.04, illness.SERIOUS, illness.COMMON), acute_sev)
    assert np.array_equal(sev, expected)
    assert np.array_equal(need, u_adm < need_by_sev[expected])  # the clinical need (a facility scales it at the visit)
    # the facility's admission response scales discretionary admissions only, on the same draw
    scale = np.where(expected <= illness.COMMON, 0.7, 1.0)
    scaled = [illness.needs_admission(u, s, need_by_sev, 0.7) for u, s in zip(u_adm, expected, strict=True)]
    assert np.array_equal(scaled, u_adm < np.clip(need_by_sev[expected] * scale, 0, 1))


@settings(max_examples=300, deadline=None)
@given(st.booleans(), st.booleans(), st.integers(0, 30), st.floats(0, 40), st.floats(0, 10), st.floats(0, 40), st.floats(0, 45),
       st.floats(0, 0.5), st.floats(0, 0.5), st.floats(0, 40), st.floats(0, 30))
def test_admission_takes_emergencies_to_the_extra_beds_and_books_or_sends_away_the_rest(
        emergency, priority, waited, occupied, occupied_priority, staffed, n_beds, reserved, extra, wait, max_wait):
    d = beds.admission(emergency, priority, waited, occupied, occupied_priority, staffed, n_beds, reserved, extra, wait,
                       max_wait)
    taken = occupied + occupied_priority
    if emergency:  # any bed, extra beds (加床) included, up to the ceiling (without priority, not the reserve left); never wait
        ceiling = n_beds * (1 + extra) - (0 if priority else max(staffed * reserved - occupied_priority, 0))
        assert d == (beds.ADMITTED if taken + 1 <= ceiling + 1e-9 else beds.TURNED_AWAY)
        return
    # a staffed bed free now: priority patients any, the others none of the reserve priority patients leave empty
    in_reserve = min(occupied_priority, staffed * reserved)
    free = staffed - taken if priority else staffed * (1 - reserved) - (taken - in_reserve)
    if free >= 1 - 1e-9:
        assert d == beds.ADMITTED
    else:
        assert d == (beds.BOOKED if waited + wait <= max_wait else beds.TURNED_AWAY)


def test_stays_draw_lengths_and_down_referrals_by_tier():
    rng = np.random.default_rng(4)
    e, streams = _episodes(6_000, rng), Streams(9)
    eps = e["eps"]
    fid = rng.integers(0, 12, 6_000)
    ftier = 1 + np.arange(12) % 3
    tier = ftier[fid]
    los_days = np.array([0.0, 6.0, 8.5, 10.5])
    # the responses are by facility: two facilities of a tier may differ
    response = np.where(np.arange(12) < 6, 1.0, 0.8) * np.array([1.0, 0.9, 1.0])[np.arange(12) % 3]
    down_prob = np.array([0, 0.3, 0.6])[ftier - 1] * np.where(np.arange(12) < 6, 1.0, 1.5)
    los, down, acute = beds.stays(streams.key, eps, e["person"], e["key"], e["severity"], fid, tier, los_days, response, down_prob,
                                  0.5)
    u = streams.uniform(Purpose.LOS, e["person"][eps], e["key"][eps])
    base = np.maximum(1, np.rint(los_days[tier] * (0.85 + 0.1 * e["severity"][eps]) * (0.5 + u)))
    assert np.array_equal(los, np.maximum(1, np.rint(base * response[fid])))
    u_down = streams.uniform(Purpose.DOWN, e["person"][eps], e["key"][eps])
    assert np.array_equal(down, (tier >= 2) & (u_down < down_prob[fid]) & (los >= 3))
    assert np.array_equal(acute, np.minimum(np.maximum(1, np.rint(los * 0.5)), los - 1))
    # however long the acute part, a move down comes before the discharge day
    _, down, acute = beds.stays(streams.key, eps, e["person"], e["key"], e["severity"], fid, tier, los_days, response, down_prob,
                                1.0)
    assert down.any() and (acute[down] < los[down]).all()
    assert not down[tier == 1].any() and down[tier == 3].mean() > down[tier == 2].mean()


def test_triage_attempts_with_the_smooth_probability_and_records_first_adequate_care():
    rng = np.random.default_rng(12)
    e, streams = _episodes(4_000, rng), Streams(5)
    eps = e["eps"]
    needs_bed = rng.random(len(e["person"])) < 0.3
    fid = rng.integers(0, 40, 4_000)
    skill, tier = rng.uniform(0, 3.5, 40), rng.integers(0, 4, 40)
    keep, admission = np.where(tier == 2, 0.3, 0.0), np.where(tier == 1, 1.5, 1.0)  # responses by facility
    serious = np.where(tier == 2, 1.2, 1.0)
    need = np.array([0.0, 0.1, 0.6, 0.9])
    attempt = (0.35, 0.1)
    treated = e["treated_day"].copy()
    then = care.triage(streams.key, eps, fid, e["person"], e["key"], e["steps"], e["severity"], needs_bed, treated, skill,
                       tier, keep, admission, serious, 77, attempt, need)
    sev, bed, t = e["severity"][eps], needs_bed[eps], tier[fid]
    u = streams.uniform(Purpose.ATTEMPT, e["person"][eps], e["key"][eps].astype(np.int64) * 8 + e["steps"][eps])
    chance = 1 / (1 + np.exp(-(skill[fid] + 0.35 + keep[fid] - sev) / 0.1))  # a logistic, no threshold
    refer = (u >= chance) | (bed & (t == 0))
    assert np.array_equal(then == care.REFER, refer)
    # the facility's call on the episode's own ADMIT draw: clinical need, the discretionary part scaled
    u_adm = streams.uniform(Purpose.ADMIT, e["person"][eps], e["key"][eps])
    scaled = np.where(sev <= 1, admission[fid], np.where(sev == 2, serious[fid], 1.0))
    admit = (t >= 1) & (u_adm < np.clip(need[sev] * scaled, 0, 1))
    assert np.array_equal(then == care.ADMIT, ~refer & admit)
    assert np.array_equal(then == care.OUTPATIENT, ~refer & ~admit)
    # adequate care: the facility would have attempted the case without keeping it
    unkept = 1 / (1 + np.exp(-(skill[fid] + 0.35 - sev) / 0.1))
    adequate = ~refer & (u < unkept) & (e["treated_day"][eps] < 0)
    assert (treated[eps[adequate]] == 77).all()
    unchanged = np.setdiff1d(np.arange(len(treated)), eps[adequate])
    assert np.array_equal(treated[unchanged], e["treated_day"][unchanged])
    # well within skill it always attempts, far beyond it never; in between the chance is smooth
    assert care.attempt_probability(2.0, 1, 0.0, attempt) > 0.999 and care.attempt_probability(0.5, 3, 0.0, attempt) < 1e-6
    grid = np.array([care.attempt_probability(x, 2, 0.0, attempt) for x in np.linspace(1.0, 2.5, 151)])
    assert np.all(np.diff(grid) > 0) and np.max(np.diff(grid)) < 0.03


def test_book_choices_waits_and_tallies():
    rng = np.random.default_rng(21)
    n, nf, pool = 5_000, 25, 12_000
    eps = rng.permutation(pool)[:n]
    alt = rng.integers(-1, 5, n)
    fid = np.where(alt > 0, rng.integers(0, nf, n), -1)
    contract = rng.random(n) < 0.2
    letter = rng.random(pool) < 0.3
    steps = rng.integers(1, 4, pool).astype(np.int8)
    sev = rng.integers(0, 4, pool).astype(np.int8)
    referred_tier = np.where(letter, rng.integers(1, 4, pool), -1).astype(np.int8)
    tier, use_reserved = rng.integers(0, 4, nf), rng.random(nf) < 0.5
    wait_general, wait_priority = rng.uniform(0, 6, nf), rng.uniform(0, 2, nf)
    facility = np.full(pool, -7, dtype=np.int32)
    arrivals, arrivals_priority = np.ones(nf), np.zeros(nf)
    gave_up, own, own_letter, booked, visit_day, tally, first_by = choice.book_choices(
        eps, alt, fid, contract, letter, steps, sev, referred_tier, tier, use_reserved, wait_general, wait_priority, 30,
        facility, arrivals, arrivals_priority)
    # each episode in exactly one of the three lists, in the order given
    assert np.array_equal(gave_up, eps[alt < 0]) and np.array_equal(own, eps[alt == 0])
    assert np.array_equal(booked, eps[alt > 0]) and np.array_equal(own_letter, letter[own])
    go = alt > 0
    e, f = eps[go], fid[go]
    chosen = np.where(alt == 0, -1, tier[np.maximum(fid, 0)])[alt >= 0]
    decided = eps[alt >= 0]
    first = (steps[decided] == 1) & (chosen >= 0)
    assert tally.tolist() == [letter[decided].sum(), (letter[decided] & (chosen >= referred_tier[decided])).sum(), first.sum(),
                              (first & (chosen >= 2) & (sev[decided] <= illness.COMMON)).sum()]
    expected_by = np.zeros((4, 4), dtype=np.int64)
    np.add.at(expected_by, (sev[decided][first], chosen[first]), 1)
    assert np.array_equal(first_by, expected_by)
    # seen the day they come, in no reserved queue, unless referred to the tertiary hospital (booked: 预约转诊)
    emergency = (sev[e] >= illness.SERIOUS) & ~(letter[e] & (tier[f] == 3))
    pri = letter[e] & contract[go] & use_reserved[f] & ~emergency
    assert np.array_equal(arrivals, 1 + np.bincount(f[~pri], minlength=nf))
    assert np.array_equal(arrivals_priority, np.bincount(f[pri], minlength=nf))
    assert np.array_equal(facility[e], f) and np.all(np.delete(facility, e) == -7)
    wait = np.where(emergency, 0.0, np.where(pri, wait_priority[f], wait_general[f]))
    assert np.array_equal(visit_day, 30 + np.floor(wait).astype(np.int64))
    assert emergency.any() and (~emergency & (wait >= 1)).any()  # both kinds of booking were tried


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 9), max_size=80))
def test_by_day_is_a_stable_sort_with_day_bounds(days):
    day = np.array(days, dtype=np.uint16)
    rows = np.arange(len(day), dtype=np.int32) * 3
    out, bounds = arrays.by_day(rows, day, 10)
    assert np.array_equal(out, rows[np.argsort(day, kind="stable")])
    assert np.array_equal(np.diff(bounds), np.bincount(day, minlength=10)) and bounds[0] == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 5), min_size=1, max_size=40), st.integers(1, 100), st.lists(st.floats(0, 1), max_size=50))
def test_guided_search_is_searchsorted(steps, buckets, quantiles):
    """The last index at most ``x``, as NumPy's search finds it, for any guide size, at the values
    themselves (ties, repeated values) and between them."""
    values = np.cumsum([0.0, *steps, 1.0])
    x = np.concatenate([values, values[0] + np.array(quantiles) * (values[-1] - values[0])])
    guide = arrays.search_guide(values, buckets)
    assert [arrays.guided_search(values, guide, v) for v in x] == (np.searchsorted(values, x, side="right") - 1).tolist()


def test_onset_days_number_each_residents_onsets_and_spread_them_over_the_days_left():
    """Without seasons an onset's day is uniform over the days left, from its ONSET draw."""
    streams = Streams(2)
    flat = seasons.SeasonParams((1.0,) * 12, (1.0,) * 12, (1.0,) * 12)
    rates = (np.array([2.0, 2, 2, 2, 2]), 3.0, 3.0, 1.0, *seasons.season_weights(flat))
    rows, uid, k = np.array([7, 3, 9]), np.array([70, 30, 90]), np.array([2, 0, 3])
    age, chronic = np.array([30.0, 30, 30]), np.zeros(3, dtype=np.uint8)  # acute onsets only
    rep, offset = illness.onset_days(streams.key, rows, uid, k, age, chronic, *rates, *illness.season_guides(rates), 4, 265,
                                     365)
    assert rep.tolist() == [7, 7, 9, 9, 9]
    nth = np.array([0, 1, 0, 1, 2])
    u = streams.uniform(Purpose.ONSET, np.repeat(uid, k), 5 * 4096 + nth)
    assert np.array_equal(offset, np.floor(u * 100).astype(np.uint16))


def test_seasonal_onsets_fall_in_each_month_in_proportion_to_its_weight():
    """A winter-heavy profile puts that share of a year's onsets in each month, for acute onsets
    and chronic follow-ups by their own profiles; a county's visitors scale both."""
    streams = Streams(3)
    acute_by_month = (3.0, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2)
    chronic_by_month = (1.0,) * 6 + (2.0,) * 6
    visitors = (1.0,) * 6 + (1.5,) + (1.0,) * 5  # July's tourists
    rates = (np.array([2.0, 2, 2, 2, 2]), 3.0, 0.0, 1.0,
             *seasons.season_weights(seasons.SeasonParams(acute_by_month, chronic_by_month, visitors)))
    n = 40_000
    rows, uid = np.arange(n), np.arange(n) + 10
    months = np.array([seasons.month_of(d) for d in range(365)])
    age = np.full(n, 30.0)
    for chronic, by_month, rate in ((0, acute_by_month, 2.0), (1, chronic_by_month, 5.0)):
        k = illness.onset_counts(streams.key, uid, age, np.full(n, chronic, dtype=np.uint8), *rates, 0, 0, 365)
        _, offset = illness.onset_days(streams.key, rows, uid, k, age, np.full(n, chronic, dtype=np.uint8), *rates,
                                       *illness.season_guides(rates), 0, 0, 365)
        weight = seasons.daily(by_month, normalise=True) * seasons.daily(visitors, normalise=False)
        chronic_weight = seasons.daily(chronic_by_month, normalise=True) * seasons.daily(visitors, normalise=False)
        expected_total = n * (2.0 * weight.sum() + (rate - 2.0) * chronic_weight.sum()) / 365
        assert k.sum() == pytest.approx(expected_total, rel=0.02)
        by_month_seen = np.bincount(months[offset], minlength=12) / len(offset)
        mix = 2.0 * seasons.daily(acute_by_month, normalise=True) + (rate - 2.0) * seasons.daily(chronic_by_month, normalise=True)
        want = np.bincount(months, weights=mix * seasons.daily(visitors, normalise=False), minlength=12)
        assert np.allclose(by_month_seen, want / want.sum(), atol=0.006)


def test_develop_chronic_adds_conditions_at_the_rise_in_prevalence():
    rng = np.random.default_rng(5)
    n, streams, day, year = 30_000, Streams(8), 730, 2
    alive = rng.random(n) < 0.9
    uid = rng.permutation(10**6)[:n]
    birth_day = (day - rng.uniform(0, 90, n) * population.DAYS_PER_YEAR).astype(np.int32)
    before = rng.integers(0, 4, n).astype(np.uint8)
    chronic = before.copy()
    demography.develop_chronic(streams.key, alive, uid, birth_day, chronic, day, year, 1.0, 1.0)
    age = (day - birth_day) / population.DAYS_PER_YEAR
    p = PopulationParams(hypertension_scale=1.0, diabetes_scale=1.0)
    (h0, d0), (h1, d1) = population.chronic_prevalence(age - 1, p), population.chronic_prevalence(age, p)
    new_h = alive & (streams.uniform(Purpose.CHRONIC, uid, 2 * year) < np.clip((h1 - h0) / np.maximum(1 - h0, 1e-9), 0, 1))
    new_d = alive & (streams.uniform(Purpose.CHRONIC, uid, 2 * year + 1) < np.clip((d1 - d0) / np.maximum(1 - d0, 1e-9), 0, 1))
    assert np.array_equal(chronic, before | new_h * population.HYPERTENSION | new_d * population.DIABETES)
    assert np.array_equal(chronic[~alive], before[~alive])  # the dead develop nothing
    assert new_h[age > 50].mean() > new_h[age < 15].mean()  # prevalence rises with age


def test_count_visits_counts_by_facility_and_kind_of_bill():
    rng = np.random.default_rng(30)
    n_eps, nf = 3_000, 12
    eps = rng.permutation(9_000)[:n_eps]
    fid = rng.integers(0, nf, n_eps)
    visits = rng.integers(0, 3, 9_000).astype(np.int16)
    has_referral = rng.random(9_000) < 0.3
    scheme, tier = rng.integers(0, 2, 9_000).astype(np.uint8), rng.integers(0, 4, nf)
    before = visits.copy()
    counts, revisits = billing.count_visits(eps, fid, visits, has_referral, scheme, tier)
    again = before[eps] > 0
    kind = ((scheme[eps].astype(np.int64) * 4 + tier[fid]) * 2 + has_referral[eps]) * 2 + again
    assert np.array_equal(counts, np.bincount(fid * 32 + kind, minlength=nf * 32).reshape(nf, 32))
    assert revisits == again.sum()
    assert np.array_equal(visits[eps], before[eps] + 1) and np.array_equal(np.delete(visits, eps), np.delete(before, eps))


def test_prevalence_interpolates_the_survey_curves_as_numpy_does():
    age = np.concatenate([np.linspace(-3, 110, 2001), population._PREV_AGES])
    got = np.array([population.prevalence(a, 1.3, 0.8) for a in age])
    assert np.array_equal(got[:, 0], np.clip(np.interp(age, population._PREV_AGES, population._HYPERTENSION) * 1.3, 0, 1))
    assert np.array_equal(got[:, 1], np.clip(np.interp(age, population._PREV_AGES, population._DIABETES) * 0.8, 0, 1))


def test_compiled_caches_are_dropped_when_any_compiled_source_changes(tmp_path):
    """A kernel caches with rules of other modules inlined (``demography.background_deaths``
    inlines ``lifetable.death_age``); editing any compiled module must not leave one stale."""
    from reformsim.agents import _drop_stale_compiled_caches

    agents = tmp_path / "agents"
    (agents / "__pycache__").mkdir(parents=True)
    (agents / "demography.py").write_text("kernel = 1\n")
    (agents / "lifetable.py").write_text("death_age = 1\n")
    cached = [agents / "__pycache__" / "demography.background_deaths-1.py312.nbi",
              agents / "__pycache__" / "demography.background_deaths-1.py312.1.nbc"]

    def compile_all():
        for f in cached:
            f.write_bytes(b"compiled")

    compile_all()
    _drop_stale_compiled_caches(agents)  # first sight of these sources
    assert not any(f.exists() for f in cached)
    compile_all()
    _drop_stale_compiled_caches(agents)
    assert all(f.exists() for f in cached), "unchanged sources keep their caches"
    (agents / "lifetable.py").write_text("death_age = 2\n")
    _drop_stale_compiled_caches(agents)
    assert not any(f.exists() for f in cached), "the kernel that inlines the edited rule must recompile"


@pytest.mark.parametrize("regime", ["ffs", "drg", "dip", "capitation"])
def test_bill_stays_bills_bed_days_as_the_reimbursement_rules_say(regime):
    """The compiled stay bill against the NumPy rules: the facility's drug and test intensity and
    self-pay share; ``fund_share`` for a stay's first bill (deductible, ratio, cap),
    ``effective_ratio`` for a continuing one; a stay paid per case earns its (coded) rate or DIP
    points at their value less the patient's co-payment, nothing for a merged readmission; the
    critical-illness layer pays its ratio of a resident's out of pocket above the threshold."""
    rng = np.random.default_rng(31)
    n_eps, nf, pool = 2_000, 10, 5_000
    schemes = (SchemeParams(cap_per_stay=[0.0, 3_000.0, 9_000.0, 20_000.0]), InsuranceParams().employee)
    pay = payment.PaymentParams.of(Scenario().model_copy(update={"payment": PaymentParams(
        regime=regime, drg_from_tier=2, consortium_pays_drg=True, out_of_county_regime="drg")}))
    ftier = np.arange(nf) % 4
    per_case = payment.per_case_facilities(pay, ftier)
    eps = rng.permutation(pool)[:n_eps]
    fid = np.full(pool, -1)
    fid[eps] = rng.integers(0, nf, n_eps)
    since, visits = rng.integers(-30, 11, pool), rng.integers(0, 4, pool).astype(np.int16)
    scheme, letter = rng.integers(0, 2, pool).astype(np.uint8), rng.random(pool) < 0.3
    referred_tier = np.where(rng.random(pool) < 0.3, 2, -1).astype(np.int8)
    admit_tier = np.where(rng.random(pool) < 0.7, ftier[np.maximum(fid, 0)], 3).astype(np.int8)
    admit_day = rng.integers(-40, 11, pool).astype(np.int32)
    sev = rng.integers(0, 4, pool).astype(np.int8)
    # the episode's last discharge: some at the same facility a few days before this admission
    discharged_at = np.where(rng.random(pool) < 0.5, np.maximum(fid, 0), rng.integers(-1, nf, pool)).astype(np.int32)
    discharged_day = np.where(discharged_at >= 0, admit_day - rng.integers(0, 40, pool), -1).astype(np.int32)
    billed, cost0 = rng.random(pool) < 0.4, rng.random(pool) * 100
    before, cost = billed.copy(), cost0.copy()
    price = [np.array([0.0, 300.0, 900.0, 2_000.0]), np.array([0.0, 200.0, 500.0, 900.0]), np.array([0.0, 50.0, 150.0, 400.0])]
    tests, drugs = rng.uniform(0.8, 1.3, nf), rng.uniform(0.7, 1.1, nf)  # the providers' responses, by facility
    self_pay, coding = rng.uniform(0, 0.08, nf), np.where(per_case, rng.uniform(0, 0.1, nf), 0.0)
    repeat, merge_days = 0.75, 15
    case_rate = rng.uniform(2_000, 20_000, (4, 4))
    points, value, resource_share = regime == "dip", 0.9, 0.6
    critical = (5_000.0, 0.5)
    out = billing.bill_stays(eps, 10, fid, since, visits, scheme, letter, referred_tier, admit_tier, admit_day, sev,
                             discharged_at, discharged_day, billed, cost, ftier, merge_days, *price, tests, drugs, self_pay,
                             repeat, *billing.inpatient_terms(schemes), per_case, case_rate, coding, points, value,
                             resource_share, *critical)
    f, t, s, days, service, drug, test, oop, paid, crit, pts, by_case = out
    assert np.array_equal(f, fid[eps]) and np.array_equal(t, ftier[f]) and np.array_equal(s, scheme[eps])
    assert np.array_equal(days, np.maximum(10 - since[eps], 1))
    assert np.allclose(drug, price[1][t] * days * drugs[f])
    assert np.allclose(test, price[2][t] * days * tests[f] * np.where(visits[eps] > 1, repeat, 1.0))
    bill = price[0][t] * days + drug + test
    own = self_pay[f] * bill
    covered = bill - own
    referred = letter[eps] | (referred_tier[eps] >= 0)
    insured = np.where(before[eps], covered * billing.effective_ratio(schemes, s, t, referred, "inpatient"),
                       billing.fund_share(covered, schemes, s, t, referred, "inpatient"))
    copay = covered - insured
    assert (~before[eps] & (insured == schemes[0].cap_per_stay[2]) & (s == 0) & (t == 2)).any()  # caps bind here
    case = per_case[f] & (admit_tier[eps] == t)
    # the tertiary hospital by its own city's rules (here DRG); in the county from drg_from_tier up unless fee-for-service
    assert np.array_equal(per_case, (ftier == 3) | ((regime != "ffs") & (ftier == 2)))
    assert np.array_equal(by_case, case) and case.any()
    last = discharged_day[eps]  # -1: no discharge before
    merged = case & (last >= 0) & (discharged_at[eps] == f) & (admit_day[eps] - last <= merge_days)
    assert merged.any()
    rate = case_rate[t, sev[eps]] * (1 + coding[f])
    expected_points = np.where(case & points, (1 - resource_share) * rate + resource_share * (1 + coding[f]) * covered, 0.0)
    if points:
        rate = value * expected_points
    assert np.allclose(pts, expected_points)
    assert np.allclose(paid, np.where(case, np.where(merged, 0.0, np.maximum(rate - copay, 0.0)), insured))
    expected_critical = np.where(s == 0, critical[1] * np.maximum(copay + own - critical[0], 0.0), 0.0)
    assert np.allclose(crit, expected_critical) and (crit > 0).any()
    assert np.allclose(oop, copay + own - expected_critical)
    assert billed[eps].all() and np.array_equal(np.delete(billed, eps), np.delete(before, eps))
    assert np.allclose(cost[eps], cost0[eps] + bill)


def test_count_by_age_in_days_is_a_census_of_the_living():
    rng = np.random.default_rng(32)
    alive = rng.random(5_000) < 0.8
    birth_day = rng.integers(-30_000, 401, 5_000).astype(np.int32)
    counts = demography.count_by_age_in_days(alive, birth_day, 400)
    assert np.array_equal(counts, np.bincount(400 - birth_day[alive]))


def test_newborns_are_a_poisson_count_with_attributes_from_their_own_draws():
    key = Streams(12).key
    home_cdf, income_cdf = np.array([0.2, 0.5, 1.0]), np.array([0.3, 0.8, 1.0])
    days = [demography.newborns(key, day, 3.5, home_cdf, income_cdf, 0.49) for day in range(4_000)]
    counts = np.array([len(h) for h, _, _ in days])
    assert abs(counts.mean() - 3.5) < 4 * np.sqrt(3.5 / len(counts)) and 3.0 < counts.var() < 4.0
    home, female, income = (np.concatenate([d[j] for d in days]) for j in range(3))
    assert np.allclose(np.bincount(home, minlength=3) / len(home), [0.2, 0.3, 0.5], atol=0.015)
    assert np.allclose(np.bincount(income, minlength=3) / len(income), [0.3, 0.5, 0.2], atol=0.015)
    assert abs(female.mean() - 0.49) < 0.015
    # common random numbers: more expected births on the same day add newborns, the first stay who they were
    few, more = (demography.newborns(key, 7, mean, home_cdf, income_cdf, 0.49) for mean in (3.5, 9.0))
    assert len(more[0]) > len(few[0]) and all(np.array_equal(m[: len(f)], f) for f, m in zip(few, more, strict=True))
    # a mean whose exp(-mean) would underflow is drawn in parts
    big = np.array([len(demography.newborns(key, day, 2_000.0, home_cdf, income_cdf, 0.49)[0]) for day in range(300)])
    assert abs(big.mean() - 2_000) < 4 * np.sqrt(2_000 / 300) and 1_500 < big.var() < 2_600


def test_background_deaths_draws_each_residents_day_and_lists_this_years():
    rng = np.random.default_rng(8)
    n, day, year_end, e0 = 3_000, 400, 730, 74.0
    uid = rng.permutation(10**6)[:n].astype(np.int64)
    birth_day = rng.integers(-36_000, day + 1, n).astype(np.int32)
    death_day = np.full(n, -5, dtype=np.int32)
    rows = rng.permutation(n)[: n // 2]
    streams = Streams(4)
    decline = 0.02  # hazards falling from day 0: the draw is made 400 days on
    soon, days = demography.background_deaths(streams.key, rows, uid, birth_day, death_day, day, year_end,
                                           lifetable.hazard_schedule(e0), lifetable.cumulative_hazard(e0, decline), decline)
    m, cum = lifetable.hazard_schedule(e0), lifetable.cumulative_hazard(e0, decline)
    at = np.array([lifetable.death_age_trending(a, u, m, cum, decline, day / population.DAYS_PER_YEAR) for a, u in
                   zip(population.age_on(day, birth_day[rows]), streams.uniform(Purpose.DEATH, uid[rows]), strict=True)])
    expected = np.maximum(birth_day[rows] + np.floor(at * population.DAYS_PER_YEAR).astype(np.int64), day)
    assert np.array_equal(death_day[rows], expected)
    assert np.all(np.delete(death_day, rows) == -5)
    this_year = expected < year_end
    assert this_year.any() and not this_year.all()
    assert np.array_equal(soon, rows[this_year]) and np.array_equal(days, expected[this_year])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 59), max_size=60, unique=True), st.sampled_from([np.int8, np.int32, np.float64, np.bool_]))
def test_scatter_fill_and_scatter_from_assign_as_numpy_does(ids, dtype):
    rng = np.random.default_rng(len(ids))
    ids = np.array(ids, dtype=np.int64)
    base = rng.integers(-5, 5, 60).astype(dtype)
    src = rng.integers(-5, 5, len(ids))  # int64 into the field's dtype, as the engine's ids and days are
    pool, rows = rng.integers(-5, 5, 200).astype(dtype), rng.integers(0, 200, len(ids))
    for compiled, numpy in ((lambda a: arrays.scatter(a, ids, src), lambda a: a.__setitem__(ids, src)),
                            (lambda a: arrays.fill(a, ids, 3), lambda a: a.__setitem__(ids, 3)),
                            (lambda a: arrays.scatter_from(a, ids, pool, rows), lambda a: a.__setitem__(ids, pool[rows]))):
        got, expected = base.copy(), base.copy()
        compiled(got)
        numpy(expected)
        assert np.array_equal(got, expected)


def test_admit_patients_keeps_the_wards_books_as_it_admits_books_and_sends_away():
    rng = np.random.default_rng(17)
    n, nf, pool, day = 3_000, 12, 9_000, 50
    eps = rng.permutation(pool)[:n]
    fid, pri = rng.integers(0, nf, n), rng.random(n) < 0.3
    severity = rng.integers(0, 4, pool).astype(np.int8)
    ftier = np.arange(nf) % 4
    county_ids = np.flatnonzero(ftier == 2)
    n_beds = rng.uniform(0, 60, nf)
    staffed = n_beds * rng.uniform(0.6, 1.0, nf)
    occupied, occupied_pri = n_beds * rng.uniform(0, 0.9, nf), n_beds * rng.uniform(0, 0.3, nf)
    waiting, waiting_pri = rng.integers(0, 20, nf).astype(float), np.zeros(nf)
    reserved = np.where(ftier == 3, 0.25, 0.0)
    own_list = reserved > 0
    wait_general, wait_priority = rng.uniform(0, 20, nf), rng.uniform(0, 5, nf)
    listed_day, listed_pri = np.full(pool, -1, dtype=np.int32), np.zeros(pool, dtype=bool)
    on_list = eps[:200]  # patients coming back from a waiting list: they leave it first
    listed_day[on_list] = day - 3
    facility = np.full(pool, -1, dtype=np.int32)
    facility[eps] = fid
    waiting += np.bincount(fid[:200], minlength=nf)
    admissions_today, by_tier, waited, emergencies = np.zeros(nf), np.zeros(4), np.zeros(4), np.zeros((2, 4))
    fields = {name: np.full(pool, -3, dtype=dt) for name, dt in
              (("bed_facility", np.int32), ("admit_tier", np.int8), ("bed_since", np.int32), ("admit_day", np.int32))}
    has_referral = np.zeros(pool, dtype=bool)
    taken0 = occupied + occupied_pri
    before = occupied.copy(), occupied_pri.copy(), waiting.copy() - np.bincount(fid[:200], minlength=nf)
    decision, back = beds.admit_patients(
        eps, fid, pri, day, severity, facility, listed_day, listed_pri, fields["bed_facility"], fields["admit_tier"],
        fields["bed_since"], fields["admit_day"], has_referral, county_ids, ftier, occupied, occupied_pri, waiting, waiting_pri,
        staffed, n_beds, reserved, own_list, wait_general, wait_priority, 0.2, 14.0, admissions_today, by_tier, waited,
        emergencies)
    admitted, booked, away = (eps[decision == d] for d in (beds.ADMITTED, beds.BOOKED, beds.TURNED_AWAY))
    assert len(admitted) + len(booked) + len(away) == n
    at = fields["bed_facility"][admitted]
    assert np.array_equal(occupied, before[0] + np.bincount(at[~pri[decision == beds.ADMITTED]], minlength=nf))
    assert np.array_equal(occupied_pri, before[1] + np.bincount(at[pri[decision == beds.ADMITTED]], minlength=nf))
    assert np.array_equal(admissions_today, np.bincount(at, minlength=nf)) and by_tier.sum() == len(admitted)
    assert waited.sum() == 3 * np.isin(admitted, on_list).sum()  # days waited by those admitted off a list
    sev = severity[eps] >= illness.SERIOUS
    tried = ftier[fid]  # counted at the tier of the ward tried
    assert emergencies.tolist() == [np.bincount(tried[sev & (decision == beds.ADMITTED)], minlength=4).tolist(),
                                    np.bincount(tried[sev & (decision != beds.ADMITTED)], minlength=4).tolist()]
    # a county hospital passes patients to another county hospital; no other ward places anyone elsewhere
    moved = facility[eps] != fid
    assert (ftier[fid[moved]] == 2).all() and (ftier[facility[eps][moved]] == 2).all()
    assert np.array_equal(at, facility[admitted]) and np.array_equal(fields["admit_tier"][admitted], ftier[at])
    # electives never take an extra bed: at most the whole staffed beds free before; emergencies up to the ceiling
    emergency = severity[admitted] >= illness.SERIOUS
    assert (np.bincount(at[~emergency], minlength=nf) <= np.maximum(np.floor(staffed - taken0 + 1e-9), 0)).all()
    assert (occupied + occupied_pri <= np.maximum(taken0, n_beds * 1.2) + 1e-9).all()
    # the booked are on their ward's list (priority patients on their own where beds are reserved), back tomorrow or later
    own = pri[decision == beds.BOOKED] & own_list[facility[booked]]
    assert np.array_equal(waiting, before[2] + np.bincount(facility[booked][~own], minlength=nf))
    assert np.array_equal(waiting_pri, np.bincount(facility[booked][own], minlength=nf))
    assert (back[decision == beds.BOOKED] >= day + 1).all() and (back[decision != beds.BOOKED] == -1).all()
    assert np.array_equal(listed_day[booked], np.where(np.isin(booked, on_list), day - 3, day))
    assert (listed_day[admitted] == -1).all() and (listed_day[away] == -1).all()
    assert np.array_equal(has_referral[admitted], pri[decision == beds.ADMITTED]) and not has_referral[away].any()
    untouched = np.setdiff1d(np.arange(pool), admitted)
    assert all(np.all(a[untouched] == -3) for a in fields.values())


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 100), st.floats(1e-6, 1 - 1e-6), st.floats(0.001, 0.08), st.floats(0, 30))
def test_a_falling_hazard_is_inverted_exactly_and_postpones_death(age, u, decline, years_on):
    """``death_age_trending`` solves: the hazard integrated from ``age`` to the age of death, the
    table's hazards falling by ``decline`` a year from the clock's start, equals -log(u); a faster
    decline never brings death forward."""
    m, cum = lifetable.hazard_schedule(76.0), lifetable.cumulative_hazard
    died = lifetable.death_age_trending(age, u, m, cum(76.0, decline), decline, years_on)
    assert died >= lifetable.death_age(age, u, m, cum(76.0)) - 1e-9
    assert died >= lifetable.death_age_trending(age, u, m, cum(76.0, decline / 2), decline / 2, years_on) - 1e-9
    if died < lifetable.MAX_AGE:
        grid = np.linspace(min(age, lifetable.MAX_AGE - 1e-9), died, 20_001)
        hazard = m[grid.astype(int).clip(0, lifetable.MAX_AGE - 1)] * np.exp(-decline * (years_on + grid - age))
        assert np.trapezoid(hazard, grid) == pytest.approx(-np.log(u), rel=2e-3, abs=1e-6)
