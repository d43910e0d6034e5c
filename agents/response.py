"""Provider response (供方行为): what payment makes providers do, through their margins.

For each facility and each unit of care it decides on (a day of stay, a test, a drug, an
admission, a return visit, keeping a case rather than referring it up, sending a recovering
inpatient down, coding a case, moving part of a bill to self-pay items, a readmission) the
**margin** is what one more unit earns the decision at the margin less what it costs. It
follows from how the facility is paid (``Payer``): per bill, per case (a rate that does not
grow with the days, tests and drugs of the stay), per point of a floating-value budget (DIP),
or, for a consortium member under capitation, partly through the consortium's pooled result
(the budget is fixed, so every service it pays for costs the pool, and every out-of-county bill
too). Doctors' pay linkage (``revenue_linked_pay``, 年薪制 = 0) scales how much of the margin
reaches the decision.

Each behaviour moves with the change of its margin from the **reference**: fee-for-service at
the pre-reform price list (the 15% mark-up, every multiplier 1), where the model is calibrated
and every behaviour is 1 (or 0 for a shift). A regime that leaves the margins where they were
changes nothing. Margins are shares of the unit's pre-reform price. Three terms join the direct
margins: **supplier-induced demand** (idle beds x the bed-day margin, none where a day earns
nothing), **target income** (revenue per unit of care below the reference pushes volume up;
above it, only the margin acts, ``shortfall``)
and **subsidy crowd-out** (fixed subsidies above the reference cover of a township centre's
salaries lower its effort). Responses are smooth and bounded (``ResponseParams``); they are
recomputed from the facilities' arrays when a lever changes and monthly (the budget position,
idle beds), never per episode.

Consumers read ``Responses`` arrays by facility: care (``keep``, ``admission``, ``admission_serious``, ``followup``,
``readiness``), beds (``los``, ``down_referral``), billing (``tests_*``, ``drugs_*``,
``coding``, ``self_pay``) and illness (``prevention``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .billing import TEST_COST_SHARE, UnitPrices

COMMON = 1  # the severity whose admission is discretionary (agents/illness.py)


@dataclass(frozen=True)
class ResponseParams:
    """``payment.response.*``, ``payment.response_strength`` and ``staff.revenue_linked_pay``."""

    strength: float  # scales every change of margin (0: providers ignore payment)
    link: float  # share of doctors' pay that follows the revenue they bring in
    elasticity: dict  # behaviour -> change of the behaviour per unit change of its margin
    cap: dict  # behaviour -> bound of the response (log units, or the shift's units)
    substitution: float  # tests per unit of drug margin lost
    induced: float  # margin per unit of idle bed share x bed-day margin
    serious_share: float  # share of the admission response that reaches serious cases' need of a bed
    income: float  # margin per unit of log shortfall of revenue per unit of care
    crowd_out: float  # margin lost per unit of subsidy cover of salaries above the reference
    crowd_out_reference: float

    BEHAVIOURS = ("admission", "los", "tests", "drugs", "down_referral", "keep", "prevention", "coding", "self_pay",
                  "followup", "readiness")

    @classmethod
    def of(cls, s) -> ResponseParams:
        r = s.payment.response
        return cls(s.payment.response_strength, s.staff.revenue_linked_pay,
                   {b: getattr(r, f"{b}_elasticity") for b in cls.BEHAVIOURS},
                   {b: getattr(r, f"{b}_cap") for b in cls.BEHAVIOURS},
                   r.substitution, r.induced_demand, r.serious_admission_share, r.income_effect, r.crowd_out, r.crowd_out_reference)


@dataclass(frozen=True)
class Responses:
    """What providers do, by facility (arrays over facility ids), under their current margins.
    Multipliers are 1 and shifts 0 at the reference (fee-for-service, pre-reform prices)."""

    admission: np.ndarray  # multiplier on the need of a bed of discretionary (minor and common) cases
    admission_serious: np.ndarray  # multiplier on the need of a bed of serious cases (the doctor's share of the call)
    los: np.ndarray  # multiplier on length of stay
    tests_visit: np.ndarray  # multiplier on the tests of a visit
    tests_stay: np.ndarray  # ... of a bed-day
    drugs_visit: np.ndarray  # multiplier on the drugs of a visit
    drugs_stay: np.ndarray  # ... of a bed-day
    down_referral: np.ndarray  # multiplier on the chance of sending a recovering inpatient down
    keep: np.ndarray  # shift (skill units) of the attempt threshold: + keeps more cases, - refers more
    coding: np.ndarray  # share added to a case's recorded weight (upcoding) under case payment
    self_pay: np.ndarray  # share of a stay's bill moved to self-pay items (自费)
    followup: np.ndarray  # multiplier on the share of outpatient treatments with a return visit
    readiness: np.ndarray  # shift (log-odds) of a stay's success at discharge
    prevention: float  # the consortium's chronic-disease prevention effort (0..1)

    @classmethod
    def reference(cls, n: int) -> Responses:
        """Every behaviour as calibrated (fee-for-service at the pre-reform prices)."""
        one, zero = np.ones(n), np.zeros(n)
        return cls(one, one, one, one, one, one, one, one, zero, zero, zero, one, zero, 0.0)


@dataclass(frozen=True)
class Payer:
    """How each facility is paid, and its stake in the consortium's pool (arrays by facility)."""

    per_case: np.ndarray  # bool: stays paid per case (a rate, or DIP points)
    points: bool  # case payment is DIP points at a floating value, not fixed rates
    value: float  # DIP point value (1 = par)
    resource_share: float  # DIP: share of a case's points that follows its resources
    case_rate: np.ndarray  # yuan of a case by (tier, severity): the rate, or the points at par
    merged: bool  # a readmission is settled with the first stay (no second case payment)
    pool_weight: np.ndarray  # how far the facility weighs the consortium's pooled result (theta)
    member_rate: np.ndarray  # what the consortium pays on the yuan of its members' residents' bills
    resident_share: float  # share of patients in the resident scheme (whose claims the pool pays)


