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


@njit(cache=True)
def episode_rates(age: float, chronic: int, acute_rate: np.ndarray, hypertension_followups: float,
                  diabetes_followups: float, scale: float) -> tuple[float, float]:
    """(acute, chronic follow-up) episodes per person-year of one resident (``rate_params``)."""
    band = 0
    for edge in AGE_BANDS[1:]:
        band += age >= edge
    follow = ((chronic & HYPERTENSION) > 0) * hypertension_followups + ((chronic & DIABETES) > 0) * diabetes_followups
    return acute_rate[band] * scale, follow * scale


def rate_params(p: IllnessParams) -> tuple:
    """``episode_rates``' parameters from the scenario."""
    return np.asarray(p.acute_rate, dtype=float), p.hypertension_followups, p.diabetes_followups, p.incidence_scale


def severity_cdf(p: IllnessParams) -> np.ndarray:
    """Cumulative severity mix of acute episodes by age group (rows: <15, 15-59, 60+), without
    the last column (1)."""
    return np.cumsum([p.severity_young, p.severity_middle, p.severity_old], axis=1)[:, :-1]


def complication_share(management: float) -> float:
    """Share of chronic follow-ups that are complications; ``management`` (chronic-disease
    management effort, 0..1) halves them at full effort."""
    return CHRONIC_COMPLICATION * (1 - 0.5 * management)


@njit(cache=True)
def severity(u_kind: float, u_sev: float, acute: float, follow: float, age: float, cdf: np.ndarray,
             complication: float) -> int:
    """Severity class of a new episode (0 minor .. 3 complex).

    ``u_kind`` picks acute vs chronic follow-up in proportion to their rates (``episode_rates``);
    an acute episode's severity is ``u_sev`` against its age group's ``severity_cdf``."""
    if u_kind * (acute + follow) >= acute:
        return SERIOUS if u_sev < complication else COMMON
    group = 0 if age < 15 else (1 if age < 60 else 2)
    sev = 0
    for j in range(cdf.shape[1]):
        sev += u_sev > cdf[group, j]
    return sev


@njit(cache=True)
def needs_admission(u: float, sev: int, admission_need: np.ndarray, propensity: float = 1.0) -> bool:
    """Whether an episode needs a bed. ``propensity`` (provider response) scales discretionary
    (minor/common) admissions only; serious and complex need is clinical."""
    need = admission_need[sev]
    if sev <= COMMON:
        need = min(max(need * propensity, 0.0), 1.0)
    return u < need


POISSON_MAX = 1000  # the largest count drawn


@njit(cache=True)
def poisson_cdf(lam: float) -> np.ndarray:
    """P(N <= n) of a Poisson(``lam``) count for n = 0 .. ``POISSON_MAX``, summed term by term."""
    cdf = np.empty(POISSON_MAX + 1)
    p = np.exp(-lam)
    acc = p
    cdf[0] = acc
    for n in range(1, POISSON_MAX + 1):
        p *= lam / n
        acc += p
        cdf[n] = acc
    return cdf


@njit(cache=True)
def poisson_quantile(u: float, cdf: np.ndarray) -> int:
    """The count whose ``poisson_cdf`` first reaches ``u`` (scipy's ppf is ~40x slower for many
    small means). A year's onset counts share a few rates, so a CDF serves many draws."""
    n = 0
    while u > cdf[n] and n < POISSON_MAX:
        n += 1
    return n
