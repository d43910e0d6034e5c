"""Background mortality and period life expectancy.

The background schedule has the shape of a Gompertz–Makeham curve with an infant term,
scaled so that its life expectancy equals the scenario's ``life_expectancy_table`` (the
county's level, below China's national figure; see docs/sources.md). Excess deaths from
untreated or delayed serious care come on top, so simulated life expectancy is an output.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit

MAX_AGE = 110
AGE_GROUPS = np.array([0, 1, *range(5, 90, 5)])  # abridged life table: 0, 1-4, 5-9, ..., 85+


def _shape() -> np.ndarray:
    """Unscaled single-year hazard shape m(x), x = 0..MAX_AGE-1 (China-like pattern)."""
    x = np.arange(MAX_AGE, dtype=float)
    m = 0.0004 + 0.00003 * np.exp(0.092 * x)
    m[0] += 0.0055
    m[1:5] += 0.0004
    return m


def life_expectancy_from_rates(m: np.ndarray) -> float:
    """Period e0 from single-year hazards (piecewise-constant within each year)."""
    surv = np.concatenate([[1.0], np.exp(-np.cumsum(m))])
    # person-years in year x with constant hazard: l_x (1 - e^-m) / m
    py = surv[:-1] * np.where(m > 0, -np.expm1(-m) / np.where(m > 0, m, 1), 1.0)
    return float(py.sum())


@lru_cache(maxsize=64)
def hazard_schedule(e0: float) -> np.ndarray:
    """Single-year hazards m(x) scaled to give life expectancy ``e0`` (bisection on a multiplier)."""
    base = _shape()

    def scaled(k: float) -> np.ndarray:
        m = base * k
        m[-1] = max(m[-1], 1.0)  # nobody outlives MAX_AGE by much
        return m

    lo, hi = 0.01, 50.0
    for _ in range(80):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if life_expectancy_from_rates(scaled(mid)) > e0 else (lo, mid)
    m = scaled(np.sqrt(lo * hi))
    m.setflags(write=False)
    return m


@lru_cache(maxsize=64)
def cumulative_hazard(e0: float, decline: float = 0.0) -> np.ndarray:
    """H at integer ages 0..MAX_AGE of ``hazard_schedule(e0)``, the hazard at age ``a`` weighted
    by exp(-``decline`` x a): the table ``death_age_trending`` inverts for hazards falling by
    ``decline`` a year (with none, the plain cumulative hazard ``death_age`` inverts)."""
    m = hazard_schedule(e0)
    if decline == 0.0:
        pieces = m
    else:  # the integral of m[j] exp(-decline a) over a in [j, j + 1)
        pieces = m * np.exp(-decline * np.arange(MAX_AGE)) * (-np.expm1(-decline) / decline)
    cum = np.concatenate([[0.0], np.cumsum(pieces)])
    cum.setflags(write=False)
    return cum


@njit(cache=True)
def death_age(age: float, u: float, m: np.ndarray, cum: np.ndarray) -> float:
    """Age at background death of a resident aged ``age`` with uniform ``u``: the inverse of the
    cumulative hazard ``cum`` of the single-year hazards ``m`` (``hazard_schedule``), from ``age``."""
    x = min(max(age, 0.0), MAX_AGE - 1e-9)
    xi = int(x)
    target = cum[xi] + (x - xi) * m[xi] - np.log(u)
    j = min(max(np.searchsorted(cum, target, side="right") - 1, 0), MAX_AGE - 1)
    return min(j + (target - cum[j]) / m[j], MAX_AGE)


@njit(cache=True)
def death_age_trending(age: float, u: float, m: np.ndarray, cum: np.ndarray, decline: float, years_on: float) -> float:
    """``death_age`` when background hazards fall by ``decline`` a year (log rate) from the clock's
    start, ``years_on`` years before now: the hazard at age ``a`` is ``m[a] x exp(-decline x
    (years_on + a - age))`` along the resident's life, integrated exactly. ``cum`` is
    ``cumulative_hazard(e0, decline)``: the hazard is exp(-decline x (years_on - age)) times that
    table's weighting, so one search in it finds the year of death, as in ``death_age``."""
    if decline == 0.0:
        return death_age(age, u, m, cum)
    x = min(max(age, 0.0), MAX_AGE - 1e-9)
    xi = int(x)
    scale = np.exp(-decline * (years_on - x))
    target = cum[xi] + m[xi] * (np.exp(-decline * xi) - np.exp(-decline * x)) / decline - np.log(u) / scale
    if target >= cum[MAX_AGE]:
        return float(MAX_AGE)
    j = max(np.searchsorted(cum, target, side="right") - 1, xi)
    return min(-np.log(np.exp(-decline * j) - (target - cum[j]) * decline / m[j]) / decline, MAX_AGE)


def period_life_expectancy(deaths: np.ndarray, person_years: np.ndarray) -> float:
    """e0 of an abridged life table from deaths and person-years by ``AGE_GROUPS``.

    Uses the constant-hazard conversion of rates to probabilities; the open group is closed
    with e = 1/m. Returns NaN when there is no exposure.
    """
    if person_years.sum() <= 0:
        return float("nan")
    widths = np.diff(np.append(AGE_GROUPS, AGE_GROUPS[-1] + 1))
    m = np.divide(deaths, person_years, out=np.zeros(len(deaths)), where=person_years > 0)
    e0, lx = 0.0, 1.0
    for g, w in enumerate(widths):
        if g == len(widths) - 1:
            e0 += lx / m[g] if m[g] > 0 else lx * 10.0
            break
        q = -np.expm1(-m[g] * w)
        years = lx * (q / m[g] if m[g] > 0 else w)
        e0 += years
        lx *= 1 - q
    return float(e0)


def age_group(age: np.ndarray) -> np.ndarray:
    return np.searchsorted(AGE_GROUPS, age, side="right") - 1
