"""A per-resident reference model: the engine's oracle.

Each resident is a ``mesa.Agent``. Its ``step()`` carries its own episode through today's stage
(choose a provider, visit, move down to a township bed, be discharged) by calling the same rule
functions as the engine (``illness``, ``choice``, ``care``, the CRN ``Streams`` with the same
purposes and counters) on one resident at a time; where the engine draws and applies a rule in
one kernel (a treatment's outcome, the excess risk of death, a stay's length), the reference
calls that kernel for its one episode. Everything else is the engine's: the county,
the population, the onset and death calendars, facilities, staff, money bookkeeping (bills go
through the engine's billing methods with length-1 arrays) and the metrics. So the engine and the
reference differ only in how they loop: whole arrays of episodes with masks, gathers and batch
bed allocation, or one resident after another with plain ``if``s.

For the same seed the reference repeats the engine's decisions draw for draw. The one designed
difference: the engine allocates a day's beds in a batch (priority patients first), the reference
in the order residents are served, so when the last free beds of a facility are contested on a
day the two may admit different patients.

It is slow (a few hundred microseconds per resident-stage): use it for populations of a few
thousand (tests/test_reference.py, ``reformsim bench``).
"""

from __future__ import annotations

import math

import mesa
import numpy as np
from reformsim.model.model import CountyModel
from reformsim.model.params import Scenario

from . import beds, care, choice, illness
from .episodes import Outcome, Stage
from .streams import Purpose


def _one(x) -> np.ndarray:
    """A length-1 array: the rules are written for arrays, the reference calls them one at a time."""
    return np.array((x,))


