"""Facilities as Mesa agents over a shared state table.

Each facility is a ``mesa.Agent``; its dynamic state (staff present, skill,
capacity, queues, beds, money) lives in ``FacilityState`` arrays so that the engine updates all
of them at once. The agent classes give planners and the visual a per-facility view.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
from mesa import Agent


@dataclass
class FacilityState:
    """Per-facility arrays, index = facility id."""

    tier: np.ndarray
    senior: np.ndarray  # doctors present (after transfers)
    junior: np.ndarray
    nurses: np.ndarray
    village_doctors: np.ndarray
    beds: np.ndarray
    skill: np.ndarray
    capacity: np.ndarray  # outpatient visits per day
    backlog: np.ndarray  # general queue, patients
    backlog_priority: np.ndarray  # referred / contracted patients, reserved slots
    occupied: np.ndarray  # beds in use, general
    occupied_priority: np.ndarray  # beds in use by referred / contracted patients
    staffed_beds: np.ndarray  # beds today's doctors and nurses can run (agents/beds.py)
    waiting: np.ndarray  # patients booked for a bed (waiting list), general
    waiting_priority: np.ndarray  # ... on the priority list (reserved beds)
    arrivals: np.ndarray  # today, general queue
    arrivals_priority: np.ndarray
    visits_today: np.ndarray
    admissions_today: np.ndarray
    revenue: np.ndarray  # cumulative ¥ (all sources, incl. consortium transfers)
    cost: np.ndarray  # cumulative ¥
    visits_total: np.ndarray
    loan: np.ndarray  # senior doctors on loan in (+) or out (-)
    loan_since: np.ndarray  # day the current loan began (skill ramps in from it)
    tidal: np.ndarray  # junior doctors moved in (+) or out (-) for the season
    load: np.ndarray  # outpatient arrivals over capacity, smoothed over recent days
    effective_skill: np.ndarray  # skill as care delivers it at that load (agents/queues.py)

    @classmethod
    def from_county(cls, c) -> FacilityState:
        """The state of the facilities of a built county (``model/county.py``) on day 0."""
        n = c.n_facilities
        z = lambda: np.zeros(n)  # noqa: E731
        return cls(
            tier=c.tier.astype(np.int64), senior=c.senior.copy(), junior=c.junior.copy(), nurses=c.nurses.copy(),
            village_doctors=c.village_doctors.copy(), beds=c.beds.copy(), skill=z(), capacity=z(), backlog=z(),
            backlog_priority=z(), occupied=z(), occupied_priority=z(), staffed_beds=c.beds.copy(), waiting=z(),
            waiting_priority=z(), arrivals=z(), arrivals_priority=z(),
            visits_today=z(), admissions_today=z(), revenue=z(), cost=z(), visits_total=z(), loan=z(),
            loan_since=np.zeros(n, dtype=np.int64), tidal=z(), load=z(), effective_skill=z(),
        )

    def start_day(self) -> None:
        """The day's counters start at zero."""
        for counter in (self.arrivals, self.arrivals_priority, self.visits_today, self.admissions_today):
            counter[:] = 0

    def staffing(self) -> bytes:
        """Who works where (doctors, nurses, loans and tidal moves) as bytes: a table that follows the
        staff alone is kept while this stays the same (staff move monthly or with a lever, not daily)."""
        return b"".join(a.tobytes() for a in (self.senior, self.junior, self.nurses, self.village_doctors, self.loan,
                                              self.tidal))

    @property
    def doctors(self) -> np.ndarray:
        return self.senior + self.junior + self.village_doctors

    @property
    def staff(self) -> np.ndarray:
        return self.doctors + self.nurses

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in fields(self))


def _column(name: str, doc: str) -> property:
    """A facility attribute that reads its row of the ``FacilityState`` array ``name``."""
    return property(lambda self: float(getattr(self.model.fac, name)[self.fid]), doc=doc)


class Facility(Agent):
    """A health facility: a node of the referral graph and a row of ``FacilityState``.

    This is the per-facility view the visual, ``facilities.parquet`` and scripts use
    (``model.agents_by_type[TownshipCentre]``, ``model.facility(fid)``): every attribute reads the
    engine's arrays, so it is always today's value and costs nothing while nobody looks.
    """

    tier: ClassVar[int]
    def __init__(self, model, fid: int):
        super().__init__(model)
        self.fid = fid
        c = model.county
        self.name = c.name[fid]
        self.kind = str(c.kind[fid])
        self.x, self.y = float(c.x[fid]), float(c.y[fid])
        self.parent = int(c.parent[fid])  # the facility it refers up to (-1: none)
        self.mountain = bool(c.mountain[fid])

    senior = _column("senior", "senior doctors present (after transfers)")
    junior = _column("junior", "junior doctors present")
    nurses = _column("nurses", "nurses")
    village_doctors = _column("village_doctors", "village doctors")
    on_loan = _column("loan", "senior doctors on loan in (+) or out (-) (县管乡用)")
    beds = _column("beds", "beds")
    skill = _column("skill", "capability index: treats severity <= skill well")
    capacity = _column("capacity", "outpatient visits it can serve a day")
    visits_today = _column("visits_today", "visits today")
    visits_total = _column("visits_total", "visits since the run began")
    admissions_today = _column("admissions_today", "admissions today")
    revenue = _column("revenue", "revenue since the run began (¥, all sources)")
    cost = _column("cost", "cost since the run began (¥)")

    @property
    def beds_occupied(self) -> float:
        f = self.model.fac
        return float(f.occupied[self.fid] + f.occupied_priority[self.fid])

    @property
    def bed_occupancy(self) -> float:
        return self.beds_occupied / max(self.beds, 1e-9)

    staffed_beds = _column("staffed_beds", "beds today's doctors and nurses can run")
    waiting_list = _column("waiting", "patients booked for a bed (without priority)")

    @property
    def bed_wait_days(self) -> float:
        """The wait for a bed a new discretionary admission without priority expects (days)."""
        return float(self.model.bed_wait_general[self.fid])

    @property
    def wait_days(self) -> float:
        """The wait a new patient without priority expects (days)."""
        return float(self.model.wait_general[self.fid])

    @property
    def surplus(self) -> float:
        return self.revenue - self.cost


class VillageClinic(Facility):
    """村卫生室 (tier 0)."""

    tier = 0


class TownshipCentre(Facility):
    """乡镇卫生院 (tier 1)."""

    tier = 1


class CommunityCentre(Facility):
    """社区卫生服务中心 (tier 1, urban)."""

    tier = 1


class CountyHospital(Facility):
    """县级医院: the People's Hospital (consortium lead, 总医院) or the TCM hospital (tier 2)."""

    tier = 2


class TertiaryHospital(Facility):
    """Prefecture/provincial hospital outside the county (tier 3)."""

    tier = 3


AGENT_CLASS = {"village": VillageClinic, "township": TownshipCentre, "community": CommunityCentre,
               "county": CountyHospital, "tertiary": TertiaryHospital}
