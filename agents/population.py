"""Residents as a structure of arrays (one row per resident, ~45 bytes each).

Age is kept as a birth day so nobody has to be aged each step; chronic conditions are a
bitmask; trust is one float per tier. A row is a place, not a person: a dead resident's row is
given to a newborn, so the arrays track the living population over decades. A person's
``uid`` never changes and keys their random streams.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

HYPERTENSION, DIABETES = 1, 2
FEMALE_SHARE = 0.49  # of residents and of newborns
# the synthetic population's shape (assumptions, not levers: they set who lives in the county)
URBAN_INCOME_LIFT = 0.4  # share of low-income town residents moved to the middle band (towns are richer)
TRUST_SPREAD = 0.08  # standard deviation of a resident's initial trust around the scenario's, by tier
DAYS_PER_YEAR = 365.25


@njit(cache=True)
def age_on(day: int, birth_day: np.ndarray) -> np.ndarray:
    """Age in years on ``day`` of residents born on ``birth_day``."""
    return (day - birth_day) / DAYS_PER_YEAR


# Yunnan-like age pyramid, 5-year groups 0-4 ... 85+ (assumption shaped on the 2020 census)
AGE_PYRAMID = np.array([6.0, 6.5, 6.3, 5.6, 5.7, 7.0, 8.8, 7.5, 7.0, 8.5, 8.2, 6.0, 5.0, 4.8, 3.2, 2.1, 1.3, 0.9])
# prevalence by age at these ages, interpolated (assumption shaped on national surveys)
_PREV_AGES = np.array([0, 17, 18, 44, 59, 74, 90], dtype=float)
_HYPERTENSION = np.array([0, 0, 0.06, 0.12, 0.32, 0.48, 0.55])
_DIABETES = np.array([0, 0, 0.02, 0.04, 0.11, 0.17, 0.18])


_PER_ROW = ("birth_day", "female", "home", "scheme", "chronic", "income", "trust", "contract", "alive", "episode",
            "onsets", "uid", "death_day")


@dataclass
class Residents:
    """Arrays indexed by row; ``capacity`` rows, the first ``n`` ever used.

    Rows of the dead are reused, but only after ``recycle`` (the engine calls it at the year
    boundary): until then the year's onset list and calendars may still name the row, and a
    newborn there must not inherit the dead person's entries.
    """

    birth_day: np.ndarray  # int32, day of birth relative to the run's day 0
    female: np.ndarray  # bool
    home: np.ndarray  # int32 index into County.homes
    scheme: np.ndarray  # uint8: 0 resident insurance (城乡居民), 1 employee (职工)
    chronic: np.ndarray  # uint8 bitmask
    income: np.ndarray  # uint8 band 0 low .. 2 high
    trust: np.ndarray  # float32 (capacity, 4) by tier
    contract: np.ndarray  # bool: family-doctor contract
    alive: np.ndarray  # bool
    episode: np.ndarray  # int32 open episode id or -1
    onsets: np.ndarray  # uint16 onset counter (keys the onset stream)
    uid: np.ndarray  # int64 person id, stable for life, never reused: the key of the random streams
    death_day: np.ndarray  # int32 day of the background death drawn at birth (or at the start)
    n: int = 0
    next_uid: int = 0
    _released: list[np.ndarray] = field(default_factory=list)  # rows of this year's dead
    _free: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # rows ready for newborns

    def age(self, day: int, ids: np.ndarray | None = None) -> np.ndarray:
        """Age in years on ``day`` of ``ids`` (default: every resident in use)."""
        return age_on(day, self.birth_day[: self.n] if ids is None else self.birth_day.take(ids))

    @property
    def nbytes(self) -> int:
        rows = sum(getattr(self, name).nbytes for name in _PER_ROW)
        return rows + self._free.nbytes + sum(a.nbytes for a in self._released)

    def release(self, rows: np.ndarray) -> None:
        """Rows of residents who died: reusable after the next ``recycle``."""
        if len(rows):
            self._released.append(np.asarray(rows, dtype=np.int64))

    def recycle(self) -> None:
        """Make the released rows available to newborns (lowest rows first, for determinism)."""
        if self._released:
            self._free = np.sort(np.concatenate([self._free, *self._released]))[::-1].copy()
            self._released = []

    def born(self, rows: np.ndarray, day: int, home, female, income, trust) -> None:
        """Newborns in ``rows`` (from ``new_rows``) on ``day``: alive, in the resident scheme, with
        no chronic condition, contract, episode or onset yet, and the newborns' ``trust``."""
        self.home[rows], self.female[rows], self.income[rows] = home, female, income
        self.birth_day[rows] = day
        self.scheme[rows] = 0
        self.chronic[rows] = 0
        self.trust[rows] = np.asarray(trust, dtype=np.float32)
        self.contract[rows] = False
        self.alive[rows] = True
        self.episode[rows] = -1
        self.onsets[rows] = 0

    def new_rows(self, k: int) -> np.ndarray:
        """Rows for ``k`` newborns with fresh uids: recycled rows first, then new ones (growing by 25%)."""
        reuse = min(k, len(self._free))
        rows = self._free[len(self._free) - reuse:][::-1]
        self._free = self._free[: len(self._free) - reuse]
        extra = np.arange(self.n, self.n + k - reuse)
        if len(extra):
            cap = len(self.alive)
            if self.n + len(extra) > cap:
                new_cap = max(self.n + len(extra), int(cap * 1.25) + 16)
                for name in _PER_ROW:
                    a = getattr(self, name)
                    b = np.zeros((new_cap, *a.shape[1:]), dtype=a.dtype)
                    b[:cap] = a
                    setattr(self, name, b)
                self.episode[cap:] = -1
            self.n += len(extra)
        rows = np.concatenate([rows, extra])
        self.uid[rows] = np.arange(self.next_uid, self.next_uid + k)
        self.next_uid += k
        return rows