@dataclass(frozen=True)
class Prices:
    """What the margins are computed from: units of care now and at the pre-reform list, by tier."""

    visit: UnitPrices
    stay: UnitPrices  # a bed-day
    visit0: UnitPrices  # the pre-reform list (reference)
    stay0: UnitPrices
    case_days: np.ndarray  # expected days of a discretionary (common) stay, by tier
    copay_visit: np.ndarray  # resident scheme: the patient's share of a visit's bill, by tier
    copay_day: np.ndarray  # ... of a marginal yuan of a stay's bill (past the deductible)
    copay_stay: np.ndarray  # ... of a common stay's whole bill (the deductible included)
    insured_out: float  # yuan the consortium pays for a resident's case sent out of the county


def bounded(change, elasticity: float, cap: float):
    """A shift: ``elasticity`` x change near zero, never beyond ``cap`` either way (smooth)."""
    change = np.asarray(change, dtype=float)
    return cap * np.tanh(elasticity * change / cap) if cap > 0 else np.zeros_like(change)


def multiplier(change, elasticity: float, cap: float):
    """A multiplicative behaviour: ``exp(bounded)``, 1 at no change."""
    return np.exp(bounded(change, elasticity, cap))


def idle_share(beds: np.ndarray, occupied: np.ndarray) -> np.ndarray:
    """Share of a facility's beds standing idle (0 without beds). The one place occupancy is read
    for the response: ``occupied`` is general plus priority patients."""
    return np.divide(np.maximum(beds - occupied, 0.0), beds, out=np.zeros(len(beds)), where=beds > 0)


def shortfall(revenue_ratio):
    """How far revenue per unit of care falls short of the reference (log units, 0 at or above it):
    target income pushes volume up when a price or point value falls (EVIDENCE D3, Y2), while a
    price above the reference works through the margin alone: DRG price rises raise the patients
    treated rather than cut them (Januleviciute et al., Norway 2003-07, Univ. Bergen WP 15/12: +10%
    price, about +1% patients, mostly emergencies), so a higher case rate is not offset by an
    income effect. Ratios are floored at 0.1: revenue a tenth of the reference at the lowest."""
    return np.maximum(-np.log(np.maximum(np.asarray(revenue_ratio, dtype=float), 0.1)), 0.0)


def subsidy_cover(fixed_per_day: np.ndarray, salaries_per_day: np.ndarray) -> np.ndarray:
    """Fixed subsidies (not linked to work) as a share of each facility's salary bill."""
    return np.divide(fixed_per_day, salaries_per_day, out=np.zeros(len(fixed_per_day)), where=salaries_per_day > 0)


class _Parts:
    """One unit of care (a visit or a bed-day) by facility: its parts' prices and variable costs
    now, with the facility's drug and test intensity, and at the pre-reform list."""

    def __init__(self, u: UnitPrices, u0: UnitPrices, tier: np.ndarray, drugs=1.0, tests=1.0):
        drug, test = u.drug[tier] * drugs, u.test[tier] * tests
        drug_cost = u.drug_cost[tier] * drugs
        # (price, variable cost, price at the pre-reform list, its variable cost) of each part;
        # variable cost as billing.provider_cost: drugs bought, tests run, less internal savings
        self.unit = (u.service[tier] + drug + test, drug_cost - u.saving[tier] + TEST_COST_SHARE * test,
                     u0.total[tier], u0.drug_cost[tier] - u0.saving[tier] + TEST_COST_SHARE * u0.test[tier])
        self.test = (test, TEST_COST_SHARE * test, u0.test[tier], TEST_COST_SHARE * u0.test[tier])
        self.drug = (drug, drug_cost, u0.drug[tier], u0.drug_cost[tier])
        self.subsidy = u.subsidy[tier]


