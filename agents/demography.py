"""Demography and background mortality: births, deaths from the life table, chronic conditions
acquired with age, and the census from which period life expectancy is measured.

Background deaths come from the life table (``agents/lifetable.py``) scaled to the scenario's
``life_expectancy_table`` at the clock's start, its hazards falling by ``mortality_decline`` a
year after it (the secular trend): each resident's day of death is drawn once, at birth or at the start,
by inverse cumulative hazard from its DEATH draw, and the death calendar holds the current
year's. Care failures add excess deaths on top (``agents/care.py``), so life expectancy, measured
from the simulated deaths and person-years, is an output.

A day's stages here: ``births``, ``deaths_today``; at each month's start ``census``; at each
year's start ``new_year`` (chronic conditions, rows of last year's dead freed for newborns, the
year's death calendar).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numba import njit

from . import lifetable
from .episodes import Calendar, Outcome
from .illness import poisson_cdf, poisson_quantile
from .lifetable import death_age_trending
from .population import DAYS_PER_YEAR, DIABETES, FEMALE_SHARE, HYPERTENSION, age_on, prevalence
from .seasons import YEAR, month_length, month_of
from .streams import Purpose, draw

_BIRTH, _DEATH, _CHRONIC = int(Purpose.BIRTH), int(Purpose.DEATH), int(Purpose.CHRONIC)
_BIRTHS_PER_DRAW = 500.0  # the largest Poisson mean drawn at once (exp(-mean) must not underflow)


@dataclass(frozen=True)
class DemographyParams:
    """The scenario's demographic fields (``population.*``, ``life_expectancy_table``)."""

    crude_birth_rate: float  # births per resident per year
    income_band_shares: tuple[float, ...]  # newborns' income bands: low, middle, high
    initial_trust: tuple[float, ...]  # newborns' trust in each tier (0..1)
    life_expectancy_table: float  # e0 of the background life table at the clock's start (years)
    mortality_decline: float  # yearly fall of background hazards (log rate per year)
    hypertension_scale: float  # multiplies the age-specific prevalence (agents/population.py)
    diabetes_scale: float

    @classmethod
    def of(cls, s) -> DemographyParams:
        p = s.population
        return cls(p.crude_birth_rate, tuple(p.income_band_shares), tuple(p.initial_trust), s.life_expectancy_table,
                   s.mortality_decline, p.hypertension_scale, p.diabetes_scale)


def cdf(weights) -> np.ndarray:
    """Cumulative shares of ``weights``: an inverse-CDF draw's table."""
    c = np.cumsum(np.asarray(weights, dtype=float))
    return c / c[-1]


def month_slot(day: int) -> int:
    """The month of a trailing year that ``day`` falls in (0..11): the life table's deaths and
    person-years are kept by these, and a slot is reused a year later."""
    return month_of(day)


def expected_births(crude_birth_rate: float, alive: int) -> float:
    """A day's expected births among ``alive`` residents."""
    return crude_birth_rate * alive / YEAR


@njit(cache=True)
def birth_count(key, day, expected):
    """How many are born on ``day``: a Poisson count of mean ``expected``, drawn in parts of at
    most ``_BIRTHS_PER_DRAW`` from the day's BIRTH draws."""
    parts = max(int(np.ceil(expected / _BIRTHS_PER_DRAW)), 1)
    cdf = poisson_cdf(expected / parts)
    n = 0
    for j in range(parts):
        n += poisson_quantile(draw(key, _BIRTH, 2 * day, j), cdf)
    return n


@njit(cache=True)
def newborn(key, day, k, home_cdf, income_cdf, female_share):
    """The home and income band (inverse CDFs) and sex of the ``k``-th newborn of ``day``, from
    the BIRTH draws numbered for k: they do not depend on how many were born (common random
    numbers across policies)."""
    home = np.searchsorted(home_cdf, draw(key, _BIRTH, 2 * day + 1, 3 * k), side="right")
    female = draw(key, _BIRTH, 2 * day + 1, 3 * k + 1) < female_share
    income = np.searchsorted(income_cdf, draw(key, _BIRTH, 2 * day + 1, 3 * k + 2), side="right")
    return home, female, income


@njit(cache=True)
def newborns(key, day, expected, home_cdf, income_cdf, female_share):
    """Today's births (``birth_count``): each newborn's home, sex and income band (``newborn``)."""
    n = birth_count(key, day, expected)
    home = np.empty(n, dtype=np.int32)
    female = np.empty(n, dtype=np.bool_)
    income = np.empty(n, dtype=np.uint8)
    for k in range(n):
        home[k], female[k], income[k] = newborn(key, day, k, home_cdf, income_cdf, female_share)
    return home, female, income


