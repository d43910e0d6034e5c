"""Episodes of illness as a recycled structure of arrays, and a day-bucket calendar.

An episode is created at onset and ends exactly once with an ``Outcome``. Between, it moves
through stages (choose a provider, visit, move down to a township bed, discharge), each
scheduled on a day in the calendar, so the work per day is proportional to the episodes due
that day, not to the population.
"""

from __future__ import annotations

from collections import defaultdict
from enum import IntEnum

import numpy as np
from numba import njit

from .arrays import by_day, fill, first_of_each, scatter, scatter_from
from .population import Residents


class Stage(IntEnum):
    CHOOSE = 1
    VISIT = 2
    DOWN = 3
    DISCHARGE = 4
    ADMIT = 5  # a booked admission: the patient on a waiting list comes back for a bed


class Outcome(IntEnum):
    RESOLVED = 0
    SELF_TREATED = 1
    REFERRED_ON = 2  # left care with a referral not taken up or after too many attempts
    DIED = 3


_FIELDS = {
    "resident": np.int32, "person": np.int64, "severity": np.int8, "needs_bed": np.bool_, "start": np.int32, "key": np.uint16,
    "stage": np.int8, "due": np.int32, "facility": np.int32, "steps": np.int8, "referred_tier": np.int8,
    "has_referral": np.bool_, "visits": np.int16, "treated_day": np.int32, "bed_facility": np.int32,
    "admit_tier": np.int8, "admit_day": np.int32, "bed_since": np.int32, "discharge_day": np.int32, "stay_cost": np.float64,
    "billed_deductible": np.bool_, "open": np.bool_,
    # the episode's last discharge (day, admitting facility): readmissions are counted and settled from it
    "discharged_day": np.int32, "discharged_at": np.int32,
    # on a ward's waiting list since this day (-1: not on one), and on the list of priority patients
    "listed_day": np.int32, "listed_priority": np.bool_,
    # the resident's fixed attributes the stages read, copied at onset: one read of the resident
    # rows per episode instead of one per choice, visit and stay
    "home": np.int32, "scheme": np.uint8, "income": np.uint8,
}


# what a new episode starts with besides who, how severe and when
_START = {"steps": 0, "referred_tier": -1, "has_referral": False, "visits": 0, "treated_day": -1, "bed_facility": -1,
          "stay_cost": 0.0, "billed_deductible": False, "discharged_day": -1, "discharged_at": -1, "listed_day": -1,
          "listed_priority": False}


@njit(cache=True)
def _close(ids, open_, due, free, n_free, resident, open_episode, severity, ended_by_severity):
    """Close rows ``ids`` (nothing scheduled), clear their residents' ``open_episode`` (if given:
    a write per row here costs less than NumPy's gather and scatter), count them by ``severity``
    in ``ended_by_severity`` and push the rows on the free stack above ``n_free``; False,
    changing nothing, if one of them is not open."""
    for e in ids:
        if not open_[e]:
            return False
    for i in range(len(ids)):
        e = ids[i]
        open_[e] = False
        due[e] = -1
        if len(open_episode):
            open_episode[resident[e]] = -1
        ended_by_severity[severity[e]] += 1
        free[n_free + i] = e
    return True


@njit(cache=True)
def due_by_stage(ids, due, stage, open_, day, n_stages, seen, stamp):
    """The episodes of a calendar's entries still due today, each once, sorted by their stage
    (in entry order within one): stage s's are ``out[bounds[s]:bounds[s + 1]]``."""
    keep = np.empty(len(ids), dtype=np.bool_)
    for i in range(len(ids)):
        keep[i] = due[ids[i]] == day and open_[ids[i]]
    live = first_of_each(ids, keep, seen, stamp)
    return by_day(live, stage[live], n_stages)


_NO_RESIDENTS = np.zeros(0, dtype=np.int32)


