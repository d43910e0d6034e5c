"""Care-seeking (就医选择) as a multinomial logit over self-care and the reachable facilities.

Alternatives are *slots*: 0 self-care, then the resident's home slots (own village clinic, own
township or community centre, each county hospital, the tertiary hospital). Utility rises with
perceived quality for the episode's severity (capability x trust), with a referral to that
facility and, for primary care, with a family-doctor contract; it falls with out-of-pocket cost
relative to income, travel time and expected wait.

The rule for one slot (``slot_utility``), the draw among alternatives (``pick``) and one
episode's step over its home's slots (``choose_slot``) are compiled scalar functions: the
engine's kernel (``choose_slots``) calls them once per episode, the reference model
(``model/reference.py``) for one resident at a time.

The day's stage (``CareSeeking.choose``) books each chooser at a facility after its queue's wait
(``agents/queues.py``) or ends the episode as self-treated; trust in each tier, which the
choice weighs, learns from treatment (``agents/care.py``) and drifts monthly toward the
village's mean (``word_of_mouth``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .episodes import Outcome, Stage
from .illness import COMMON
from .streams import Purpose, draw

_CHOICE = int(Purpose.CHOICE)

# positions in the coefficient vector (numba takes a float array, not a pydantic model)
_QUALITY, _OOP, _INCOME, _TRAVEL, _RELIEF, _WAIT, _REFERRAL, _CONTRACT, _BYPASS, _ASC_TIER, _ASC_SELF = (
    0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 15)


@dataclass(frozen=True)
class ChoiceParams:
    """The scenario's ``behaviour.*`` fields: the logit's coefficients (utility units)."""

    beta_quality: float  # per unit of perceived quality x trust
    beta_oop_per_100: float  # per ¥100 out of pocket (x the income band's factor)
    income_cost_factor: tuple[float, ...]  # price sensitivity by income band, low .. high
    beta_travel_per_hour: float  # per hour of travel
    travel_relief_severe: float  # share of the travel weight dropped for serious/complex illness
    beta_wait_per_day: float  # per day of expected wait
    beta_referral: float  # for the facility one was referred to
    beta_contract_primary: float  # for primary care, with a family-doctor contract
    referral_bypass_penalty: float  # at a hospital without a referral letter
    asc_tier: tuple[float, ...]  # constants by tier
    asc_self: tuple[float, ...]  # self-care constants by severity
    trust_social_weight: float  # monthly pull of trust toward the village mean (0..1)

    @classmethod
    def of(cls, s) -> ChoiceParams:
        b = s.behaviour
        return cls(b.beta_quality, b.beta_oop_per_100, tuple(b.income_cost_factor), b.beta_travel_per_hour,
                   b.travel_relief_severe, b.beta_wait_per_day, b.beta_referral, b.beta_contract_primary,
                   b.referral_bypass_penalty, tuple(b.asc_tier), tuple(b.asc_self), b.trust_social_weight)


def coefficients(b) -> np.ndarray:
    """The logit's coefficients as one float vector, per-unit scales applied (¥100, hours)."""
    return np.array([b.beta_quality, b.beta_oop_per_100 / 100.0, *b.income_cost_factor, b.beta_travel_per_hour / 60.0,
                     b.travel_relief_severe, b.beta_wait_per_day, b.beta_referral, b.beta_contract_primary,
                     b.referral_bypass_penalty, *b.asc_tier, *b.asc_self], dtype=np.float64)


def perceived_quality(skill: np.ndarray, sev: np.ndarray) -> np.ndarray:
    """How well a facility of ``skill`` is expected to treat severity ``sev`` (0..1)."""
    return 1.0 / (1.0 + np.exp(-3.0 * (skill - sev)))


