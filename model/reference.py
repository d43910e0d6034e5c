"""The per-resident reference model: an independent oracle for the engine (``model/model.py``).

Each resident is a ``mesa.Agent`` (``Resident``) whose ``step()`` walks its own life one day at a
time with plain ``if``s: its background death, its onsets, and its episode's stage due today
(choose a provider, visit, be admitted or treated as an outpatient, move down to a township bed,
be discharged), with its bills and its outcome. ``ReferenceModel`` holds the same world as the
engine, built by the same public builders (the county, the residents' rows, the facilities, the
episodes' rows, the ledger), and a clock of its own: each day the facility-level processes (levers,
staff, queues, money, the census) and then the residents with business that day.

The reference shares only the mechanisms' rules with the engine (``agents/*``: scalar functions
of one case, pure functions of the facilities' arrays, the parameters' typed views), never the
engine's stages, compiled batch kernels or private methods (``tests/test_reference.py`` reads
this module to hold it to that). For one seed the two make the same decisions from the same
common random numbers, so ``tests/test_reference.py`` can hold the engine's batches, masks and
gathers to what one resident after another does.

The one designed difference: the engine allocates a day's beds in a batch (priority patients
first), the reference in the order residents are served: those leaving a bed first (dying,
moving down, discharged), so a bed freed today is free for today's admissions as in the engine,
then the others in the order they were booked. When the last free beds of a facility are
contested on a day, the two may admit different patients.

It is slow (tens of microseconds per resident-stage, and every resident is a Python object): use
it for populations of a few thousand (``tests/test_reference.py``, ``reformsim bench``).
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

import mesa
import numpy as np
from reformsim.agents import (
    beds,
    billing,
    care,
    choice,
    contracts,
    demography,
    illness,
    lifetable,
    payment,
    queues,
    seasons,
    staff,
)
from reformsim.agents.episodes import EpisodePool, Outcome, Stage
from reformsim.agents.facilities import AGENT_CLASS, Facility, FacilityState
from reformsim.agents.population import FEMALE_SHARE, age_on, generate_residents
from reformsim.agents.streams import Streams

from .county import REFERENCE_POPULATION, build_county
from .ledger import Ledger
from .metrics import Daily, make_datacollector
from .params import Scenario, refuse_build_time, with_value

YEAR = seasons.YEAR
LEAVING, BOOKED, OTHERS = 0, 1, 2  # the turns of a day's agenda


def _one(x) -> np.ndarray:
    """A length-1 array: the world's data structures (ledger, episode rows) take arrays."""
    return np.array((x,))


@lru_cache(maxsize=256)
def _poisson_cdf(mean: float) -> np.ndarray:
    """``illness.poisson_cdf``, kept per mean: residents share a few onset rates."""
    return illness.poisson_cdf(mean)


