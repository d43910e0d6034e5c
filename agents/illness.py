"""Episode onset and severity: pure functions of residents' attributes and parameters."""

from __future__ import annotations

import numpy as np
from numba import njit
from reformsim.model.params import IllnessParams

from .population import DIABETES, HYPERTENSION

AGE_BANDS = np.array([0, 5, 15, 45, 65])  # acute_rate bands
MINOR, COMMON, SERIOUS, COMPLEX = 0, 1, 2, 3
# a chronic follow-up is a common episode; a few are complications (serious), fewer under management
CHRONIC_COMPLICATION = 0.04


def annual_rates(age: np.ndarray, chronic: np.ndarray, p: IllnessParams) -> tuple[np.ndarray, np.ndarray]:
    """(acute, chronic follow-up) episodes per person-year."""
    band = np.searchsorted(AGE_BANDS, age, side="right") - 1
    acute = np.asarray(p.acute_rate)[band] * p.incidence_scale
    follow = ((chronic & HYPERTENSION) > 0) * p.hypertension_followups + ((chronic & DIABETES) > 0) * p.diabetes_followups
    return acute, follow * p.incidence_scale


def severity(u_kind: np.ndarray, u_sev: np.ndarray, age: np.ndarray, chronic: np.ndarray, p: IllnessParams,
             management: float = 0.0) -> np.ndarray:
    """Severity class of new episodes (int8: 0 minor .. 3 complex).

    ``u_kind`` picks acute vs chronic follow-up in proportion to their rates; ``management``
    (chronic-disease management effort, 0..1) halves complications at full effort.
    """
    acute, follow = annual_rates(age, chronic, p)
    is_follow = u_kind * (acute + follow) >= acute
    # cumulative severity mix of each resident's age group; counting the thresholds below the draw
    # one column at a time (numpy reduces short rows slowly)
    cdf = np.cumsum([p.severity_young, p.severity_middle, p.severity_old], axis=1)[:, :-1]
    group = np.where(age < 15, 0, np.where(age < 60, 1, 2))
    acute_sev = np.zeros(len(u_sev), dtype=np.int64)
    for j in range(cdf.shape[1]):
        acute_sev += u_sev > cdf[group, j]
    comp = CHRONIC_COMPLICATION * (1 - 0.5 * management)
    follow_sev = np.where(u_sev < comp, SERIOUS, COMMON)
    return np.where(is_follow, follow_sev, acute_sev).astype(np.int8)


def needs_admission(u: np.ndarray, sev: np.ndarray, p: IllnessParams, propensity: float = 1.0) -> np.ndarray:
    """Whether an episode needs a bed. ``propensity`` (provider response) scales discretionary
    (minor/common) admissions only; serious and complex need is clinical."""
    need = np.asarray(p.admission_need)[sev]
    need = np.where(sev <= COMMON, np.clip(need * propensity, 0, 1), need)
    return u < need


@njit(cache=True)
def poisson_quantile(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Number of onsets: the Poisson(``lam``) quantile of ``u`` (one draw per resident), by
    walking up k while the CDF is below ``u`` (scipy's ppf is ~40x slower for many small means)."""
    k = np.zeros(len(u), dtype=np.int64)
    for i in range(len(u)):
        p = np.exp(-lam[i])
        cdf = p
        n = 0
        while u[i] > cdf and n < 1000:
            n += 1
            p *= lam[i] / n
            cdf += p
        k[i] = n
    return k
