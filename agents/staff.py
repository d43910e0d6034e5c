"""Staff and capability: who works where, what they can treat, and what they cost.

Senior county doctors lent to the townships (县管乡用 / 县聘乡用) raise township capability and
lower the county hospitals' (``transfer``); a posting lasts a term, and the next cohort ramps in
again. Tidal deployment (潮汐式) moves a share of county junior doctors to the townships in peak
months. Each month staff leave against pay, are replaced, and are recruited to approved posts
(编制); a county-wide training programme lifts primary skill after a lag. Staff are conserved:
every doctor is somewhere (``balance`` is zero).

Capability (``update_skill``) is the tier's base skill plus the gain from senior doctors above a
facility's original establishment, lagged training, telemedicine, upgraded central townships and
tertiary support to the county hospitals. Outpatient capacity follows the doctors present
(``agents/queues.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .seasons import YEAR, month_of, months_elapsed


@dataclass(frozen=True)
class StaffParams:
    """The scenario's ``staff.*`` fields and the skill levers of ``facilities.*`` and ``policy.*``."""

    transfer_seniors_to_townships: int  # senior county doctors on loan (whole reference county)
    transfer_term_days: int  # a posting's term
    transfer_skill_lag_days: int  # days for a posting's skill gain to ramp in
    transfer_handover: float  # how far into the ramp a new cohort starts (0..1)
    training_person_times_per_year: float  # county-wide training programme
    training_skill_per_1000: float  # primary skill per 1,000 person-times
    training_lag_days: int  # days before training shows
    approved_primary_posts: float  # extra posts filled over recruitment_years (whole reference county)
    recruitment_years: float
    attrition_rate: float  # exits per year at reference pay
    pay_index: tuple[float, ...]  # pay relative to reference, by tier
    attrition_pay_elasticity: float
    tidal_share: float  # share of county juniors moved to townships in peak months
    tidal_months: tuple[int, ...]  # months (1..12) of the peak
    salary_per_year: tuple[float, ...]  # ¥ per doctor, by tier
    nurse_salary_share: float  # a nurse's pay relative to a doctor's
    base_skill: tuple[float, ...]  # capability by tier: treats severity <= skill well
    senior_skill_gain: float  # skill per extra senior doctor per original doctor
    telemedicine_skill: float  # skill added to primary centres
    central_townships: int  # township centres upgraded to secondary level
    central_township_skill: float  # skill an upgraded centre gains
    county_support_skill: float  # skill tertiary partners add to county hospitals

    @classmethod
    def of(cls, s) -> StaffParams:
        st, f, pol = s.staff, s.facilities, s.policy
        return cls(st.transfer_seniors_to_townships, st.transfer_term_days, st.transfer_skill_lag_days, st.transfer_handover,
                   st.training_person_times_per_year, st.training_skill_per_1000, st.training_lag_days,
                   st.approved_primary_posts, st.recruitment_years, st.attrition_rate, tuple(st.pay_index),
                   st.attrition_pay_elasticity, st.tidal_share, tuple(st.tidal_months), tuple(st.salary_per_year), st.nurse_salary_share,
                   tuple(f.base_skill), f.senior_skill_gain, pol.telemedicine_skill, pol.central_townships,
                   pol.central_township_skill, pol.county_support_skill)


def central_townships(county, n: int) -> np.ndarray:
    """Mask of the ``n`` township centres with the largest catchments (the ones upgraded to secondary level)."""
    towns = np.flatnonzero(county.kind == "township")
    mask = np.zeros(county.n_facilities, dtype=bool)
    if n <= 0 or len(towns) == 0:
        return mask
    served = np.bincount(np.maximum(county.parent, 0), weights=county.home_population * (county.parent >= 0),
                         minlength=county.n_facilities)
    mask[towns[np.argsort(-served[towns], kind="stable")[:n]]] = True
    return mask


def staff_tables(p: StaffParams, county) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """By facility of a built county: the tier's base skill, the upgraded central townships and a
    day's pay per staff member (the day's staff change; their pay only with a lever)."""
    tier = county.tier.astype(np.int64)
    daily_pay = np.asarray(p.salary_per_year)[tier] / YEAR * np.asarray(p.pay_index)[tier]
    return np.asarray(p.base_skill)[tier], central_townships(county, p.central_townships), daily_pay