@njit(cache=True)
def death_day(key, uid, birth_day, day, hazard, cumulative_hazard, decline):
    """The day of a resident's background death (``lifetable.death_age_trending`` from its DEATH
    draw, hazards falling by ``decline`` a year from day 0; ``cumulative_hazard`` is
    ``lifetable.cumulative_hazard(e0, decline)``), not before ``day``."""
    at = death_age_trending(age_on(day, birth_day), draw(key, _DEATH, uid, 0), hazard, cumulative_hazard, decline,
                            day / DAYS_PER_YEAR)
    return max(birth_day + np.int64(np.floor(at * DAYS_PER_YEAR)), day)


@njit(cache=True)
def background_deaths(key, rows, uid, birth_day, death_days, day, year_end, hazard, cumulative_hazard, decline):
    """Each resident's ``death_day``, written to ``death_days``; the rows, and their days, of
    those who die before ``year_end``."""
    soon = np.empty(len(rows), dtype=np.int64)
    days = np.empty(len(rows), dtype=np.int64)
    n = 0
    for i in range(len(rows)):
        x = rows[i]
        d = death_day(key, uid[x], birth_day[x], day, hazard, cumulative_hazard, decline)
        death_days[x] = d
        if d < year_end:
            soon[n] = x
            days[n] = d
            n += 1
    return soon[:n], days[:n]


@njit(cache=True)
def _oldest(alive, birth_day, day):
    """The age in days on ``day`` of the oldest of the living (0 if none)."""
    oldest = 0
    for x in range(len(alive)):
        if alive[x]:
            oldest = max(oldest, day - birth_day[x])
    return oldest


@njit(cache=True)
def count_by_age_in_days(alive, birth_day, day):
    """How many of the living are each age in days on ``day`` (a census in one pass, without
    the temporaries of selecting the living and subtracting)."""
    counts = np.zeros(_oldest(alive, birth_day, day) + 1, dtype=np.int64)
    for x in range(len(alive)):
        if alive[x]:
            counts[day - birth_day[x]] += 1
    return counts


@njit(cache=True)
def chronic_chances(age, hypertension_scale, diabetes_scale):
    """The chances that a resident of ``age`` without hypertension (diabetes) develops it in the
    year just ended: the rise in its prevalence since last year's age, among those without it."""
    h0, d0 = prevalence(age - 1, hypertension_scale, diabetes_scale)
    h1, d1 = prevalence(age, hypertension_scale, diabetes_scale)
    return min(max((h1 - h0) / max(1 - h0, 1e-9), 0.0), 1.0), min(max((d1 - d0) / max(1 - d0, 1e-9), 0.0), 1.0)


@njit(cache=True)
def with_new_chronic(key, uid, year, chronic, p_hypertension, p_diabetes):
    """A resident's chronic conditions after ``year`` (``chronic_chances``), from its CHRONIC
    draws keyed by person and year, so a policy never changes who falls ill."""
    if draw(key, _CHRONIC, uid, 2 * year) < p_hypertension:
        chronic |= HYPERTENSION
    if draw(key, _CHRONIC, uid, 2 * year + 1) < p_diabetes:
        chronic |= DIABETES
    return chronic


@njit(cache=True)
def develop_chronic(key, alive, uid, birth_day, chronic, day, year, hypertension_scale, diabetes_scale):
    """A year on: ``with_new_chronic`` for each living resident. The chances depend on age alone,
    so they are worked out once per age in days (a county has ~40,000 against ~600,000 residents)."""
    oldest = _oldest(alive, birth_day, day)
    p_h = np.full(oldest + 1, -1.0)
    p_d = np.empty(oldest + 1)
    for x in range(len(alive)):
        if not alive[x]:
            continue
        a = day - birth_day[x]
        if p_h[a] < 0:
            p_h[a], p_d[a] = chronic_chances(age_on(day, birth_day[x]), hypertension_scale, diabetes_scale)
        chronic[x] = with_new_chronic(key, uid[x], year, chronic[x], p_h[a], p_d[a])


def person_years(alive: np.ndarray, birth_day: np.ndarray, day: int) -> np.ndarray:
    """A month's person-years of the living on ``day`` by ``lifetable.AGE_GROUPS`` (a census)."""
    # count by age in days, then cut at the groups' first whole day: same groups as
    # lifetable.age_group on ages in years, without a search per resident
    by_day = np.cumsum(count_by_age_in_days(alive, birth_day, day))
    edges = np.ceil(lifetable.AGE_GROUPS * DAYS_PER_YEAR).astype(np.int64)
    below = np.where(edges > 0, by_day[np.clip(edges - 1, 0, len(by_day) - 1)], 0)
    return np.diff(np.append(below, by_day[-1])) * month_length(day) / DAYS_PER_YEAR


