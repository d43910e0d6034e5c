"""Treatment, referral, admission and outcome rules (pure functions)."""

from __future__ import annotations

import numpy as np
from reformsim.model.params import FacilityParams, IllnessParams

ATTEMPT_MARGIN = 0.35  # a facility attempts a case up to this far above its skill
MAX_STEPS = 6  # care-seeking decisions per episode before the resident gives up


def attempts(skill: np.ndarray, sev: np.ndarray, keep: float = 0.0) -> np.ndarray:
    """Whether the facility treats rather than refers up. ``keep`` (provider response) widens the margin."""
    return skill + ATTEMPT_MARGIN + keep >= sev


def success_prob(skill: np.ndarray, sev: np.ndarray, f: FacilityParams) -> np.ndarray:
    """Probability that treatment resolves the episode, falling as severity exceeds skill."""
    return f.below_need_success + (f.treat_success - f.below_need_success) / (1.0 + np.exp(-8.0 * (skill - sev + 0.2)))


def excess_fatality(sev: np.ndarray, delay_days: np.ndarray, untreated: np.ndarray, p: IllnessParams) -> np.ndarray:
    """Probability that an episode kills beyond the background life table."""
    base = np.where(untreated, np.asarray(p.untreated_fatality)[sev], 0.0)
    return np.clip(base + np.asarray(p.delay_fatality_per_day)[sev] * delay_days, 0.0, 1.0)


def length_of_stay(u: np.ndarray, tier: np.ndarray, sev: np.ndarray, f: FacilityParams, mult: float = 1.0) -> np.ndarray:
    """Days in bed: the tier's mean, longer for complex cases, spread uniformly ±50%."""
    mean = np.asarray(f.los_days)[tier] * (0.85 + 0.1 * sev) * mult
    return np.maximum(1, np.rint(mean * (0.5 + u))).astype(np.int32)


def referral_tier(tier: np.ndarray) -> np.ndarray:
    """The tier a facility refers up to."""
    return np.minimum(tier + 1, 3)