def transfer(f, towns: np.ndarray, county: np.ndarray, target: float, scale: float, day: int, term_start: np.ndarray) -> None:
    """县管乡用: keep ``target`` senior county doctors (already scaled) on loan to the townships,
    evenly, in place; a new posting's term and skill ramp start today."""
    on_loan = f.loan[towns].sum()
    delta = float(target - on_loan)
    if delta == 0 or len(towns) == 0:
        return
    available = f.senior[county] - scale  # a hospital keeps at least one senior (at full county size)
    if delta > 0:
        delta = min(delta, float(np.maximum(available, 0).sum()))
    share_out = np.maximum(f.senior[county], 0) / max(f.senior[county].sum(), 1e-9)
    out = delta * share_out
    f.senior[county] -= out
    f.loan[county] -= out
    f.senior[towns] += delta / len(towns)
    f.loan[towns] += delta / len(towns)
    if delta > 0:
        f.loan_since[towns] = term_start[towns] = day


def monthly_flows(f, p: StaffParams, towns: np.ndarray, county: np.ndarray, scale: float, day: int, posts_since: int,
                  term_start: np.ndarray, hired: float, left: float) -> tuple[float, float]:
    """A month's staff flows, in place: attrition against pay and replacement hiring, recruitment
    to approved posts (for ``recruitment_years`` from ``posts_since``), tidal moves of county
    juniors in peak months, and the rotation of postings whose term is over. The running totals
    ``hired`` and ``left``, updated."""
    pay = np.asarray(p.pay_index)[f.tier]
    # at most everyone leaves in a month: very low pay must not drive staff negative
    exit_rate = np.minimum(p.attrition_rate * pay ** (-p.attrition_pay_elasticity) / 12, 1.0)
    hire_rate = p.attrition_rate / 12
    for cadre in ("junior", "nurses", "village_doctors"):
        stock = getattr(f, cadre)
        gone = stock * exit_rate
        new = stock * hire_rate
        stock += new - gone
        left += float(gone.sum())
        hired += float(new.sum())
    posts = p.approved_primary_posts * scale / (p.recruitment_years * 12)
    if posts > 0 and day - posts_since < p.recruitment_years * YEAR:
        f.junior[towns] += posts / len(towns)
        hired += posts
    month = month_of(day) + 1
    want = p.tidal_share if month in p.tidal_months else 0.0
    moved_now = -f.tidal[county].sum()
    target = want * (f.junior[county].sum() + moved_now)
    delta = target - moved_now
    if abs(delta) > 1e-9 and len(towns):
        share = (f.junior[county] - np.minimum(f.tidal[county], 0)) / max((f.junior[county] - np.minimum(f.tidal[county], 0)).sum(), 1e-9)
        f.junior[county] -= delta * share
        f.tidal[county] -= delta * share
        f.junior[towns] += delta / len(towns)
        f.tidal[towns] += delta / len(towns)
    # a posting lasts one term; the next cohort takes over with a handover (part of the full
    # effect) and ramps in again, so short terms cost capability
    rotate = (f.loan > 0) & (day - term_start >= p.transfer_term_days)
    term_start[rotate] = day
    f.loan_since[rotate] = day - int(p.transfer_skill_lag_days * p.transfer_handover)
    return hired, left


def restaff(f, before: dict, after: dict, hired: float, left: float) -> tuple[float, float]:
    """A new establishment (hospital or township staffing changed on a timeline): each facility's
    senior and junior doctors and nurses move by the difference between the establishments
    ``after`` and ``before`` (``County.establishment``), never below none, in place. The running
    totals ``hired`` and ``left``, updated by what actually moved, so staff stay conserved."""
    for cadre in ("senior", "junior", "nurses"):
        stock = getattr(f, cadre)
        moved = np.maximum(stock + (after[cadre] - before[cadre]), 0.0) - stock
        stock += moved
        hired += float(moved[moved > 0].sum())
        left -= float(moved[moved < 0].sum())
    return hired, left


def trained(training_received: list[float], person_times_per_year: float) -> None:
    """A month of the training programme: the cumulative person-times by month, in place."""
    training_received.append(training_received[-1] + person_times_per_year / 12)


def training_done(p: StaffParams, training_received: list[float], day: int) -> float:
    """The training programme's person-times whose skill shows on ``day``: those of
    ``training_lag_days`` before (by month), none before the first lag has passed."""
    lagged = months_elapsed(max(day - p.training_lag_days, 0))
    return training_received[min(lagged, len(training_received) - 1)] if day >= p.training_lag_days else 0.0


def ramping(f, p: StaffParams, day: int) -> bool:
    """Whether a loan's skill is still ramping in on ``day`` (``skill`` follows the day only then)."""
    return day < int(f.loan_since.max()) + max(p.transfer_skill_lag_days, 1)


