"""Beds and admissions: who gets a bed and when, how long they stay, how crowding costs, and moving
down to a township bed.

A ward's capacity is its *staffed* beds (``staffed_beds``): every bed while its doctors and nurses
are at the staffing norms, fewer as they fall short (lending county seniors to the townships, 县管乡用,
thins the county's wards; beds bought without staff are run thinner). An emergency (a serious or
complex episode) is admitted to any bed, extra beds in the corridors (加床) included, up to a
ceiling of ``extra_bed_share`` above the beds; only beyond it is it turned away. A discretionary
(minor or common) admission takes a staffed bed if one is free, and otherwise joins the ward's
waiting list: it is booked for the day the ward's turnover should free a bed (``bed_waits``), as
long as the wait is within what patients accept (``max_bed_wait_days``), and turned away beyond
it (referred up, or at the top tier back to choosing). A county hospital that would turn a
patient away passes it to the consortium's other county hospitals first (``place``). At tertiary hospitals (三级, seed 002) a
share of staffed beds can be reserved for contracted residents referred up (priority; 经转诊的签约居民), who keep a
waiting list of their own. The rule for one patient is ``admission``; its waits are exposed for the
choice (``Beds.wait_general``, ``Beds.wait_priority``).

A ward beyond its staffed beds is crowded: treatment there succeeds less often
(``crowding_skill_loss``, shown in ``Beds.inpatient_skill``) and each bed-day beyond them costs
the provider more (``crowding_cost``). The stay's length is the tier's mean, longer for complex
cases, times the facility's length-of-stay response (``agents/response.py``). After the acute part
of a county or tertiary stay, some patients move down (下转) to a staffed bed at their home
township for the rest, more where payment rewards it (the facility's down-referral response); the
stay is billed at each bed
(``agents/billing.py``), and the outcome comes at discharge (``agents/care.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .arrays import rank_within, scatter
from .episodes import Outcome, Stage
from .illness import is_emergency
from .streams import Purpose, draw

_LOS, _DOWN = int(Purpose.LOS), int(Purpose.DOWN)
ADMITTED, BOOKED, TURNED_AWAY = 0, 1, 2  # what ``admission`` decides
_WHOLE = 1e-9  # bed counts of a scaled county are fractional: a whole bed is free at >= 1 - _WHOLE


@dataclass(frozen=True)
class BedParams:
    """Beds, staffing norms, waiting, crowding, stays and down-referral (``facilities.*``, ``policy.*``)."""

    los_days: tuple[float, ...]  # mean length of stay by tier (days)
    acute_fraction: float  # share of a stay that is acute (a move down comes after it)
    down_referral_base: float  # share of eligible inpatients sent down under fee-for-service
    down_referral_cap: float  # the most sent down however strongly payment pushes (refusals)
    reserved_bed_share: float  # share of tertiary staffed beds held for contracted residents referred up
    doctors_per_bed: tuple[float, ...]  # staffing norm by tier: a bed is fully staffed at or above it
    nurses_per_bed: tuple[float, ...]
    staffing_elasticity: float  # how far staffed beds fall below the beds as staff fall below the norm
    extra_bed_share: float  # extra beds (加床) an emergency may take, as a share of the beds
    max_bed_wait_days: float  # the longest wait for a discretionary admission patients accept
    crowding_skill_loss: float  # skill lost in treating inpatients, per unit of occupancy beyond staffed beds
    crowding_cost_share: float  # extra cost of a bed-day beyond staffed beds, as a share of its price
    bed_day_price: tuple[float, ...]  # ¥ by tier

    @classmethod
    def of(cls, s) -> BedParams:
        f, pol = s.facilities, s.policy
        return cls(tuple(f.los_days), f.acute_fraction, pol.down_referral_base, pol.down_referral_cap, pol.reserved_bed_share,
                   tuple(f.doctors_per_bed), tuple(f.nurses_per_bed), f.bed_staffing_elasticity, f.extra_bed_share,
                   f.max_bed_wait_days, f.crowding_skill_loss, f.crowding_cost_share, tuple(s.prices.bed_day_price))


@dataclass(frozen=True)
class WardTables:
    """``BedParams`` by facility (a built county's tiers and the providers' response)."""

    reserved: np.ndarray  # share of staffed beds held for priority patients (tertiary only)
    mean_stay: np.ndarray  # days a bed stays taken: the tier's mean stay x the length-of-stay response (a day at least)
    doctors_per_bed: np.ndarray
    nurses_per_bed: np.ndarray
    crowding_cost: np.ndarray  # ¥ per bed-day occupied beyond staffed beds
    staffing_elasticity: float
    extra_bed_share: float
    max_bed_wait_days: float
    crowding_skill_loss: float


def ward_tables(p: BedParams, facility_tier: np.ndarray, los_response: np.ndarray) -> WardTables:
    """The ward's parameters by facility: seed 002 reserves beds at tertiary (三级) hospitals only;
    a bed stays taken the tier's mean stay times the facility's ``los_response`` (``agents/response.py``)."""
    los = np.asarray(p.los_days, dtype=float)[facility_tier] * los_response
    return WardTables(np.where(facility_tier == 3, p.reserved_bed_share, 0.0), np.maximum(los, 1.0),
                      np.asarray(p.doctors_per_bed, dtype=float)[facility_tier],
                      np.asarray(p.nurses_per_bed, dtype=float)[facility_tier],
                      p.crowding_cost_share * np.asarray(p.bed_day_price, dtype=float)[facility_tier],
                      p.staffing_elasticity, p.extra_bed_share, p.max_bed_wait_days, p.crowding_skill_loss)


def staffed_beds(beds, doctors, nurses, doctors_per_bed, nurses_per_bed, elasticity):
    """Beds the staff present can run: all of them while doctors and nurses per bed are at the
    norms, ``beds x (staff / norm) ** elasticity`` of the scarcer of the two below them. Arrays."""
    need_d, need_n = beds * doctors_per_bed, beds * nurses_per_bed
    ratio = np.minimum(np.divide(doctors, need_d, out=np.ones_like(beds), where=need_d > 0),
                       np.divide(nurses, need_n, out=np.ones_like(beds), where=need_n > 0))
    return beds * np.minimum(ratio, 1.0) ** elasticity


@njit(cache=True)
def general_free(staffed, occupied, occupied_priority, reserved):
    """Staffed beds free for a patient without priority: outside the reserved share, which priority
    patients fill first. Scalars or arrays."""
    kept = staffed * reserved
    return np.minimum(staffed - occupied - occupied_priority, staffed - kept - occupied - np.maximum(occupied_priority - kept, 0.0))


def bed_waits(f, t: WardTables) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The waits (days) a new discretionary admission expects for a staffed bed, without and with
    priority, from the ward's free beds, its waiting lists and its turnover (staffed beds / mean
    stay); and whether priority patients keep a list of their own (reserved beds). Priority
    patients never wait longer than the others."""
    free_general = general_free(f.staffed_beds, f.occupied, f.occupied_priority, t.reserved)
    free_all = f.staffed_beds - f.occupied - f.occupied_priority
    turnover_general = f.staffed_beds * (1 - t.reserved) / t.mean_stay
    turnover_all = f.staffed_beds / t.mean_stay
    ahead_general = np.maximum(f.waiting + 1 - free_general, 0.0)
    ahead_priority = np.maximum(f.waiting_priority + 1 - free_all, 0.0)
    general = np.divide(ahead_general, turnover_general, out=np.where(ahead_general > 0, np.inf, 0.0), where=turnover_general > 0)
    priority = np.divide(ahead_priority, turnover_all, out=np.where(ahead_priority > 0, np.inf, 0.0), where=turnover_all > 0)
    own_list = t.reserved > 0
    return general, np.where(own_list, np.minimum(priority, general), general), own_list


