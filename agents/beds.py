"""Beds and admissions: who gets a bed, how long they stay, and moving down to a township bed.

A patient who needs a bed is admitted where the facility has one free; referred and contracted
patients (priority) may use the ``reserved_bed_share`` held at county and tertiary hospitals
(seed 002: 1/4 of beds), the others only the rest. A patient turned away is referred up (or,
with no tertiary bed, chooses again tomorrow). The stay's length is the tier's mean, longer for
complex cases, times the facility's length-of-stay response (``agents/response.py``). After the
acute part of a county or tertiary stay, some patients move down (下转) to their home
township's beds for the rest, more where payment rewards it (the facility's down-referral
response); the stay is billed at each bed (``agents/billing.py``), and the outcome comes at
discharge (``agents/care.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .arrays import rank_within, scatter
from .episodes import Outcome, Stage
from .streams import Purpose, draw

_LOS, _DOWN = int(Purpose.LOS), int(Purpose.DOWN)


@dataclass(frozen=True)
class BedParams:
    """Lengths of stay, down-referral and reserved beds (``facilities.*``, ``policy.*``)."""

    los_days: tuple[float, ...]  # mean length of stay by tier (days)
    acute_fraction: float  # share of a stay that is acute (a move down comes after it)
    down_referral_base: float  # share of eligible inpatients sent down under fee-for-service
    down_referral_cap: float  # the most sent down however strongly payment pushes (refusals)
    reserved_bed_share: float  # share of county/tertiary beds held for referred and contracted patients

    @classmethod
    def of(cls, s) -> BedParams:
        f, pol = s.facilities, s.policy
        return cls(tuple(f.los_days), f.acute_fraction, pol.down_referral_base, pol.down_referral_cap, pol.reserved_bed_share)


@njit(cache=True)
def length_of_stay(u: float, mean_days: float, sev: int, mult: float = 1.0) -> int:
    """Days in bed: the tier's mean (``BedParams.los_days``), longer for complex cases,
    spread uniformly ±50%."""
    return max(1, int(np.rint(mean_days * (0.85 + 0.1 * sev) * mult * (0.5 + u))))


@njit(cache=True)
def free_beds(beds, occupied, occupied_priority):
    """Whole beds free (bed counts of a scaled county are fractional): any patient's at most.
    Scalars or arrays."""
    return np.floor(np.maximum(beds - occupied - occupied_priority, 0.0) + 1e-9)


@njit(cache=True)
def unreserved_beds(beds, reserved, occupied):
    """Whole beds outside the ``reserved`` share not taken by patients without priority: what
    they may use, besides ``free_beds``. Scalars or arrays."""
    return np.floor(np.maximum(beds * (1 - reserved) - occupied, 0.0) + 1e-9)


@njit(cache=True)
def allocate_beds(fid, priority, beds, occupied, occupied_priority, reserved):
    """Which of today's patients needing a bed at ``fid`` get one, in arrival order: priority
    patients (referred or contracted) any of the ``free_beds`` first, then the others only
    ``unreserved_beds``."""
    nf = len(beds)
    free = np.empty(nf)
    for f in range(nf):
        free[f] = free_beds(beds[f], occupied[f], occupied_priority[f])
    fits = np.zeros(len(fid), dtype=np.bool_)
    for i in range(len(fid)):
        if priority[i] and free[fid[i]] >= 1:
            fits[i] = True
            free[fid[i]] -= 1
    for f in range(nf):
        free[f] = min(unreserved_beds(beds[f], reserved[f], occupied[f]), free[f])
    for i in range(len(fid)):
        if not priority[i] and free[fid[i]] >= 1:
            fits[i] = True
            free[fid[i]] -= 1
    return fits


@njit(cache=True)
def occupy_beds(eps, fid, priority, fits, facility_tier, day, occupied, occupied_priority, admissions_today,
                admissions_by_tier, bed_facility, admit_tier, bed_since, admit_day, has_referral):
    """After ``allocate_beds``: each patient who fits takes a bed at ``fid`` (counted in
    ``occupied_priority`` for priority patients, else ``occupied``) from ``day``, the stay's
    fields are set (the priority marker ``has_referral`` travels with the stay) and the day's
    admissions counted, all in place. The admitted and their tiers, and those turned away and the
    tiers of the facilities that turned them away, each in the order given."""
    n, nf = len(eps), len(facility_tier)
    admitted, tier = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    away, away_tier = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    n_in = n_away = 0
    # counted first and added once per facility, as a bincount would: the stocks are floats
    beds_taken = np.zeros((2, nf))
    by_tier = np.zeros(4)
    for i in range(n):
        e, f = eps[i], fid[i]
        t = facility_tier[f]
        if not fits[i]:
            away[n_away], away_tier[n_away] = e, t
            n_away += 1
            continue
        beds_taken[int(priority[i]), f] += 1
        by_tier[t] += 1
        bed_facility[e], admit_tier[e], bed_since[e], admit_day[e] = f, t, day, day
        has_referral[e] = priority[i]
        admitted[n_in], tier[n_in] = e, t
        n_in += 1
    for f in range(nf):
        occupied[f] += beds_taken[0, f]
        occupied_priority[f] += beds_taken[1, f]
        admissions_today[f] += beds_taken[0, f] + beds_taken[1, f]
    for t in range(4):
        admissions_by_tier[t] += by_tier[t]
    return admitted[:n_in], tier[:n_in], away[:n_away], away_tier[:n_away]


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


def bed_tables(p: BedParams, facility_tier: np.ndarray) -> np.ndarray:
    """The reserved share of each facility's beds."""
    return np.where(facility_tier >= 2, p.reserved_bed_share, 0.0)


