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
    sev = sev.astype(np.int64)
    tier = np.maximum(slot_tier, 0)
    q = perceived_quality(slot_skill, sev[:, None]) * np.take_along_axis(trust, tier, axis=1)
    cost = b.beta_oop_per_100 * oop / 100.0 * np.asarray(b.income_cost_factor)[income_band][:, None]
    travel_w = np.where(sev >= 2, 1.0 - b.travel_relief_severe, 1.0)[:, None]
    u = (
        b.beta_quality * q
        + cost
        + b.beta_travel_per_hour * travel_w * travel_min / 60.0
        + b.beta_wait_per_day * wait_days
        + b.beta_referral * referred_to
        + b.beta_contract_primary * (contract[:, None] & (slot_tier <= 1))
        + np.asarray(b.asc_tier)[tier]
        + b.referral_bypass_penalty * ((slot_tier >= 2) & ~referred_to.any(axis=1, keepdims=True))
    )
    u = np.where(slot_tier >= 0, u, -np.inf)
    self_u = np.asarray(b.asc_self)[sev]
    return np.concatenate([self_u[:, None], u], axis=1)


def choice_probabilities(u: np.ndarray) -> np.ndarray:
    z = u - u.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def choose(u: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Alternative index per row by inverse CDF of one uniform (keeps common random numbers aligned)."""
    cdf = np.cumsum(choice_probabilities(u), axis=1)
    return np.minimum((draw[:, None] > cdf).sum(axis=1), u.shape[1] - 1)