class Resident(mesa.Agent):
    """One resident; attributes live in row ``rid`` of the model's ``Residents`` arrays, draws are keyed by ``uid``."""

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, rid: int):
        super().__init__(model)
        self.rid = int(rid)
        self.uid = int(model.res.uid[rid])

    @property
    def episode(self) -> int:
        return int(self.model.res.episode[self.rid])

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """Carry the open episode through the stage it is due for today."""
        ep = self.episode
        if ep < 0:
            return
        act = {Stage.CHOOSE: self.choose, Stage.VISIT: self.visit, Stage.DOWN: self.move_down,
               Stage.DISCHARGE: self.discharge}[Stage(int(self.model.ep.stage[ep]))]
        act(ep)

    def fall_ill(self) -> None:
        """An onset: a new episode unless one is open (the onset then merges into it)."""
        m, r, rid = self.model, self.model.res, self.rid
        ctr = int(r.onsets[rid])
        r.onsets[rid] += 1
        if r.episode[rid] >= 0:
            return
        age = float(r.age(m.day, _one(rid))[0])
        *rates, cdf, complication, admission_need, propensity = m.illness.rule
        acute, follow = illness.episode_rates(age, int(r.chronic[rid]), *rates)
        u = [float(m.streams.uniform(purpose, self.uid, ctr)) for purpose in (Purpose.KIND, Purpose.SEVERITY, Purpose.ADMIT)]
        sev = illness.severity(u[0], u[1], acute, follow, age, cdf, complication)
        need = illness.needs_admission(u[2], sev, admission_need, propensity)
        ep = int(m.ep.begin(_one(rid), r, _one(self.uid), _one(sev), _one(need), m.day, _one(ctr))[0])
        r.episode[rid] = ep
        m.today.episodes += 1
        m.schedule_one(ep, Stage.CHOOSE, m.day)

    def choose(self, ep: int) -> None:
        """Self-care or one of the home's facilities, by the logit rule and this episode's CRN draw."""
        m, r, f, e, rid = self.model, self.model.res, self.model.fac, self.model.ep, self.rid
        e.steps[ep] += 1
        if e.steps[ep] > choice.MAX_STEPS:
            self._untreated(ep, Outcome.REFERRED_ON)
            return
        home = int(r.home[rid])
        slots = m.county.slot_facility[home]
        sf = np.where(slots >= 0, slots, 0)
        slot_tier = np.where(slots >= 0, f.tier[sf], -1)
        letter, contract = bool(e.has_referral[ep]), bool(r.contract[rid])
        priority = letter or contract
        wait = (m.queues.wait_priority if priority else m.queues.wait_general)[sf]
        referred_to = (slot_tier == e.referred_tier[ep]) & letter
        sev, scheme, t = int(e.severity[ep]), int(r.scheme[rid]), np.maximum(slot_tier, 0)
        oop = m.billing.oop_visit[scheme, t, int(letter)] + m.p.illness.admission_need[sev] * m.billing.oop_stay[scheme, t, int(letter)]
        u = choice.utilities(_one(sev), slot_tier[None], f.skill[sf][None], r.trust[rid][None], oop[None],
                             _one(r.income[rid]), m.county.slot_travel[home][None], wait[None], referred_to[None],
                             _one(contract), m.p.behaviour)
        draw = m.streams.uniform(Purpose.CHOICE, _one(self.uid), _one(int(e.key[ep]) * 8 + int(e.steps[ep])))
        alt = int(choice.choose(u, draw)[0])
        today = m.today
        today.referral_decisions += letter
        fid = int(sf[max(alt - 1, 0)])
        chosen_tier = -1 if alt == 0 else int(f.tier[fid])
        today.referrals_attended += letter and chosen_tier >= e.referred_tier[ep]
        if e.steps[ep] == 1 and alt != 0:
            today.first_contacts += 1
            today.bypass += chosen_tier >= 2 and sev <= illness.COMMON
        if alt == 0:
            self._untreated(ep, Outcome.REFERRED_ON if letter else Outcome.SELF_TREATED)
            return
        use_priority = priority and bool(m.queues.use_reserved[fid])
        if use_priority:
            f.arrivals_priority[fid] += 1
        else:
            f.arrivals[fid] += 1
        e.facility[ep] = fid
        wait_days = (m.queues.wait_priority if use_priority else m.queues.wait_general)[fid]
        m.schedule_one(ep, Stage.VISIT, m.day + math.floor(wait_days))

    def visit(self, ep: int) -> None:
        """Billed visit; the facility treats (as an outpatient or with a bed) or refers up."""
        m, f, e = self.model, self.model.fac, self.model.ep
        fid = int(e.facility[ep])
        tier = int(f.tier[fid])
        m.billing.bill_visits(_one(ep), _one(fid))
        sev = int(e.severity[ep])
        needs_bed = bool(e.needs_bed[ep])
        if not care.attempts(f.skill[fid], sev, m.care.keep[tier]) or (needs_bed and tier == 0):
            self._refer_up(ep, tier)
            return
        if care.attempts(f.skill[fid], sev) and e.treated_day[ep] < 0:
            e.treated_day[ep] = m.day
        if needs_bed:
            self._admit(ep, fid, tier)
        else:
            self._outpatient_outcome(ep, fid, tier)

    def move_down(self, ep: int) -> None:
        """A recovering inpatient moves to the home township's beds if one is free."""
        m, f, e = self.model, self.model.fac, self.model.ep
        dest = int(m.county.slot_facility[m.res.home[self.rid], 1])
        if _free_beds(f, dest) < 1:
            m.schedule_one(ep, Stage.DISCHARGE, int(e.discharge_day[ep]))
            return
        m.billing.bill_stay(_one(ep))
        e.has_referral[ep] = False
        f.occupied[dest] += 1
        e.bed_facility[ep] = dest
        e.bed_since[ep] = m.day
        m.today.referrals_down += 1
        m.schedule_one(ep, Stage.DISCHARGE, max(int(e.discharge_day[ep]), m.day + 1))

    def discharge(self, ep: int) -> None:
        """End of a stay: bill it, then the treatment works or the resident seeks care again."""
        m, e = self.model, self.model.ep
        admit_tier = int(e.admit_tier[ep])
        m.billing.bill_stay(_one(ep))
        t = m.today
        t.stays[admit_tier] += 1
        t.stay_cost[admit_tier] += e.stay_cost[ep]
        t.stay_days[admit_tier] += m.day - e.admit_day[ep]
        fid = max(int(e.facility[ep]), 0)
        if self._treat(ep, fid, admit_tier):
            self._resolve(ep)
        else:
            m.schedule_one(ep, Stage.CHOOSE, m.day + 1)

    # ------------------------------------------------------------------ parts of a stage
    def _refer_up(self, ep: int, tier: int) -> None:
        m, e = self.model, self.model.ep
        e.referred_tier[ep] = care.referral_tier(tier)
        e.has_referral[ep] = True
        m.today.referrals_up += 1
        m.schedule_one(ep, Stage.CHOOSE, m.day + 1)

    def _admit(self, ep: int, fid: int, tier: int) -> None:
        """A bed if one is free: priority patients (referred or contracted) may take any free bed,
        the others only beds outside the reserved share. Else refer on (or, at tertiary, choose again tomorrow)."""
        m, f, e, r = self.model, self.model.fac, self.model.ep, self.model.res
        pri = bool(e.has_referral[ep]) or bool(r.contract[self.rid])
        free = _free_beds(f, fid)
        if not pri:
            free = min(math.floor(max(f.beds[fid] * (1 - m.beds.reserved[fid]) - f.occupied[fid], 0) + 1e-9), free)
        if free < 1:
            if tier < 3:
                self._refer_up(ep, tier)
            else:
                m.schedule_one(ep, Stage.CHOOSE, m.day + 1)
            return
        if pri:
            f.occupied_priority[fid] += 1
        else:
            f.occupied[fid] += 1
        e.bed_facility[ep], e.admit_tier[ep], e.bed_since[ep], e.admit_day[ep] = fid, tier, m.day, m.day
        e.has_referral[ep] = pri  # the priority-bed marker travels with the stay
        f.admissions_today[fid] += 1
        m.today.admissions[tier] += 1
        los, down, acute = (int(x[0]) for x in beds.stays(m.streams.key, _one(ep), e.person, e.key, e.severity, _one(tier),
                                                         *m.beds.stay_rule))
        e.discharge_day[ep] = m.day + los
        if down:
            m.schedule_one(ep, Stage.DOWN, m.day + acute)
        else:
            m.schedule_one(ep, Stage.DISCHARGE, m.day + los)

    def _outpatient_outcome(self, ep: int, fid: int, tier: int) -> None:
        if self._treat(ep, fid, tier):
            self._resolve(ep)
        else:
            self.model.schedule_one(ep, Stage.CHOOSE, self.model.day + 2)  # not better: seek care again

    def _treat(self, ep: int, fid: int, tier: int) -> bool:
        """Whether treatment at ``fid`` resolves the episode; trust in ``tier`` learns from it."""
        m, e, p = self.model, self.model.ep, self.model.care.params
        resolved, _ = care.treat(m.streams.key, _one(ep), _one(fid), _one(tier), e.person, e.key, e.steps, e.severity,
                                 e.resident, m.fac.skill, p.below_need_success, p.treat_success, m.res.trust,
                                 p.trust_learning_rate)
        return len(resolved) == 1

    def _resolve(self, ep: int) -> None:
        """Treated: resolved, with the excess risk of the delay before adequate care."""
        self._close(ep, False, Outcome.RESOLVED)

    def _untreated(self, ep: int, outcome: Outcome) -> None:
        """Ends without adequate care: serious episodes carry the untreated excess risk."""
        self._close(ep, True, outcome)

    def _close(self, ep: int, untreated: bool, outcome: Outcome) -> None:
        m, e = self.model, self.model.ep
        if care.dies(m.streams.key, _one(ep), e.person, e.key, e.severity, e.start, e.treated_day, m.day, untreated,
                     *m.care.fatality)[0]:
            m.demography.kill(_one(self.rid), excess=True)  # closes the episode as DIED
        else:
            m.end(_one(ep), outcome)