def ward_staffing(f, t: WardTables) -> np.ndarray:
    """Each facility's ``staffed_beds`` from the staff present."""
    return staffed_beds(f.beds, f.senior + f.junior, f.nurses, t.doctors_per_bed, t.nurses_per_bed, t.staffing_elasticity)


def open_wards(f, t: WardTables, staffed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The day's staffed beds (``f.staffed_beds``, in place: ``staffed`` if known, else
    ``ward_staffing``); the waits for a bed without and with priority and whether priority keeps
    its own list (``bed_waits``); and each facility's skill in treating its inpatients: its skill at
    today's load (``f.effective_skill``, ``agents/queues.py``; call after the queues open) less its
    ward's crowding."""
    f.staffed_beds = ward_staffing(f, t) if staffed is None else staffed
    general, priority, own_list = bed_waits(f, t)
    beyond = np.divide(f.occupied + f.occupied_priority, f.staffed_beds, out=np.zeros_like(f.beds), where=f.staffed_beds > 0)
    return general, priority, own_list, f.effective_skill - t.crowding_skill_loss * np.maximum(beyond - 1.0, 0.0)


def likely_wait(wait_general: np.ndarray, max_wait: float) -> np.ndarray:
    """The wait for a bed a resident choosing care foresees for a discretionary stay, by facility:
    the ward's wait without priority, at most the longest wait patients accept (beyond it they
    are turned away and go on, not left waiting; a ward with no staffed beds has an endless wait)."""
    return np.minimum(wait_general, max_wait)


