"""The county health-system model: the world and its clock. One step is one day.

The world is the county (``model/county.py``), its residents (arrays, ``agents/population.py``),
facilities (Mesa agents over a state table, ``agents/facilities.py``), open episodes and their
calendar (``agents/episodes.py``) and the ledger (``model/ledger.py``). Each mechanism lives in a
module of ``agents`` holding its parameters, its rules, its daily stage and what it recomputes
when a lever changes; ``step`` runs their stages in the order listed there. Randomness comes
from common-random-number streams (``agents/streams.py``).
"""

from __future__ import annotations

from collections import defaultdict

import mesa
import numpy as np
from reformsim.agents.beds import Beds
from reformsim.agents.billing import Billing
from reformsim.agents.care import Treatment
from reformsim.agents.choice import CareSeeking
from reformsim.agents.contracts import Contracts
from reformsim.agents.demography import Demography
from reformsim.agents.episodes import EpisodePool, Outcome, Stage, StageCalendar
from reformsim.agents.facilities import AGENT_CLASS, Facility, FacilityState
from reformsim.agents.illness import Illness
from reformsim.agents.payment import Payment, PaymentParams, daily_premiums
from reformsim.agents.population import generate_residents
from reformsim.agents.queues import Queues
from reformsim.agents.seasons import YEAR, month_starts
from reformsim.agents.staff import Staff
from reformsim.agents.streams import Streams

from .county import REFERENCE_POPULATION, build_county
from .events import Events
from .ledger import Ledger
from .metrics import Daily, make_datacollector
from .params import Scenario, get_path, refuse_build_time, with_value