def _per(x, price0):
    """``x`` as a share of a unit's pre-reform price (0 where the unit has none: a village bed-day)."""
    return np.divide(x, price0, out=np.zeros(np.broadcast(x, price0).shape), where=price0 > 0)


def respond(p: ResponseParams, payer: Payer, prices: Prices, tier: np.ndarray, idle: np.ndarray, cover: np.ndarray,
            prevention_base: float = 0.0) -> Responses:
    """Each facility's ``Responses`` under its current margins (see the module docstring).

    ``idle`` is the share of its beds standing idle (``idle_share``), ``cover`` its fixed subsidies
    as a share of its salaries (``subsidy_cover``), ``prevention_base`` the policy's own
    chronic-disease management effort, to which the consortium's adds."""
    e, cap, k = p.elasticity, p.cap, p.strength
    res, w = payer.resident_share, payer.pool_weight
    county = tier == 2
    gain = res * payer.member_rate + (1 - res)  # the member rate applies to the pool's residents

    def decision(own, pool):
        """The margin reaching the decision: the facility's own books and, for a consortium member
        under capitation, the pool's, weighed by its stake; times the pay linkage."""
        return p.link * ((1 - w) * own + w * pool)

    def pooled(copay, price, paid, subsidy):
        """What the pool receives for a unit: its residents' co-payments (the budget pays the rest),
        the fund's payment for the other scheme, and government's subsidy per unit."""
        return res * copay * price + (1 - res) * paid + subsidy

    def paid(per_bill, per_case, resources):
        """What the patient and payer pay the facility for a unit, by how it is paid for it."""
        by_case = payer.value * ((1 - payer.resource_share) * per_case + payer.resource_share * resources) \
            if payer.points else per_case
        return np.where(payer.per_case, by_case, per_bill)

    def change(part, copay, subsidy=0.0, stay=True):
        """(change of a marginal unit's margin from the reference, margin now), as shares of its
        pre-reform price. Visits are paid per bill; within a stay paid per case a day, test or drug
        earns nothing more (DIP: its resources' share of points)."""
        price, cost, price0, cost0 = part
        pay = paid(price, 0.0, price) if stay else price
        now = decision(gain * pay + subsidy - cost, pooled(copay, price, pay, subsidy) - cost)
        return _per(now - (price0 - cost0), price0), _per(now, price0)

    # ---- days, tests, drugs and visits at the reference intensity (the first pass)
    stay, visit = _Parts(prices.stay, prices.stay0, tier), _Parts(prices.visit, prices.visit0, tier)
    copay_day, copay_visit = prices.copay_day[tier], prices.copay_visit[tier]
    d_day, m_day = change(stay.unit, copay_day, stay.subsidy)
    d_test_stay, _ = change(stay.test, copay_day)
    d_drug_stay, _ = change(stay.drug, copay_day)
    d_visit, _ = change(visit.unit, copay_visit, visit.subsidy, stay=False)
    d_test_visit, _ = change(visit.test, copay_visit, stay=False)
    d_drug_visit, _ = change(visit.drug, copay_visit, stay=False)
    # idle beds induce demand where a day earns something at the margin (EVIDENCE S5, S6)
    induced = p.induced * idle * np.maximum(m_day, 0.0)
    # fixed subsidies above the reference cover crowd out township effort (EVIDENCE D5)
    crowd = -p.crowd_out * np.where(tier == 1, cover - p.crowd_out_reference, 0.0)
    # target income: revenue per visit, and per case as the reference would treat it, against the
    # pre-reform price (a falling point value or price pushes volume and intensity up; a rise does not pull them down)
    income_visit = p.income * p.link * shortfall(_per(gain * visit.unit[0] + visit.subsidy, visit.unit[2]))
    days0 = prices.case_days[tier]
    bill_now, bill0 = stay.unit[0] * days0, stay.unit[2] * days0
    rate = payer.case_rate[tier, COMMON]
    revenue = gain * paid(bill_now, rate, bill_now) + stay.subsidy * days0
    income_stay = p.income * p.link * shortfall(np.where(bill0 > 0, _per(revenue, bill0), 1.0))

    los = multiplier(k * (d_day + induced + income_stay + crowd), e["los"], cap["los"])
    drugs_stay = multiplier(k * d_drug_stay, e["drugs"], cap["drugs"])
    drugs_visit = multiplier(k * d_drug_visit, e["drugs"], cap["drugs"])
    # tests replace drugs as far as their margin rose against the drugs' (zero mark-up), not where both fell (case payment)
    tests_stay = multiplier(k * (d_test_stay + p.substitution * (d_test_stay - d_drug_stay) + induced + income_stay),
                            e["tests"], cap["tests"])
    tests_visit = multiplier(k * (d_test_visit + p.substitution * (d_test_visit - d_drug_visit) + income_visit), e["tests"],
                             cap["tests"])
    down = np.where(tier >= 2, multiplier(-k * d_day, e["down_referral"], cap["down_referral"]), 1.0)
    followup = multiplier(k * (d_visit + income_visit + crowd), e["followup"], cap["followup"])
    # a coded unit of case weight earns the case rate (or a point) at no cost; inside the pool only
    # the other scheme's payment is new money
    coding = np.maximum(bounded(k * p.link * (1 - w * res) * payer.value, e["coding"], cap["coding"]), 0.0)
    coding = np.where(payer.per_case, coding, 0.0)

    # ---- a discretionary case, as the facility will treat it (the second pass: this month's days, tests, drugs)
    case = _Parts(prices.stay, prices.stay0, tier, drugs_stay, tests_stay)
    price, cost, price0, cost0 = case.unit
    days = days0 * los
    bill, margin0 = price * days, (price0 - cost0) * days0
    subsidy, cost = case.subsidy * days, cost * days
    pay = paid(bill, rate * (1 + coding), bill)
    copay = prices.copay_stay[tier]
    own_case, pool_case = gain * pay + subsidy - cost, pooled(copay, bill, pay, subsidy) - cost
    d_case = _per(decision(own_case, pool_case) - margin0, bill0)
    # the same case treated as the reference treats it (its days, tests and drugs as calibrated): what
    # admitting it earns whatever the stay then becomes. A case paid per case fills an idle bed at this
    # margin, not the day's, which earns nothing more there (supplier-induced admissions, EVIDENCE S6)
    ref_cost, ref_subsidy = stay.unit[1] * days0, stay.subsidy * days0
    ref_pay = paid(bill_now, rate * (1 + coding), bill_now)
    ref_now = decision(gain * ref_pay + ref_subsidy - ref_cost, pooled(copay, bill_now, ref_pay, ref_subsidy) - ref_cost)
    idle_margin = np.where(payer.per_case, _per(ref_now, bill0), m_day)
    admitted = p.induced * idle * np.maximum(idle_margin, 0.0)
    admission = multiplier(k * (d_case + admitted + income_stay + crowd), e["admission"], cap["admission"])
    # serious cases: where this margin rises above the reference, the doctor's call admits some whose
    # need of a bed is borderline (supplier-induced); where it falls, their clinical need still
    # admits them as calibrated (a budget moved admissions into county hospitals, not out of
    # them, EVIDENCE Y6), so where payment leaves the margin as calibrated nothing changes
    serious = multiplier(k * np.maximum(_per(ref_now - margin0, bill0), 0.0), p.serious_share * e["admission"],
                         p.serious_share * cap["admission"])

    # keeping a case rather than sending it up: for the pool, what the destination would cost (out of
    # county, the consortium pays its residents' bills there; inside, the county hospitals' pooled margin)
    inside = float(np.mean(pool_case[county])) if county.any() else 0.0
    dest = np.where(county, -res * prices.insured_out, inside)
    keep = bounded(k * _per(decision(own_case, pool_case - dest) - margin0, bill0), e["keep"], cap["keep"])
    keep = np.where((tier == 1) | county, keep, 0.0)

    # a readmission: under case payment with merged settlement the payer pays nothing more
    readmit_pay = np.where(payer.per_case & payer.merged, copay * bill, pay)
    readmit = decision(gain * readmit_pay + subsidy - cost, pooled(copay, bill, readmit_pay, subsidy) - cost)
    readiness = bounded(-k * _per(readmit - margin0, bill0), e["readiness"], cap["readiness"])

    # moving part of a bill to self-pay items: under case payment it earns on top of the rate (or
    # outside the points); under capitation the pool stops paying its residents' insured part
    shift_own = np.where(payer.per_case, 1 - (payer.value * payer.resource_share if payer.points else 0.0), 1 - gain)
    shift_pool = res * (1 - copay) + (1 - res) * shift_own
    self_pay = np.maximum(bounded(k * decision(shift_own, shift_pool), e["self_pay"], cap["self_pay"]), 0.0)

    # prevention: what a complication's claims cost the consortium, by its county hospitals' stake
    stake = float(np.mean(w[county] * (1 - copay[county]))) * res if county.any() else 0.0
    prevention = float(bounded(k * stake, e["prevention"], cap["prevention"]))
    return Responses(admission, serious, los, tests_visit, tests_stay, drugs_visit, drugs_stay, down, keep, coding, self_pay,
                     followup, readiness, min(max(prevention, 0.0) + prevention_base, 1.0))
