"""Outpatient capacity, queues, waits and congestion, and the slots reserved for referred patients.

A facility serves at most ``visits_per_doctor_day`` visits per doctor present each day. Queues
are fluid: the day's arrivals join a backlog that capacity serves at the day's end, and a new
patient expects to wait backlog / capacity days. Long before a queue forms, consultations
shorten as a facility fills: above ``comfortable_load`` of its capacity (a smoothed load, over
``load_memory_days``) its effective skill — what treatment achieves and what residents perceive
— falls by ``congestion_skill_loss`` per unit of load (``effective_skill``), so staff added where
demand peaks (tidal deployment 潮汐式, recruitment) show up as better care before they show up
as shorter waits. At tertiary hospitals (三级, seed 002) a share of slots can be reserved (1/3) for
contracted residents referred up (经转诊的签约居民: slots released to family-doctor teams), who queue there separately and book whichever queue
is sooner: reserving slots never makes them wait longer than others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class QueueParams:
    """``facilities.visits_per_doctor_day`` and ``policy.reserved_slot_share``."""

    visits_per_doctor_day: tuple[float, ...]  # the most outpatient visits a doctor serves a day, by tier
    comfortable_load: float  # share of that capacity up to which consultations keep their length
    congestion_skill_loss: float  # effective skill lost per unit of load above the comfortable one
    load_memory_days: float  # days over which the load is smoothed (an exponential average)
    reserved_slot_share: float  # share of tertiary (三级) slots held for contracted residents referred up

    @classmethod
    def of(cls, s) -> QueueParams:
        f = s.facilities
        return cls(tuple(f.visits_per_doctor_day), f.comfortable_load, f.congestion_skill_loss, f.load_memory_days,
                   s.policy.reserved_slot_share)


def wait_days(capacity, backlog, backlog_priority, priority_share) -> tuple[np.ndarray, np.ndarray]:
    """Expected wait (days) for a new general and priority patient, from the queues."""
    gen_cap = np.maximum(capacity * (1 - priority_share), 1e-9)
    pri_cap = np.where(priority_share > 0, capacity * priority_share, gen_cap)
    pri_backlog = np.where(priority_share > 0, backlog_priority, backlog)
    return backlog / gen_cap, pri_backlog / pri_cap


def queue_tables(p: QueueParams, facility_tier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """By facility: visits a doctor serves a day, and the share of slots reserved: seed 002 asks
    it of tertiary hospitals (三级医院) only."""
    return np.asarray(p.visits_per_doctor_day)[facility_tier], np.where(facility_tier == 3, p.reserved_slot_share, 0.0)


def effective_skill(skill, load, comfortable_load: float, loss: float):
    """Skill as care delivers it at a ``load`` (arrivals over capacity): less above the comfortable load."""
    return skill - loss * np.maximum(load - comfortable_load, 0.0)


def open_queues(f, visits_per_doctor: np.ndarray, reserved: np.ndarray, p: QueueParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The day's capacity from the doctors present and the effective skill at the recent load
    (``f.capacity``, ``f.effective_skill``, in place), and the waits a new patient expects:
    general, priority, and whether a priority patient uses the reserved slots."""
    f.capacity = (f.senior + f.junior + f.village_doctors) * visits_per_doctor
    f.effective_skill = effective_skill(f.skill, f.load, p.comfortable_load, p.congestion_skill_loss)
    wait_general, wait_reserved = wait_days(f.capacity, f.backlog, f.backlog_priority, reserved)
    # referred/contracted patients may book a reserved slot or an ordinary one, whichever comes sooner:
    # reserving slots never makes them wait longer than everyone else (seed 002: they get priority)
    return wait_general, np.minimum(wait_reserved, wait_general), (reserved > 0) & (wait_reserved <= wait_general)


def serve(f, reserved: np.ndarray, load_memory_days: float) -> None:
    """Today's arrivals join the queues; capacity serves them (reserved slots first for priority
    patients); the smoothed load takes in today's arrivals over capacity. In place."""
    today = np.divide(f.arrivals + f.arrivals_priority, f.capacity, out=np.zeros(len(f.capacity)), where=f.capacity > 0)
    f.load += (today - f.load) / max(load_memory_days, 1.0)
    pri_cap = f.capacity * reserved
    f.backlog_priority = f.backlog_priority + f.arrivals_priority
    served_pri = np.minimum(f.backlog_priority, pri_cap)
    f.backlog_priority -= served_pri
    f.backlog = np.maximum(f.backlog + f.arrivals - (f.capacity - served_pri), 0.0)


class Queues:
    """The outpatient queues of a model's facilities."""

    def __init__(self, m):
        self.m = m

    def derive(self, s) -> None:
        self.params = p = QueueParams.of(s)
        self.visits_per_doctor, self.reserved = queue_tables(p, self.m.fac.tier)

    def open_day(self) -> None:
        """Capacity from the doctors present today, and the waits new patients expect."""
        self.wait_general, self.wait_priority, self.use_reserved = open_queues(self.m.fac, self.visits_per_doctor, self.reserved,
                                                                               self.params)

    @property
    def effective_skill(self) -> np.ndarray:
        return self.m.fac.effective_skill

    def serve(self) -> None:
        """Today's arrivals served."""
        serve(self.m.fac, self.reserved, self.params.load_memory_days)