class CountyModel(mesa.Model):
    """A county health system under a scenario's policies.

    Args:
        scenario: the parameters and policy timeline (default: the built-in baseline values).
        rng: the seed; a run is a pure function of (scenario, seed).
        population: scale the generated county to this many residents (quick runs).
    """

    def __init__(self, scenario: Scenario | None = None, *, rng: int = 0, population: int | None = None):
        seed = int(rng)  # SolaraViz passes a typed seed as a string
        super().__init__(rng=seed)
        scenario = scenario or Scenario()
        if population is not None:
            scenario = with_value(scenario, "county.population", int(population))
        self.base_scenario = scenario
        self.p = scenario.model_copy(deep=True)
        self.seed = seed
        self.day = 0
        self.events = Events()
        self.streams = Streams(seed)
        # the world
        self.county = build_county(self.p.county, self.p.facilities, seed)
        # staff and money levers quoted for a whole county (46 doctors, 212 posts, ¥ fixed subsidy) are
        # scaled like the generator scales staff, so a small test county gets the same reform intensity
        self.scale = 1.0 if self.p.county.facilities_csv else self.p.county.population / REFERENCE_POPULATION
        self.graph = self.county.graph
        self.res = generate_residents(self.county, self.p.population, np.random.default_rng([seed, 0xB0]))
        self.fac = FacilityState.from_county(self.county)
        self.primary_ids, self.county_ids = np.flatnonzero(self.fac.tier <= 1), np.flatnonzero(self.fac.tier == 2)
        self.alive_by_scheme = np.bincount(self.res.scheme[: self.res.n], minlength=2).astype(np.int64)
        self.facilities = [AGENT_CLASS[k](self, fid) for fid, k in enumerate(self.county.kind)]
        self.ep = EpisodePool(capacity=max(1024, self.res.n // 8))
        self.stages = StageCalendar()
        self._timeline: dict[int, list] = defaultdict(list)
        for ev in self.p.timeline:
            self._timeline[ev.day].append(ev)
        # the money's books: payment reads its claims back to set budgets
        premiums = daily_premiums(self.alive_by_scheme, PaymentParams.of(self.p).premiums)
        self.ledger = Ledger(self.fac.revenue, premiums * self.p.insurance.initial_fund_days, self.fac.tier)
        # the mechanisms, in the order their derived tables depend on each other: payment's
        # provider responses (agents/response.py) are read by illness, billing, care and beds
        self.payment = Payment(self)  # agents/payment.py
        self.billing = Billing(self)  # agents/billing.py
        self.illness = Illness(self)  # agents/illness.py
        self.demography = Demography(self)  # agents/demography.py
        self.contracts = Contracts(self)  # agents/contracts.py
        self.care_seeking = CareSeeking(self)  # agents/choice.py
        self.care = Treatment(self)  # agents/care.py
        self.beds = Beds(self)  # agents/beds.py
        self.staff = Staff(self)  # agents/staff.py
        self.queues = Queues(self)  # agents/queues.py
        self.mechanisms = (self.payment, self.billing, self.illness, self.demography, self.contracts, self.care_seeking,
                           self.care, self.beds, self.staff, self.queues)
        self.derive()
        self.demography.schedule_background_deaths(np.arange(self.res.n))
        self.demography.start_year()
        self.illness.start_year()
        _release_freed_memory()
        if self.p.staff.transfer_seniors_to_townships:  # a transfer given in the scenario itself starts on day 0
            self.staff.transfer(self.p.staff.transfer_seniors_to_townships)
        self._apply_timeline(0)
        self.staff.update_skill()
        self.queues.open_day()
        self.beds.open_day()
        self.today = Daily(self)
        self.datacollector = make_datacollector()

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """One day. Each line names the module that holds the stage's rule."""
        self.day = day = self.steps - 1
        self.today = Daily(self)
        if day > 0:
            self._apply_timeline(day)  # levers that change today (the scenario's timeline)
        if day > 0 and day % YEAR == 0:
            self.payment.year_end()  # case rates rebased, the consortium's year settled (agents/payment.py)
            self.demography.new_year()  # chronic conditions; rows of the dead freed; the year's deaths (agents/demography.py)
            self.illness.start_year()  # the year's onsets (agents/illness.py)
            self.contracts.renew()  # family-doctor contracts run for a year (agents/contracts.py)
            _release_freed_memory()  # the year's draws freed ~100 MB of temporaries in a large county
        if month_starts(day):  # calendar months (agents/seasons.py)
            if day > 0:
                self.staff.month()  # attrition, hiring, recruitment, tidal moves, rotation, training (agents/staff.py)
            self.demography.census()  # person-years and the trailing year's life expectancy
            self.care_seeking.word_of_mouth()  # trust drifts toward the village mean (agents/choice.py)
            self.payment.month()  # providers respond to the budget position and idle beds (agents/payment.py)
        self.staff.update_skill()  # skill from today's staff (agents/staff.py)
        self.queues.open_day()  # capacity and the waits new patients expect (agents/queues.py)
        self.beds.open_day()  # staffed beds, the waits for a bed, crowding (agents/beds.py)
        self.fac.start_day()
        self.demography.births()
        self.demography.deaths_today()
        self.illness.onsets()  # today's onsets open episodes (agents/illness.py)
        # the episodes' stages due today, in this order. Only a choice adds work for today: a
        # visit with no wait, booked after the choices and before anything else could close or
        # move it, so those entries are live and distinct as they are.
        due, bounds = self.stages.due(day, self.ep)
        for stage, handler in ((Stage.DISCHARGE, self.beds.discharge),  # agents/beds.py
                               (Stage.DOWN, self.beds.down),  # moves down to township beds (agents/beds.py)
                               (Stage.ADMIT, self.beds.admit_booked),  # the waiting lists' booked admissions (agents/beds.py)
                               (Stage.CHOOSE, self.care_seeking.choose),  # agents/choice.py
                               (Stage.VISIT, self.care.visit)):  # triage, referral, treatment (agents/care.py)
            ids = due[bounds[stage]:bounds[stage + 1]]
            if stage == Stage.VISIT:
                ids = np.concatenate([ids, self.stages.pop(day)])
            if len(ids):
                handler(ids)
        self.payment.daily()  # premiums, subsidies, the capitation budget, personal accounts (agents/payment.py)
        self.staff.pay()  # salaries
        self.beds.close_day()  # the cost of crowded wards (agents/beds.py)
        self.queues.serve()  # today's arrivals served
        self.fac.visits_total += self.fac.visits_today
        self.today.finish()  # the day's row (model/metrics.py)
        self.datacollector.collect(self)

    def run_days(self, days: int, progress=None) -> None:
        for _ in range(days):
            self.step()
            if progress is not None:
                progress(1)

    # ------------------------------------------------------------------ levers
    def derive(self) -> None:
        """Every mechanism's tables from the current parameters (at the start and after any lever change)."""
        for mechanism in self.mechanisms:
            mechanism.derive(self.p)

    def set_lever(self, path: str, value) -> None:
        """Change one scenario field from today on (used by the timeline and the visual). Setting a
        field to the value it has changes nothing; a field fixed when the county is built
        (``params.BUILD_TIME``) is refused. Every mechanism recomputes its tables (``derive``), but
        acts on the world (redraws onsets, renews contracts, moves doctors) only when its own
        parameters changed, so no draw depends on when a lever was last touched."""
        old = self.p
        refuse_build_time(old, path)
        new = with_value(old, path, value)
        new.timeline = old.timeline
        if new == old:
            return
        self.p = new
        if self.events.wanted("lever"):
            self.events.emit("lever", day=self.day, path=path, old=get_path(old, path), new=get_path(self.p, path))
        self.derive()
        self.staff.update_skill()
        self.queues.open_day()
        self.beds.open_day()

    def _apply_timeline(self, day: int) -> None:
        for ev in self._timeline.pop(day, []):
            self.set_lever(ev.path, ev.value)

    def reseed(self, seed: int) -> None:
        """The same state, with the future's draws from another seed: the band of a projection."""
        self.seed = int(seed)
        self.streams = Streams(self.seed)

    # ------------------------------------------------------------------ the world's episodes
    def schedule(self, eps: np.ndarray, stage: Stage, days: np.ndarray | int) -> None:
        """Episodes ``eps`` go to ``stage`` on ``days`` (one day, or one per episode)."""
        self.ep.schedule(eps, stage, days, self.stages)

    def end(self, eps: np.ndarray, outcome: Outcome | np.ndarray) -> None:
        """Episodes end (each exactly once) with ``outcome``; their residents have none open."""
        self.ep.close(eps, outcome, self.res.episode)

    # ------------------------------------------------------------------ what the metrics read
    def facility(self, fid: int) -> Facility:
        """The facility agent of id ``fid`` (its row in the arrays and node of the referral graph)."""
        return self.facilities[fid]

    @property
    def wait_general(self) -> np.ndarray:
        return self.queues.wait_general

    @property
    def bed_wait_general(self) -> np.ndarray:
        """By facility, the days a new discretionary admission without priority expects to wait for
        a staffed bed (agents/beds.py; emergencies do not wait while extra beds last)."""
        return self.beds.wait_general

    @property
    def bed_wait_priority(self) -> np.ndarray:
        """... with priority (a referral letter or a family-doctor contract): shorter where tertiary
        beds are reserved (seed 002), never longer."""
        return self.beds.wait_priority

    @property
    def staff_balance(self) -> float:
        return self.staff.balance

    @property
    def contract_count(self) -> int:
        return self.contracts.count

    @property
    def life_expectancy(self) -> float:
        return self.demography.life_expectancy

    @property
    def year_deaths(self) -> dict:
        return self.demography.year_deaths

    @property
    def year_py(self) -> dict:
        return self.demography.year_py

    @property
    def nbytes(self) -> int:
        return self.res.nbytes + self.ep.nbytes + self.fac.nbytes + self.calendar_nbytes

    @property
    def calendar_nbytes(self) -> int:
        """What is scheduled: episode stages, background deaths, the year's onsets and newborns' onsets."""
        return self.stages.nbytes + self.demography.deaths.nbytes + self.illness.nbytes


def _release_freed_memory() -> None:
    """Hand freed heap memory back to the OS. glibc keeps it otherwise, and a run's resident
    memory then grows by the year's temporaries every simulated year. No-op off glibc."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        import ctypes
        import sys

        try:
            _MALLOC_TRIM = ctypes.CDLL(None).malloc_trim if sys.platform.startswith("linux") else False
        except (OSError, AttributeError):
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM = None