class EpisodePool:
    """Open episodes; closed rows are reused. ``due == -1`` marks a row with nothing scheduled."""

    def __init__(self, capacity: int = 1024):
        for name, dt in _FIELDS.items():
            setattr(self, name, np.zeros(capacity, dtype=dt))
        self.due[:] = -1
        # free rows as a stack (top = end): allocation takes from the top, closing pushes back
        self._free = np.arange(capacity - 1, -1, -1, dtype=np.int64)
        self._n_free = capacity
        self.opened = 0
        self.closed = np.zeros(len(Outcome), dtype=np.int64)
        self.ended_by_severity = np.zeros(4, dtype=np.int64)  # episodes closed so far, by severity

    @property
    def capacity(self) -> int:
        return len(self.open)

    @property
    def n_open(self) -> int:
        return int(self.opened - self.closed.sum())

    def allocate(self, n: int) -> np.ndarray:
        if n > self._n_free:
            old = self.capacity
            new = max(old * 2, old + n)
            for name in _FIELDS:
                a = getattr(self, name)
                b = np.zeros(new, dtype=a.dtype)
                b[:old] = a
                setattr(self, name, b)
            self.due[old:] = -1
            free = np.empty(new, dtype=np.int64)
            free[: self._n_free] = self._free[: self._n_free]
            free[self._n_free: self._n_free + new - old] = np.arange(new - 1, old - 1, -1)
            self._free, self._n_free = free, self._n_free + new - old
        ids = self._free[self._n_free - n: self._n_free][::-1].copy()
        self._n_free -= n
        fill(self.open, ids, True)
        self.opened += n
        return ids

    def begin(self, resident: np.ndarray, residents: Residents, person: np.ndarray, severity: np.ndarray,
              needs_bed: np.ndarray, day: int, key: np.ndarray) -> np.ndarray:
        """Open episodes for ``resident`` rows of ``residents`` (person ids ``person``) at onset
        ``key`` (their onset number) on ``day``; their ids."""
        ids = self.allocate(len(resident))
        # compiled passes, one per field: a pass writing every field of a row was slower (its rows'
        # fields lie in 17 arrays at once; a field's pass stays within one)
        for name, values in (("resident", resident), ("person", person), ("severity", severity), ("needs_bed", needs_bed),
                             ("key", key)):
            scatter(getattr(self, name), ids, values)
        fill(self.start, ids, day)
        for name in ("home", "scheme", "income"):
            scatter_from(getattr(self, name), ids, getattr(residents, name), resident)
        for name, value in _START.items():
            fill(getattr(self, name), ids, value)
        return ids

    def schedule(self, ids: np.ndarray, stage: Stage, days: np.ndarray | int, calendar: Calendar) -> None:
        """Episodes ``ids`` go to ``stage`` on ``days`` (one day, or one per episode), entered in ``calendar``."""
        if len(ids) == 0:
            return
        fill(self.stage, ids, int(stage))
        if isinstance(days, int | np.integer):
            fill(self.due, ids, int(days))
            calendar.add_day(int(days), ids)
        else:
            scatter(self.due, ids, days)
            calendar.add(np.asarray(days, dtype=np.int64), ids)

    def close(self, ids: np.ndarray, outcome: Outcome | np.ndarray, open_episode: np.ndarray = _NO_RESIDENTS) -> None:
        """End episodes ``ids`` with ``outcome``; ``open_episode`` (the residents' open-episode
        marks, ``Residents.episode``) is cleared for their residents."""
        if len(ids) == 0:
            return
        if not _close(ids, self.open, self.due, self._free, self._n_free, self.resident, open_episode, self.severity,
                      self.ended_by_severity):
            raise RuntimeError("an episode was closed twice")
        self._n_free += len(ids)
        outcome = np.asarray(outcome, dtype=np.int64)
        if outcome.ndim == 0:
            self.closed[outcome] += len(ids)
        else:
            self.closed += np.bincount(outcome, minlength=len(self.closed))

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, n).nbytes for n in _FIELDS)


class Calendar:
    """Ids due on each future day: ``add`` schedules, ``pop`` takes today's."""

    def __init__(self) -> None:
        self._days: dict[int, list[np.ndarray]] = defaultdict(list)

    def add(self, days: np.ndarray, ids: np.ndarray) -> None:
        if len(ids) == 0:
            return
        ids = np.asarray(ids, dtype=np.int64)
        first, last = int(days.min()), int(days.max())
        if first == last:  # the common case (e.g. everyone chose today): no sort at all
            self.add_day(first, ids)
            return
        # a stable counting sort by day (the days span weeks, at most a year): day d's ids are ordered[at[d]:at[d + 1]]
        ordered, at = by_day(ids, np.asarray(days, dtype=np.int64) - first, last - first + 1)
        at = at.tolist()
        for d in range(last - first + 1):
            if at[d + 1] > at[d]:
                self._days[first + d].append(ordered[at[d]:at[d + 1]])

    def add_day(self, day: int, ids: np.ndarray) -> None:
        """Schedule ``ids`` all on ``day``."""
        if len(ids):
            self._days[day].append(np.array(ids, dtype=np.int64))

    def pop(self, day: int) -> np.ndarray:
        parts = self._days.pop(day, None)
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(parts).astype(np.int64, copy=False)

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes + 112 for parts in self._days.values() for p in parts)


class StageCalendar(Calendar):
    """The episodes' calendar: ``due`` takes today's entries and gives the episodes still due,
    each once, sorted by stage. A stage only reschedules its own episodes, so sorting once a day
    serves every stage; stale entries (an episode closed or rescheduled since) are dropped, and
    ids are recycled, hence unique."""

    def __init__(self) -> None:
        super().__init__()
        self._seen, self._stamp = np.zeros(0, dtype=np.int64), 0  # scratch for ``due_by_stage``

    def due(self, day: int, pool: EpisodePool) -> tuple[np.ndarray, np.ndarray]:
        """Today's live episodes and the bounds of each stage's: stage s's are ``ids[bounds[s]:bounds[s + 1]]``."""
        ids = self.pop(day)
        need = int(ids.max()) + 1 if len(ids) else 0
        if len(self._seen) < need:
            self._seen = np.zeros(max(need, 2 * len(self._seen)), dtype=np.int64)
            self._stamp = 0
        self._stamp += 1  # a stamp no earlier call used: the scratch never needs clearing
        return due_by_stage(ids, pool.due, pool.stage, pool.open, day, len(Stage) + 1, self._seen, self._stamp)