def crowding_cost(f, t: WardTables) -> np.ndarray:
    """A day's extra cost of the beds occupied beyond the staffed beds (overtime, agency nurses)."""
    return np.maximum(f.occupied + f.occupied_priority - f.staffed_beds, 0.0) * t.crowding_cost


@njit(cache=True)
def admission(emergency, priority, waited, occupied, occupied_priority, staffed, beds, reserved, extra_bed_share, wait,
              max_wait):
    """What happens to one patient needing a bed at a ward: ``ADMITTED``, ``BOOKED`` on its waiting
    list, or ``TURNED_AWAY``. An ``emergency`` takes any bed up to the ceiling of extra beds (without
    ``priority``, less the reserved beds priority patients leave empty); a discretionary admission
    a free staffed bed (outside the reserve without ``priority``), else a place on the list if it
    has ``waited`` less than ``max_wait`` days, counting the ``wait`` (``bed_waits``) still to come."""
    taken = occupied + occupied_priority
    if emergency:
        ceiling = beds * (1 + extra_bed_share)
        if not priority:
            ceiling -= max(staffed * reserved - occupied_priority, 0.0)
        return ADMITTED if taken + 1 <= ceiling + _WHOLE else TURNED_AWAY
    free = staffed - taken if priority else general_free(staffed, occupied, occupied_priority, reserved)
    if free >= 1 - _WHOLE:
        return ADMITTED
    return BOOKED if waited + wait <= max_wait else TURNED_AWAY


@njit(cache=True)
def place(emergency, priority, waited, fid, county_ids, facility_tier, occupied, occupied_priority, staffed, beds, reserved,
          own_list, wait_general, wait_priority, extra_bed_share, max_wait):
    """Where a patient needing a bed at ``fid`` goes (``admission`` at each ward tried): a bed today
    at the ward chosen or, for a county hospital, at the consortium's other county hospitals
    (``county_ids``, in turn), which share their beds before anyone waits or leaves the county;
    else the first of them to book it on its waiting list (the ward chosen first); else turned
    away. The decision, the facility, whether the patient is on the priority list there and the
    wait expected there."""
    tries = county_ids if facility_tier[fid] == 2 else np.empty(0, dtype=county_ids.dtype)
    decision, at, own_at, wait_at = TURNED_AWAY, fid, priority and own_list[fid], 0.0
    f = fid
    for j in range(len(tries) + 1):
        if j > 0:
            f = tries[j - 1]
            if f == fid:
                continue
        own = priority and own_list[f]
        wait = wait_priority[f] if own else wait_general[f]
        if j == 0:
            wait_at = wait
        d = admission(emergency, priority, waited, occupied[f], occupied_priority[f], staffed[f], beds[f], reserved[f],
                      extra_bed_share, wait, max_wait)
        if d == ADMITTED:
            return d, f, own, wait
        if d == BOOKED and decision == TURNED_AWAY:
            decision, at, own_at, wait_at = d, f, own, wait
    return decision, at, own_at, wait_at


@njit(cache=True)
def booked_day(day, wait):
    """The day a patient booked for a bed comes back: after the expected ``wait``, tomorrow at the earliest."""
    return day + max(1, int(np.ceil(wait)))