@njit(cache=True)
def slot_utility(c, sev, tier, quality, trust, oop, income, travel_min, wait_days, referred, contract, bypass):
    """Utility of one facility slot of tier ``tier`` (>= 0) for an episode of severity ``sev``.

    ``trust`` is the resident's trust in that tier, ``bypass`` whether the resident goes to a
    hospital without a referral letter (penalised by ``referral_bypass_penalty``)."""
    travel_w = (1.0 - c[_RELIEF]) if sev >= 2 else 1.0
    u = c[_QUALITY] * (quality * trust)
    u += c[_OOP] * oop * c[_INCOME + income]
    u += travel_w * c[_TRAVEL] * travel_min
    u += c[_WAIT] * wait_days
    u += c[_REFERRAL] * referred
    u += c[_CONTRACT] * (contract and tier <= 1)
    u += c[_ASC_TIER + tier]
    u += c[_BYPASS] * (tier >= 2 and bypass)
    return u


@njit(cache=True)
def self_care_utility(c, sev):
    return c[_ASC_SELF + sev]


@njit(cache=True)
def pick(u, draw):
    """Alternative index by inverse CDF of one uniform (keeps common random numbers aligned):
    the first alternative whose cumulative probability reaches ``draw``. ``u`` is overwritten."""
    # not u.max(): on six alternatives Numba's reduction was a sixth of the choice kernel's time
    top = u[0]
    for j in range(1, len(u)):
        if u[j] > top:
            top = u[j]
    total = 0.0
    for j in range(len(u)):
        u[j] = 1.0 if u[j] == top else np.exp(u[j] - top)  # exp(0) is 1 exactly: one call in six saved
        total += u[j]
    target = draw * total  # the draw on the unnormalised scale
    acc = 0.0
    alt = 0
    for j in range(len(u) - 1):  # past the last boundary the answer is the last alternative
        acc += u[j]
        alt += target > acc
    return alt


@njit(cache=True)
def _utilities(c, sev, slot_tier, quality, trust, oop, income, travel_min, wait_days, referred_to, contract):
    n, s = slot_tier.shape
    out = np.empty((n, s + 1))
    for i in range(n):
        bypass = True
        for j in range(s):
            bypass &= not referred_to[i, j]
        out[i, 0] = self_care_utility(c, sev[i])
        for j in range(s):
            t = slot_tier[i, j]
            if t < 0:
                out[i, j + 1] = -np.inf
            else:
                out[i, j + 1] = slot_utility(c, sev[i], t, quality[i, j], trust[i, t], oop[i, j], income[i],
                                             travel_min[i, j], wait_days[i, j], referred_to[i, j], contract[i], bypass)
    return out


def utilities(
    sev: np.ndarray,  # (E,) severity
    slot_tier: np.ndarray,  # (E, S) tier of each facility slot, -1 unavailable
    slot_skill: np.ndarray,  # (E, S)
    trust: np.ndarray,  # (E, 4)
    oop: np.ndarray,  # (E, S) expected out-of-pocket ¥
    income_band: np.ndarray,  # (E,)
    travel_min: np.ndarray,  # (E, S)
    wait_days: np.ndarray,  # (E, S)
    referred_to: np.ndarray,  # (E, S) bool: the slot the resident was referred to
    contract: np.ndarray,  # (E,) bool
    b,  # ChoiceParams (or the scenario's behaviour section)
) -> np.ndarray:
    """Utility matrix (E, S+1); column 0 is self-care, unavailable slots are -inf."""
    sev = np.asarray(sev, dtype=np.int64)
    quality = perceived_quality(np.asarray(slot_skill, dtype=float), sev[:, None])
    f = np.asarray
    return _utilities(coefficients(b), sev, f(slot_tier, dtype=np.int64), quality, f(trust, dtype=np.float64),
                      f(oop, dtype=float), f(income_band, dtype=np.int64), f(travel_min, dtype=float),
                      f(wait_days, dtype=float), f(referred_to, dtype=np.bool_), f(contract, dtype=np.bool_))


def choice_probabilities(u: np.ndarray) -> np.ndarray:
    z = u - u.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@njit(cache=True)
def _choose(u, draw):
    alt = np.empty(len(draw), dtype=np.int64)
    for i in range(len(draw)):
        alt[i] = pick(u[i].copy(), draw[i])
    return alt