def skill(f, p: StaffParams, county, doctors0: np.ndarray, base_skill: np.ndarray, central: np.ndarray,
          training_received: list[float], day: int) -> np.ndarray:
    """Each facility's skill from the staff present on ``day``."""
    # capability follows the senior doctors gained or lost against the original establishment, per
    # original doctor: recruiting juniors or moving them for the season adds capacity, not capability
    extra_seniors = np.divide(f.senior - county.senior, doctors0, out=np.zeros(len(f.tier)), where=doctors0 > 0)
    ramp = np.clip((day - f.loan_since) / max(p.transfer_skill_lag_days, 1), 0, 1)
    gain = p.senior_skill_gain * extra_seniors * np.where(f.loan > 0, ramp, 1.0)
    done = training_done(p, training_received, day)
    primary = f.tier == 1
    # training is a county-wide programme (seed 000: 16,318 person-times) lifting every primary centre;
    # upgraded central townships and county hospitals with tertiary support gain skill (seed 004)
    return (base_skill + np.where(f.tier >= 1, gain, 0.0)
            + primary * (p.training_skill_per_1000 * done / 1000 + p.telemedicine_skill)
            + central * p.central_township_skill + (f.tier == 2) * p.county_support_skill)


def salaries(f, daily_pay: np.ndarray, nurse_salary_share: float) -> np.ndarray:
    """A day's salaries by facility (nurses at ``nurse_salary_share`` of a doctor's pay)."""
    return daily_pay * (f.senior + f.junior + f.village_doctors + nurse_salary_share * f.nurses)


def staff_balance(f, initial: float, hired: float, left: float) -> float:
    """Staff now minus (initial + hired - left): zero if every doctor is somewhere."""
    return float(f.staff.sum() - (initial + hired - left))


class Staff:
    """The staff of a model's facilities: postings, monthly flows, skill and salaries."""

    def __init__(self, m):
        self.m = m
        c = m.county
        self.towns = np.flatnonzero(c.kind == "township")
        self.county_ids = np.flatnonzero(c.tier == 2)
        self.doctors0 = c.senior + c.junior  # the original establishment
        self.initial = float(m.fac.staff.sum())
        self.hired = self.left = 0.0
        self.posts_since = 0  # day the approved posts were set (recruitment runs recruitment_years from it)
        self.term_start = np.zeros(c.n_facilities, dtype=np.int64)  # current posting term began
        self.training_received: list[float] = [0.0]  # cumulative person-times by month (for the lag)
        self.params: StaffParams | None = None
        self._skill_for: tuple = (None, None)  # (parameters, what else skill depends on): see ``update_skill``
        self.establishment: dict | None = None  # staff and beds by facility as the scenario sets them

    def derive(self, s) -> None:
        """Tables from the scenario; a new transfer target moves doctors, new posts restart
        recruitment, a new establishment hires (or lets go) the difference."""
        m, old = self.m, self.params
        self.params = p = StaffParams.of(s)
        self.base_skill, self.central, self.daily_pay = staff_tables(p, m.county)
        was, self.establishment = self.establishment, m.county.establishment(s.facilities)
        if old is None:
            return
        self.hired, self.left = restaff(m.fac, was, self.establishment, self.hired, self.left)
        if (p.approved_primary_posts, p.recruitment_years) != (old.approved_primary_posts, old.recruitment_years):
            self.posts_since = m.day  # recruitment to newly approved posts runs from the decision
        if p.transfer_seniors_to_townships != old.transfer_seniors_to_townships:
            self.transfer(p.transfer_seniors_to_townships)

    @property
    def balance(self) -> float:
        return staff_balance(self.m.fac, self.initial, self.hired, self.left)

    def transfer(self, target: int) -> None:
        """县管乡用: keep ``target`` senior county doctors (whole reference county) on loan to the townships."""
        m = self.m
        transfer(m.fac, self.towns, self.county_ids, target * m.scale, m.scale, m.day, self.term_start)

    def month(self) -> None:
        """Monthly attrition against pay, replacement hiring, recruitment to approved posts, tidal moves, rotation, training."""
        m = self.m
        self.hired, self.left = monthly_flows(m.fac, self.params, self.towns, self.county_ids, m.scale, m.day,
                                              self.posts_since, self.term_start, self.hired, self.left)
        trained(self.training_received, self.params.training_person_times_per_year)

    def update_skill(self) -> None:
        """Skill from the staff present today, recomputed only when what it depends on has changed:
        the parameters, the senior doctors and loans, the training done and, while a loan's skill
        ramps in, the day (staff move monthly or with a lever, not daily)."""
        m, f, p = self.m, self.m.fac, self.params
        key = (f.senior.tobytes(), f.loan.tobytes(), f.loan_since.tobytes(), training_done(p, self.training_received, m.day),
               m.day if ramping(f, p, m.day) else -1)
        if self._skill_for[0] is not p or self._skill_for[1] != key:
            f.skill = skill(f, p, m.county, self.doctors0, self.base_skill, self.central, self.training_received, m.day)
            self._skill_for = (p, key)

    def pay(self) -> None:
        """The day's salaries, as providers' cost."""
        f = self.m.fac
        f.cost += salaries(f, self.daily_pay, self.params.nurse_salary_share)