@njit(cache=True)
def admit_patients(eps, fid, priority, day, severity, facility, listed_day, listed_priority, bed_facility, admit_tier,
                   bed_since, admit_day, has_referral, county_ids, facility_tier, occupied, occupied_priority, waiting,
                   waiting_priority, staffed, beds, reserved, own_list, wait_general, wait_priority, extra_bed_share, max_wait,
                   admissions_today, admissions_by_tier, waited_by_tier, emergencies):
    """``place`` each patient in turn, the wards' stocks updated as it goes, in place: a patient
    on a waiting list leaves it first; one placed at another county hospital has it as its
    ``facility`` from now on; the admitted take a bed from ``day`` (counted in
    ``occupied_priority`` with ``priority``, the marker travelling with the stay) and the days they
    waited are counted by tier; the booked join their list (``waiting_priority`` where priority
    keeps its own); ``emergencies`` counts the emergencies admitted and turned away (rows) by the
    tier of the ward tried (columns). The
    decisions, and for the booked the day they come back (``booked_day``)."""
    n = len(eps)
    decision = np.empty(n, dtype=np.int8)
    back = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        e = eps[i]
        since = listed_day[e]
        if since >= 0:
            if listed_priority[e]:
                waiting_priority[fid[i]] -= 1
            else:
                waiting[fid[i]] -= 1
            listed_day[e] = -1
        waited = day - since if since >= 0 else 0
        emergency = is_emergency(severity[e])
        d, f, own, wait = place(emergency, priority[i], waited, fid[i], county_ids, facility_tier, occupied,
                                occupied_priority, staffed, beds, reserved, own_list, wait_general, wait_priority,
                                extra_bed_share, max_wait)
        decision[i] = d
        if emergency:
            emergencies[0 if d == ADMITTED else 1, facility_tier[fid[i]]] += 1
        if d != TURNED_AWAY:
            facility[e] = f
        if d == ADMITTED:
            t = facility_tier[f]
            if priority[i]:
                occupied_priority[f] += 1
            else:
                occupied[f] += 1
            admissions_today[f] += 1
            admissions_by_tier[t] += 1
            waited_by_tier[t] += waited
            bed_facility[e], admit_tier[e], bed_since[e], admit_day[e] = f, t, day, day
            has_referral[e] = priority[i]
        elif d == BOOKED:
            if own:
                waiting_priority[f] += 1
            else:
                waiting[f] += 1
            listed_day[e] = since if since >= 0 else day
            listed_priority[e] = own
            back[i] = booked_day(day, wait)
    return decision, back


@njit(cache=True)
def length_of_stay(u: float, mean_days: float, sev: int, mult: float = 1.0) -> int:
    """Days in bed: the tier's mean (``BedParams.los_days``), longer for complex cases,
    spread uniformly ±50%."""
    return max(1, int(np.rint(mean_days * (0.85 + 0.1 * sev) * mult * (0.5 + u))))


@njit(cache=True)
def free_beds(staffed, occupied, occupied_priority):
    """Whole staffed beds free (bed counts of a scaled county are fractional). Scalars or arrays."""
    return np.floor(np.maximum(staffed - occupied - occupied_priority, 0.0) + _WHOLE)


@njit(cache=True)
def stay(key, person, ep_key, sev, tier, los_days, los_response, down_prob, acute_fraction):
    """An admission's length of stay (``length_of_stay`` from its LOS draw, then the facility's
    ``los_response``), whether it moves down to a township bed after the acute part (county
    and tertiary stays of 3+ days, by its DOWN draw against the facility's ``down_prob``) and the
    length of that part, which ends before the stay's last day (a move on the discharge day would
    come after that day's discharges had run)."""
    base = length_of_stay(draw(key, _LOS, person, ep_key), los_days[tier], sev, 1.0)
    los = max(1, int(np.rint(base * los_response)))
    down = tier >= 2 and draw(key, _DOWN, person, ep_key) < down_prob and los >= 3
    return los, down, min(max(1, int(np.rint(los * acute_fraction))), los - 1)


@njit(cache=True)
def stays(key, eps, person, ep_key, severity, fid, tier, los_days, los_response, down_prob, acute_fraction):
    """``stay`` of each admission at ``fid`` (``los_response`` and ``down_prob`` by facility)."""
    n = len(eps)
    los = np.empty(n, dtype=np.int64)
    down = np.zeros(n, dtype=np.bool_)
    acute = np.empty(n, dtype=np.int64)
    for i in range(n):
        e, f = eps[i], fid[i]
        los[i], down[i], acute[i] = stay(key, person[e], ep_key[e], severity[e], tier[i], los_days, los_response[f],
                                         down_prob[f], acute_fraction)
    return los, down, acute


