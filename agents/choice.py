"""Care-seeking as a multinomial logit over self-care and the reachable facilities.

Alternatives are *slots*: 0 self-care, then the resident's home slots (own village clinic, own
township or community centre, each county hospital, the tertiary hospital). Utility rises with
perceived quality for the episode's severity (capability x trust), with a referral to that
facility and, for primary care, with a family-doctor contract; it falls with out-of-pocket cost
relative to income, travel time and expected wait.

The rule for one slot (``slot_utility``) and the draw among alternatives (``pick``) are compiled
scalar functions: the engine's kernel (``model/kernels.py``) calls them once per episode and slot,
the reference model through ``utilities``/``choose`` on one episode's arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from reformsim.model.params import BehaviourParams

# positions in the coefficient vector (numba takes a float array, not a pydantic model)
_QUALITY, _OOP, _INCOME, _TRAVEL, _RELIEF, _WAIT, _REFERRAL, _CONTRACT, _BYPASS, _ASC_TIER, _ASC_SELF = (
    0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 15)


def coefficients(b: BehaviourParams) -> np.ndarray:
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
    b: BehaviourParams,
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
