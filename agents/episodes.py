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


class Stage(IntEnum):
    CHOOSE = 1
    VISIT = 2
    DOWN = 3
    DISCHARGE = 4


class Outcome(IntEnum):
    RESOLVED = 0
    SELF_TREATED = 1
    REFERRED_ON = 2  # left care with a referral not taken up or after too many attempts
    DIED = 3


_FIELDS = {
    "resident": np.int32, "severity": np.int8, "needs_bed": np.bool_, "start": np.int32, "key": np.uint16,
    "stage": np.int8, "due": np.int32, "facility": np.int32, "steps": np.int8, "referred_tier": np.int8,
    "has_referral": np.bool_, "visits": np.int16, "treated_day": np.int32, "bed_facility": np.int32,
    "admit_tier": np.int8, "admit_day": np.int32, "bed_since": np.int32, "discharge_day": np.int32, "stay_cost": np.float64,
    "billed_deductible": np.bool_, "open": np.bool_,
}


class EpisodePool:
    """Open episodes; closed rows are reused. ``due == -1`` marks a row with nothing scheduled."""

    def __init__(self, capacity: int = 1024):
        for name, dt in _FIELDS.items():
            setattr(self, name, np.zeros(capacity, dtype=dt))
        self.due[:] = -1
        self._free = list(range(capacity - 1, -1, -1))
        self.opened = 0
        self.closed = np.zeros(len(Outcome), dtype=np.int64)

    @property
    def capacity(self) -> int:
        return len(self.open)

    @property
    def n_open(self) -> int:
        return int(self.opened - self.closed.sum())

    def allocate(self, n: int) -> np.ndarray:
        if n > len(self._free):
            old = self.capacity
            new = max(old * 2, old + n)
            for name in _FIELDS:
                a = getattr(self, name)
                b = np.zeros(new, dtype=a.dtype)
                b[:old] = a
                setattr(self, name, b)
            self.due[old:] = -1
            self._free.extend(range(new - 1, old - 1, -1))
        ids = np.array(self._free[-n:][::-1], dtype=np.int64) if n else np.zeros(0, dtype=np.int64)
        del self._free[len(self._free) - n:]
        self.open[ids] = True
        self.opened += n
        return ids

    def close(self, ids: np.ndarray, outcome: Outcome | np.ndarray) -> None:
        if len(ids) == 0:
            return
        if not self.open[ids].all():
            raise RuntimeError("an episode was closed twice")
        self.open[ids] = False
        self.due[ids] = -1
        np.add.at(self.closed, np.broadcast_to(np.asarray(outcome, dtype=np.int64), ids.shape), 1)
        self._free.extend(ids.tolist())

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
        order = np.argsort(days, kind="stable")
        days, ids = days[order], ids[order]
        uniq, start = np.unique(days, return_index=True)
        for d, part in zip(uniq.tolist(), np.split(ids, start[1:]), strict=True):
            self._days[d].append(part)

    def pop(self, day: int) -> np.ndarray:
        parts = self._days.pop(day, None)
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(parts).astype(np.int64, copy=False)

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes + 112 for parts in self._days.values() for p in parts)