def moved_discharge_day(discharge_day: int, day: int) -> int:
    """The discharge day of a stay moved down on ``day``: as planned, but not on the day of the move."""
    return np.maximum(discharge_day, day + 1)


def stay_terms(p: BedParams, responses) -> tuple:
    """``stays``' parameters after the facility's tier: the mean stay by tier, and by facility its
    length-of-stay multiplier and the chance of a move down (its ``responses``,
    ``agents/response.py``), and the acute part."""
    down = np.clip(p.down_referral_base * responses.down_referral, 0, p.down_referral_cap)
    return np.asarray(p.los_days, dtype=float), responses.los, down, p.acute_fraction


def rebuild_beds(f, before: dict, after: dict) -> None:
    """A new establishment (beds added or closed on a timeline): each facility's beds move by the
    difference between the establishments ``after`` and ``before`` (``County.establishment``),
    never below none, in place. Patients already in a bed stay in it."""
    f.beds[:] = np.maximum(f.beds + (after["beds"] - before["beds"]), 0.0)


class Beds:
    """The wards of a model's facilities: admissions, waiting lists, moves down and discharges."""

    def __init__(self, m):
        self.m = m
        self.establishment: dict | None = None  # beds by facility as the scenario sets them
        self._staffed_for: tuple = (None, None)  # (ward tables, staff and beds) of the staffed beds kept

    def derive(self, s) -> None:
        m = self.m
        self.params = BedParams.of(s)
        self.wards_for = None  # the wards' tables follow the providers' length-of-stay response (``open_day``)
        was, self.establishment = self.establishment, m.county.establishment(s.facilities)
        if was is not None:
            rebuild_beds(m.fac, was, self.establishment)

    def open_day(self) -> None:
        """Staffed beds from today's staff; the waits for a bed; inpatient skill after crowding. The
        wards' mean stays and the stays' terms (``stay_terms``) follow the providers' current
        responses (they move monthly)."""
        m = self.m
        responses = m.payment.responses
        if self.wards_for is not responses:
            self.wards, self.wards_for = ward_tables(self.params, m.fac.tier, responses.los), responses
            self.stay_terms = stay_terms(self.params, responses)
        # staffed beds follow the staff and the beds (monthly or with a lever, not daily)
        staffing = (m.fac.staffing(), m.fac.beds.tobytes())
        if self._staffed_for[0] is not self.wards or self._staffed_for[1] != staffing:
            self._staffed, self._staffed_for = ward_staffing(m.fac, self.wards), (self.wards, staffing)
        self.wait_general, self.wait_priority, self.own_list, self.inpatient_skill = open_wards(m.fac, self.wards,
                                                                                                self._staffed)
        self.likely_wait = likely_wait(self.wait_general, self.wards.max_bed_wait_days)

    def close_day(self) -> None:
        """The cost of the day's crowding, as providers' cost."""
        self.m.fac.cost += crowding_cost(self.m.fac, self.wards)

    def admit(self, eps: np.ndarray, fid: np.ndarray) -> None:
        """Admit, book on the waiting list or turn away (``place``): the booked come back on their
        day (``admit_booked``), the turned away are referred up (at the top tier, choose again)."""
        if len(eps) == 0:
            return
        m, w = self.m, self.wards
        e, f, r = m.ep, m.fac, m.res
        pri = e.has_referral[eps] & r.contract.take(e.resident[eps])
        decision, back = admit_patients(
            eps, fid, pri, m.day, e.severity, e.facility, e.listed_day, e.listed_priority, e.bed_facility, e.admit_tier,
            e.bed_since, e.admit_day, e.has_referral, m.county_ids, f.tier, f.occupied, f.occupied_priority, f.waiting,
            f.waiting_priority, f.staffed_beds, f.beds, w.reserved, self.own_list, self.wait_general, self.wait_priority,
            w.extra_bed_share, w.max_bed_wait_days, f.admissions_today, m.today.admissions, m.today.bed_waits,
            m.today.emergencies)
        booked = decision == BOOKED
        m.schedule(eps[booked], Stage.ADMIT, back[booked])
        away = decision == TURNED_AWAY
        if away.any():
            away_tier = f.tier[fid[away]]
            away = eps[away]
            m.today.turned_away += np.bincount(away_tier, minlength=4)
            up = away_tier < 3
            m.care.refer_up(away[up], away_tier[up])
            # no tertiary bed: choose again tomorrow; each try counts, so after MAX_STEPS the resident gives up
            m.schedule(away[~up], Stage.CHOOSE, m.day + 1)
        eps = eps[decision == ADMITTED]
        if len(eps) == 0:
            return
        if m.events.wanted("admission"):
            m.events.emit("admission", day=m.day, eps=eps, facility=e.bed_facility[eps])
        los, down, acute = stays(m.streams.key, eps, e.person, e.key, e.severity, e.bed_facility[eps].astype(np.int64),
                                 e.admit_tier[eps].astype(np.int64), *self.stay_terms)
        scatter(e.discharge_day, eps, m.day + los)
        m.schedule(eps[down], Stage.DOWN, m.day + acute[down])
        m.schedule(eps[~down], Stage.DISCHARGE, m.day + los[~down])

    def admit_booked(self, eps: np.ndarray) -> None:
        """Patients on a waiting list come back on their booked day: admitted, booked again, or turned away."""
        self.admit(eps, self.m.ep.facility[eps].astype(np.int64))

    def down(self, eps: np.ndarray) -> None:
        """Recovering inpatients move to a staffed bed at their home township if one is free."""
        m = self.m
        e, f = m.ep, m.fac
        home_primary = m.county.slot_facility[e.home[eps], 1]
        free = free_beds(f.staffed_beds, f.occupied, f.occupied_priority)
        moves = rank_within(home_primary, np.ones(len(eps), bool)) < free[home_primary]
        stay = eps[~moves]
        m.schedule(stay, Stage.DISCHARGE, e.discharge_day[stay])
        eps, dest = eps[moves], home_primary[moves]
        if len(eps) == 0:
            return
        origin = e.bed_facility[eps]  # a copy (fancy indexing), taken before the bed changes
        m.billing.bill_stay(eps)
        e.has_referral[eps] = False
        f.occupied += np.bincount(dest, minlength=len(f.tier))
        e.bed_facility[eps] = dest
        e.bed_since[eps] = m.day
        m.today.referrals_down += len(eps)
        if m.events.wanted("down_referral"):
            m.events.emit("down_referral", day=m.day, eps=eps, origin=origin, facility=dest)
        m.schedule(eps, Stage.DISCHARGE, moved_discharge_day(e.discharge_day[eps], m.day))

    def discharge(self, eps: np.ndarray) -> None:
        """The stay is billed; the treatment (at the admitting ward's skill, less its crowding)
        works or the resident seeks care again tomorrow."""
        m = self.m
        e = m.ep
        admit_tier = e.admit_tier[eps].astype(np.int64)
        m.billing.bill_stay(eps)
        t = m.today
        t.stays += np.bincount(admit_tier, minlength=4)
        t.stay_cost += np.bincount(admit_tier, weights=e.stay_cost[eps], minlength=4)
        t.stay_days += np.bincount(admit_tier, weights=m.day - e.admit_day[eps], minlength=4)
        fid = np.where(e.facility[eps] >= 0, e.facility[eps], 0)
        resolved, again = m.care.discharged(eps, fid, admit_tier)
        m.care.close(resolved, False, Outcome.RESOLVED)
        m.schedule(again, Stage.CHOOSE, m.day + 1)

    def free(self, eps: np.ndarray) -> None:
        """Free the beds of ``eps`` (those in one) and their places on a waiting list (those on one)."""
        e, f = self.m.ep, self.m.fac
        nf = len(f.tier)
        inbed = eps[e.bed_facility[eps] >= 0]
        if len(inbed):
            fid = e.bed_facility[inbed]
            pri = e.has_referral[inbed]
            f.occupied_priority -= np.bincount(fid[pri], minlength=nf)
            f.occupied -= np.bincount(fid[~pri], minlength=nf)
            e.bed_facility[inbed] = -1
        listed = eps[e.listed_day[eps] >= 0]
        if len(listed):
            fid = e.facility[listed]
            pri = e.listed_priority[listed]
            f.waiting_priority -= np.bincount(fid[pri], minlength=nf)
            f.waiting -= np.bincount(fid[~pri], minlength=nf)
            e.listed_day[listed] = -1