class Demography:
    """Births, background deaths, chronic conditions and the life-table census of a model's residents."""

    def __init__(self, m):
        self.m = m
        n_groups = len(lifetable.AGE_GROUPS)
        self.home_cdf = cdf(m.county.home_population[m.county.homes])  # where newborns live
        self.deaths = Calendar()  # this year's background deaths: resident rows by day
        self.month_deaths = np.zeros((12, n_groups))  # a trailing year by month, for the daily life expectancy
        self.month_py = np.zeros((12, n_groups))
        self.year_deaths = defaultdict(lambda: np.zeros(n_groups))  # by calendar year, for the summary
        self.year_py = defaultdict(lambda: np.zeros(n_groups))
        self.life_expectancy = float("nan")

    def derive(self, s) -> None:
        self.params = DemographyParams.of(s)
        self.income_cdf = cdf(self.params.income_band_shares)  # newborns' income bands

    # ------------------------------------------------------------------ deaths
    def schedule_background_deaths(self, ids: np.ndarray) -> None:
        """Draw each resident's day of background death; those falling in this year go in the calendar."""
        m, r, e0, decline = self.m, self.m.res, self.params.life_expectancy_table, self.params.mortality_decline
        soon, days = background_deaths(m.streams.key, ids, r.uid, r.birth_day, r.death_day, m.day, (m.day // YEAR + 1) * YEAR,
                                       lifetable.hazard_schedule(e0), lifetable.cumulative_hazard(e0, decline), decline)
        self.deaths.add(days, soon)

    def deaths_today(self) -> None:
        self.kill(self.deaths.pop(self.m.day), excess=False)

    def kill(self, ids: np.ndarray, excess: bool) -> None:
        """Residents die: their open episode ends as DIED, their bed is freed, their family-doctor
        contract ends (the contract rate counts the living)."""
        m, r = self.m, self.m.res
        ids = ids[r.alive[ids]]
        if len(ids) == 0:
            return
        r.alive[ids] = False
        m.contracts.end(ids)
        r.release(ids)
        m.alive_by_scheme -= np.bincount(r.scheme[ids], minlength=2)
        eps = r.episode[ids]
        eps = eps[eps >= 0]
        if len(eps):
            m.beds.free(eps)
            m.end(eps, Outcome.DIED)
        counts = np.bincount(lifetable.age_group(r.age(m.day, ids)), minlength=len(lifetable.AGE_GROUPS))
        self.month_deaths[month_slot(m.day)] += counts
        self.year_deaths[m.day // YEAR] += counts
        m.today.deaths += len(ids)
        if excess:
            m.today.excess_deaths += len(ids)

    # ------------------------------------------------------------------ births
    def births(self) -> np.ndarray:
        """Today's newborns, in rows of residents who died in earlier years where there are any; their rows."""
        m, r, p = self.m, self.m.res, self.params
        expected = expected_births(p.crude_birth_rate, int(m.alive_by_scheme.sum()))
        home, female, income = newborns(m.streams.key, m.day, expected, self.home_cdf, self.income_cdf, FEMALE_SHARE)
        n = len(home)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        ids = r.new_rows(n)
        r.born(ids, m.day, home, female, income, p.initial_trust)
        m.alive_by_scheme[0] += n
        m.today.births += n
        self.schedule_background_deaths(ids)
        m.illness.draw_newborns(ids, m.day + 1)
        return ids

    # ------------------------------------------------------------------ the year and the month
    def new_year(self) -> None:
        """Yearly: residents develop hypertension/diabetes as prevalence rises with age; then ``start_year``."""
        m, r, p = self.m, self.m.res, self.params
        develop_chronic(m.streams.key, r.alive[: r.n], r.uid, r.birth_day, r.chronic, m.day, m.day // YEAR,
                        p.hypertension_scale, p.diabetes_scale)
        self.start_year()

    def start_year(self) -> None:
        """The dead's rows become free for newborns; the death calendar holds this year's deaths of the
        living. Rebuilt here, so it never names a row since given to a newborn."""
        m, r = self.m, self.m.res
        r.recycle()  # safe now: the year's onset list and death calendar are rebuilt from the living
        end = (m.day // YEAR + 1) * YEAR
        self.deaths = Calendar()
        dying = np.flatnonzero(r.alive[: r.n] & (r.death_day[: r.n] < end))
        self.deaths.add(r.death_day[dying].astype(np.int64), dying)

    def census(self) -> None:
        """Monthly: person-years by age group from a census, and the trailing year's life expectancy."""
        m, r = self.m, self.m.res
        py = person_years(r.alive[: r.n], r.birth_day[: r.n], m.day)
        slot = month_slot(m.day)
        self.month_py[slot] = py
        self.year_py[m.day // YEAR] += py
        self.life_expectancy = lifetable.period_life_expectancy(self.month_deaths.sum(0), self.month_py.sum(0))
        # the slot that is now starting collects the coming month's deaths
        self.month_deaths[slot] = 0.0
