"""Treatment, referral, admission and outcome rules (pure functions)."""

from __future__ import annotations

import numpy as np
from numba import njit

ATTEMPT_MARGIN = 0.35  # a facility attempts a case up to this far above its skill
MAX_STEPS = 6  # care-seeking decisions per episode before the resident gives up


@njit(cache=True)
def attempts(skill: float, sev: int, keep: float = 0.0) -> bool:
    """Whether the facility treats rather than refers up. ``keep`` (provider response) widens the margin."""
    return skill + ATTEMPT_MARGIN + keep >= sev


@njit(cache=True)
def success_prob(skill: float, sev: int, below_need: float, capable: float) -> float:
    """Probability that treatment resolves the episode, falling from ``capable`` toward
    ``below_need`` (``FacilityParams.treat_success``/``below_need_success``) as severity exceeds skill."""
    return below_need + (capable - below_need) / (1.0 + np.exp(-8.0 * (skill - sev + 0.2)))


@njit(cache=True)
def excess_fatality(sev: int, delay_days: int, untreated: bool, untreated_fatality: np.ndarray,
                    delay_fatality_per_day: np.ndarray) -> float:
    """Probability that an episode kills beyond the background life table (``IllnessParams``'
    per-severity lists as arrays)."""
    p = untreated_fatality[sev] if untreated else 0.0
    return min(max(p + delay_fatality_per_day[sev] * delay_days, 0.0), 1.0)


@njit(cache=True)
def length_of_stay(u: float, mean_days: float, sev: int, mult: float = 1.0) -> int:
    """Days in bed: the tier's mean (``FacilityParams.los_days``), longer for complex cases,
    spread uniformly ±50%."""
    return max(1, int(np.rint(mean_days * (0.85 + 0.1 * sev) * mult * (0.5 + u))))


def referral_tier(tier: np.ndarray) -> np.ndarray:
    """The tier a facility refers up to."""
    return np.minimum(tier + 1, 3)


@njit(cache=True)
def learned(trust: np.float32, ok: bool, rate: float) -> np.float32:
    """Trust in the tier that treated, moved toward the outcome (1 resolved, 0 not) by ``rate``,
    in float32 as stored."""
    return trust + np.float32(rate) * (np.float32(ok) - trust)
