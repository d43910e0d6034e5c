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

YEAR, MONTH = 365, 30


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

    def derive(self, s) -> None:
        """Tables from the scenario; a new transfer target moves doctors, new posts restart recruitment."""
        m, old = self.m, self.params
        self.params = p = StaffParams.of(s)
        tier = m.fac.tier
        self.base_skill = np.asarray(p.base_skill)[tier]
        self.central = central_townships(m.county, p.central_townships)
        # a day's pay per staff member at each facility (the day's staff change; their pay only with a lever)
        self.daily_pay = np.asarray(p.salary_per_year)[tier] / YEAR * np.asarray(p.pay_index)[tier]
        if old is None:
            return
        if (p.approved_primary_posts, p.recruitment_years) != (old.approved_primary_posts, old.recruitment_years):
            self.posts_since = m.day  # recruitment to newly approved posts runs from the decision
        if p.transfer_seniors_to_townships != old.transfer_seniors_to_townships:
            self.transfer(p.transfer_seniors_to_townships)

    @property
    def balance(self) -> float:
        """Staff now minus (initial + hired - left): zero if every doctor is somewhere."""
        return float(self.m.fac.staff.sum() - (self.initial + self.hired - self.left))

    def transfer(self, target: int) -> None:
        """县管乡用: keep ``target`` senior county doctors on loan to the townships (evenly)."""
        m, f, towns, county = self.m, self.m.fac, self.towns, self.county_ids
        on_loan = f.loan[towns].sum()
        delta = float(target * m.scale - on_loan)
        if delta == 0 or len(towns) == 0:
            return
        available = f.senior[county] - m.scale  # a hospital keeps at least one senior (at full county size)
        if delta > 0:
            delta = min(delta, float(np.maximum(available, 0).sum()))
        share_out = np.maximum(f.senior[county], 0) / max(f.senior[county].sum(), 1e-9)
        out = delta * share_out
        f.senior[county] -= out
        f.loan[county] -= out
        f.senior[towns] += delta / len(towns)
        f.loan[towns] += delta / len(towns)
        if delta > 0:
            f.loan_since[towns] = self.term_start[towns] = m.day

    def month(self) -> None:
        """Monthly attrition against pay, replacement hiring, recruitment to approved posts, tidal moves, rotation."""
        m, f, p, towns, county = self.m, self.m.fac, self.params, self.towns, self.county_ids
        pay = np.asarray(p.pay_index)[f.tier]
        # at most everyone leaves in a month: very low pay must not drive staff negative
        exit_rate = np.minimum(p.attrition_rate * pay ** (-p.attrition_pay_elasticity) / 12, 1.0)
        hire_rate = p.attrition_rate / 12
        for cadre in ("junior", "nurses", "village_doctors"):
            stock = getattr(f, cadre)
            left = stock * exit_rate
            hired = stock * hire_rate
            stock += hired - left
            self.left += float(left.sum())
            self.hired += float(hired.sum())
        posts = p.approved_primary_posts * m.scale / (p.recruitment_years * 12)
        if posts > 0 and m.day - self.posts_since < p.recruitment_years * YEAR:
            f.junior[towns] += posts / len(towns)
            self.hired += posts
        month = (m.day // MONTH) % 12 + 1
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
        rotate = (f.loan > 0) & (m.day - self.term_start >= p.transfer_term_days)
        self.term_start[rotate] = m.day
        f.loan_since[rotate] = m.day - int(p.transfer_skill_lag_days * p.transfer_handover)
        self.train_month()

    def train_month(self) -> None:
        per_day = self.params.training_person_times_per_year / YEAR
        self.training_received.append(self.training_received[-1] + per_day * MONTH)

    def update_skill(self) -> None:
        """Skill from the staff present today."""
        m, f, p = self.m, self.m.fac, self.params
        # capability follows the senior doctors gained or lost against the original establishment, per
        # original doctor: recruiting juniors or moving them for the season adds capacity, not capability
        doctors0 = self.doctors0
        extra_seniors = np.divide(f.senior - m.county.senior, doctors0, out=np.zeros(len(f.tier)), where=doctors0 > 0)
        ramp = np.clip((m.day - f.loan_since) / max(p.transfer_skill_lag_days, 1), 0, 1)
        gain = p.senior_skill_gain * extra_seniors * np.where(f.loan > 0, ramp, 1.0)
        lagged = int(max(0, (m.day - p.training_lag_days) // MONTH))
        trained = self.training_received[min(lagged, len(self.training_received) - 1)] if m.day >= p.training_lag_days else 0.0
        primary = f.tier == 1
        # training is a county-wide programme (seed 000: 16,318 person-times) lifting every primary centre;
        # upgraded central townships and county hospitals with tertiary support gain skill (seed 004)
        f.skill = (self.base_skill + np.where(f.tier >= 1, gain, 0.0)
                   + primary * (p.training_skill_per_1000 * trained / 1000 + p.telemedicine_skill)
                   + self.central * p.central_township_skill + (f.tier == 2) * p.county_support_skill)

    def pay(self) -> None:
        """The day's salaries, as providers' cost."""
        f = self.m.fac
        f.cost += self.daily_pay * (f.senior + f.junior + f.village_doctors + self.params.nurse_salary_share * f.nurses)
