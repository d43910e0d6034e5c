"""Care-seeking as a multinomial logit over self-care and the reachable facilities.

Alternatives are *slots*: 0 self-care, then the resident's home slots (own village clinic, own
township or community centre, each county hospital, the tertiary hospital). Utility rises with
perceived quality for the episode's severity (capability x trust), with a referral to that
facility and, for primary care, with a family-doctor contract; it falls with out-of-pocket cost
relative to income, travel time and expected wait.
"""

from __future__ import annotations

import numpy as np
from reformsim.model.params import BehaviourParams


def perceived_quality(skill: np.ndarray, sev: np.ndarray) -> np.ndarray:
    """How well a facility of ``skill`` is expected to treat severity ``sev`` (0..1)."""
    return 1.0 / (1.0 + np.exp(-3.0 * (skill - sev)))


def utilities(
    sev: np.ndarray,  # (E,) severity
    slot_tier: np.ndarray,  # (E, S) tier of each facility slot, -1 unavailable
    slot_skill: np.ndarray | None,  # (E, S); unused when ``quality`` is given
    trust: np.ndarray,  # (E, 4)
    oop: np.ndarray,  # (E, S) expected out-of-pocket ¥
    income_band: np.ndarray,  # (E,)
    travel_min: np.ndarray,  # (E, S)
    wait_days: np.ndarray,  # (E, S)
    referred_to: np.ndarray,  # (E, S) bool: the slot the resident was referred to
    contract: np.ndarray,  # (E,) bool
    b: BehaviourParams,
    quality: np.ndarray | None = None,  # (E, S) perceived_quality(slot_skill, sev), if already tabulated
) -> np.ndarray:
    """Utility matrix (E, S+1); column 0 is self-care, unavailable slots are -inf.

    The engine passes ``quality`` looked up from a per-facility table (a few hundred
    exponentials a day instead of one per episode and slot); the reference model lets it be
    computed here. Both give the same numbers.
    """
    sev = sev.astype(np.int64)
    tier = np.maximum(slot_tier, 0)
    if quality is None:
        quality = perceived_quality(slot_skill, sev[:, None])
    # trust in each slot's tier; a flat gather is several times faster than take_along_axis
    trust = np.ascontiguousarray(trust)
    rows = np.arange(len(sev))[:, None] * trust.shape[1]
    q = quality * trust.ravel()[rows + tier]
    cost = (b.beta_oop_per_100 / 100.0) * oop * np.asarray(b.income_cost_factor)[income_band][:, None]
    travel_w = np.where(sev >= 2, 1.0 - b.travel_relief_severe, 1.0)[:, None] * (b.beta_travel_per_hour / 60.0)
    no_letter = ~_row_any(referred_to)
    # summed in place, term by term (same order, so the same numbers as one long expression)
    u = b.beta_quality * q
    u += cost
    u += travel_w * travel_min
    u += b.beta_wait_per_day * wait_days
    u += b.beta_referral * referred_to
    u += b.beta_contract_primary * (contract[:, None] & (slot_tier <= 1))
    u += np.asarray(b.asc_tier)[tier]
    u += b.referral_bypass_penalty * ((slot_tier >= 2) & no_letter[:, None])
    u[slot_tier < 0] = -np.inf
    out = np.empty((len(sev), u.shape[1] + 1))
    out[:, 0] = np.asarray(b.asc_self)[sev]
    out[:, 1:] = u
    return out


def _row_any(a: np.ndarray) -> np.ndarray:
    """``a.any(axis=1)`` by columns: numpy reduces short rows slowly, a few column ORs are fast."""
    out = np.zeros(a.shape[0], dtype=bool)
    for j in range(a.shape[1]):
        out |= a[:, j]
    return out


def choice_probabilities(u: np.ndarray) -> np.ndarray:
    z = u - u.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def choose(u: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Alternative index per row by inverse CDF of one uniform (keeps common random numbers aligned).

    Row ``i`` picks the first alternative whose cumulative probability reaches ``draw[i]``.
    Computed alternative-major (one contiguous vector per alternative) because numpy reduces
    and accumulates along short rows slowly; same result as ``cumsum(choice_probabilities(u))``.
    """
    ut = np.ascontiguousarray(u.T)  # (A, E)
    w = ut - ut.max(axis=0)
    np.exp(w, out=w)
    target = draw * w.sum(axis=0)  # draw on the unnormalised scale
    alt = np.zeros(len(draw), dtype=np.int64)
    acc = np.zeros(len(draw))
    for j in range(len(ut) - 1):  # past the last boundary the answer is the last alternative
        acc += w[j]
        alt += target > acc
    return alt
