"""Care-seeking (就医选择) as a multinomial logit over self-care and the reachable facilities,
each valued by the care pathway that starts there.

Alternatives are *slots*: 0 self-care, then the resident's home slots (own village clinic, own
township or community centre, each county hospital, the tertiary hospital). A resident values a
slot by what the whole pathway from it is likely to cost and deliver (``home_pathways``): a
facility that may not attempt the episode (``care.attempt_probability``, the rule the visit uses;
a village clinic cannot admit) refers it up, so a visit there carries the next tier's pathway too — its quality, its out-of-pocket
cost (a stay where one is likely) and its delay (a day per referral and the priority wait of
each tier on the way). Utility (``slot_utility``) rises with the pathway's perceived quality
times trust in the first tier, with a referral to that facility and, for primary care, with a
family-doctor contract; it falls with out-of-pocket cost relative to the household's daily
income (a logarithm: the first yuan of a visit weigh more than the last of a stay), travel time,
the wait at the first facility and the pathway's delay. Sensitivity to cost and travel falls,
and to delay rises, with severity (``cost_weight``, ``travel_weight``, ``delay_weight``):
minor illness goes where it is cheap and near, severe illness where it will be treated
(EVIDENCE P4; Qian et al. 2009). Bypassing primary care (越级就诊) is what this produces, not
an input.

The rule for one slot (``slot_utility``), the draw among alternatives (``pick``) and one
episode's step over its home's slots (``choose_slot``) are compiled scalar functions: the
engine's kernel (``choose_slots``) calls them once per episode, the reference model
(``model/reference.py``) for one resident at a time; both take the pathways of the home from
``home_pathways``.

The day's stage (``CareSeeking.choose``) books each chooser at a facility after its queue's wait
(``agents/queues.py``) or ends the episode as self-treated; trust in each tier, which the
choice weighs, learns from treatment (``agents/care.py``) and drifts monthly toward the
village's mean (``word_of_mouth``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .care import attempt_probability
from .episodes import Outcome, Stage
from .illness import COMMON, is_emergency
from .streams import Purpose, draw

_CHOICE = int(Purpose.CHOICE)

# positions in the coefficient vector (numba takes a float array, not a pydantic model)
(_QUALITY, _COST, _INCOME, _TRAVEL, _WAIT, _DELAY, _REFERRAL, _CONTRACT, _BYPASS, _ASC_TIER, _ASC_SELF, _W_COST,
 _W_TRAVEL, _W_DELAY) = (0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 15, 19, 23, 27)


@dataclass(frozen=True)
class ChoiceParams:
    """The scenario's ``behaviour.*`` fields: the logit's coefficients (utility units)."""

    beta_quality: float  # per unit of the pathway's perceived quality (0..1) x trust in the first tier
    beta_cost: float  # per unit of log(1 + out-of-pocket / daily income)
    daily_income: tuple[float, ...]  # ¥ per day by income band, low .. high
    cost_weight: tuple[float, ...]  # cost sensitivity by severity (minor = 1)
    beta_travel_per_hour: float  # per hour of travel to the first facility
    travel_weight: tuple[float, ...]  # travel sensitivity by severity
    beta_wait_per_day: float  # per day of expected wait at the first facility
    beta_delay_per_day: float  # per day the pathway's referrals add before adequate care
    delay_weight: tuple[float, ...]  # delay sensitivity by severity
    beta_referral: float  # for the facility one was referred to
    beta_contract_primary: float  # for primary care, with a family-doctor contract
    referral_bypass_penalty: float  # at a hospital without a referral letter
    asc_tier: tuple[float, ...]  # constants by tier
    asc_self: tuple[float, ...]  # self-care constants by severity
    quality_slope: float  # steepness of perceived quality in (skill - severity)
    trust_social_weight: float  # monthly pull of trust toward the village mean (0..1)

    @classmethod
    def of(cls, s) -> ChoiceParams:
        b = s.behaviour
        return cls(b.beta_quality, b.beta_cost, tuple(b.daily_income), tuple(b.cost_weight), b.beta_travel_per_hour,
                   tuple(b.travel_weight), b.beta_wait_per_day, b.beta_delay_per_day, tuple(b.delay_weight),
                   b.beta_referral, b.beta_contract_primary, b.referral_bypass_penalty, tuple(b.asc_tier),
                   tuple(b.asc_self), b.quality_slope, b.trust_social_weight)


def coefficients(b) -> np.ndarray:
    """The logit's coefficients as one float vector, per-unit scales applied (hours to minutes)."""
    return np.array([b.beta_quality, b.beta_cost, *b.daily_income, b.beta_travel_per_hour / 60.0, b.beta_wait_per_day,
                     b.beta_delay_per_day, b.beta_referral, b.beta_contract_primary, b.referral_bypass_penalty,
                     *b.asc_tier, *b.asc_self, *b.cost_weight, *b.travel_weight, *b.delay_weight], dtype=np.float64)


