"""Seasons (季节): the calendar, and how illness and the people present vary over the year.

The clock's year has 365 days in calendar months (``MONTH_DAYS``); monthly stages (staff flows,
the census, word of mouth) run on the first day of each month, and seasonal levers (tidal
deployment's months, 潮汐式) read the month a day falls in (``month_of``).

Onsets follow a monthly profile (``SeasonParams``): acute episodes peak in winter (respiratory
infections), chronic follow-ups and their complications less so (winter's cardiovascular
events), and a county may add its own demand profile (``illness.visitors_by_month``: tourists at
scenic areas, migrant workers home for the Spring Festival, 春节返乡), which scales both. A
profile of ones is no season. The onset process stays Poisson with a rate that varies by day:
``season_weights`` turns a monthly profile into daily weights and their cumulative table, which
``agents/illness.py`` uses for a year's expected onsets and each onset's day (an inverse CDF).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

YEAR = 365
MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
MONTH_START = np.concatenate([[0], np.cumsum(MONTH_DAYS)[:-1]])  # day of the year each month starts
_MONTH_OF_DAY = np.repeat(np.arange(12), MONTH_DAYS)  # day of the year -> month (0..11)


def month_of(day: int) -> int:
    """The month (0 = January .. 11) that ``day`` falls in."""
    return int(_MONTH_OF_DAY[day % YEAR])


def month_starts(day: int) -> bool:
    """Whether ``day`` is the first day of a month (monthly stages run then)."""
    return bool(day % YEAR == MONTH_START[month_of(day)])


def month_length(day: int) -> int:
    """Days in the month that ``day`` falls in."""
    return int(MONTH_DAYS[month_of(day)])


def months_elapsed(day: int) -> int:
    """Whole months from day 0 to the month ``day`` falls in: a monthly series' index."""
    return (day // YEAR) * 12 + month_of(day)


@dataclass(frozen=True)
class SeasonParams:
    """Relative onset rates by month (January first), from ``illness.*``."""

    acute: tuple[float, ...]  # acute episodes (normalised to a mean of 1: the yearly rate is kept)
    chronic: tuple[float, ...]  # chronic follow-ups and complications (normalised likewise)
    visitors: tuple[float, ...]  # people present relative to residents (not normalised: visitors add demand)

    @classmethod
    def of(cls, illness) -> SeasonParams:
        return cls(tuple(illness.acute_by_month), tuple(illness.chronic_by_month), tuple(illness.visitors_by_month))


def daily(by_month, normalise: bool) -> np.ndarray:
    """A monthly profile as 365 daily weights, a mean of 1 over the year if ``normalise``."""
    w = np.asarray(by_month, dtype=float)[_MONTH_OF_DAY]
    return w / w.mean() if normalise else w


def season_weights(p: SeasonParams) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative daily weights (366 entries: the sum of the days before each day of the year) of
    acute onsets and of chronic follow-ups: ``cum[b] - cum[a]`` is the days ``a..b-1`` worth of
    onsets at the yearly rate. A flat profile gives ``cum[d] = d``."""
    visitors = daily(p.visitors, normalise=False)
    return tuple(np.concatenate([[0.0], np.cumsum(daily(prof, normalise=True) * visitors)])
                 for prof in (p.acute, p.chronic))