class Resident(mesa.Agent):
    """One resident. Its attributes live in row ``rid`` of the model's ``Residents`` arrays (a row
    is given to a newborn once its resident has died), its open episode in a row of the model's
    ``EpisodePool``; its draws are keyed by ``uid``."""

    model: ReferenceModel
    STAGES = {Stage.CHOOSE: "choose", Stage.VISIT: "visit", Stage.DOWN: "move_down", Stage.DISCHARGE: "discharge",
              Stage.ADMIT: "come_for_bed"}

    def __init__(self, model: ReferenceModel, rid: int):
        super().__init__(model)
        self.rid = int(rid)
        self.uid = int(model.res.uid[rid])
        self.onset_days: frozenset[int] = frozenset()  # this year's days with an onset

    @property
    def alive(self) -> bool:
        r = self.model.res
        return bool(r.alive[self.rid]) and int(r.uid[self.rid]) == self.uid  # not a newborn since given the row

    @property
    def episode(self) -> int:
        return int(self.model.res.episode[self.rid])

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """Today's business: die if today is the day, fall ill, and carry the open episode through
        each stage due today (a choice may book a visit for today)."""
        m = self.model
        if not self.alive:
            return
        if m.res.death_day[self.rid] == m.day:
            self.die(excess=False)
            return
        if m.day in self.onset_days:
            self.fall_ill()
        ep = self.episode
        while ep >= 0 and m.ep.due[ep] == m.day:
            getattr(self, self.STAGES[m.ep.stage[ep]])(ep)
            ep = self.episode

    def schedule(self, ep: int, stage: Stage, day: int) -> None:
        """The episode goes to ``stage`` on ``day``."""
        m = self.model
        m.ep.stage[ep], m.ep.due[ep] = stage, day
        m.book(self, int(day), LEAVING if stage in (Stage.DOWN, Stage.DISCHARGE) else BOOKED if stage == Stage.ADMIT else OTHERS)

    # ------------------------------------------------------------------ life
    def born(self) -> None:
        """A newborn's day of background death, and its onsets from tomorrow."""
        m = self.model
        self.plan_death(m.day)
        self.draw_onsets(m.day + 1)

    def plan_death(self, day: int) -> None:
        """The day of background death (from ``day`` on), booked."""
        m, r = self.model, self.model.res
        d = demography.death_day(m.streams.key, self.uid, int(r.birth_day[self.rid]), day, *m.hazard)
        r.death_day[self.rid] = d
        m.book(self, int(d), LEAVING)

    def draw_onsets(self, from_day: int) -> None:
        """The onsets from ``from_day`` to the end of its year (a Poisson count at this resident's
        rates, each on a uniform day), booked."""
        m, r = self.model, self.model.res
        year, days_left = illness.year_left(from_day)
        start = YEAR - days_left  # the day of the year drawn from
        age, chronic = age_on(from_day, int(r.birth_day[self.rid])), int(r.chronic[self.rid])
        mean = illness.onset_mean(age, chronic, *m.rates, start, YEAR)
        k = illness.onset_count(m.streams.key, self.uid, year, _poisson_cdf(mean))
        acute, follow = illness.episode_rates(age, chronic, *m.rates[:4])
        self.onset_days = frozenset(from_day + illness.onset_day(m.streams.key, self.uid, year, nth, acute, follow,
                                                                 *m.rates[4:], *m.season_guides, start, YEAR)
                                    for nth in range(k))
        for d in sorted(self.onset_days):
            m.book(self, d)

    def grow_older(self) -> None:
        """A year on: hypertension or diabetes may come with age."""
        m, r, rid = self.model, self.model.res, self.rid
        chances = demography.chronic_chances(age_on(m.day, int(r.birth_day[rid])), *m.chronic_scales)
        r.chronic[rid] = demography.with_new_chronic(m.streams.key, self.uid, m.day // YEAR, int(r.chronic[rid]), *chances)

    def die(self, excess: bool) -> None:
        """Death: the open episode ends as DIED and its bed is freed, the contract ends, the row
        is free for a newborn from the next year on; counted by age group for the life table."""
        m, r, rid = self.model, self.model.res, self.rid
        r.alive[rid] = False
        if r.contract[rid]:
            r.contract[rid] = False
            m.contract_count -= 1
        r.release(_one(rid))
        m.alive_by_scheme[r.scheme[rid]] -= 1
        ep = self.episode
        if ep >= 0:
            self.leave_bed(ep)
            m.ep.close(_one(ep), Outcome.DIED, r.episode)
        group = lifetable.age_group(age_on(m.day, int(r.birth_day[rid])))
        m.month_deaths[demography.month_slot(m.day), group] += 1
        m.year_deaths[m.day // YEAR][group] += 1
        m.today.deaths += 1
        m.today.excess_deaths += excess
        self.remove()

    def fall_ill(self) -> None:
        """An onset (one a day at most): a new episode, to choose care today, unless one is open
        (the onset then merges into it)."""
        m, r, rid = self.model, self.model.res, self.rid
        ctr = int(r.onsets[rid])
        r.onsets[rid] += 1
        if r.episode[rid] >= 0:
            return
        sev, need = illness.onset_kind(m.streams.key, self.uid, ctr, m.day % YEAR, age_on(m.day, int(r.birth_day[rid])),
                                       int(r.chronic[rid]), *m.onset_rule)
        ep = int(m.ep.begin(_one(rid), r, _one(self.uid), np.array((sev,), dtype=np.int8), _one(need), m.day, _one(ctr))[0])
        r.episode[rid] = ep
        m.today.episodes += 1
        self.schedule(ep, Stage.CHOOSE, m.day)

    # ------------------------------------------------------------------ the episode's stages
    def choose(self, ep: int) -> None:
        """Self-care or one of the home's facilities, by the logit rule and this step's draw; a
        facility is booked after its queue's wait. After too many steps the resident gives up."""
        m, r, e, f = self.model, self.model.res, self.model.ep, self.model.fac
        e.steps[ep] += 1
        step = int(e.steps[ep])
        if step > choice.MAX_STEPS:
            self.close(ep, True, Outcome.REFERRED_ON)
            return
        home, sev, scheme = int(e.home[ep]), int(e.severity[ep]), int(e.scheme[ep])
        letter, referred_tier, contract = bool(e.has_referral[ep]), int(e.referred_tier[ep]), bool(r.contract[self.rid])
        slot_fac, slot_tier = m.slot_facility[home], m.slot_tier[home]
        quality, delay, oop = m.home_pathways(home)
        cost = choice.cost_units(oop[scheme, int(letter), sev], m.choice_params.daily_income[int(e.income[ep])])
        alt = choice.choose_slot(m.coefficients, m.streams.key, self.uid, int(e.key[ep]), step, sev, letter, referred_tier,
                                 contract, r.trust[self.rid], slot_fac, slot_tier, quality[sev], cost, delay[sev],
                                 m.county.slot_travel[home],
                                 m.wait_general, m.wait_priority, np.empty(len(slot_fac) + 1))
        fid = int(slot_fac[alt - 1]) if alt else -1
        decision, attended, first, bypass = choice.choice_counts(letter, int(f.tier[fid]) if alt else -1, referred_tier,
                                                                 step == 1, sev)
        t = m.today
        t.referral_decisions += decision
        t.referrals_attended += attended
        t.first_contacts += first
        t.bypass += bypass
        if first:
            t.first_contact[sev, int(f.tier[fid])] += 1
        if not alt:
            self.close(ep, True, Outcome.REFERRED_ON if letter else Outcome.SELF_TREATED)
            return
        e.facility[ep] = fid
        priority, day = choice.booking(letter, contract, bool(m.use_reserved[fid]), m.wait_general[fid], m.wait_priority[fid],
                                       m.day, choice.seen_at_once(sev, letter, int(f.tier[fid])))
        if priority:
            f.arrivals_priority[fid] += 1
        else:
            f.arrivals[fid] += 1
        self.schedule(ep, Stage.VISIT, day)

    def visit(self, ep: int) -> None:
        """A billed visit; the facility refers up, admits, or treats as an outpatient."""
        m, e, f = self.model, self.model.ep, self.model.fac
        fid = int(e.facility[ep])
        tier = int(f.tier[fid])
        r = m.responses
        self.pay_visit(ep, fid, tier)
        then, e.treated_day[ep] = care.triaged(m.streams.key, self.uid, int(e.key[ep]), int(e.steps[ep]), f.skill[fid], tier,
                                               r.keep[fid], r.admission[fid], r.admission_serious[fid], int(e.severity[ep]),
                                               bool(e.needs_bed[ep]),
                                               int(e.treated_day[ep]), m.day, m.care_params.attempt, m.admission_need)
        if then == care.REFER:
            m.today.ladder_visits += tier <= 1
            self.refer_up(ep, tier)
        elif then == care.ADMIT:
            self.admit(ep, fid, tier)
        elif self.treated(ep, fid, tier, 0.0):
            if care.returns(m.streams.key, self.uid, int(e.key[ep]), int(e.steps[ep]), m.followup_share[tier], r.followup[fid]):
                self.pay_visit(ep, fid, tier)  # the return visit the doctor asked for
                f.arrivals[fid] += 1
            self.close(ep, False, Outcome.RESOLVED)
        else:
            self.schedule(ep, Stage.CHOOSE, m.day + 2)  # not better: seek care again

    def refer_up(self, ep: int, tier: int) -> None:
        """A referral letter to the next tier up; choose again tomorrow."""
        m, e = self.model, self.model.ep
        e.referred_tier[ep] = care.referral_tier(tier)
        e.has_referral[ep] = True
        m.today.referrals_up += 1
        self.schedule(ep, Stage.CHOOSE, m.day + 1)

    def admit(self, ep: int, fid: int, tier: int) -> None:
        """Admitted, booked on a ward's waiting list or turned away (``beds.place``: the ward chosen,
        then the consortium's other county hospitals); off a list first if on one. With a letter and a
        contract (priority) any free staffed bed and, where beds are reserved, a list of its own.
        Turned away: referred up, or at the top tier choose again tomorrow."""
        m, e, f, w = self.model, self.model.ep, self.model.fac, self.model.wards
        priority = bool(e.has_referral[ep]) and bool(m.res.contract[self.rid])
        since = int(e.listed_day[ep])
        if since >= 0:
            (f.waiting_priority if e.listed_priority[ep] else f.waiting)[fid] -= 1
            e.listed_day[ep] = -1
        waited = m.day - since if since >= 0 else 0
        emergency = illness.is_emergency(int(e.severity[ep]))
        decision, fid, own, wait = beds.place(emergency, priority, waited, fid, m.county_ids,
                                              f.tier, f.occupied, f.occupied_priority, f.staffed_beds, f.beds, w.reserved,
                                              m.bed_own_list, m.bed_wait_general, m.bed_wait_priority, w.extra_bed_share,
                                              w.max_bed_wait_days)
        fid = int(fid)
        if emergency:
            m.today.emergencies[0 if decision == beds.ADMITTED else 1, tier] += 1
        if decision == beds.TURNED_AWAY:
            m.today.turned_away[tier] += 1
            if tier < 3:
                self.refer_up(ep, tier)
            else:
                self.schedule(ep, Stage.CHOOSE, m.day + 1)  # each try counts: after MAX_STEPS the resident gives up
            return
        e.facility[ep] = fid  # placed at another county hospital, it is that one's patient now
        if decision == beds.BOOKED:
            (f.waiting_priority if own else f.waiting)[fid] += 1
            e.listed_day[ep] = since if since >= 0 else m.day
            e.listed_priority[ep] = own
            self.schedule(ep, Stage.ADMIT, beds.booked_day(m.day, wait))
            return
        (f.occupied_priority if priority else f.occupied)[fid] += 1
        e.bed_facility[ep], e.admit_tier[ep], e.bed_since[ep], e.admit_day[ep] = fid, tier, m.day, m.day
        e.has_referral[ep] = priority  # the priority-bed marker travels with the stay
        f.admissions_today[fid] += 1
        m.today.admissions[tier] += 1
        m.today.bed_waits[tier] += waited
        los_days, los_response, down_prob, acute_fraction = m.stay_rule
        los, down, acute = beds.stay(m.streams.key, self.uid, int(e.key[ep]), int(e.severity[ep]), tier, los_days,
                                     los_response[fid], down_prob[fid], acute_fraction)
        e.discharge_day[ep] = m.day + los
        if down:
            self.schedule(ep, Stage.DOWN, m.day + acute)
        else:
            self.schedule(ep, Stage.DISCHARGE, m.day + los)

    def come_for_bed(self, ep: int) -> None:
        """The booked day of a place on a waiting list: admitted, booked again or turned away."""
        fid = int(self.model.ep.facility[ep])
        self.admit(ep, fid, int(self.model.fac.tier[fid]))

    def move_down(self, ep: int) -> None:
        """After the acute part, to a staffed bed at the home township if one is free (the stay so far is billed)."""
        m, e, f = self.model, self.model.ep, self.model.fac
        dest = int(m.county.slot_facility[e.home[ep], 1])
        if beds.free_beds(f.staffed_beds[dest], f.occupied[dest], f.occupied_priority[dest]) < 1:
            self.schedule(ep, Stage.DISCHARGE, int(e.discharge_day[ep]))
            return
        self.pay_stay(ep)
        e.has_referral[ep] = False
        f.occupied[dest] += 1
        e.bed_facility[ep], e.bed_since[ep] = dest, m.day
        m.today.referrals_down += 1
        self.schedule(ep, Stage.DISCHARGE, int(beds.moved_discharge_day(int(e.discharge_day[ep]), m.day)))

    def discharge(self, ep: int) -> None:
        """The stay is billed; the treatment works, or the resident seeks care again tomorrow."""
        m, e = self.model, self.model.ep
        tier = int(e.admit_tier[ep])
        self.pay_stay(ep)
        t = m.today
        t.stays[tier] += 1
        t.stay_cost[tier] += e.stay_cost[ep]
        t.stay_days[tier] += m.day - e.admit_day[ep]
        fid = max(int(e.facility[ep]), 0)
        t.readmissions += care.readmitted(int(e.admit_day[ep]), int(e.discharged_day[ep]), m.care_params.readmission_window_days)
        e.discharged_day[ep], e.discharged_at[ep] = m.day, fid
        if self.treated(ep, fid, tier, m.responses.readiness[fid], m.inpatient_skill):
            self.close(ep, False, Outcome.RESOLVED)
        else:
            self.schedule(ep, Stage.CHOOSE, m.day + 1)

    # ------------------------------------------------------------------ parts of a stage
    def treated(self, ep: int, fid: int, tier: int, shift: float, skill: np.ndarray | None = None) -> bool:
        """Whether treatment at ``fid`` (at its ``skill``: the facility's, or for inpatients its
        ward's after crowding; ``shift``: its log-odds moved by the facility's discharge readiness)
        resolves the episode; trust in ``tier`` learns from it."""
        m, e, p = self.model, self.model.ep, self.model.care_params
        ok = care.treatment_works(m.streams.key, self.uid, int(e.key[ep]), int(e.steps[ep]),
                                  (m.fac.effective_skill if skill is None else skill)[fid], int(e.severity[ep]),
                                  p.success, shift)
        trust = m.res.trust
        trust[self.rid, tier] = care.learned(trust[self.rid, tier], ok, p.trust_learning_rate)
        return ok

    def close(self, ep: int, untreated: bool, outcome: Outcome) -> None:
        """The episode ends with ``outcome``, unless the excess risk of no or delayed care kills."""
        m, e = self.model, self.model.ep
        if untreated:
            m.today.untreated[int(e.severity[ep])] += 1
        if care.killed(m.streams.key, self.uid, int(e.key[ep]), int(e.severity[ep]), int(e.start[ep]), int(e.treated_day[ep]),
                       m.day, untreated, *m.fatality):
            self.die(excess=True)
        else:
            m.ep.close(_one(ep), outcome, m.res.episode)

    def pay_visit(self, ep: int, fid: int, tier: int) -> None:
        """One visit's bill (its kind's column of the visit bill table), paid and booked."""
        m, e, f, led, r = self.model, self.model.ep, self.model.fac, self.model.ledger, self.model.responses
        revisit = bool(e.visits[ep] > 0)
        e.visits[ep] += 1
        scheme = int(e.scheme[ep])
        parts = m.visit_parts[:, billing.visit_kind(scheme, tier, bool(e.has_referral[ep]), revisit)]
        service, drug, test, oop, insured, subsidy, cost = (float(x) for x in billing.visit_bill(parts, r.drugs_visit[fid],
                                                                                                 r.tests_visit[fid]))
        led.resident_pays(_one(fid), _one(oop))
        if scheme == 1:
            led.note_employee_outpatient(oop)
        m.settle(fid, insured, scheme)
        led.book_parts(_one(tier), _one(service), _one(drug), _one(test))
        led.government_pays(_one(fid), _one(subsidy))
        f.cost[fid] += cost
        f.visits_today[fid] += 1
        t = m.today
        t.visits[tier] += 1
        t.visit_cost[tier] += service + drug + test
        t.oop_outpatient += oop
        t.revisits += revisit

    def pay_stay(self, ep: int) -> None:
        """The bill for the bed-days at the current bed facility, paid and booked; the bed is freed."""
        m, e, f, led, u = self.model, self.model.ep, self.model.fac, self.model.ledger, self.model.bed_units
        fid = int(e.bed_facility[ep])
        tier, scheme, sev = int(f.tier[fid]), int(e.scheme[ep]), int(e.severity[ep])
        days = billing.bed_days(m.day, int(e.bed_since[ep]))
        (service, drug, test, tests, drugs, self_pay, kept, ratio, deductible, cap, per_case, case_rate, coding, points, value,
         resource_share, critical_threshold, critical_ratio) = m.stay_bill_rule
        case = bool(per_case[fid]) and int(e.admit_tier[ep]) == tier
        merged = case and billing.merged_readmission(fid, int(e.admit_day[ep]), int(e.discharged_at[ep]),
                                                     int(e.discharged_day[ep]), m.merge_days)
        service, drug, test, oop, paid, critical, pts = billing.stay_bill(
            days, tier, scheme, sev, bool(e.visits[ep] > 1), bool(e.has_referral[ep]) or e.referred_tier[ep] >= 0,
            not e.billed_deductible[ep], case, merged, service, drug, test, tests[fid], drugs[fid], self_pay[fid], kept,
            ratio, deductible, cap, case_rate, coding[fid], points, value, resource_share, critical_threshold, critical_ratio)
        bill = service + drug + test
        e.billed_deductible[ep] = True
        e.stay_cost[ep] += bill
        led.resident_pays(_one(fid), _one(oop))
        led.critical_pays(_one(fid), _one(critical))
        m.settle(fid, paid, scheme)
        led.book_parts(_one(tier), _one(service), _one(drug), _one(test))
        led.government_pays(_one(fid), _one(u.subsidy[tier] * days))
        led.note("dip_points", pts)
        led.note_stay_bills(_one(tier), _one(bill))
        if case:
            led.note_cases(_one(tier), _one(sev), _one(bill))
        f.cost[fid] += billing.provider_cost(u, tier, test, days, drugs[fid])
        m.today.oop_inpatient += oop
        m.today.bed_days += days
        m.today.stay_paid[tier] += paid
        self.leave_bed(ep)

    def leave_bed(self, ep: int) -> None:
        """Free the episode's bed, if it has one (a priority bed if it came with priority), or its
        place on a waiting list."""
        e, f = self.model.ep, self.model.fac
        fid = int(e.bed_facility[ep])
        if fid >= 0:
            (f.occupied_priority if e.has_referral[ep] else f.occupied)[fid] -= 1
            e.bed_facility[ep] = -1
        if e.listed_day[ep] >= 0:
            (f.waiting_priority if e.listed_priority[ep] else f.waiting)[int(e.facility[ep])] -= 1
            e.listed_day[ep] = -1


class ReferenceModel(mesa.Model):
    """The county of ``CountyModel``, stepped one resident at a time.

    Same constructor and outputs as ``CountyModel`` (``summarize``/``timeseries`` work on it).
    """

    def __init__(self, scenario: Scenario | None = None, *, rng: int = 0, population: int | None = None):
        seed = int(rng)
        super().__init__(rng=seed)
        scenario = scenario or Scenario()
        if population is not None:
            scenario = with_value(scenario, "county.population", int(population))
        self.base_scenario = scenario
        self.p = scenario.model_copy(deep=True)
        self.seed = seed
        self.day = 0
        self.streams = Streams(seed)
        self.timeline = defaultdict(list)
        for ev in self.p.timeline:
            self.timeline[ev.day].append(ev)
        # the world, from the engine's builders
        self.county = c = build_county(self.p.county, self.p.facilities, seed)
        self.scale = 1.0 if self.p.county.facilities_csv else self.p.county.population / REFERENCE_POPULATION
        self.res = generate_residents(c, self.p.population, np.random.default_rng([seed, 0xB0]))
        self.fac = FacilityState.from_county(c)
        self.primary_ids, self.county_ids = np.flatnonzero(self.fac.tier <= 1), np.flatnonzero(self.fac.tier == 2)
        self.towns = np.flatnonzero(c.kind == "township")
        self.alive_by_scheme = np.bincount(self.res.scheme[: self.res.n], minlength=2).astype(np.int64)
        self.facilities = [AGENT_CLASS[k](self, fid) for fid, k in enumerate(c.kind)]
        self.ep = EpisodePool(capacity=max(1024, self.res.n // 8))
        self.slot_facility, self.slot_tier = choice.slot_tables(c.slot_facility, self.fac.tier)
        self.up_slot = choice.up_slots(self.slot_tier)
        self.home_cdf = demography.cdf(c.home_population[c.homes])
        # the second clock: residents with business on a day, in turns: those leaving a bed, then
        # those booked for one, then the rest (the engine's order of stages)
        self.agenda: dict[int, tuple[dict, dict, dict]] = defaultdict(lambda: ({}, {}, {}))
        self.onsets_through, self.year_start = -1, 0  # the last day served; the day the year's onsets were drawn from
        # the staff's books, the capitation year, the life table's deaths and person-years
        self.doctors0 = c.senior + c.junior
        self.initial_staff = float(self.fac.staff.sum())
        self.hired = self.left = 0.0
        self.posts_since = 0
        self.term_start = np.zeros(c.n_facilities, dtype=np.int64)
        self.training_received = [0.0]
        self.pay_state = payment.PaymentState(c.n_facilities)
        self.public_health = payment.public_health_shares(c)
        groups = len(lifetable.AGE_GROUPS)
        self.month_deaths, self.month_py = np.zeros((12, groups)), np.zeros((12, groups))
        self.year_deaths = defaultdict(lambda: np.zeros(groups))
        self.year_py = defaultdict(lambda: np.zeros(groups))
        self.life_expectancy = float("nan")
        self.contract_count = 0
        self.views: dict = {}
        self.residents = [Resident(self, rid) for rid in range(self.res.n)]
        premiums = payment.daily_premiums(self.alive_by_scheme, payment.PaymentParams.of(self.p).premiums)
        self.ledger = Ledger(self.fac.revenue, premiums * self.p.insurance.initial_fund_days, self.fac.tier)
        self.derive()
        for resident in self.residents:
            resident.plan_death(0)
        self.draw_year()
        if self.p.staff.transfer_seniors_to_townships:
            self.transfer(self.p.staff.transfer_seniors_to_townships)
        self.apply_timeline(0)
        self.update_skill()
        self.open_day()
        self.today = Daily(self)
        self.datacollector = make_datacollector()

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        self.day = day = self.steps - 1
        self.today = Daily(self)
        if day > 0:
            self.apply_timeline(day)
        if day > 0 and day % YEAR == 0:
            self.share_risk()
            for resident in self.living():
                resident.grow_older()
            self.res.recycle()  # last year's dead's rows go to newborns
            self.draw_year()
            self.renew_contracts()
        if seasons.month_starts(day):
            if day > 0:
                self.hired, self.left = staff.monthly_flows(self.fac, self.staff_params, self.towns, self.county_ids,
                                                            self.scale, day, self.posts_since, self.term_start,
                                                            self.hired, self.left)
                staff.trained(self.training_received, self.staff_params.training_person_times_per_year)
            self.census()
            if self.choice_params.trust_social_weight > 0:
                choice.drift_trust(self.res.trust, self.res.home, np.flatnonzero(self.res.alive[: self.res.n]),
                                   len(self.county.homes), self.choice_params.trust_social_weight)
            if self.pay_state.dip_since >= 0:
                self.pay_state.value = payment.dip_value(self.pay_state, self.payment_params, self.ledger, day)
            self.respond()
        self.update_skill()
        self.open_day()
        self.fac.start_day()
        self.births()
        self.onsets_through = day
        served: dict = {}
        for turn in self.agenda.pop(day, ({}, {}, {})):
            served.update(turn)  # a resident in several turns is served in its first
        for resident in served:
            resident.step()
        self.pay_day()
        self.fac.cost += staff.salaries(self.fac, self.daily_pay, self.staff_params.nurse_salary_share)
        self.fac.cost += beds.crowding_cost(self.fac, self.wards)
        queues.serve(self.fac, self.slot_reserved, self.queue_params.load_memory_days)
        self.fac.visits_total += self.fac.visits_today
        self.today.finish()
        self.datacollector.collect(self)

    def run_days(self, days: int, progress=None) -> None:
        for _ in range(days):
            self.step()
            if progress is not None:
                progress(1)

    def book(self, resident: Resident, day: int, turn: int = 2) -> None:
        """``resident`` has business on ``day``, in its ``turn``: ``LEAVING`` a bed, ``BOOKED`` for one, or ``OTHERS``."""
        self.agenda[day][turn][resident] = None

    def living(self) -> list[Resident]:
        r = self.res
        return [self.residents[rid] for rid in np.flatnonzero(r.alive[: r.n]).tolist()]

    # ------------------------------------------------------------------ the county's processes
    def births(self) -> None:
        """Today's newborns, each a new resident in a row of the dead where there is one."""
        r, p = self.res, self.demography_params
        n = demography.birth_count(self.streams.key, self.day,
                                   demography.expected_births(p.crude_birth_rate, int(self.alive_by_scheme.sum())))
        if n == 0:
            return
        home, female, income = zip(*(demography.newborn(self.streams.key, self.day, k, self.home_cdf, self.income_cdf,
                                                        FEMALE_SHARE) for k in range(n)), strict=True)
        rows = r.new_rows(n)
        r.born(rows, self.day, home, female, income, p.initial_trust)
        self.alive_by_scheme[0] += n
        self.today.births += n
        for rid in rows.tolist():
            resident = Resident(self, rid)
            if rid < len(self.residents):
                self.residents[rid] = resident
            else:
                self.residents.append(resident)
            resident.born()

    def draw_year(self) -> None:
        """The living's onsets of the year that starts today."""
        self.year_start = self.day
        for resident in self.living():
            resident.draw_onsets(self.day)

    def renew_contracts(self) -> None:
        """Family-doctor contracts for a year, by each resident's draw against its group's rate."""
        r, p = self.res, self.contract_params
        r.contract[: r.n] = contracts.contracted(r, self.streams, p.contract_rate, p.contract_rate_key, self.day)
        self.contract_count = int(np.count_nonzero(r.contract[: r.n]))

    def census(self) -> None:
        """Monthly person-years, and the trailing year's life expectancy."""
        r = self.res
        py = demography.person_years(r.alive[: r.n], r.birth_day[: r.n], self.day)
        slot = demography.month_slot(self.day)
        self.month_py[slot] = py
        self.year_py[self.day // YEAR] += py
        self.life_expectancy = lifetable.period_life_expectancy(self.month_deaths.sum(0), self.month_py.sum(0))
        self.month_deaths[slot] = 0.0

    def transfer(self, target: int) -> None:
        staff.transfer(self.fac, self.towns, self.county_ids, target * self.scale, self.scale, self.day, self.term_start)

    def update_skill(self) -> None:
        self.fac.skill = staff.skill(self.fac, self.staff_params, self.county, self.doctors0, self.base_skill, self.central,
                                     self.training_received, self.day)

    def open_day(self) -> None:
        """Outpatient capacity and waits; staffed beds, the waits for a bed and inpatient skill."""
        self.wait_general, self.wait_priority, self.use_reserved = queues.open_queues(self.fac, self.visits_per_doctor,
                                                                                      self.slot_reserved, self.queue_params)
        self.bed_wait_general, self.bed_wait_priority, self.bed_own_list, self.inpatient_skill = beds.open_wards(self.fac,
                                                                                                                 self.wards)
        self.bed_likely_wait = beds.likely_wait(self.bed_wait_general, self.wards.max_bed_wait_days)
        self.pathways = {}  # a home's pathways of the day, made when one of its residents first chooses

    def home_pathways(self, home: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Today's pathways of one home's slots (``choice.home_pathways``): quality and delay by
        [severity, slot], out-of-pocket by [scheme, letter, severity, slot]."""
        if home not in self.pathways:
            if not self.pathways:  # the day's first: each facility's chance to treat, for every home today
                self.chance = choice.treat_chances(self.fac.skill, self.responses.keep, self.fac.tier, self.admission_need,
                                                   self.care_params.attempt)
            n = self.slot_facility.shape[1]
            out = np.zeros((4, n)), np.zeros((4, n)), np.zeros((2, 2, 4, n))
            quality = choice.perceived_quality(self.fac.effective_skill[:, None], np.arange(4)[None, :],
                                               self.choice_params.quality_slope)
            choice.home_pathways(self.slot_facility[home], self.slot_tier[home], self.up_slot[home], self.chance, quality,
                                 self.wait_priority, self.bed_likely_wait, self.oop_visit, self.oop_stay, self.admission_need,
                                 *out)
            self.pathways[home] = out
        return self.pathways[home]

    def pay_day(self) -> None:
        """Premiums in; subsidies, public-health funds, the critical-illness premium and, under
        capitation, the consortium's budget out; personal accounts pay back employees' outpatient
        costs; the day's idle beds are felt."""
        led, p, f = self.ledger, self.payment_params, self.fac
        everyone = np.arange(len(f.tier))
        led.collect_premiums(payment.daily_premiums(self.alive_by_scheme, p.premiums), np.asarray(p.personal_share))
        led.government_pays(everyone, payment.daily_subsidies(p, f, self.county_ids, self.scale))
        health = p.public_health_per_resident * float(self.alive_by_scheme.sum()) / YEAR
        if p.public_health_to_consortium:
            led.government_pays_consortium(health)
        else:
            led.government_pays(everyone, health * self.public_health)
        led.fund_buys_critical(p.critical_illness_premium * float(self.alive_by_scheme[0]) / YEAR)
        if self.capitation:
            budget = payment.daily_budget(payment.budget_rate(p, self.pay_state, self.day), int(self.alive_by_scheme[0]))
            led.fund_pays_consortium(budget)
            self.pay_state.budget_year += budget
        led.personal_accounts_pay()
        payment.feel_idle(self.pay_state, f, p.idle_days)

    def share_risk(self) -> None:
        """A year's end: case rates rebased; the fund settles the consortium's year (retention, risk sharing)."""
        led = self.ledger
        settle = payment.year_end(self.pay_state, self.payment_params, led)
        if settle:
            led.fund_pays_consortium(settle, budget=False)
        self.pay_state.consortium_at_year_start = led.consortium

    def settle(self, fid: int, amount: float, scheme: int) -> None:
        """The insured part of a bill (or a case payment): the consortium pays its residents' under
        capitation (its primary members' at its member rate), the scheme's fund the rest."""
        if payment.consortium_settles(self.capitation, scheme):
            self.ledger.consortium_pays(_one(fid), _one(amount * self.payer.member_rate[fid]))
        else:
            self.ledger.fund_pays(_one(fid), _one(amount), _one(scheme))

    # ------------------------------------------------------------------ levers
    def derive(self) -> None:
        """Every table from the current parameters; the world changes only where a mechanism's
        own parameters did (onset rates, contract rates, approved posts, seniors on loan)."""
        s, old, tier = self.p, self.views, self.fac.tier
        self.payment_params = payment.PaymentParams.of(s)
        self.capitation = self.payment_params.budgeted
        payment.start_budgets(self.pay_state, self.payment_params, self.ledger, int(self.alive_by_scheme[0]), self.day)
        self.bill_params = bill = billing.BillingParams.of(s)
        visit_units, self.bed_units = billing.visit_prices(bill.prices), billing.bed_day_prices(bill.prices, 1.0)
        self.oop_visit, self.oop_stay = billing.oop_tables(visit_units, self.bed_units, bill.schemes, bill.los_days)
        self.visit_parts = billing.visit_parts(visit_units, bill.schemes, bill.mutual_recognition)
        self.merge_days = s.payment.readmission_merge_days
        self.illness_params = ill = illness.IllnessParams.of(s)
        self.rates = illness.rate_params(ill)
        self.season_guides = illness.season_guides(self.rates)
        self.demography_params = demography.DemographyParams.of(s)
        self.income_cdf = demography.cdf(self.demography_params.income_band_shares)
        e0 = self.demography_params.life_expectancy_table
        decline = self.demography_params.mortality_decline
        self.hazard = (lifetable.hazard_schedule(e0), lifetable.cumulative_hazard(e0, decline), decline)
        self.chronic_scales = (self.demography_params.hypertension_scale, self.demography_params.diabetes_scale)
        self.contract_params = contracts.ContractParams.of(s)
        self.choice_params = choice.ChoiceParams.of(s)
        self.coefficients = choice.coefficients(self.choice_params)
        self.admission_need = np.asarray(s.illness.admission_need, dtype=float)
        self.care_params = care.CareParams.of(s)
        self.admission_need, self.followup_share, self.fatality = care.care_tables(self.care_params)
        self.bed_params = beds.BedParams.of(s)
        self.staff_params = p = staff.StaffParams.of(s)
        self.base_skill, self.central, self.daily_pay = staff.staff_tables(p, self.county)
        self.queue_params = queues.QueueParams.of(s)
        self.visits_per_doctor, self.slot_reserved = queues.queue_tables(self.queue_params, tier)
        establishment = self.county.establishment(s.facilities)
        self.respond()
        self.views = {"rates": self.rates, "contracts": self.contract_params, "staff": p, "establishment": establishment}
        if self.contract_params != old.get("contracts"):
            self.renew_contracts()
        if not old:
            return
        self.hired, self.left = staff.restaff(self.fac, old["establishment"], establishment, self.hired, self.left)
        beds.rebuild_beds(self.fac, old["establishment"], establishment)
        if illness.rates_differ(old["rates"], self.rates):
            self.redraw_onsets()
        was = old["staff"]
        if (p.approved_primary_posts, p.recruitment_years) != (was.approved_primary_posts, was.recruitment_years):
            self.posts_since = self.day
        if p.transfer_seniors_to_townships != was.transfer_seniors_to_townships:
            self.transfer(p.transfer_seniors_to_townships)

    def respond(self) -> None:
        """The providers' responses to today's margins (a lever changed, or a month began), and the
        rules that read them: onsets (prevention), stays (length, moving down), the wards' mean stays
        and the stays' bills."""
        self.payer, self.responses = payment.payment_responses(self.p, self.payment_params, self.pay_state, self.fac,
                                                               self.county, self.ledger, self.alive_by_scheme)
        self.onset_rule = illness.onset_rule(self.illness_params, self.responses.prevention)
        self.stay_rule = beds.stay_terms(self.bed_params, self.responses)
        self.wards = beds.ward_tables(self.bed_params, self.fac.tier, self.responses.los)
        self.stay_bill_rule = billing.stay_bill_terms(self.bed_units, self.bill_params, self.responses, self.payer)

    def redraw_onsets(self) -> None:
        """New onset rates: the living redraw the rest of the year's onsets from the first day still to come."""
        from_day = self.onsets_through + 1
        if from_day // YEAR != self.year_start // YEAR:
            return  # that year's draw is still to come, and will use the new rates
        self.year_start = from_day
        for resident in self.living():
            resident.draw_onsets(from_day)

    def set_lever(self, path: str, value) -> None:
        """Change one scenario field from today on (a field set to its current value changes nothing;
        a field fixed when the county is built is refused)."""
        old = self.p
        refuse_build_time(old, path)
        new = with_value(old, path, value)
        new.timeline = old.timeline
        if new == old:
            return
        self.p = new
        self.derive()
        self.update_skill()
        self.open_day()

    def apply_timeline(self, day: int) -> None:
        for ev in self.timeline.pop(day, []):
            self.set_lever(ev.path, ev.value)

    # ------------------------------------------------------------------ what the metrics read
    def facility(self, fid: int) -> Facility:
        return self.facilities[fid]

    @property
    def staff_balance(self) -> float:
        return staff.staff_balance(self.fac, self.initial_staff, self.hired, self.left)
