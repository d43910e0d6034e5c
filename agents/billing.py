"""Prices and billing: what a visit or a bed-day costs, who pays it, and what the provider spends.

Prices are set per tier for an outpatient visit and a bed-day and split into service, drug and
test parts. Base prices include the pre-reform 15% drug mark-up; removing it (药品零差率)
lowers the drug part, and the lost revenue is made up in the scenario's shares by a service-price
rise, a government subsidy per unit of care and providers' internal savings (a cost cut), as
seed 001 prescribes. Insurance reimburses a ratio by scheme and tier (lower at county and
tertiary level without a referral); a stay's first bill passes a deductible (起付线) and a cap
per stay (封顶线). The resident pays the rest out of pocket. Who pays the insured part, and how
(per bill or per case), is the payment regime's (``agents/payment.py``).

Bills are booked per facility: visits through a table of one visit's bill by kind (scheme x tier
x referred x revisit, ``visit_bill_table``), stays in one compiled pass (``bill_stays``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

BASE_MARKUP = 0.15  # the mark-up built into the base prices
TEST_COST_SHARE = 0.6  # providers' cost of a test, as a share of its price


@dataclass(frozen=True)
class UnitPrices:
    """Per-tier arrays (4,) of one unit of care (an outpatient visit or a bed-day)."""

    service: np.ndarray
    drug: np.ndarray
    test: np.ndarray
    subsidy: np.ndarray  # government compensation per unit for the lost mark-up
    saving: np.ndarray  # providers' internal saving per unit (lowers their cost)
    drug_cost: np.ndarray  # what the provider pays suppliers for the drugs in one unit

    @property
    def total(self) -> np.ndarray:
        return self.service + self.drug + self.test


def unit_prices(price: np.ndarray, drug_share: np.ndarray, test_share: np.ndarray, p,
                test_intensity: float = 1.0) -> UnitPrices:
    price = np.asarray(price, dtype=float)
    drug0 = price * np.asarray(drug_share)
    test0 = price * np.asarray(test_share)
    service0 = price - drug0 - test0
    supply = drug0 / (1 + BASE_MARKUP) * np.asarray(p.drug_multiplier)
    markup = np.asarray(p.drug_markup)
    drug = supply * (1 + markup)
    lost = np.maximum(supply * (BASE_MARKUP - markup), 0.0)
    share_price, share_subsidy, share_saving = p.markup_compensation
    service = service0 * np.asarray(p.service_multiplier) + share_price * lost
    test = test0 * np.asarray(p.test_multiplier) * test_intensity
    return UnitPrices(service, drug, test, share_subsidy * lost, share_saving * lost, supply)


def visit_prices(p, test_intensity: float = 1.0) -> UnitPrices:
    return unit_prices(np.asarray(p.visit_price), np.asarray(p.visit_drug_share), np.asarray(p.visit_test_share), p, test_intensity)


def bed_day_prices(p, test_intensity: float = 1.0) -> UnitPrices:
    return unit_prices(np.asarray(p.bed_day_price), np.asarray(p.stay_drug_share), np.asarray(p.stay_test_share), p, test_intensity)


def provider_cost(units: UnitPrices, tier: np.ndarray, test: np.ndarray, n: np.ndarray | float = 1.0,
                  drugs: np.ndarray | float = 1.0) -> np.ndarray:
    """Variable cost of ``n`` units of care at drug intensity ``drugs`` whose tests were billed
    ``test``: drugs bought and tests run, less internal savings."""
    return (units.drug_cost[tier] * drugs - units.saving[tier]) * n + TEST_COST_SHARE * test


def _ratio(s, kind: str) -> np.ndarray:
    return np.asarray(s.outpatient_ratio if kind == "outpatient" else s.inpatient_ratio)


def effective_ratio(schemes: tuple, scheme: np.ndarray, tier: np.ndarray,
                    referred: np.ndarray, kind: str) -> np.ndarray:
    """Reimbursement ratio by scheme and tier, less the penalty at county/tertiary without a referral."""
    ratio = np.where(scheme == 0, _ratio(schemes[0], kind)[tier], _ratio(schemes[1], kind)[tier])
    penalty = np.where(scheme == 0, schemes[0].no_referral_penalty, schemes[1].no_referral_penalty)
    return np.clip(ratio - np.where((tier >= 2) & np.logical_not(referred), penalty, 0.0), 0.0, 1.0)


def fund_share(cost: np.ndarray, schemes: tuple, scheme: np.ndarray, tier: np.ndarray,
               referred: np.ndarray, kind: str) -> np.ndarray:
    """What the insurance fund reimburses of a bill; the resident pays the rest out of pocket.

    Inpatient bills pass a deductible per stay and a cap per stay first.
    """
    ratio = effective_ratio(schemes, scheme, tier, referred, kind)
    if kind == "outpatient":
        return ratio * cost
    deductible, cap = _per_stay(schemes)
    return insured_after_deductible(cost, ratio, deductible[scheme, tier], cap[scheme, tier])


@njit(cache=True)
def insured_after_deductible(cost, ratio, deductible, cap):
    """The fund's part of a stay's first bill: its ratio of what exceeds the deductible (起付线),
    up to the cap per stay (封顶线). Scalars (the engine's stay billing) or arrays."""
    return np.minimum(ratio * np.maximum(cost - deductible, 0.0), cap)


def inpatient_terms(schemes: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reimbursement of a stay as tables: the ratio by [scheme, tier, referred] (``effective_ratio``)
    and the deductible and cap per stay by [scheme, tier]."""
    scheme, tier, referred = np.indices((2, 4, 2))
    return (effective_ratio(schemes, scheme, tier, referred.astype(bool), "inpatient"), *_per_stay(schemes))


def _per_stay(schemes: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Deductible and cap per stay by [scheme, tier]."""
    return (np.array([np.asarray(s.deductible, dtype=float) for s in schemes]),
            np.array([np.asarray(s.cap_per_stay, dtype=float) for s in schemes]))


@dataclass(frozen=True)
class BillingParams:
    """Prices, reimbursement and test repeats (``prices``, ``insurance``, ``policy.mutual_recognition``)."""

    prices: object  # the scenario's ``prices`` section (¥ by tier, shares, multipliers, mark-up)
    schemes: tuple  # the scenario's (resident, employee) ``insurance`` schemes
    mutual_recognition: float  # share of repeat tests avoided after a referral (检查互认)
    stay_repeat_test_share: float  # share of a stay's tests that repeat the visits' before it
    los_days: tuple[float, ...]  # mean length of stay by tier: the stay a resident expects to pay for
    critical_illness: tuple[float, float]  # (threshold, ratio): the resident scheme's 大病保险 on a stay's out of pocket

    @classmethod
    def of(cls, s) -> BillingParams:
        ins = s.insurance
        return cls(s.prices, (ins.resident, ins.employee), s.policy.mutual_recognition, s.policy.stay_repeat_test_share,
                   tuple(s.facilities.los_days), (ins.critical_illness_threshold, ins.critical_illness_ratio))


@njit(cache=True)
def visit_kind(scheme, tier, referred, revisit):
    """The column of ``visit_bill_table`` of a visit: scheme x tier x referred x revisit."""
    return ((scheme * 4 + tier) * 2 + referred) * 2 + revisit


@njit(cache=True)
def count_visits(eps, fid, visits, has_referral, scheme, facility_tier):
    """Today's visits by facility and ``visit_kind``, and how many were revisits; counts each
    episode's visit."""
    n = np.zeros((len(facility_tier), 32), dtype=np.int64)
    revisits = 0
    for i in range(len(eps)):
        e, f = eps[i], fid[i]
        again = visits[e] > 0
        n[f, visit_kind(scheme[e], facility_tier[f], has_referral[e], again)] += 1
        revisits += again
        visits[e] += 1
    return n, revisits


@njit(cache=True)
def merged_readmission(facility, admit_day, discharged_at, discharged_day, merge_days):
    """Whether a stay at ``facility`` admitted on ``admit_day`` is a readmission there within
    ``merge_days`` of the episode's last discharge: under case payment it is settled with that
    stay (no second case payment)."""
    return discharged_day >= 0 and discharged_at == facility and admit_day - discharged_day <= merge_days


@njit(cache=True)
def stay_bill(days, tier, scheme, sev, seen_before, referred, first_bill, by_case, merged, service, drug, test, tests, drugs,
              self_pay, repeat_test_mult, ratio, deductible, cap, case_rate, coding, points, value, resource_share,
              critical_threshold, critical_ratio):
    """The bill for ``days`` bed-days of a stay at a facility of ``tier``, priced per bed-day by
    tier at the facility's drug and test intensity (``drugs``, ``tests``: its provider response);
    a patient seen before has repeat tests cut by ``repeat_test_mult`` (mutual recognition).

    A ``self_pay`` share of the bill is billed as self-pay items (自费), paid in full by the
    patient; the rest is reimbursed as ``inpatient_terms`` say: the deductible and cap apply to a
    stay's ``first_bill``, a continuing stay (after moving down) is reimbursed at the ratio. A
    stay paid ``by_case`` earns its case payment instead of the insured part: the rate for its
    tier and severity, raised by ``coding``, or with ``points`` its DIP points (the fixed score
    and the resources used, each at ``value``); the payer pays it less the patient's co-payment,
    nothing for a ``merged`` readmission. Critical-illness insurance pays ``critical_ratio`` of
    a resident-scheme patient's out of pocket above ``critical_threshold``.

    Service, drug, test, out of pocket, what the payer pays, what critical-illness insurance
    pays, and the bill's DIP points."""
    mult = tests * (repeat_test_mult if seen_before else 1.0)
    serv, drg, tst = service[tier] * days, drug[tier] * drugs * days, test[tier] * days * mult
    bill = serv + drg + tst
    own = self_pay * bill
    covered = bill - own
    r = ratio[scheme, tier, 1 if referred else 0]
    insured = insured_after_deductible(covered, r, deductible[scheme, tier], cap[scheme, tier]) if first_bill else covered * r
    copay = covered - insured
    paid, pts = insured, 0.0
    if by_case:
        rate = case_rate[tier, sev] * (1.0 + coding)
        if points:
            pts = (1.0 - resource_share) * rate + resource_share * (1.0 + coding) * covered
            rate = value * pts
        paid = 0.0 if merged else max(rate - copay, 0.0)
    critical = critical_ratio * max(copay + own - critical_threshold, 0.0) if scheme == 0 else 0.0
    return serv, drg, tst, copay + own - critical, paid, critical, pts


@njit(cache=True)
def bed_days(day, bed_since):
    """Bed-days billed for a bed taken on ``bed_since``: at least one."""
    return float(max(day - bed_since, 1))


@njit(cache=True)
def bill_stays(eps, day, bed_facility, bed_since, visits, scheme, has_referral, referred_tier, admit_tier, admit_day,
               severity, discharged_at, discharged_day, billed_deductible, stay_cost, facility_tier, merge_days, service,
               drug, test, tests, drugs, self_pay, repeat_test_mult, ratio, deductible, cap, per_case, case_rate, coding,
               points, value, resource_share, critical_threshold, critical_ratio):
    """``stay_bill`` of each stay's ``bed_days`` at its current bed facility (paid per case if the
    facility is, for the part at the tier that admitted it; ``merged_readmission``); marks the
    deductible billed and adds the bill to the stay's cost, in place. A stay's patient was seen
    before after more than one visit, and is referred with a letter or after one.

    Per stay: facility, tier, scheme, bed-days, service, drug, test, out of pocket, what the payer
    pays, what critical-illness insurance pays, DIP points, whether it was paid per case.
    """
    n = len(eps)
    fid = np.empty(n, dtype=np.int64)
    tier = np.empty(n, dtype=np.int64)
    sch = np.empty(n, dtype=np.int64)
    by_case = np.empty(n, dtype=np.bool_)
    days, serv, drg, tst = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    oop, paid, critical, pts = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        e = eps[i]
        f = bed_facility[e]
        t, s = facility_tier[f], scheme[e]
        d = bed_days(day, bed_since[e])
        case = per_case[f] and admit_tier[e] == t
        merged = case and merged_readmission(f, admit_day[e], discharged_at[e], discharged_day[e], merge_days)
        serv[i], drg[i], tst[i], oop[i], paid[i], critical[i], pts[i] = stay_bill(
            d, t, s, severity[e], visits[e] > 1, has_referral[e] or referred_tier[e] >= 0, not billed_deductible[e], case,
            merged, service, drug, test, tests[f], drugs[f], self_pay[f], repeat_test_mult, ratio, deductible, cap,
            case_rate, coding[f], points, value, resource_share, critical_threshold, critical_ratio)
        billed_deductible[e] = True
        stay_cost[e] += serv[i] + drg[i] + tst[i]
        fid[i], tier[i], sch[i], days[i], by_case[i] = f, t, s, d, case
    return fid, tier, sch, days, serv, drg, tst, oop, paid, critical, pts, by_case


def oop_tables(visit_units: UnitPrices, bed_units: UnitPrices, schemes: tuple, los_days) -> tuple[np.ndarray, np.ndarray]:
    """Expected out-of-pocket of a visit and of a stay of the tier's mean length, by [scheme, tier, referred]."""
    tier = np.broadcast_to(np.arange(4)[None, :, None], (2, 4, 2))
    scheme = np.broadcast_to(np.arange(2)[:, None, None], (2, 4, 2))
    referred = np.broadcast_to(np.array([False, True])[None, None, :], (2, 4, 2))
    visit = visit_units.total[tier]
    oop_visit = visit - fund_share(visit, schemes, scheme, tier, referred, "outpatient")
    stay = bed_units.total[tier] * np.asarray(los_days)[tier]
    return oop_visit, (stay - fund_share(stay, schemes, scheme, tier, referred, "inpatient")) * (tier >= 1)


VISIT_PARTS = ("service", "drug", "test", "insured_service", "insured_drug", "insured_test", "subsidy", "drug_cost",
               "saving")  # rows of ``visit_parts``: sums over visits stay sums (a bill is linear in them)


def visit_parts(u: UnitPrices, schemes: tuple, mutual_recognition: float) -> np.ndarray:
    """One visit's parts by kind (rows ``VISIT_PARTS``; columns ``visit_kind``): its prices, what
    insurance pays of each, the subsidy, the drugs' cost and the saving. A visit's bill depends on
    nothing else but the facility's drug and test intensity (``visit_bill``). A referred patient's
    revisit repeats fewer tests (mutual recognition)."""
    scheme, tier, referred, revisit = np.indices((2, 4, 2, 2)).reshape(4, -1)
    test = u.test[tier] * np.where(referred & revisit, 1 - mutual_recognition, 1.0)
    ratio = effective_ratio(schemes, scheme, tier, referred.astype(bool), "outpatient")
    return np.stack([u.service[tier], u.drug[tier], test, ratio * u.service[tier], ratio * u.drug[tier], ratio * test,
                     u.subsidy[tier], u.drug_cost[tier], u.saving[tier]])


def visit_bill(parts, drugs, tests):
    """The bill of visits from their ``visit_parts`` (one visit's column, or sums over visits) at
    the facility's drug and test intensity (its provider response): service, drug, test, out of
    pocket, insured, subsidy, the provider's variable cost (``provider_cost``). Scalars or arrays."""
    service, drug, test = parts[0], parts[1] * drugs, parts[2] * tests
    insured = parts[3] + parts[4] * drugs + parts[5] * tests
    cost = parts[7] * drugs - parts[8] + TEST_COST_SHARE * test
    return service, drug, test, service + drug + test - insured, insured, parts[6], cost


def stay_bill_terms(bed_units: UnitPrices, p, responses, payer) -> tuple:
    """``stay_bill``'s parameters after the stay's own: a bed-day's prices by tier, the providers'
    test and drug intensity and self-pay share by facility (their ``responses``,
    ``agents/response.py``), the repeat tests kept after a referral (the stay's repeats of earlier
    tests, less what mutual recognition avoids), the reimbursement of a stay
    (``inpatient_terms``), the case payment by facility (``payer``, ``agents/response.py``) and
    critical-illness insurance; ``p`` is a ``BillingParams``."""
    u, r = bed_units, responses
    kept = 1 - p.stay_repeat_test_share * p.mutual_recognition
    return (u.service, u.drug, u.test, r.tests_stay, r.drugs_stay, r.self_pay, kept, *inpatient_terms(p.schemes),
            payer.per_case, payer.case_rate, r.coding, payer.points, payer.value, payer.resource_share, *p.critical_illness)


class Billing:
    """The bills of a model's visits and stays, booked in its ledger."""

    def __init__(self, m):
        self.m = m

    def derive(self, s) -> None:
        self.params = p = BillingParams.of(s)
        self.visit_units = visit_prices(p.prices)
        self.bed_units = bed_day_prices(p.prices, 1.0)
        self.oop_visit, self.oop_stay = oop_tables(self.visit_units, self.bed_units, p.schemes, p.los_days)
        self.visit_parts = visit_parts(self.visit_units, p.schemes, p.mutual_recognition)
        self.merge_days = s.payment.readmission_merge_days
        self.stay_terms_for = self.stay_terms = None  # ``stay_bill_terms`` follow the providers' responses (monthly)

    def stay_bill_rule(self) -> tuple:
        """``stay_bill_terms`` under the providers' current responses and payer, rebuilt only when
        payment has replaced them (monthly, or on a lever change): built per call, the reimbursement
        tables alone were a twentieth of a 25,000-resident day."""
        pay = self.m.payment
        held = self.stay_terms_for
        if held is None or held[0] is not pay.responses or held[1] is not pay.payer:
            self.stay_terms = stay_bill_terms(self.bed_units, self.params, pay.responses, pay.payer)
            self.stay_terms_for = (pay.responses, pay.payer)
        return self.stay_terms

    def bill_visits(self, eps: np.ndarray, fid: np.ndarray) -> None:
        """Bill visits, booked per facility: visits are counted by facility and kind of bill, the
        counts summed into ``visit_parts`` (a small matrix product per scheme) and priced at each
        facility's drug and test intensity (``visit_bill``). Employees' out of pocket is noted for
        their personal accounts."""
        m = self.m
        e, f, led, r = m.ep, m.fac, m.ledger, m.payment.responses
        nf = len(f.tier)
        n, revisits = count_visits(eps, fid, e.visits, e.has_referral, e.scheme, f.tier)
        # both schemes' sums priced at once: rows [resident, employee] of each part of the bill
        by_scheme = visit_bill(np.stack([self.visit_parts[:, k] @ n[:, k].T for k in (slice(0, 16), slice(16, 32))], axis=1),
                               r.drugs_visit, r.tests_visit)
        service, drug, test, oop, _, subsidy, cost = (x[0] + x[1] for x in by_scheme)
        everyone = np.arange(nf)
        led.resident_pays(everyone, oop)
        led.note_employee_outpatient(float(by_scheme[3][1].sum()))
        m.payment.settle_visits(np.stack([by_scheme[4][0], by_scheme[4][1]], axis=1))
        led.book_parts(f.tier, service, drug, test)
        led.government_pays(everyone, subsidy)
        f.cost += cost
        visits = n.sum(axis=1)
        f.visits_today += visits
        t = m.today
        t.visits += np.bincount(f.tier, weights=visits, minlength=4)
        t.visit_cost += np.bincount(f.tier, weights=service + drug + test, minlength=4)
        t.oop_outpatient += float(oop.sum())
        t.revisits += revisits

    def bill_stay(self, eps: np.ndarray) -> None:
        """Bill the bed-days spent at the current bed facility, then free the bed."""
        m = self.m
        e, f, u, led = m.ep, m.fac, self.bed_units, m.ledger
        r = m.payment.responses
        fid, tier, scheme, days, service, drug, test, oop, paid, critical, points, by_case = bill_stays(
            eps, m.day, e.bed_facility, e.bed_since, e.visits, e.scheme, e.has_referral, e.referred_tier, e.admit_tier,
            e.admit_day, e.severity, e.discharged_at, e.discharged_day, e.billed_deductible, e.stay_cost, f.tier,
            self.merge_days, *self.stay_bill_rule())
        bill = service + drug + test
        led.resident_pays(fid, oop)
        led.critical_pays(fid, critical)
        if m.events.wanted("stay_bill"):
            m.events.emit("stay_bill", day=m.day, eps=eps, facility=fid, scheme=scheme, bill=bill, oop=oop, paid=paid)
        m.payment.settle_stays(fid, paid, scheme)
        led.book_parts(tier, service, drug, test)
        led.government_pays(fid, u.subsidy[tier] * days)
        led.note("dip_points", float(points.sum()))
        led.note_stay_bills(tier, bill)
        led.note_cases(tier[by_case], e.severity[eps[by_case]].astype(np.int64), bill[by_case])
        f.cost[:] += np.bincount(fid, weights=provider_cost(u, tier, test, days, r.drugs_stay[fid]), minlength=len(f.tier))
        m.today.oop_inpatient += float(oop.sum())
        m.today.bed_days += float(days.sum())
        m.today.stay_paid += np.bincount(tier, weights=paid, minlength=4)
        m.beds.free(eps)