def perceived_quality(skill: np.ndarray, sev: np.ndarray, slope: float) -> np.ndarray:
    """How well a facility of ``skill`` is expected to treat severity ``sev`` (0..1)."""
    return 1.0 / (1.0 + np.exp(-slope * (skill - sev)))


@njit(cache=True)
def cost_units(oop, daily_income):
    """How an expected out-of-pocket cost (¥) weighs on a household with ``daily_income`` (¥ a day
    per person): log(1 + cost / income), so the first yuan of a visit weigh more than the last
    of a stay."""
    return np.log1p(oop / daily_income)


@njit(cache=True)
def slot_utility(c, sev, tier, quality, trust, cost, travel_min, wait_days, delay_days, referred, contract, bypass):
    """Utility of one facility slot of tier ``tier`` (>= 0) for an episode of severity ``sev``,
    by the pathway that starts there: its perceived ``quality`` (0..1), expected out-of-pocket
    in ``cost_units`` and ``delay_days`` before adequate care; ``trust`` is the resident's in
    that tier, ``wait_days`` the wait for the first visit, ``bypass`` whether the resident goes
    to a hospital without a referral letter (penalised by ``referral_bypass_penalty``)."""
    u = c[_QUALITY] * (quality * trust)
    u += c[_COST] * c[_W_COST + sev] * cost
    u += c[_TRAVEL] * c[_W_TRAVEL + sev] * travel_min
    u += c[_WAIT] * wait_days
    u += c[_DELAY] * c[_W_DELAY + sev] * delay_days
    u += c[_REFERRAL] * referred
    u += c[_CONTRACT] * (contract and tier <= 1)
    u += c[_ASC_TIER + tier]
    u += c[_BYPASS] * (tier >= 2 and bypass)
    return u


@njit(cache=True)
def self_care_utility(c, sev):
    return c[_ASC_SELF + sev]


@njit(cache=True, inline="always")  # inlined in Numba's IR: LLVM left it a call in choose_slots
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


# ---------------------------------------------------------------------- pathways
def up_slots(slot_tier: np.ndarray) -> np.ndarray:
    """Per home and slot, the slot a referral from it leads to (-1 at the top): a village clinic
    refers to the home's township centre, a township or community centre to the first county
    hospital (the consortium's lead, 总医院), a county hospital to the tertiary hospital."""
    up = np.full(slot_tier.shape, -1, dtype=np.int64)
    for h in range(slot_tier.shape[0]):
        for j, t in enumerate(slot_tier[h]):
            above = np.flatnonzero(slot_tier[h] == t + 1) if t >= 0 else ()
            if len(above):
                up[h, j] = above[0]
    return up


@njit(cache=True)
def treat_chance(skill, sev, keep, tier, p_bed, attempt):
    """The chance a facility treats an episode of severity ``sev`` rather than refers it up, as a
    resident can foresee it: the chance it attempts the case (``care.attempt_probability`` with its
    ``keep`` response and ``attempt`` = (margin, slope), the rule the visit itself uses), and a
    village clinic only while no bed is needed (``p_bed``, the severity's chance of needing one)."""
    a = attempt_probability(skill, sev, keep, attempt)
    return a * (1.0 - p_bed) if tier == 0 else a


@njit(cache=True)
def treat_chances(skill, keep, facility_tier, p_bed, attempt):
    """``treat_chance`` by [facility, severity] (``keep`` by facility, ``p_bed`` by severity): every
    home's pathways read it, so it is computed once per facility rather than per home and slot."""
    out = np.empty((len(skill), 4))
    for f in range(len(skill)):
        for sev in range(4):
            out[f, sev] = treat_chance(skill[f], sev, keep[f], facility_tier[f], p_bed[sev], attempt)
    return out


