"""The engine's compiled kernels against plain NumPy statements of what they compute.

The kernels (``model/kernels.py``, ``Streams``, ``illness.poisson_quantile``) replace dozens of
array passes by one loop; each is checked here against an independent, obviously correct
formulation on random inputs, including the edge cases a day can produce (empty, one group,
repeated ids, unavailable slots).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from reformsim.agents import choice, illness
from reformsim.agents.streams import Purpose, Streams
from reformsim.model import kernels
from reformsim.model.params import BehaviourParams
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
    assert np.array_equal(kernels.rank_within(group, mask), _stable_rank(group, mask))


@settings(max_examples=200, deadline=None)
@given(ids_lists, st.data())
def test_first_of_each_keeps_first_occurrences_of_kept_rows(values, data):
    ids = np.array(values, dtype=np.int64)
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=len(ids), max_size=len(ids))), dtype=bool)
    seen = np.zeros(41, dtype=np.int64)
    expected = list(dict.fromkeys(ids[keep].tolist()))
    for stamp in (1, 2):  # a second call with a new stamp sees nothing of the first
        assert kernels.first_of_each(ids, keep, seen, stamp).tolist() == expected


def test_due_today_drops_stale_and_repeated_entries():
    due = np.array([5, 5, 6, 5, 5])
    stage = np.array([2, 3, 2, 2, 2])
    open_ = np.array([True, True, True, False, True])
    entries = np.array([0, 1, 2, 3, 4, 0, 4, 1])
    got = kernels.due_today(entries, due, stage, open_, 5, 2, np.zeros(5, dtype=np.int64), 1)
    assert got.tolist() == [0, 4]  # 1: other stage, 2: other day, 3: closed; repeats once


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
    got = illness.poisson_quantile(u, lam)
    # the walk and scipy's ppf may round a CDF exactly at ``u`` differently; nothing else
    assert np.mean(got == expected) > 0.9999
    assert np.all(np.abs(got - expected) <= 1)


def test_choose_slots_makes_the_choice_of_the_array_rule():
    """The engine's fused loop and the reference's array rule (``utilities`` then ``choose``)
    pick the same alternative for every episode, with unavailable slots and referrals mixed in."""
    rng = np.random.default_rng(5)
    homes, slots, n, fac = 7, 5, 4_000, 20
    slot_fac = rng.integers(0, fac, (homes, slots)).astype(np.int32)
    slot_tier = rng.integers(-1, 4, (homes, slots))
    skill = rng.uniform(0, 3.5, fac)
    wait_general, wait_priority = rng.uniform(0, 5, fac), rng.uniform(0, 1, fac)
    travel = rng.uniform(5, 180, (homes, slots)).astype(np.float32)
    oop_table = rng.uniform(0, 3000, (homes * 2 * 2 * 4, slots))
    quality = choice.perceived_quality(skill[slot_fac][:, None, :], np.arange(4)[None, :, None]).reshape(-1, slots)
    home = rng.integers(0, homes, n)
    sev = rng.integers(0, 4, n).astype(np.int8)
    scheme = rng.integers(0, 2, n).astype(np.uint8)
    letter = rng.random(n) < 0.4
    referred_tier = np.where(letter, rng.integers(1, 4, n), -1).astype(np.int8)
    contract = rng.random(n) < 0.3
    income = rng.integers(0, 3, n).astype(np.uint8)
    trust = rng.uniform(0.2, 1, (n, 4)).astype(np.float32)
    draw = rng.random(n)
    b = BehaviourParams(referral_bypass_penalty=-0.8)

    alt, fid = kernels.choose_slots(choice.coefficients(b), sev, letter, referred_tier, draw, home, scheme, contract, income,
                                    trust, slot_fac, slot_tier, wait_general, wait_priority, quality, oop_table, travel)

    tier = slot_tier[home]
    priority = (letter | contract)[:, None]
    u = choice.utilities(sev, tier, skill[slot_fac[home]], trust, oop_table[((home * 2 + scheme) * 2 + letter) * 4 + sev], income,
                         travel[home], np.where(priority, wait_priority[slot_fac[home]], wait_general[slot_fac[home]]),
                         (tier == referred_tier[:, None]) & letter[:, None], contract, b)
    assert np.array_equal(alt, choice.choose(u, draw))
    assert np.all(tier[alt > 0, alt[alt > 0] - 1] >= 0)  # never an unavailable slot
    assert np.array_equal(fid[alt > 0], slot_fac[home[alt > 0], alt[alt > 0] - 1])
    shares = np.bincount(alt, minlength=slots + 1) / n
    assert shares.min() >= 0 and shares[0] > 0  # self-care and facilities both chosen


@settings(max_examples=200, deadline=None)
@given(ids_lists, st.data())
def test_fall_ill_counts_each_living_resident_once_and_opens_only_free_ones(values, data):
    ids = np.array(values, dtype=np.int64)
    flags = lambda: np.array(data.draw(st.lists(st.booleans(), min_size=41, max_size=41)), dtype=bool)  # noqa: E731
    alive, busy = flags(), flags()
    onsets = np.array(data.draw(st.lists(st.integers(0, 9), min_size=41, max_size=41)), dtype=np.uint16)
    episode = np.where(busy, 3, -1).astype(np.int32)
    before = onsets.copy()
    rows, ctr = kernels.fall_ill(ids, alive, onsets, episode, np.zeros(41, dtype=np.int64), 1)
    ill = [i for i in dict.fromkeys(ids.tolist()) if alive[i]]
    assert np.array_equal(onsets - before, np.isin(np.arange(41), ill).astype(np.uint16))
    assert rows.tolist() == [i for i in ill if not busy[i]]
    assert np.array_equal(ctr, before[rows])