def stay_terms(p: BedParams, responses) -> tuple:
    """``stays``' parameters after the facility's tier: the mean stay by tier, and by facility its
    length-of-stay multiplier and the chance of a move down (its ``responses``,
    ``agents/response.py``), and the acute part."""
    down = np.clip(p.down_referral_base * responses.down_referral, 0, p.down_referral_cap)
    return np.asarray(p.los_days, dtype=float), responses.los, down, p.acute_fraction


class Beds:
    """Admissions, moves down and discharges of a model's inpatients."""

    def __init__(self, m):
        self.m = m

    def derive(self, s) -> None:
        self.params = p = BedParams.of(s)
        self.reserved = bed_tables(p, self.m.fac.tier)

    def admit(self, eps: np.ndarray, fid: np.ndarray) -> None:
        """Admit if a bed is free (referred/contracted patients may use reserved beds); else refer on."""
        if len(eps) == 0:
            return
        m = self.m
        e, f, r = m.ep, m.fac, m.res
        pri = e.has_referral[eps] | r.contract.take(e.resident[eps])
        fits = allocate_beds(fid, pri, f.beds, f.occupied, f.occupied_priority, self.reserved)
        eps, tier, away, away_tier = occupy_beds(
            eps, fid, pri, fits, f.tier, m.day, f.occupied, f.occupied_priority, f.admissions_today,
            m.today.admissions, e.bed_facility, e.admit_tier, e.bed_since, e.admit_day, e.has_referral)
        if len(away):
            m.today.turned_away += np.bincount(away_tier, minlength=4)
            up = away_tier < 3
            m.care.refer_up(away[up], away_tier[up])
            # no tertiary bed: choose again tomorrow; each try counts, so after MAX_STEPS the resident gives up
            m.schedule(away[~up], Stage.CHOOSE, m.day + 1)
        if len(eps) == 0:
            return
        if m.events.wanted("admission"):
            m.events.emit("admission", day=m.day, eps=eps, facility=e.bed_facility[eps])
        los, down, acute = stays(m.streams.key, eps, e.person, e.key, e.severity, e.bed_facility[eps], tier,
                                 *stay_terms(self.params, m.payment.responses))
        scatter(e.discharge_day, eps, m.day + los)
        m.schedule(eps[down], Stage.DOWN, m.day + acute[down])
        m.schedule(eps[~down], Stage.DISCHARGE, m.day + los[~down])

    def down(self, eps: np.ndarray) -> None:
        """Recovering inpatients move to their home township's beds if one is free."""
        m = self.m
        e, f = m.ep, m.fac
        home_primary = m.county.slot_facility[e.home[eps], 1]
        free = free_beds(f.beds, f.occupied, f.occupied_priority)
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
        """The stay is billed; the treatment works or the resident seeks care again tomorrow."""
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
        """Free the beds of ``eps`` (those in one)."""
        e, f = self.m.ep, self.m.fac
        inbed = eps[e.bed_facility[eps] >= 0]
        if len(inbed) == 0:
            return
        fid = e.bed_facility[inbed]
        pri = e.has_referral[inbed]
        nf = len(f.tier)
        f.occupied_priority -= np.bincount(fid[pri], minlength=nf)
        f.occupied -= np.bincount(fid[~pri], minlength=nf)
        e.bed_facility[inbed] = -1