@njit(cache=True)
def home_pathways(slot_fac, slot_tier, up_slot, chance, quality, wait_priority, bed_wait, oop_visit, oop_stay, p_bed,
                  out_quality, out_delay, out_oop, costs=True):
    """The pathways of one home's slots, for each severity: the perceived quality (``out_quality``
    [sev, slot]), the days before adequate care (``out_delay`` [sev, slot]) and the expected
    out-of-pocket (``out_oop`` [scheme, letter, sev, slot]). A facility treats with its
    ``chance`` [facility, sev] (``treat_chances``); otherwise the pathway goes on, with a referral letter, from the slot above
    (``up_slot``) after a day and that facility's priority wait (none for an emergency: ``booking``). A facility that treats and admits
    adds, for a likely discretionary stay (minor and common episodes: emergencies do not wait), its
    wait for a bed (``bed_wait`` by facility, ``agents/beds.py``). ``quality`` [facility, sev] is
    each facility's perceived quality; ``oop_visit``/``oop_stay`` [scheme, tier, letter] a visit's
    and a likely stay's out-of-pocket (``agents/billing.py``); the top tier treats what reaches it. Without
    ``costs`` the out-of-pocket is left alone (its inputs have not changed since it was last needed)."""
    n_slots = len(slot_fac)
    for tier in range(3, -1, -1):  # from the top down: a pathway goes on from the slot above
        for j in range(n_slots):
            if slot_tier[j] != tier:
                continue
            f, up = slot_fac[j], up_slot[j]
            for sev in range(4):
                a = 1.0 if up < 0 else chance[f, sev]
                q = a * quality[f, sev]
                d = a * p_bed[sev] * bed_wait[f] if tier > 0 and not is_emergency(sev) else 0.0
                if a < 1.0:
                    q += (1.0 - a) * out_quality[sev, up]
                    queue = 0.0 if seen_at_once(sev, True, tier + 1) else wait_priority[slot_fac[up]]
                    d += (1.0 - a) * (1.0 + queue + out_delay[sev, up])
                out_quality[sev, j], out_delay[sev, j] = q, d
                if not costs:
                    continue
                for scheme in range(2):
                    for letter in range(2):
                        o = oop_visit[scheme, tier, letter] + a * p_bed[sev] * oop_stay[scheme, tier, letter]
                        if a < 1.0:
                            o += (1.0 - a) * out_oop[scheme, 1, sev, up]
                        out_oop[scheme, letter, sev, j] = o


@njit(cache=True)
def pathway_tables(slot_fac, slot_tier, up_slot, chance, quality, wait_priority, bed_wait, oop_visit, oop_stay, p_bed,
                   costs=True):
    """Every home's pathways (``home_pathways``): quality and delay rows by (home, severity),
    out-of-pocket rows by ``oop_row`` (with ``costs``; else one home's scratch rows, never read)."""
    homes, n_slots = slot_fac.shape
    q, d = np.zeros((homes * 4, n_slots)), np.zeros((homes * 4, n_slots))
    o = np.zeros(((homes if costs else 1) * 16, n_slots))
    for h in range(homes):
        at = h * 16 if costs else 0
        home_pathways(slot_fac[h], slot_tier[h], up_slot[h], chance, quality, wait_priority, bed_wait, oop_visit, oop_stay,
                      p_bed, q[h * 4:(h + 1) * 4], d[h * 4:(h + 1) * 4], o[at:at + 16].reshape(2, 2, 4, n_slots), costs)
    return q, d, o


@njit(cache=True)
def _utilities(c, sev, slot_tier, quality, trust, oop, income, travel_min, wait_days, delay_days, referred_to, contract):
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
                out[i, j + 1] = slot_utility(c, sev[i], t, quality[i, j], trust[i, t],
                                             cost_units(oop[i, j], c[_INCOME + income[i]]), travel_min[i, j],
                                             wait_days[i, j], delay_days[i, j], referred_to[i, j], contract[i], bypass)
    return out


def utilities(
    sev: np.ndarray,  # (E,) severity
    slot_tier: np.ndarray,  # (E, S) tier of each facility slot, -1 unavailable
    quality: np.ndarray,  # (E, S) the pathway's perceived quality (0..1)
    trust: np.ndarray,  # (E, 4)
    oop: np.ndarray,  # (E, S) the pathway's expected out-of-pocket ¥
    income_band: np.ndarray,  # (E,)
    travel_min: np.ndarray,  # (E, S)
    wait_days: np.ndarray,  # (E, S)
    delay_days: np.ndarray,  # (E, S) the pathway's days before adequate care
    referred_to: np.ndarray,  # (E, S) bool: the slot the resident was referred to
    contract: np.ndarray,  # (E,) bool
    b,  # ChoiceParams (or the scenario's behaviour section)
) -> np.ndarray:
    """Utility matrix (E, S+1) of ``slot_utility``; column 0 is self-care, unavailable slots are -inf."""
    f = np.asarray
    return _utilities(coefficients(b), f(sev, dtype=np.int64), f(slot_tier, dtype=np.int64), f(quality, dtype=float),
                      f(trust, dtype=np.float64), f(oop, dtype=float), f(income_band, dtype=np.int64),
                      f(travel_min, dtype=float), f(wait_days, dtype=float), f(delay_days, dtype=float),
                      f(referred_to, dtype=np.bool_), f(contract, dtype=np.bool_))


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
    """The row of the pathways' out-of-pocket table (``pathway_tables``) for an episode."""
    return ((home * 2 + scheme) * 2 + letter) * 4 + sev


