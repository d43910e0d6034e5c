"""Facilities as Mesa agents over a shared state table.

Each facility is a ``mesa.Agent``; its dynamic state (staff present, skill,
capacity, queues, beds, money) lives in ``FacilityState`` arrays so that the engine updates all
of them at once. The agent classes give planners and the visual a per-facility view.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from mesa import Agent
from reformsim.model.county import County

if TYPE_CHECKING:
    from reformsim.model.model import CountyModel


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

    @classmethod
    def from_county(cls, c: County) -> FacilityState:
        n = c.n_facilities
        z = lambda: np.zeros(n)  # noqa: E731
        return cls(
            tier=c.tier.astype(np.int64), senior=c.senior.copy(), junior=c.junior.copy(), nurses=c.nurses.copy(),
            village_doctors=c.village_doctors.copy(), beds=c.beds.copy(), skill=z(), capacity=z(), backlog=z(),
            backlog_priority=z(), occupied=z(), occupied_priority=z(), arrivals=z(), arrivals_priority=z(),
            visits_today=z(), admissions_today=z(), revenue=z(), cost=z(), visits_total=z(), loan=z(),
            loan_since=np.zeros(n, dtype=np.int64), tidal=z(),
        )

    @property
    def doctors(self) -> np.ndarray:
        return self.senior + self.junior + self.village_doctors

    @property
    def staff(self) -> np.ndarray:
        return self.doctors + self.nurses

    def wait_days(self, priority_share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Expected wait (days) for a new general and priority patient, from the queues."""
        gen_cap = np.maximum(self.capacity * (1 - priority_share), 1e-9)
        pri_cap = np.where(priority_share > 0, self.capacity * priority_share, gen_cap)
        pri_backlog = np.where(priority_share > 0, self.backlog_priority, self.backlog)
        return self.backlog / gen_cap, pri_backlog / pri_cap

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in fields(self))


class Facility(Agent):
    """A health facility: a node of the referral graph and a row of ``FacilityState``."""

    tier: ClassVar[int]
    model: CountyModel

    def __init__(self, model: CountyModel, fid: int):
        super().__init__(model)
        self.fid = fid
        self.name = model.county.name[fid]

    def _get(self, field: str) -> float:
        return float(getattr(self.model.fac, field)[self.fid])

    @property
    def senior(self) -> float:
        return self._get("senior")

    @property
    def junior(self) -> float:
        return self._get("junior")

    @property
    def beds(self) -> float:
        return self._get("beds")

    @property
    def skill(self) -> float:
        return self._get("skill")

    @property
    def capacity(self) -> float:
        return self._get("capacity")

    @property
    def visits_today(self) -> float:
        return self._get("visits_today")

    @property
    def bed_occupancy(self) -> float:
        f = self.model.fac
        return float((f.occupied[self.fid] + f.occupied_priority[self.fid]) / max(f.beds[self.fid], 1e-9))

    @property
    def wait_days(self) -> float:
        return float(self.model.wait_general[self.fid])

    @property
    def revenue(self) -> float:
        return self._get("revenue")

    @property
    def surplus(self) -> float:
        f = self.model.fac
        return float(f.revenue[self.fid] - f.cost[self.fid])


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