@njit(cache=True)
def _interp(x: float, xp: np.ndarray, fp: np.ndarray) -> float:
    """``np.interp`` at one point with the same arithmetic; Numba's builds arrays for a scalar,
    which made the yearly pass over every resident (``kernels.develop_chronic``) 12 times slower."""
    if x < xp[0]:
        return fp[0]
    for j in range(len(xp) - 1):
        if x < xp[j + 1]:
            if x == xp[j]:
                return fp[j]
            return (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]) * (x - xp[j]) + fp[j]
    return fp[-1]


@njit(cache=True)
def prevalence(age: float, hypertension_scale: float, diabetes_scale: float) -> tuple[float, float]:
    """Prevalence of hypertension and of diabetes at ``age`` (the national curves, scaled)."""
    h = min(max(_interp(age, _PREV_AGES, _HYPERTENSION) * hypertension_scale, 0.0), 1.0)
    d = min(max(_interp(age, _PREV_AGES, _DIABETES) * diabetes_scale, 0.0), 1.0)
    return h, d


@njit(cache=True)
def _prevalences(age, hypertension_scale, diabetes_scale):
    h, d = np.empty(len(age)), np.empty(len(age))
    for i in range(len(age)):
        h[i], d[i] = prevalence(age[i], hypertension_scale, diabetes_scale)
    return h, d


def chronic_prevalence(age: np.ndarray, p) -> tuple[np.ndarray, np.ndarray]:
    """``prevalence`` at each age."""
    return _prevalences(np.asarray(age, dtype=float), p.hypertension_scale, p.diabetes_scale)


def generate_residents(county, p, rng: np.random.Generator) -> Residents:
    """Residents of every home of a built county (``model/county.py``) with the scenario's ``population``, with ages, sex, insurance, income, chronic conditions and trust."""
    pop = county.home_population[county.homes]
    n = int(pop.sum())
    home = np.repeat(np.arange(len(county.homes), dtype=np.int32), pop)
    urban = (county.kind[county.homes] == "community")[home]  # compared per home, not per resident (object array)
    group = rng.choice(len(AGE_PYRAMID), size=n, p=AGE_PYRAMID / AGE_PYRAMID.sum())
    width = np.where(group == len(AGE_PYRAMID) - 1, 15.0, 5.0)
    age = group * 5.0 + rng.random(n) * width
    emp_p = np.where(urban, p.employee_scheme_urban_share, 0.0)
    scale = p.employee_scheme_share / max(emp_p.mean(), 1e-9) if emp_p.mean() > 0 else 0.0
    scheme = (rng.random(n) < np.clip(emp_p * scale, 0, 1)).astype(np.uint8)
    scheme[age < 18] = 0
    shares = np.asarray(p.income_band_shares) / sum(p.income_band_shares)
    income = rng.choice(3, size=n, p=shares).astype(np.uint8)
    income = np.where(urban & (income == 0) & (rng.random(n) < URBAN_INCOME_LIFT), 1, income).astype(np.uint8)
    h, d = chronic_prevalence(age, p)
    chronic = ((rng.random(n) < h) * HYPERTENSION + (rng.random(n) < d) * DIABETES).astype(np.uint8)
    trust = np.clip(np.asarray(p.initial_trust, dtype=np.float32) + rng.normal(0, TRUST_SPREAD, (n, 4)).astype(np.float32), 0.05, 1.0)
    return Residents(
        birth_day=np.round(-age * DAYS_PER_YEAR).astype(np.int32), female=rng.random(n) < FEMALE_SHARE, home=home,
        scheme=scheme, chronic=chronic, income=income, trust=trust.astype(np.float32),
        contract=np.zeros(n, dtype=bool), alive=np.ones(n, dtype=bool), episode=np.full(n, -1, dtype=np.int32),
        onsets=np.zeros(n, dtype=np.uint16),
        uid=np.arange(n, dtype=np.int64), death_day=np.zeros(n, dtype=np.int32), n=n, next_uid=n,
    )
