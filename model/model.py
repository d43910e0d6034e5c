"""The county health-system model: one step is one day.

Residents are arrays (``agents.population``), facilities are Mesa agents over a state table
(``agents.facilities``), episodes move through a calendar (``agents.episodes``). Behaviour is
delegated to the pure rule functions in ``agents`` so the per-resident reference model can call
the very same rules. Randomness comes from common-random-number streams (``agents.streams``).
"""

from __future__ import annotations

from collections import defaultdict

import mesa
import numpy as np
from reformsim.agents import care, choice, illness
from reformsim.agents.episodes import Calendar, EpisodePool, Outcome, Stage
from reformsim.agents.facilities import AGENT_CLASS, Facility, FacilityState
from reformsim.agents.payment import (
    bed_day_prices,
    fund_share,
    inpatient_terms,
    per_case_payment,
    provider_cost,
    provider_response,
    visit_prices,
)
from reformsim.agents.population import (
    DAYS_PER_YEAR,
    FEMALE_SHARE,
    age_on,
    contracted,
    generate_residents,
)
from reformsim.agents.streams import Streams

from . import kernels, lifetable
from .county import REFERENCE_POPULATION, build_county
from .events import Events
from .ledger import Ledger
from .metrics import Daily, make_datacollector
from .params import Scenario, get_path, with_value