def _free_beds(f, fid: int) -> int:
    """Whole beds free at a facility (bed counts of a scaled county are fractional)."""
    return math.floor(max(f.beds[fid] - f.occupied[fid] - f.occupied_priority[fid], 0) + 1e-9)


class ReferenceModel(CountyModel):
    """The engine with its episode stages replaced by a loop over ``Resident`` agents.

    Same constructor and outputs as ``CountyModel`` (``summarize``/``timeseries`` work on it).
    """

    def __init__(self, scenario: Scenario | None = None, *, rng: int = 0, population: int | None = None):
        super().__init__(scenario, rng=rng, population=population)
        self.residents: list[Resident] = [Resident(self, rid) for rid in range(self.res.n)]
        # the engine's stages that walk episodes are replaced by the residents' own steps
        self._engine_births = self.demography.births
        self.demography.births = self.births
        self.illness.onsets = self.onsets
        self.care_seeking.choose = self.care.visit = self.beds.down = self.beds.discharge = self.run_stage

    def schedule_one(self, ep: int, stage: Stage, day: int) -> None:
        """``_schedule`` for one episode."""
        self.ep.stage[ep] = stage
        self.ep.due[ep] = day
        self.stages.add(np.array((day,), dtype=np.int64), np.array((ep,), dtype=np.int64))

    def births(self) -> np.ndarray:
        rows = self._engine_births()
        for rid in rows.tolist():  # a newborn in a dead resident's row is a new agent
            if rid < len(self.residents):
                self.residents[rid].remove()
                self.residents[rid] = Resident(self, rid)
            else:
                self.residents.append(Resident(self, rid))
        return rows

    def onsets(self) -> None:
        r = self.res
        ids = self.illness.due()
        # a resident falls ill once a day at most, in the order the engine takes them
        for rid in dict.fromkeys(ids.tolist()):
            if r.alive[rid]:
                self.residents[rid].fall_ill()

    def run_stage(self, eps: np.ndarray) -> None:
        for ep in eps.tolist():
            self.residents[int(self.ep.resident[ep])].step()
