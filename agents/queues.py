"""Outpatient capacity, queues and waits, and the slots reserved for referred patients.

A facility serves ``visits_per_doctor_day`` visits per doctor present each day. Queues are fluid:
the day's arrivals join a backlog that capacity serves at the day's end, and a new patient
expects to wait backlog / capacity days. At county and tertiary hospitals a share of slots can
be reserved (seed 002: 1/3) for referred and contracted patients, who queue there separately and
book whichever queue is sooner: reserving slots never makes them wait longer than others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class QueueParams:
    """``facilities.visits_per_doctor_day`` and ``policy.reserved_slot_share``."""

    visits_per_doctor_day: tuple[float, ...]  # outpatient visits a doctor serves a day, by tier
    reserved_slot_share: float  # share of county/tertiary slots held for referred and contracted patients

    @classmethod
    def of(cls, s) -> QueueParams:
        return cls(tuple(s.facilities.visits_per_doctor_day), s.policy.reserved_slot_share)


def wait_days(capacity, backlog, backlog_priority, priority_share) -> tuple[np.ndarray, np.ndarray]:
    """Expected wait (days) for a new general and priority patient, from the queues."""
    gen_cap = np.maximum(capacity * (1 - priority_share), 1e-9)
    pri_cap = np.where(priority_share > 0, capacity * priority_share, gen_cap)
    pri_backlog = np.where(priority_share > 0, backlog_priority, backlog)
    return backlog / gen_cap, pri_backlog / pri_cap


class Queues:
    """The outpatient queues of a model's facilities."""

    def __init__(self, m):
        self.m = m

    def derive(self, s) -> None:
        self.params = p = QueueParams.of(s)
        tier = self.m.fac.tier
        self.visits_per_doctor = np.asarray(p.visits_per_doctor_day)[tier]
        self.reserved = np.where(tier >= 2, p.reserved_slot_share, 0.0)

    def open_day(self) -> None:
        """Capacity from the doctors present today, and the waits new patients expect."""
        f = self.m.fac
        f.capacity = (f.senior + f.junior + f.village_doctors) * self.visits_per_doctor
        self.wait_general, wait_reserved = wait_days(f.capacity, f.backlog, f.backlog_priority, self.reserved)
        # referred/contracted patients may book a reserved slot or an ordinary one, whichever comes sooner:
        # reserving slots never makes them wait longer than everyone else (seed 002: they get priority)
        self.use_reserved = (self.reserved > 0) & (wait_reserved <= self.wait_general)
        self.wait_priority = np.minimum(wait_reserved, self.wait_general)

    def serve(self) -> None:
        """Today's arrivals join the queues; capacity serves them (reserved slots first for priority patients)."""
        f = self.m.fac
        pri_cap = f.capacity * self.reserved
        f.backlog_priority = f.backlog_priority + f.arrivals_priority
        served_pri = np.minimum(f.backlog_priority, pri_cap)
        f.backlog_priority -= served_pri
        f.backlog = np.maximum(f.backlog + f.arrivals - (f.capacity - served_pri), 0.0)