YEAR = 365
MONTH = 30
NURSE_SALARY_SHARE = 0.6  # nurses' pay relative to doctors' at the same tier
DOWN_REFERRAL_CAP = 0.9
VISIT_BILL = ("service", "drug", "test", "oop", "insured", "subsidy", "provider_cost")  # rows of CountyModel.visit_bill


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
        self.county = build_county(self.p.county, self.p.facilities, seed)
        # staff and money levers quoted for a whole county (46 doctors, 212 posts, ¥ fixed subsidy) are
        # scaled like the generator scales staff, so a small test county gets the same reform intensity
        self.scale = 1.0 if self.p.county.facilities_csv else self.p.county.population / REFERENCE_POPULATION
        self.graph = self.county.graph
        self._home_cdf = _cdf(self.county.home_population[self.county.homes])  # where newborns live
        self.res = generate_residents(self.county, self.p.population, np.random.default_rng([seed, 0xB0]))
        self.fac = FacilityState.from_county(self.county)
        self.primary_ids, self.county_ids = np.flatnonzero(self.fac.tier <= 1), np.flatnonzero(self.fac.tier == 2)
        self.doctors0 = self.county.senior + self.county.junior  # the original establishment
        self.alive_by_scheme = np.bincount(self.res.scheme[: self.res.n], minlength=2).astype(np.int64)
        self._scratch, self._stamp = np.zeros(0, dtype=np.int64), 0
        self.facilities = [AGENT_CLASS[k](self, fid) for fid, k in enumerate(self.county.kind)]
        self.ep = EpisodePool(capacity=max(1024, self.res.n // 8))
        self.stages = Calendar()
        self._newborn_onsets = _no_onsets()  # (day, row) of this year's newborns
        self.deaths = Calendar()
        self._timeline: dict[int, list] = defaultdict(list)
        for ev in self.p.timeline:
            self._timeline[ev.day].append(ev)
        self.staff_initial = float(self.fac.staff.sum())
        self.staff_hired = self.staff_left = 0.0
        self._cap_budget_year = self._cap_start = 0.0  # capitation budget paid this year; consortium balance at its start
        self.posts_since = 0  # day the approved posts were set (recruitment runs recruitment_years from it)
        self.term_start = np.zeros(self.county.n_facilities, dtype=np.int64)  # current posting term began
        self.training_received: list[float] = [0.0]  # cumulative person-times by day (for the lag)
        n_g = len(lifetable.AGE_GROUPS)
        self.month_deaths = np.zeros((12, n_g))
        self.month_py = np.zeros((12, n_g))
        self.year_deaths = defaultdict(lambda: np.zeros(n_g))
        self.year_py = defaultdict(lambda: np.zeros(n_g))
        self.life_expectancy = float("nan")
        self._onsets_through = -1  # the last day whose onsets have come
        self._derive()
        fund0 = self._daily_premiums() * self.p.insurance.initial_fund_days
        self.ledger = Ledger(self.fac.revenue, fund0)
        self._schedule_background_deaths(np.arange(self.res.n))
        self._start_year(0)
        if self.p.staff.transfer_seniors_to_townships:  # a transfer given in the scenario itself starts on day 0
            self._transfer_seniors(int(self.p.staff.transfer_seniors_to_townships))
        self._apply_timeline(0)
        self._update_facilities()
        self.today = Daily(self)
        self.datacollector = make_datacollector()

    # ------------------------------------------------------------------ derived parameters
    def _derive(self) -> None:
        """Recompute quantities that follow from the parameters (after any lever change)."""
        p = self.p
        tiers = np.arange(4)
        self.response = [provider_response(p.payment.regime, p.payment.response_strength, t, p.staff.revenue_linked_pay,
                                           p.payment.drg_from_tier) for t in tiers]
        self.central_township = self._central_townships(p.policy.central_townships)
        tests = np.array([r.tests for r in self.response])
        self.visit_units = visit_prices(p.prices)
        self.bed_units = bed_day_prices(p.prices, 1.0)
        self.stay_test_mult = tests
        self.schemes = (p.insurance.resident, p.insurance.employee)
        self.base_skill = np.asarray(p.facilities.base_skill)[self.fac.tier]
        self.visits_per_doctor = np.asarray(p.facilities.visits_per_doctor_day)[self.fac.tier]
        self._income_cdf = _cdf(p.population.income_band_shares)  # newborns' income bands
        self.premium_per_resident = np.array([s.premium_individual + s.premium_government for s in self.schemes])
        # a day's pay per staff member at each facility (the day's staff change; their pay only with a lever)
        self.daily_pay = np.asarray(p.staff.salary_per_year)[self.fac.tier] / YEAR * np.asarray(p.staff.pay_index)[self.fac.tier]
        self._oop_tables()
        self.visit_bill = self._visit_bill_table()
        self.res.contract[: self.res.n] = contracted(self.res, self.streams, p.policy.contract_rate,
                                                     p.policy.contract_rate_key, self.day)
        # kept count, for the daily contract rate (checked against the flags in tests)
        self.contracts = int(np.count_nonzero(self.res.contract[: self.res.n]))
        reserved = np.where(self.fac.tier >= 2, p.policy.reserved_slot_share, 0.0)
        self.reserved_slots = reserved
        self.reserved_beds = np.where(self.fac.tier >= 2, p.policy.reserved_bed_share, 0.0)
        # the compiled rules' parameters, as they take them
        self.choice_coefficients = choice.coefficients(p.behaviour)
        self.onset_rates = illness.rate_params(p.illness)
        self.onset_rule = self._onset_rule()
        self.stay_rule = self._stay_rule()
        self.stay_bill_rule = self._stay_bill_rule()
        self.fatality = (np.asarray(p.illness.untreated_fatality, dtype=float),
                         np.asarray(p.illness.delay_fatality_per_day, dtype=float))
        self.keep = np.array([r.keep for r in self.response])

    def _daily_premiums(self) -> np.ndarray:
        return self.alive_by_scheme * self.premium_per_resident / YEAR

    # ------------------------------------------------------------------ policy timeline
    def set_lever(self, path: str, value) -> None:
        """Change one scenario field from today on (used by the timeline and the visual)."""
        old = self.p
        self.p = with_value(self.p, path, value)
        self.p.timeline = old.timeline
        if self.events.wanted("lever"):
            self.events.emit("lever", day=self.day, path=path, old=get_path(old, path), new=get_path(self.p, path))
        if path.startswith(("staff.approved_primary_posts", "staff.recruitment_years")):
            self.posts_since = self.day  # recruitment to newly approved posts runs from the decision
        if path.startswith("staff.transfer_seniors_to_townships"):
            self._transfer_seniors(int(self.p.staff.transfer_seniors_to_townships))
        rates = self.onset_rates
        self._derive()
        if rates[1:] != self.onset_rates[1:] or not np.array_equal(rates[0], self.onset_rates[0]):
            self._redraw_onsets()
        self._update_facilities()

    def _apply_timeline(self, day: int) -> None:
        for ev in self._timeline.pop(day, []):
            self.set_lever(ev.path, ev.value)

    # ------------------------------------------------------------------ staff
    def _transfer_seniors(self, target: int) -> None:
        """县管乡用: keep ``target`` senior county doctors on loan to the townships (evenly)."""
        f = self.fac
        towns = np.flatnonzero(self.county.kind == "township")
        county = np.flatnonzero(f.tier == 2)
        on_loan = f.loan[towns].sum()
        delta = float(target * self.scale - on_loan)
        if delta == 0 or len(towns) == 0:
            return
        available = f.senior[county] - self.scale  # a hospital keeps at least one senior (at full county size)
        if delta > 0:
            delta = min(delta, float(np.maximum(available, 0).sum()))
        share_out = np.maximum(f.senior[county], 0) / max(f.senior[county].sum(), 1e-9)
        out = delta * share_out
        f.senior[county] -= out
        f.loan[county] -= out
        f.senior[towns] += delta / len(towns)
        f.loan[towns] += delta / len(towns)
        if delta > 0:
            f.loan_since[towns] = self.term_start[towns] = self.day

    def _central_townships(self, n: int) -> np.ndarray:
        """Mask of the ``n`` township centres with the largest catchments (the ones upgraded to secondary level)."""
        c = self.county
        towns = np.flatnonzero(c.kind == "township")
        mask = np.zeros(c.n_facilities, dtype=bool)
        if n <= 0 or len(towns) == 0:
            return mask
        served = np.bincount(np.maximum(c.parent, 0), weights=c.home_population * (c.parent >= 0), minlength=c.n_facilities)
        mask[towns[np.argsort(-served[towns], kind="stable")[:n]]] = True
        return mask

    def _staff_month(self) -> None:
        """Monthly attrition against pay, replacement hiring, recruitment to approved posts, tidal moves."""
        f, s = self.fac, self.p.staff
        pay = np.asarray(s.pay_index)[f.tier]
        # at most everyone leaves in a month: very low pay must not drive staff negative
        exit_rate = np.minimum(s.attrition_rate * pay ** (-s.attrition_pay_elasticity) / 12, 1.0)
        hire_rate = s.attrition_rate / 12
        for cadre in ("junior", "nurses", "village_doctors"):
            stock = getattr(f, cadre)
            left = stock * exit_rate
            hired = stock * hire_rate
            stock += hired - left
            self.staff_left += float(left.sum())
            self.staff_hired += float(hired.sum())
        posts = s.approved_primary_posts * self.scale / (s.recruitment_years * 12)
        if posts > 0 and self.day - self.posts_since < s.recruitment_years * YEAR:
            towns = np.flatnonzero(self.county.kind == "township")
            f.junior[towns] += posts / len(towns)
            self.staff_hired += posts
        month = (self.day // MONTH) % 12 + 1
        want = s.tidal_share if month in s.tidal_months else 0.0
        county = np.flatnonzero(f.tier == 2)
        towns = np.flatnonzero(self.county.kind == "township")
        moved_now = -f.tidal[county].sum()
        target = want * (f.junior[county].sum() + moved_now)
        delta = target - moved_now
        if abs(delta) > 1e-9 and len(towns):
            share = (f.junior[county] - np.minimum(f.tidal[county], 0)) / max((f.junior[county] - np.minimum(f.tidal[county], 0)).sum(), 1e-9)
            f.junior[county] -= delta * share
            f.tidal[county] -= delta * share
            f.junior[towns] += delta / len(towns)
            f.tidal[towns] += delta / len(towns)
        # a posting lasts one term; the next cohort takes over with a handover (half the full effect)
        # and ramps in again, so short terms cost capability
        rotate = (f.loan > 0) & (self.day - self.term_start >= s.transfer_term_days)
        self.term_start[rotate] = self.day
        f.loan_since[rotate] = self.day - s.transfer_skill_lag_days // 2
        self.training_month()

    def training_month(self) -> None:
        per_day = self.p.staff.training_person_times_per_year / YEAR
        self.training_received.append(self.training_received[-1] + per_day * MONTH)

    def _update_facilities(self) -> None:
        """Skill and outpatient capacity from the staff present today."""
        f, fp, pol, s = self.fac, self.p.facilities, self.p.policy, self.p.staff
        # capability follows the senior doctors gained or lost against the original establishment, per
        # original doctor: recruiting juniors or moving them for the season adds capacity, not capability
        doctors0 = self.doctors0
        extra_seniors = np.divide(f.senior - self.county.senior, doctors0, out=np.zeros(len(f.tier)), where=doctors0 > 0)
        ramp = np.clip((self.day - f.loan_since) / max(s.transfer_skill_lag_days, 1), 0, 1)
        gain = fp.senior_skill_gain * extra_seniors * np.where(f.loan > 0, ramp, 1.0)
        lagged = int(max(0, (self.day - s.training_lag_days) // MONTH))
        trained = self.training_received[min(lagged, len(self.training_received) - 1)] if self.day >= s.training_lag_days else 0.0
        primary = f.tier == 1
        # training is a county-wide programme (seed 000: 16,318 person-times) lifting every primary centre;
        # upgraded central townships and county hospitals with tertiary support gain skill (seed 004)
        f.skill = (self.base_skill + np.where(f.tier >= 1, gain, 0.0)
                   + primary * (s.training_skill_per_1000 * trained / 1000 + pol.telemedicine_skill)
                   + self.central_township * pol.central_township_skill + (f.tier == 2) * pol.county_support_skill)
        f.capacity = (f.senior + f.junior + f.village_doctors) * self.visits_per_doctor
        self.wait_general, wait_reserved = f.wait_days(self.reserved_slots)
        # referred/contracted patients may book a reserved slot or an ordinary one, whichever comes sooner:
        # reserving slots never makes them wait longer than everyone else (seed 002: they get priority)
        self.use_reserved = (self.reserved_slots > 0) & (wait_reserved <= self.wait_general)
        self.wait_priority = np.minimum(wait_reserved, self.wait_general)

    # ------------------------------------------------------------------ demography
    def _schedule_background_deaths(self, ids: np.ndarray) -> None:
        """Draw each resident's day of background death; those falling in this year go in the calendar."""
        r, e0 = self.res, self.p.life_expectancy_table
        soon, days = kernels.background_deaths(self.streams.key, ids, r.uid, r.birth_day, r.death_day, self.day,
                                               (self.day // YEAR + 1) * YEAR, lifetable.hazard_schedule(e0),
                                               lifetable.cumulative_hazard(e0))
        self.deaths.add(days, soon)

    def _calendar_year_deaths(self) -> None:
        """The death calendar holds one year: the living whose death day falls in it. Rebuilt at
        the year boundary, so it never names a row that was since given to a newborn."""
        r = self.res
        end = (self.day // YEAR + 1) * YEAR
        self.deaths = Calendar()
        dying = np.flatnonzero(r.alive[: r.n] & (r.death_day[: r.n] < end))
        self.deaths.add(r.death_day[dying].astype(np.int64), dying)

    def _draw_onsets(self, ids: np.ndarray, from_day: int, newborn: bool = False) -> None:
        """All onsets of ``ids`` from ``from_day`` to the end of the year, as a Poisson process.

        Rates are fixed for the year. Draws are keyed by (resident, year, onset number), so onset
        times do not depend on anything a policy changes (common random numbers).
        """
        year = from_day // YEAR
        days_left = (year + 1) * YEAR - from_day
        r = self.res
        if not newborn:
            self._year_onsets = None  # last year's list is done with: free it before drawing the next
        uid = r.uid[ids]
        k = kernels.onset_counts(self.streams.key, uid, r.age(from_day, ids), r.chronic[ids], *self.onset_rates,
                                 year, days_left, YEAR)
        rep, offset = kernels.onset_days(self.streams.key, ids, uid, k, year, days_left)
        del k, uid
        if newborn:
            # a few dozen a day: appended to a short list that today's onsets filter, not sorted into a calendar
            days, rows = self._newborn_onsets
            self._newborn_onsets = (np.concatenate([days, from_day + offset.astype(np.int64)]), np.concatenate([rows, rep]))
            return
        # day d's onsets are rows bounds[d]:bounds[d+1] of the list sorted by day, in resident order within a day
        self._year_onsets, self._year_bounds = kernels.by_day(rep, offset, days_left)
        self._year_start = from_day

    def _redraw_onsets(self) -> None:
        """The rest of the year's onsets at new rates, from the first day whose onsets are still
        to come, for everyone alive (newborns included): onsets are a Poisson process, which has
        no memory. Each resident's count comes from its same ONSET draw for the year, so rates
        raised for everyone raise everyone's count (common random numbers)."""
        from_day = self._onsets_through + 1
        if from_day // YEAR != self._year_start // YEAR:
            return  # that year's draw is still to come, and will use the new rates
        self._newborn_onsets = _no_onsets()
        self._draw_onsets(np.flatnonzero(self.res.alive[: self.res.n]), from_day)

    def _start_year(self, year: int) -> None:
        """The dead's rows become free for newborns; this year's deaths and onsets of the living are scheduled."""
        r = self.res
        r.recycle()  # safe now: the year's onset list and death calendar are rebuilt from the living
        self._newborn_onsets = _no_onsets()  # last year's newborns are now residents
        self._calendar_year_deaths()
        self._draw_onsets(np.flatnonzero(r.alive[: r.n]), year * YEAR)
        _release_freed_memory()  # the year's draws freed ~100 MB of temporaries in a large county

    def _new_chronic(self) -> None:
        """Yearly: residents develop hypertension/diabetes as prevalence rises with age."""
        r, pop = self.res, self.p.population
        kernels.develop_chronic(self.streams.key, r.alive[: r.n], r.uid, r.birth_day, r.chronic, self.day, self.day // YEAR,
                                pop.hypertension_scale, pop.diabetes_scale)

    def _births(self) -> np.ndarray:
        """Today's newborns, in rows of residents who died in earlier years where there are any; their rows."""
        r, pop = self.res, self.p.population
        expected = pop.crude_birth_rate * int(self.alive_by_scheme.sum()) / YEAR
        home, female, income = kernels.newborns(self.streams.key, self.day, expected, self._home_cdf, self._income_cdf,
                                                FEMALE_SHARE)
        n = len(home)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        ids = r.new_rows(n)
        r.home[ids], r.female[ids], r.income[ids] = home, female, income
        r.birth_day[ids] = self.day
        r.scheme[ids] = 0
        r.chronic[ids] = 0
        r.trust[ids] = np.asarray(pop.initial_trust, dtype=np.float32)
        r.contract[ids] = False
        r.alive[ids] = True
        r.episode[ids] = -1
        r.onsets[ids] = 0
        self.alive_by_scheme[0] += n
        self.today.births += n
        self._schedule_background_deaths(ids)
        self._draw_onsets(ids, self.day + 1, newborn=True)
        return ids

    def _kill(self, ids: np.ndarray, excess: bool) -> None:
        """Residents die: their open episode ends as DIED, their bed is freed, their family-doctor
        contract ends (the contract rate counts the living)."""
        r = self.res
        ids = ids[r.alive[ids]]
        if len(ids) == 0:
            return
        r.alive[ids] = False
        self.contracts -= int(np.count_nonzero(r.contract[ids]))
        r.contract[ids] = False
        r.release(ids)
        self.alive_by_scheme -= np.bincount(r.scheme[ids], minlength=2)
        eps = r.episode[ids]
        eps = eps[eps >= 0]
        if len(eps):
            self._free_beds(eps)
            self._end(eps, Outcome.DIED)
        age = r.age(self.day, ids)
        g = lifetable.age_group(age)
        counts = np.bincount(g, minlength=len(lifetable.AGE_GROUPS))
        self.month_deaths[(self.day // MONTH) % 12] += counts
        self.year_deaths[self.day // YEAR] += counts
        self.today.deaths += len(ids)
        if excess:
            self.today.excess_deaths += len(ids)

    def _exposure_month(self) -> None:
        """Person-years by age group for the life table, from a monthly census."""
        r = self.res
        # count by age in days, then cut at the groups' first whole day: same groups as
        # lifetable.age_group on ages in years, without a search per resident
        by_day = np.cumsum(kernels.count_by_age_in_days(r.alive[: r.n], r.birth_day[: r.n], self.day))
        edges = np.ceil(lifetable.AGE_GROUPS * DAYS_PER_YEAR).astype(np.int64)
        below = np.where(edges > 0, by_day[np.clip(edges - 1, 0, len(by_day) - 1)], 0)
        py = np.diff(np.append(below, by_day[-1])) * MONTH / DAYS_PER_YEAR
        slot = (self.day // MONTH) % 12
        self.month_py[slot] = py
        self.year_py[self.day // YEAR] += py
        months = min(self.day // MONTH + 1, 12)
        if months >= 1:
            self.life_expectancy = lifetable.period_life_expectancy(self.month_deaths.sum(0), self.month_py.sum(0))
        # the slot that is now starting collects the coming month's deaths
        self.month_deaths[slot] = 0.0

    # ------------------------------------------------------------------ episodes
    def _end(self, eps: np.ndarray, outcome: Outcome | np.ndarray) -> None:
        self.ep.close(eps, outcome, self.res.episode)

    def _schedule(self, eps: np.ndarray, stage: Stage, days: np.ndarray | int) -> None:
        kernels.fill(self.ep.stage, eps, int(stage))
        if isinstance(days, (int, np.integer)):
            kernels.fill(self.ep.due, eps, int(days))
            self.stages.add_day(int(days), eps)
        else:
            kernels.scatter(self.ep.due, eps, days)
            self.stages.add(np.asarray(days, dtype=np.int64), eps)

    def _onsets_due(self) -> np.ndarray:
        """Rows with an onset today: the year's list, then newborns' (which leave their list). A
        resident's onsets of one day are next to each other (``kernels.fall_ill`` counts them once):
        the year's list is in row order within a day, a newborn's onsets come from one draw, and
        newborns' rows are not in the year's list (rows are given to newborns only at the year's
        start, from residents who were dead by then)."""
        self._onsets_through = self.day
        i = self.day - self._year_start
        days, rows = self._newborn_onsets
        today = days == self.day
        self._newborn_onsets = (days[~today], rows[~today])
        return np.concatenate([self._year_onsets[self._year_bounds[i]:self._year_bounds[i + 1]], rows[today]])

    def _onsets_today(self) -> None:
        r = self.res
        due = self._onsets_due()
        ids, ctr, uid, born, chronic = kernels.fall_ill(due, r.alive, r.onsets, r.episode, r.uid, r.birth_day, r.chronic)
        if len(ids) == 0:
            return
        age = age_on(self.day, born)
        sev, need = kernels.onset_kinds(self.streams.key, uid, ctr, age, chronic, *self.onset_rule)
        eps = self.ep.begin(ids, r, uid, sev, need, self.day, ctr)
        kernels.scatter(r.episode, ids, eps)
        self.today.episodes += len(eps)
        self._schedule(eps, Stage.CHOOSE, self.day)

    def _onset_rule(self) -> tuple:
        """Parameters of a new episode's severity and need of a bed, as the rules take them."""
        il = self.p.illness
        prevention = min(self.response[2].prevention + self.p.policy.chronic_management, 1.0)
        return (*self.onset_rates, illness.severity_cdf(il), illness.complication_share(prevention),
                np.asarray(il.admission_need, dtype=float), self.response[2].admission)

    def _oop_tables(self) -> None:
        """Expected out-of-pocket of a visit and of a stay, by [scheme, tier, referred]."""
        tier = np.broadcast_to(np.arange(4)[None, :, None], (2, 4, 2))
        scheme = np.broadcast_to(np.arange(2)[:, None, None], (2, 4, 2))
        referred = np.broadcast_to(np.array([False, True])[None, None, :], (2, 4, 2))
        visit = self.visit_units.total[tier]
        self.oop_visit = visit - fund_share(visit, self.schemes, scheme, tier, referred, "outpatient")
        stay = self.bed_units.total[tier] * np.asarray(self.p.facilities.los_days)[tier]
        self.oop_stay = (stay - fund_share(stay, self.schemes, scheme, tier, referred, "inpatient")) * (tier >= 1)

    def _home_slots(self) -> tuple[np.ndarray, np.ndarray]:
        """Per home: slot facility ids (0 where unavailable) and slot tiers (-1 unavailable).

        Homes are few (one per village or community), so per-episode slot attributes are row
        lookups into per-home tables rather than gathers over (episodes, slots)."""
        if getattr(self, "_slot_tables", None) is None:
            slot_fac = self.county.slot_facility
            valid = slot_fac >= 0
            sf = np.where(valid, slot_fac, 0)
            self._slot_tables = (sf, np.where(valid, self.fac.tier[sf], -1))
        return self._slot_tables

    def _expected_oop_table(self, slot_tier: np.ndarray) -> np.ndarray:
        """Out-of-pocket a resident expects at each slot (a visit, plus a stay as likely as the
        severity needs one), rows by (home, scheme, referred, severity); cached until prices change."""
        cached = getattr(self, "_oop_cache", None)
        if cached is not None and cached[0] is self.oop_visit and cached[1] is self.p.illness:
            return cached[2]
        t = np.maximum(slot_tier, 0)[:, None, None, None, :]
        scheme = np.arange(2)[None, :, None, None, None]
        ref = np.arange(2)[None, None, :, None, None]
        p_bed = np.asarray(self.p.illness.admission_need)[None, None, None, :, None]
        table = (self.oop_visit[scheme, t, ref] + p_bed * self.oop_stay[scheme, t, ref]).reshape(-1, slot_tier.shape[1])
        self._oop_cache = (self.oop_visit, self.p.illness, table)
        return table

    def _choose(self, eps: np.ndarray) -> None:
        e, r, f = self.ep, self.res, self.fac
        res = e.resident[eps]
        sf_h, tier_h = self._home_slots()
        contract = r.contract.take(res)
        alt, fid = kernels.choose_slots(self.choice_coefficients, self.streams.key, eps, e.person, e.key, e.steps,
                                        e.severity, e.has_referral, e.referred_tier, e.home, e.scheme, e.income, contract,
                                        r.trust.take(res, axis=0), care.MAX_STEPS, sf_h, tier_h, self.wait_general,
                                        self.wait_priority, self._perceived_quality(sf_h), self._expected_oop_table(tier_h),
                                        self.county.slot_travel)
        gave_up, own, own_letter, booked, visit_day, tally = kernels.book_choices(
            eps, alt, fid, contract, e.has_referral, e.steps, e.severity, e.referred_tier, f.tier, self.use_reserved,
            self.wait_general, self.wait_priority, self.day, e.facility, f.arrivals, f.arrivals_priority)
        if self.events.wanted("choice"):
            self.events.emit("choice", day=self.day, eps=eps, facility=np.where(alt > 0, fid, -1), first=e.steps[eps] == 1,
                             letter=e.has_referral[eps], severity=e.severity[eps], home=e.home[eps])
        t = self.today
        t.referral_decisions += int(tally[0])
        t.referrals_attended += int(tally[1])
        t.first_contacts += int(tally[2])
        t.bypass += int(tally[3])
        self._finish_untreated(gave_up, Outcome.REFERRED_ON)
        self._finish_untreated(own, np.where(own_letter, Outcome.REFERRED_ON, Outcome.SELF_TREATED))
        self._schedule(booked, Stage.VISIT, visit_day)

    def _perceived_quality(self, slot_fac: np.ndarray) -> np.ndarray:
        """Perceived quality of each home slot, rows by (home, severity); kept while skills are unchanged."""
        skill = self.fac.skill
        cached = getattr(self, "_quality_cache", None)
        if cached is None or cached[0] is not slot_fac or not np.array_equal(cached[1], skill):
            quality = choice.perceived_quality(skill[slot_fac][:, None, :], np.arange(4)[None, :, None])
            self._quality_cache = cached = (slot_fac, skill.copy(), quality.reshape(-1, slot_fac.shape[1]))
        return cached[2]

    def _finish_untreated(self, eps: np.ndarray, outcome) -> None:
        """Episodes that end without adequate care; serious ones carry an excess risk of death."""
        self._close(eps, True, outcome)

    def _close(self, eps: np.ndarray, untreated: bool, outcome) -> None:
        """Episodes end with ``outcome`` unless the excess risk of no or delayed care kills."""
        if len(eps) == 0:
            return
        e = self.ep
        dies = kernels.dies(self.streams.key, eps, e.person, e.key, e.severity, e.start, e.treated_day, self.day, untreated,
                            *self.fatality)
        if not dies.any():
            self._end(eps, outcome)
            return
        outcome = np.asarray(outcome)
        self._end(eps[~dies], outcome if outcome.ndim == 0 else outcome[~dies])
        self._kill(e.resident[eps[dies]], excess=True)  # closes their episodes as DIED

    def _visit_bill_table(self) -> np.ndarray:
        """One visit's bill by kind (rows ``VISIT_BILL``; columns scheme x tier x referred x
        revisit, see ``_bill_visits``): a visit's bill depends on nothing else."""
        scheme, tier, referred, revisit = np.indices((2, 4, 2, 2)).reshape(4, -1)
        u = self.visit_units
        test = u.test[tier] * np.where(referred & revisit, 1 - self.p.policy.mutual_recognition, 1.0)
        price = u.service[tier] + u.drug[tier] + test
        insured = fund_share(price, self.schemes, scheme, tier, referred.astype(bool), "outpatient")
        return np.stack([u.service[tier], u.drug[tier], test, price - insured, insured, u.subsidy[tier],
                         provider_cost(u, tier, test)])

    def _bill_visits(self, eps: np.ndarray, fid: np.ndarray) -> None:
        """Bill visits, booked per facility: visits are counted by facility and kind of bill, and
        the counts priced by ``visit_bill`` (a few small matrix products instead of a pass per part)."""
        e, f = self.ep, self.fac
        nf = len(f.tier)
        n, revisits = kernels.count_visits(eps, fid, e.visits, e.has_referral, e.scheme, f.tier)
        service, drug, test, oop, _, subsidy, cost = self.visit_bill @ n.T
        everyone = np.arange(nf)
        self.ledger.resident_pays(everyone, oop)
        insured = self.visit_bill[VISIT_BILL.index("insured")]
        insured_by_scheme = (n.reshape(nf, 2, 16) * insured.reshape(2, 16)).sum(axis=2)
        if self.p.payment.regime == "capitation":  # the consortium pays its residents' bills
            self.ledger.consortium_pays(everyone, insured_by_scheme[:, 0])
            insured_by_scheme[:, 0] = 0.0
        self.ledger.fund_pays_facilities(insured_by_scheme)
        self.ledger.book_parts(service, drug, test)
        self.ledger.government_pays(everyone, subsidy)
        f.cost += cost
        visits = n.sum(axis=1)
        f.visits_today += visits
        t = self.today
        t.visits += np.bincount(f.tier, weights=visits, minlength=4)
        t.visit_cost += np.bincount(f.tier, weights=service + drug + test, minlength=4)
        t.oop_outpatient += float(oop.sum())
        t.revisits += revisits

    def _visit(self, eps: np.ndarray) -> None:
        e, f = self.ep, self.fac
        fid = e.facility[eps]
        self._bill_visits(eps, fid)
        then = kernels.triage(eps, fid, e.severity, e.needs_bed, e.treated_day, f.skill, f.tier, self.keep, self.day)
        refer = then == kernels.REFER
        self._refer_up(eps[refer], f.tier[fid[refer]])
        admit = then == kernels.ADMIT
        self._admit(eps[admit], fid[admit])
        out = then == kernels.OUTPATIENT
        self._outpatient_outcome(eps[out], fid[out])

    def _refer_up(self, eps: np.ndarray, tier: np.ndarray) -> None:
        if len(eps) == 0:
            return
        e = self.ep
        e.referred_tier[eps] = care.referral_tier(tier)
        e.has_referral[eps] = True
        if self.events.wanted("referral"):
            self.events.emit("referral", day=self.day, eps=eps, facility=e.facility[eps], tier=e.referred_tier[eps])
        self.today.referrals_up += len(eps)
        self._schedule(eps, Stage.CHOOSE, self.day + 1)

    def _outpatient_outcome(self, eps: np.ndarray, fid: np.ndarray) -> None:
        resolved, again = self._treat(eps, fid, self.fac.tier[fid])
        self._close(resolved, False, Outcome.RESOLVED)
        self._schedule(again, Stage.CHOOSE, self.day + 2)  # not better: seek care again

    def _treat(self, eps: np.ndarray, fid: np.ndarray, tier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Treatment at ``fid``, trust in ``tier`` learning from it: the episodes resolved and the rest."""
        e, fp = self.ep, self.p.facilities
        return kernels.treat(self.streams.key, eps, fid, tier, e.person, e.key, e.steps, e.severity, e.resident,
                             self.fac.skill, fp.below_need_success, fp.treat_success, self.res.trust,
                             self.p.behaviour.trust_learning_rate)

    def _admit(self, eps: np.ndarray, fid: np.ndarray) -> None:
        """Admit if a bed is free (referred/contracted patients may use reserved beds); else refer on."""
        if len(eps) == 0:
            return
        e, f, r = self.ep, self.fac, self.res
        pri = e.has_referral[eps] | r.contract.take(e.resident[eps])
        fits = kernels.allocate_beds(fid, pri, f.beds, f.occupied, f.occupied_priority, self.reserved_beds)
        eps, tier, away, away_tier = kernels.occupy_beds(
            eps, fid, pri, fits, f.tier, self.day, f.occupied, f.occupied_priority, f.admissions_today,
            self.today.admissions, e.bed_facility, e.admit_tier, e.bed_since, e.admit_day, e.has_referral)
        if len(away):
            up = away_tier < 3
            self._refer_up(away[up], away_tier[up])
            # no tertiary bed: choose again tomorrow; each try counts, so after MAX_STEPS the resident gives up
            self._schedule(away[~up], Stage.CHOOSE, self.day + 1)
        if len(eps) == 0:
            return
        if self.events.wanted("admission"):
            self.events.emit("admission", day=self.day, eps=eps, facility=e.bed_facility[eps])
        los, down, acute = kernels.stays(self.streams.key, eps, e.person, e.key, e.severity, tier, *self.stay_rule)
        kernels.scatter(e.discharge_day, eps, self.day + los)
        self._schedule(eps[down], Stage.DOWN, self.day + acute[down])
        self._schedule(eps[~down], Stage.DISCHARGE, self.day + los[~down])

    def _stay_bill_rule(self) -> tuple:
        """Prices and reimbursement of a bed-day by tier, as ``kernels.bill_stays`` takes them."""
        u = self.bed_units
        return (u.service, u.drug, u.test, self.stay_test_mult, 1 - 0.5 * self.p.policy.mutual_recognition,
                *inpatient_terms(self.schemes), *per_case_payment(self.p.payment))

    def _stay_rule(self) -> tuple:
        """Parameters of a stay's length and down-referral by tier, as ``kernels.stays`` takes them."""
        fp, resp = self.p.facilities, self.response
        down = np.clip(self.p.policy.down_referral_base * np.array([r.down_referral for r in resp]), 0, DOWN_REFERRAL_CAP)
        return np.asarray(fp.los_days, dtype=float), np.array([r.los for r in resp]), down, fp.acute_fraction

    def _bill_stay(self, eps: np.ndarray) -> None:
        """Bill the bed-days spent at the current bed facility, then free the bed."""
        e, f, u = self.ep, self.fac, self.bed_units
        fid, tier, scheme, days, service, drug, test, oop, paid = kernels.bill_stays(
            eps, self.day, e.bed_facility, e.bed_since, e.visits, e.scheme, e.has_referral, e.referred_tier, e.admit_tier,
            e.severity, e.billed_deductible, e.stay_cost, f.tier, *self.stay_bill_rule)
        self.ledger.resident_pays(fid, oop)
        if self.events.wanted("stay_bill"):
            self.events.emit("stay_bill", day=self.day, eps=eps, facility=fid, scheme=scheme, bill=service + drug + test,
                             oop=oop, paid=paid)
        # under capitation the consortium pays its residents' bills, per case or per bill
        cap = (self.p.payment.regime == "capitation") & (scheme == 0)
        if cap.any():
            self.ledger.consortium_pays(fid[cap], paid[cap])
        if (~cap).any():
            self.ledger.fund_pays(fid[~cap], paid[~cap], scheme[~cap])
        self.ledger.book_parts(service, drug, test)
        self.ledger.government_pays(fid, u.subsidy[tier] * days)
        f.cost[:] += np.bincount(fid, weights=provider_cost(u, tier, test, days), minlength=len(f.tier))
        self.today.oop_inpatient += float(oop.sum())
        self.today.bed_days += float(days.sum())
        self._free_beds(eps)

    def _free_beds(self, eps: np.ndarray) -> None:
        e, f = self.ep, self.fac
        inbed = eps[e.bed_facility[eps] >= 0]
        if len(inbed) == 0:
            return
        fid = e.bed_facility[inbed]
        pri = e.has_referral[inbed]
        nf = len(f.tier)
        f.occupied_priority -= np.bincount(fid[pri], minlength=nf)
        f.occupied -= np.bincount(fid[~pri], minlength=nf)
        e.bed_facility[inbed] = -1

    def _down(self, eps: np.ndarray) -> None:
        """Recovering inpatients move to their home township's beds if one is free."""
        e, f = self.ep, self.fac
        home_primary = self.county.slot_facility[e.home[eps], 1]
        free = np.floor(np.maximum(f.beds - f.occupied - f.occupied_priority, 0) + 1e-9)
        moves = kernels.rank_within(home_primary, np.ones(len(eps), bool)) < free[home_primary]
        stay = eps[~moves]
        self._schedule(stay, Stage.DISCHARGE, e.discharge_day[stay])
        eps, dest = eps[moves], home_primary[moves]
        if len(eps) == 0:
            return
        origin = e.bed_facility[eps]  # a copy (fancy indexing), taken before the bed changes
        self._bill_stay(eps)
        e.has_referral[eps] = False
        f.occupied += np.bincount(dest, minlength=len(f.tier))
        e.bed_facility[eps] = dest
        e.bed_since[eps] = self.day
        self.today.referrals_down += len(eps)
        if self.events.wanted("down_referral"):
            self.events.emit("down_referral", day=self.day, eps=eps, origin=origin, facility=dest)
        self._schedule(eps, Stage.DISCHARGE, np.maximum(e.discharge_day[eps], self.day + 1))

    def _discharge(self, eps: np.ndarray) -> None:
        e = self.ep
        admit_tier = e.admit_tier[eps].astype(np.int64)
        self._bill_stay(eps)
        t = self.today
        t.stays += np.bincount(admit_tier, minlength=4)
        t.stay_cost += np.bincount(admit_tier, weights=e.stay_cost[eps], minlength=4)
        t.stay_days += np.bincount(admit_tier, weights=self.day - e.admit_day[eps], minlength=4)
        fid = np.where(e.facility[eps] >= 0, e.facility[eps], 0)
        resolved, again = self._treat(eps, fid, admit_tier)
        self._close(resolved, False, Outcome.RESOLVED)
        self._schedule(again, Stage.CHOOSE, self.day + 1)

    # ------------------------------------------------------------------ money
    def _daily_money(self) -> None:
        f, pol, led = self.fac, self.p.policy, self.ledger
        led.collect_premiums(self._daily_premiums())
        primary, county = self.primary_ids, self.county_ids
        led.government_pays(primary, f.staff[primary] * pol.post_subsidy_per_year / YEAR)
        led.government_pays(county, np.full(len(county), pol.secondary_fixed_subsidy * self.scale / YEAR / max(len(county), 1)))
        if self.p.payment.regime == "capitation":
            budget = self.p.payment.capitation_per_resident * int(self.alive_by_scheme[0]) / YEAR
            led.fund_pays_consortium(budget)
            self._cap_budget_year += budget
        f.cost += self.daily_pay * (f.senior + f.junior + f.village_doctors + NURSE_SALARY_SHARE * f.nurses)

    def _risk_sharing(self) -> None:
        """Year end under capitation: the fund shares half of a surplus or deficit beyond the band."""
        band = self.p.payment.capitation_risk_band * self._cap_budget_year
        net = self.ledger.consortium - self._cap_start
        excess = 0.0
        if net < -band:
            excess = 0.5 * (-band - net)  # fund tops up half the deficit beyond the band
        elif net > band:
            excess = -0.5 * (net - band)  # consortium returns half the surplus beyond the band
        if excess:
            self.ledger.fund_pays_consortium(excess)
        self._cap_budget_year = 0.0
        self._cap_start = self.ledger.consortium

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        self.day = self.steps - 1
        day = self.day
        self.today = Daily(self)
        if day > 0:
            self._apply_timeline(day)
        if day > 0 and day % YEAR == 0:
            if self.p.payment.regime == "capitation" or self._cap_budget_year:
                self._risk_sharing()
            self._new_chronic()
            self._start_year(day // YEAR)
        if day % MONTH == 0:
            if day > 0:
                self._staff_month()
            self._exposure_month()
            self._social_trust()
        self._update_facilities()
        f = self.fac
        f.arrivals[:] = 0
        f.arrivals_priority[:] = 0
        f.visits_today[:] = 0
        f.admissions_today[:] = 0
        self._births()
        self._kill(self.deaths.pop(day), excess=False)
        self._onsets_today()
        # stages due today, in order. A stage only reschedules its own episodes, so the day's
        # episodes are sorted by stage once; stale entries (an episode closed or rescheduled)
        # are dropped; ids are recycled, hence unique. Only a choice adds work for today: a
        # visit with no wait, booked after the choices and before anything else could close or
        # move it, so those entries are live and distinct as they are.
        e = self.ep
        due = self.stages.pop(day)
        due, bounds = kernels.due_by_stage(due, e.due, e.stage, e.open, day, len(Stage) + 1, *self._seen(due))
        for stage, handler in ((Stage.DISCHARGE, self._discharge), (Stage.DOWN, self._down),
                               (Stage.CHOOSE, self._choose), (Stage.VISIT, self._visit)):
            ids = due[bounds[stage]:bounds[stage + 1]]
            if stage == Stage.VISIT:
                ids = np.concatenate([ids, self.stages.pop(day)])
            if len(ids):
                handler(ids)
        self._daily_money()
        # queues: today's arrivals join, capacity serves (reserved slots first for priority patients)
        pri_cap = f.capacity * self.reserved_slots
        f.backlog_priority = f.backlog_priority + f.arrivals_priority
        served_pri = np.minimum(f.backlog_priority, pri_cap)
        f.backlog_priority -= served_pri
        f.backlog = np.maximum(f.backlog + f.arrivals - (f.capacity - served_pri), 0.0)
        f.visits_total += f.visits_today
        self.today.finish()
        self.datacollector.collect(self)

    def _seen(self, ids: np.ndarray) -> tuple[np.ndarray, int]:
        """Scratch for the de-duplicating kernel ``due_by_stage``: an array covering
        ``ids`` and a stamp no earlier call used."""
        need = int(ids.max()) + 1 if len(ids) else 0
        if len(self._scratch) < need:
            self._scratch = np.zeros(max(need, 2 * len(self._scratch)), dtype=np.int64)
            self._stamp = 0
        self._stamp += 1
        return self._scratch, self._stamp

    def _social_trust(self) -> None:
        """Monthly: trust drifts toward the village mean (word of mouth)."""
        w = self.p.behaviour.trust_social_weight
        if w <= 0:
            return
        r = self.res
        alive = np.flatnonzero(r.alive[: r.n])
        home = r.home[alive]
        n_home = len(self.county.homes)
        counts = np.maximum(np.bincount(home, minlength=n_home), 1)
        for t in range(4):
            mean = np.bincount(home, weights=r.trust[alive, t], minlength=n_home) / counts
            r.trust[alive, t] += (w * (mean[home] - r.trust[alive, t])).astype(np.float32)

    # ------------------------------------------------------------------ running
    def run_days(self, days: int, progress=None) -> None:
        for _ in range(days):
            self.step()
            if progress is not None:
                progress(1)

    def facility(self, fid: int) -> Facility:
        """The facility agent of id ``fid`` (its row in the arrays and node of the referral graph)."""
        return self.facilities[fid]

    @property
    def staff_balance(self) -> float:
        """Staff now minus (initial + hired - left): zero if every doctor is somewhere."""
        return float(self.fac.staff.sum() - (self.staff_initial + self.staff_hired - self.staff_left))

    @property
    def nbytes(self) -> int:
        return self.res.nbytes + self.ep.nbytes + self.fac.nbytes + self.calendar_nbytes

    @property
    def calendar_nbytes(self) -> int:
        """What is scheduled: episode stages, background deaths, the year's onsets and newborns' onsets."""
        return (self.stages.nbytes + self.deaths.nbytes + self._year_onsets.nbytes + self._year_bounds.nbytes
                + sum(a.nbytes for a in self._newborn_onsets))


def _no_onsets() -> tuple[np.ndarray, np.ndarray]:
    """An empty list of newborns' onsets: (days, rows)."""
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)


def _cdf(weights) -> np.ndarray:
    """Cumulative shares of ``weights``: an inverse-CDF draw's table."""
    cdf = np.cumsum(np.asarray(weights, dtype=float))
    return cdf / cdf[-1]


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