def cost_table(oop: np.ndarray, daily_income) -> np.ndarray:
    """``cost_units`` of every row of the out-of-pocket table for each income band: rows by
    ``oop_row`` x 3 + income band."""
    return cost_units(oop[:, None, :], np.asarray(daily_income, dtype=float)[None, :, None]).reshape(-1, oop.shape[1])


@njit(cache=True, inline="always")  # inlined in Numba's IR: a call per episode with a dozen array views cost more than the rule
def choose_slot(c, key, person, ep_key, step, sev, has_letter, referred_tier, contract, trust, slot_fac, slot_tier,
                quality, cost, delay, travel, wait_general, wait_priority, u):
    """One care-seeking step of an episode: the alternative (0 self-care, else slot + 1) picked
    by its CHOICE draw for that step among self-care and the home's slots (``slot_fac``,
    ``slot_tier``: -1 unavailable, with each slot's pathway ``quality``, ``oop`` and ``delay`` for
    the severity (its out-of-pocket in ``cost_units`` for the household), and ``travel``). A
    contracted patient with a referral letter (seed 002: 经转诊的签约居民) sees the
    priority wait (``agents/queues.py``), an emergency none (``booking``); ``trust`` is the resident's by tier; ``u`` is scratch
    (slots + 1)."""
    s = len(slot_fac)
    priority = has_letter and contract
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
        wait = 0.0 if seen_at_once(sev, has_letter, t) else wait_priority[f] if priority else wait_general[f]
        referred = has_letter and t == referred_tier
        u[j + 1] = slot_utility(c, sev, t, quality[j], trust[t], cost[j], travel[j], wait, delay[j], referred, contract, bypass)
    return pick(u, draw(key, _CHOICE, person, np.int64(ep_key) * 8 + step))


@njit(cache=True)
def choose_slots(c, key, eps, person, ep_key, steps, severity, has_referral, referred_tier, home, scheme, income,
                 contract, trust, max_steps, slot_fac, slot_tier, wait_general, wait_priority, quality, cost, delay, travel):
    """Each episode's next care-seeking step: its ``steps`` count goes up by one; past
    ``max_steps`` the resident gives up (alternative -1), else the alternative and the chosen
    facility (``choose_slot``).

    Episode fields are read by id; the resident's ``contract`` and ``trust`` come gathered per
    episode: read here from the resident arrays, each would be a cache miss that the loop waits
    for. Per-home tables are indexed as in ``CareSeeking.choose``: ``quality`` rows by (home,
    severity), ``cost`` rows by ``oop_row`` x 3 + income band (``cost_table``).
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
        a = choose_slot(c, key, person[e], ep_key[e], steps[e], sv, letter, referred_tier[e], contract[i], trust[i],
                        slot_fac[h], slot_tier[h], quality[h * 4 + sv], cost[oop_row(h, scheme[e], letter, sv) * 3 + income[e]],
                        delay[h * 4 + sv], travel[h], wait_general, wait_priority, u)
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


@njit(cache=True, inline="always")
def seen_at_once(sev, letter, tier):
    """Whether a patient is seen the day they come, behind no outpatient queue: an emergency
    (``illness.is_emergency``), except one that comes on a referral to the tertiary hospital
    (三级). The referring hospital has seen it, and the referral books a specialist appointment
    (预约转诊): the slots seed 002 reserves for family doctors' referrals."""
    return is_emergency(sev) and not (letter and tier == 3)


@njit(cache=True)
def booking(letter, contract, use_reserved, wait_general, wait_priority, day, emergency):
    """Where a patient booked at a facility queues and the day of the visit: an ``emergency``
    (``seen_at_once``) is seen the day it comes, at the emergency department (急诊)
    or by the doctor on call, taking a share of the day's capacity but not waiting behind the
    outpatient queue; otherwise a patient with a letter and a contract (a family doctor's
    referral) uses the reserved slots where the facility keeps them (``use_reserved``,
    ``agents/queues.py``), everyone else the general queue, each after its wait."""
    if emergency:
        return False, day
    priority = letter and contract and use_reserved
    wait = wait_priority if priority else wait_general
    return priority, day + int(np.floor(wait))