def choose(u: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Alternative index per row of utilities ``u`` by inverse CDF of one uniform per row."""
    return _choose(np.asarray(u, dtype=float), np.asarray(draw, dtype=float))


@njit(cache=True)
def oop_row(home, scheme, letter, sev):
    """The row of ``CareSeeking.expected_oop``'s table for an episode."""
    return ((home * 2 + scheme) * 2 + letter) * 4 + sev


@njit(cache=True, inline="always")  # inlined in Numba's IR: a call per episode with a dozen array views cost more than the rule
def choose_slot(c, key, person, ep_key, step, sev, has_letter, referred_tier, contract, income, trust, slot_fac, slot_tier,
                quality, oop, travel, wait_general, wait_priority, u):
    """One care-seeking step of an episode: the alternative (0 self-care, else slot + 1) picked
    by its CHOICE draw for that step among self-care and the home's slots (``slot_fac``,
    ``slot_tier``: -1 unavailable, with each slot's ``quality`` for the severity, expected ``oop``
    and ``travel``). A patient with a referral letter or a contract sees the priority wait
    (``agents/queues.py``); ``trust`` is the resident's by tier; ``u`` is scratch (slots + 1)."""
    s = len(slot_fac)
    priority = has_letter or contract
    bypass = True
    if has_letter:
        for j in range(s):
            if slot_tier[j] == referred_tier:
                bypass = False
    u[0] = self_care_utility(c, sev)
    for j in range(s):
        t = slot_tier[j]
        if t < 0:
            u[j + 1] = -np.inf
            continue
        f = slot_fac[j]
        wait = wait_priority[f] if priority else wait_general[f]
        referred = has_letter and t == referred_tier
        u[j + 1] = slot_utility(c, sev, t, quality[j], trust[t], oop[j], income, travel[j], wait, referred, contract, bypass)
    return pick(u, draw(key, _CHOICE, person, np.int64(ep_key) * 8 + step))


@njit(cache=True)
def choose_slots(c, key, eps, person, ep_key, steps, severity, has_referral, referred_tier, home, scheme, income,
                 contract, trust, max_steps, slot_fac, slot_tier, wait_general, wait_priority, quality, oop, travel):
    """Each episode's next care-seeking step: its ``steps`` count goes up by one; past
    ``max_steps`` the resident gives up (alternative -1), else the alternative and the chosen
    facility (``choose_slot``).

    Episode fields are read by id; the resident's ``contract`` and ``trust`` come gathered per
    episode: read here from the resident arrays, each would be a cache miss that the loop waits
    for. Per-home tables are indexed as in ``CareSeeking.choose``: ``quality`` rows by (home,
    severity), ``oop`` rows by ``oop_row``.
    """
    n, s = len(eps), slot_fac.shape[1]
    alt = np.empty(n, dtype=np.int64)
    fid = np.empty(n, dtype=np.int64)
    u = np.empty(s + 1)
    for i in range(n):
        e = eps[i]
        steps[e] += 1
        if steps[e] > max_steps:
            alt[i] = -1
            fid[i] = -1
            continue
        h, sv, letter = home[e], severity[e], has_referral[e]
        a = choose_slot(c, key, person[e], ep_key[e], steps[e], sv, letter, referred_tier[e], contract[i], income[e],
                        trust[i], slot_fac[h], slot_tier[h], quality[h * 4 + sv], oop[oop_row(h, scheme[e], letter, sv)],
                        travel[h], wait_general, wait_priority, u)
        alt[i] = a
        fid[i] = slot_fac[h, max(a - 1, 0)]
    return alt, fid


@njit(cache=True)
def choice_counts(letter, chosen_tier, referred_tier, first_step, sev):
    """What one decision adds to the day's tallies: a referral decision (it had a letter), a
    referral attended (at the tier referred to or above), a first contact (a facility chosen at
    the episode's first step) and a bypass (a first contact at a hospital for a minor or common
    case). ``chosen_tier`` is -1 for self-care."""
    first = first_step and chosen_tier >= 0
    return letter, letter and chosen_tier >= referred_tier, first, first and chosen_tier >= 2 and sev <= COMMON


@njit(cache=True)
def booking(letter, contract, use_reserved, wait_general, wait_priority, day):
    """Where a patient booked at a facility queues and the day of the visit: a patient with a
    letter or a contract uses the reserved slots where the facility keeps them (``use_reserved``,
    ``agents/queues.py``), everyone else the general queue, each after its wait."""
    priority = (letter or contract) and use_reserved
    wait = wait_priority if priority else wait_general
    return priority, day + int(np.floor(wait))


@njit(cache=True)
def book_choices(eps, alt, fid, contract, has_referral, steps, severity, referred_tier, facility_tier, use_reserved,
                 wait_general, wait_priority, day, facility, arrivals, arrivals_priority):
    """After ``choose_slots``: the episodes that gave up, those that care for themselves (and
    whether each had a referral letter), and those booked at a facility, with the day of their
    visit (``booking``); each booked episode's ``facility`` is set and counted in ``arrivals`` or,
    using the reserve, ``arrivals_priority``. Also the day's ``choice_counts``."""
    n = len(eps)
    gave_up = np.empty(n, dtype=np.int64)
    own = np.empty(n, dtype=np.int64)
    own_letter = np.empty(n, dtype=np.bool_)
    booked = np.empty(n, dtype=np.int64)
    visit_day = np.empty(n, dtype=np.int64)
    n_gave_up = n_own = n_booked = 0
    tally = np.zeros(4, dtype=np.int64)
    for i in range(n):
        e, a = eps[i], alt[i]
        if a < 0:
            gave_up[n_gave_up] = e
            n_gave_up += 1
            continue
        letter = has_referral[e]
        chosen = -1 if a == 0 else facility_tier[fid[i]]
        decision, attended, first, bypass = choice_counts(letter, chosen, referred_tier[e], steps[e] == 1, severity[e])
        tally[0] += decision
        tally[1] += attended
        tally[2] += first
        tally[3] += bypass
        if a == 0:
            own[n_own] = e
            own_letter[n_own] = letter
            n_own += 1
            continue
        f = fid[i]
        facility[e] = f
        priority, visit_day[n_booked] = booking(letter, contract[i], use_reserved[f], wait_general[f], wait_priority[f], day)
        if priority:
            arrivals_priority[f] += 1
        else:
            arrivals[f] += 1
        booked[n_booked] = e
        n_booked += 1
    return (gave_up[:n_gave_up], own[:n_own], own_letter[:n_own], booked[:n_booked], visit_day[:n_booked], tally)


def slot_tables(slot_facility: np.ndarray, facility_tier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per home, its slots' facility ids (0 where unavailable) and tiers (-1 unavailable), from
    the county's ``slot_facility`` (-1 unavailable)."""
    valid = slot_facility >= 0
    slot_fac = np.where(valid, slot_facility, 0)
    return slot_fac, np.where(valid, facility_tier[slot_fac], -1)


def expected_oop(oop_visit, oop_stay, p_bed):
    """What a resident expects to pay out of pocket for an episode at a facility: a visit, and a
    stay as likely as the episode needs a bed (``p_bed``; ``Billing``'s tables of one visit and
    one stay)."""
    return oop_visit + p_bed * oop_stay


def drift_trust(trust: np.ndarray, home: np.ndarray, alive: np.ndarray, n_home: int, weight: float) -> None:
    """Word of mouth: the living residents' (rows ``alive``, living at ``home``) trust in each tier
    moves ``weight`` of the way toward their home's mean, in place."""
    home = home[alive]
    counts = np.maximum(np.bincount(home, minlength=n_home), 1)
    for t in range(4):
        mean = np.bincount(home, weights=trust[alive, t], minlength=n_home) / counts
        trust[alive, t] += (weight * (mean[home] - trust[alive, t])).astype(np.float32)


MAX_STEPS = 6  # care-seeking decisions per episode before the resident gives up


class CareSeeking:
    """The day's care-seeking decisions of a model's episodes, and trust's word of mouth."""

    def __init__(self, m):
        self.m = m
        # per home (few: one per village or community), slot facility ids (0 where unavailable) and
        # slot tiers (-1 unavailable): per-episode slot attributes are row look-ups into these tables
        self.slot_facility, self.slot_tier = slot_tables(m.county.slot_facility, m.fac.tier)
        self._quality: tuple | None = None
        self._oop: tuple | None = None

    def derive(self, s) -> None:
        self.params = ChoiceParams.of(s)
        self.coefficients = coefficients(self.params)
        self.admission_need = tuple(s.illness.admission_need)

    def perceived_quality(self) -> np.ndarray:
        """Perceived quality of each home slot, rows by (home, severity); kept while skills are unchanged."""
        skill, slot_fac = self.m.fac.skill, self.slot_facility
        if self._quality is None or not np.array_equal(self._quality[0], skill):
            quality = perceived_quality(skill[slot_fac][:, None, :], np.arange(4)[None, :, None])
            self._quality = (skill.copy(), quality.reshape(-1, slot_fac.shape[1]))
        return self._quality[1]

    def expected_oop(self) -> np.ndarray:
        """Out-of-pocket a resident expects at each slot (a visit, plus a stay as likely as the
        severity needs one), rows by (home, scheme, referred, severity); kept until prices change."""
        b = self.m.billing
        if self._oop is not None and self._oop[0] is b.oop_visit and self._oop[1] == self.admission_need:
            return self._oop[2]
        t = np.maximum(self.slot_tier, 0)[:, None, None, None, :]
        scheme = np.arange(2)[None, :, None, None, None]
        ref = np.arange(2)[None, None, :, None, None]
        p_bed = np.asarray(self.admission_need)[None, None, None, :, None]
        table = expected_oop(b.oop_visit[scheme, t, ref], b.oop_stay[scheme, t, ref], p_bed).reshape(-1, self.slot_tier.shape[1])
        self._oop = (b.oop_visit, self.admission_need, table)
        return table

    def choose(self, eps: np.ndarray) -> None:
        """Each episode's next decision: a facility (booked after its wait), self-care, or giving up."""
        m = self.m
        e, r, f, q = m.ep, m.res, m.fac, m.queues
        res = e.resident[eps]
        contract = r.contract.take(res)
        alt, fid = choose_slots(self.coefficients, m.streams.key, eps, e.person, e.key, e.steps, e.severity, e.has_referral,
                                e.referred_tier, e.home, e.scheme, e.income, contract, r.trust.take(res, axis=0), MAX_STEPS,
                                self.slot_facility, self.slot_tier, q.wait_general, q.wait_priority,
                                self.perceived_quality(), self.expected_oop(), m.county.slot_travel)
        gave_up, own, own_letter, booked, visit_day, tally = book_choices(
            eps, alt, fid, contract, e.has_referral, e.steps, e.severity, e.referred_tier, f.tier, q.use_reserved,
            q.wait_general, q.wait_priority, m.day, e.facility, f.arrivals, f.arrivals_priority)
        if m.events.wanted("choice"):
            m.events.emit("choice", day=m.day, eps=eps, facility=np.where(alt > 0, fid, -1), first=e.steps[eps] == 1,
                          letter=e.has_referral[eps], severity=e.severity[eps], home=e.home[eps])
        t = m.today
        t.referral_decisions += int(tally[0])
        t.referrals_attended += int(tally[1])
        t.first_contacts += int(tally[2])
        t.bypass += int(tally[3])
        first = (alt > 0) & (e.steps[eps] == 1)
        np.add.at(t.first_contact, (e.severity[eps[first]], f.tier[fid[first]]), 1)
        m.care.close(gave_up, True, Outcome.REFERRED_ON)
        m.care.close(own, True, np.where(own_letter, Outcome.REFERRED_ON, Outcome.SELF_TREATED))
        m.schedule(booked, Stage.VISIT, visit_day)

    def word_of_mouth(self) -> None:
        """Monthly: trust drifts toward the village mean (word of mouth)."""
        w = self.params.trust_social_weight
        if w <= 0:
            return
        m, r = self.m, self.m.res
        drift_trust(r.trust, r.home, np.flatnonzero(r.alive[: r.n]), len(m.county.homes), w)