@njit(cache=True)
def book_choices(eps, alt, fid, contract, has_referral, steps, severity, referred_tier, facility_tier, use_reserved,
                 wait_general, wait_priority, day, facility, arrivals, arrivals_priority):
    """After ``choose_slots``: the episodes that gave up, those that care for themselves (and
    whether each had a referral letter), and those booked at a facility, with the day of their
    visit (``booking``); each booked episode's ``facility`` is set and counted in ``arrivals`` or,
    using the reserve, ``arrivals_priority``. Also the day's ``choice_counts`` and its first
    contacts by (severity, tier chosen)."""
    n = len(eps)
    gave_up = np.empty(n, dtype=np.int64)
    own = np.empty(n, dtype=np.int64)
    own_letter = np.empty(n, dtype=np.bool_)
    booked = np.empty(n, dtype=np.int64)
    visit_day = np.empty(n, dtype=np.int64)
    n_gave_up = n_own = n_booked = 0
    tally = np.zeros(4, dtype=np.int64)
    first_by = np.zeros((4, 4), dtype=np.int64)
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
        if first:
            first_by[severity[e], chosen] += 1
        if a == 0:
            own[n_own] = e
            own_letter[n_own] = letter
            n_own += 1
            continue
        f = fid[i]
        facility[e] = f
        priority, visit_day[n_booked] = booking(letter, contract[i], use_reserved[f], wait_general[f], wait_priority[f], day,
                                                seen_at_once(severity[e], letter, facility_tier[f]))
        if priority:
            arrivals_priority[f] += 1
        else:
            arrivals[f] += 1
        booked[n_booked] = e
        n_booked += 1
    return (gave_up[:n_gave_up], own[:n_own], own_letter[:n_own], booked[:n_booked], visit_day[:n_booked], tally,
            first_by)


def slot_tables(slot_facility: np.ndarray, facility_tier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per home, its slots' facility ids (0 where unavailable) and tiers (-1 unavailable), from
    the county's ``slot_facility`` (-1 unavailable)."""
    valid = slot_facility >= 0
    slot_fac = np.where(valid, slot_facility, 0)
    return slot_fac, np.where(valid, facility_tier[slot_fac], -1)


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
        self.up_slot = up_slots(self.slot_tier)
        self._costs: tuple = (None, None)

    def derive(self, s) -> None:
        self.params = p = ChoiceParams.of(s)
        self.coefficients = coefficients(p)
        self.p_bed = np.asarray(s.illness.admission_need, dtype=float)

    def pathways(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Today's pathway tables of every home (``pathway_tables``): quality and delay, which
        follow the load and the waits, every day; the out-of-pocket, and its ``cost_units``
        (``cost_table``, a logarithm per cell), only when skills, providers' margins, prices or
        incomes have changed."""
        m = self.m
        quality = perceived_quality(m.queues.effective_skill[:, None], np.arange(4)[None, :], self.params.quality_slope)
        keep, attempt = m.payment.responses.keep, m.care.params.attempt
        # by content: an id() of the price tables could match new tables built at a freed address
        key = (m.fac.skill.tobytes(), keep.tobytes(), attempt, m.billing.oop_visit.tobytes(), m.billing.oop_stay.tobytes(),
               self.p_bed.tobytes(), self.params.daily_income)
        costs = self._costs[0] != key
        q, d, oop = pathway_tables(self.slot_facility, self.slot_tier, self.up_slot,
                                   treat_chances(m.fac.skill, keep, m.fac.tier, self.p_bed, attempt), quality,
                                   m.queues.wait_priority, m.beds.likely_wait, m.billing.oop_visit, m.billing.oop_stay,
                                   self.p_bed, costs)
        if costs:
            self._costs = (key, cost_table(oop, self.params.daily_income))
        return q, d, self._costs[1]

    def choose(self, eps: np.ndarray) -> None:
        """Each episode's next decision: a facility (booked after its wait), self-care, or giving up."""
        m = self.m
        e, r, f, q = m.ep, m.res, m.fac, m.queues
        res = e.resident[eps]
        contract = r.contract.take(res)
        quality, delay, cost = self.pathways()
        alt, fid = choose_slots(self.coefficients, m.streams.key, eps, e.person, e.key, e.steps, e.severity, e.has_referral,
                                e.referred_tier, e.home, e.scheme, e.income, contract, r.trust.take(res, axis=0), MAX_STEPS,
                                self.slot_facility, self.slot_tier, q.wait_general, q.wait_priority, quality, cost, delay,
                                m.county.slot_travel)
        gave_up, own, own_letter, booked, visit_day, tally, first_by = book_choices(
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
        t.first_contact += first_by
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
