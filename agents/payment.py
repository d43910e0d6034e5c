"""Payment regimes (支付方式), budgets, and the money that is not a bill.

- **Fee-for-service**: the fund pays the reimbursed part of each bill.
- **Capitation / global budget** (按人头打包, 总额预算; resident scheme): the fund pays the
  consortium (医共体) a budget per resident every day, set from its residents' claims over the
  year before it starts and grown at ``budget_growth`` (or a scenario's own amount). The
  consortium pays its members' and its residents' out-of-county bills; at each year's end it
  keeps ``capitation_retention`` of its result (结余留用, 超支不补) and the fund shares the part
  beyond the risk band. Its budget position (the projected result against the budget) sets how
  far its members weigh the pool (``stake``) and the rate at which the lead hospital (总医院)
  pays its village and township members' bills (``member_rate``).
- **Disease-group payment** (DRG, 按疾病分组): stays at facilities from ``drg_from_tier`` up are
  paid a case rate by hospital level and severity, calibrated to the case's pre-reform cost
  (``case_weights``) and rebased each year toward last year's cost per case; the fund pays the
  rate less the patient's co-payment. The hospital outside the county is paid by its own city's
  rules (``out_of_county_regime``).
- **DIP** (按病种分值): the same facilities are paid points per case (a fixed score and the
  resources used); a point's value floats so the year's payments meet a regional budget set like
  the capitation budget (``dip_value``).

Providers' behaviour follows their margins under these rules (``agents/response.py``,
recomputed by ``payment_responses`` when a lever changes and monthly). Premiums come in daily,
part of the employee scheme's into personal accounts, and the resident fund buys the optional
critical-illness layer; government pays a subsidy per approved township post, per village
doctor and a fixed subsidy to the county hospitals, and the basic public-health funds per
resident (to each township or community centre, or to the consortium as one package).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from . import staff
from .beds import length_of_stay
from .billing import (
    BASE_MARKUP,
    bed_day_prices,
    effective_ratio,
    insured_after_deductible,
    visit_prices,
)
from .response import Payer, Prices, ResponseParams, Responses, idle_share, respond, subsidy_cover

YEAR = 365
MONTH = 30


@dataclass(frozen=True)
class PaymentParams:
    """The scenario's ``payment.*`` fields, premiums, subsidies and public-health funds."""

    regime: str  # "ffs", "capitation", "drg" or "dip"
    capitation_per_resident: float | None  # yuan per resident-scheme member per year; None: from claims
    capitation_prior_claims: float  # claims per member per year expected without history
    budget_growth: float  # yearly growth of a budget from its base year
    retention: float  # share of the year's result the consortium keeps and bears
    risk_band: float  # share of the year's budget beyond which the fund shares the result
    risk_share: float  # share of the result beyond the band the fund tops up or takes back
    risk_width: float  # spread of the projected result (share of the budget) over which the band's edges are felt
    min_history_days: int  # days of claims or points needed to set a budget from them
    idle_days: float  # days over which providers feel their idle beds
    cohesion: float  # how far members weigh the consortium's pooled result
    pass_through: float  # how far the lead hospital passes its budget position to primary members' rates
    member_rate_cap: float  # the most the lead hospital moves its members' rate either way (share)
    rate_level: float  # case rates as a share of the case's pre-reform cost
    rebase: float  # share of the gap to last year's cost per case closed each year
    drg_from_tier: int  # lowest tier paid per case in the county
    consortium_pays_drg: bool  # under capitation, the consortium pays its members per case
    out_of_county_regime: str  # "ffs" or "drg": how the tertiary hospital is paid
    resource_share: float  # DIP: share of a case's points that follows its resources
    merge_days: int  # readmissions within this many days are settled with the first stay
    premiums: tuple[float, ...]  # yuan per member per year (individual + government), by scheme
    personal_share: tuple[float, ...]  # share of premiums into personal accounts, by scheme
    critical_illness_premium: float  # yuan per resident-scheme member per year to the critical-illness layer
    post_subsidy_per_year: float  # yuan per approved township/community post
    village_doctor_subsidy_per_year: float  # yuan per village doctor
    secondary_fixed_subsidy: float  # yuan per year to the county hospitals (whole reference county)
    public_health_per_resident: float  # yuan per resident per year
    public_health_to_consortium: bool  # paid to the consortium as one package

    @classmethod
    def of(cls, s) -> PaymentParams:
        pay, ins, pol = s.payment, s.insurance, s.policy
        schemes = (ins.resident, ins.employee)
        return cls(pay.regime, pay.capitation_per_resident, pay.capitation_prior_claims, pay.budget_growth,
                   pay.capitation_retention, pay.capitation_risk_band, pay.capitation_risk_share,
                   pay.capitation_risk_width, pay.min_history_days, pay.idle_memory_days, pay.consortium_cohesion,
                   pay.member_pass_through, pay.member_rate_cap, pay.drg_rate_level, pay.drg_rebase, pay.drg_from_tier, pay.consortium_pays_drg,
                   pay.out_of_county_regime, pay.dip_resource_share, pay.readmission_merge_days,
                   tuple(sc.premium_individual + sc.premium_government for sc in schemes),
                   tuple(sc.personal_account_share for sc in schemes), ins.critical_illness_premium,
                   pol.post_subsidy_per_year, pol.village_doctor_subsidy_per_year, pol.secondary_fixed_subsidy,
                   pol.public_health_per_resident, pol.public_health_to_consortium)

    @property
    def budgeted(self) -> bool:
        """The consortium holds a budget (capitation or global budget)."""
        return self.regime == "capitation"


@dataclass
class PaymentState:
    """What payment carries from day to day: the budgets' bases, the case rates as rebased, the
    DIP point value, the idle beds providers feel and the consortium's year. A world data
    structure: the engine's ``Payment`` and the reference model each keep one."""

    n_facilities: int
    case_rate: np.ndarray = field(default_factory=lambda: np.zeros((4, 4)))  # yuan by (tier, severity)
    rates_from: tuple = ()  # what the rates were set from (level, the pre-reform case costs)
    budget_base: float = 0.0  # capitation: yuan per member per year in its base year
    budget_since: int = -1  # the day the budget was set (-1: no budget)
    dip_budget: float = 0.0  # DIP: yuan of stay bills per year in its base year (-1: set from the first month)
    dip_since: int = -1
    value: float = 1.0  # DIP point value
    idle: np.ndarray | None = None  # share of beds idle, averaged over about a month
    budget_year: float = 0.0  # capitation budget paid this year
    consortium_at_year_start: float = 0.0

    def __post_init__(self):
        if self.idle is None:
            self.idle = np.zeros(self.n_facilities)


# ---------------------------------------------------------------------- how each facility is paid
def per_case_facilities(p: PaymentParams, tier: np.ndarray) -> np.ndarray:
    """Which facilities are paid per case for their stays: in the county from ``drg_from_tier``
    up under DRG or DIP, or under capitation when the consortium pays its members per case; the
    tertiary hospital by its own city's rules."""
    county_case = p.regime in ("drg", "dip") or (p.regime == "capitation" and p.consortium_pays_drg)
    in_county = county_case & (tier >= p.drg_from_tier) & (tier <= 2)
    return in_county | ((tier == 3) & (p.out_of_county_regime == "drg"))


def expected_days(los_days) -> np.ndarray:
    """Expected days of a stay by (tier, severity): ``beds.length_of_stay`` averaged over its draw."""
    return _expected_days(tuple(float(d) for d in los_days))


@lru_cache(maxsize=16)  # the providers' monthly response asks again for the same mean stays: 1,024 rule calls each time
def _expected_days(los_days: tuple[float, ...]) -> np.ndarray:
    u = (np.arange(64) + 0.5) / 64
    days = np.array([[np.mean([length_of_stay(x, d, s) for x in u]) for s in range(4)] for d in los_days])
    days.setflags(write=False)
    return days


def pre_reform(prices):
    """The scenario's price list before any reform: the 15% mark-up, every multiplier 1."""
    return prices.model_copy(update={"drug_markup": [BASE_MARKUP] * 4, "service_multiplier": [1.0] * 4,
                                     "drug_multiplier": [1.0] * 4, "test_multiplier": [1.0] * 4})


def case_weights(prices, los_days) -> np.ndarray:
    """The pre-reform cost of a case by (tier, severity): a bed-day at the pre-reform list times
    the expected stay. Case rates and DIP points are set from it (rates per hospital level
    calibrated to its own cost)."""
    return bed_day_prices(pre_reform(prices)).total[:, None] * expected_days(los_days)


def set_case_rates(state: PaymentState, p: PaymentParams, weights: np.ndarray) -> None:
    """Case rates at ``rate_level`` of the pre-reform case costs, kept (as rebased) until the
    level or the costs change."""
    key = (p.rate_level, weights.tobytes())
    if state.rates_from != key:
        state.case_rate = p.rate_level * weights
        state.rates_from = key


def rebased(rates: np.ndarray, case_costs: np.ndarray, rebase: float) -> np.ndarray:
    """Next year's case rates: ``rebase`` of the gap to this year's cost per case closed, where
    there were cases (``case_costs``: bills and counts by tier and severity)."""
    bills, count = case_costs
    mean = np.divide(bills, count, out=rates.copy(), where=count > 0)
    return rates + rebase * (mean - rates)


# ---------------------------------------------------------------------- budgets
def budget_rate(p: PaymentParams, state: PaymentState, day: int) -> float:
    """The capitation budget per member per year today: the scenario's amount, or the base from
    claims grown at ``budget_growth`` since the budget was set."""
    if p.capitation_per_resident is not None:
        return p.capitation_per_resident
    return state.budget_base * (1 + p.budget_growth) ** ((day - state.budget_since) / YEAR)


def claims_per_member(ledger, members: int, prior: float, min_days: int) -> float:
    """The resident scheme's claims per member per year over the trailing year (``prior`` without
    ``min_days`` of them)."""
    days = min(ledger.days_booked, YEAR)
    if days < min_days or members <= 0:
        return prior
    return ledger.trailing("claims_resident") * YEAR / days / members


def start_budgets(state: PaymentState, p: PaymentParams, ledger, members: int, day: int) -> None:
    """A budget set when its regime starts (and dropped when it ends): capitation from the
    residents' claims, DIP from the stay bills of the facilities it pays, over the year before."""
    if p.budgeted and state.budget_since < 0:
        state.budget_base, state.budget_since = claims_per_member(ledger, members, p.capitation_prior_claims, p.min_history_days), day
    elif not p.budgeted:
        state.budget_since = -1
    if p.regime == "dip" and state.dip_since < 0:
        days = min(ledger.days_booked, YEAR)
        bills = ledger.trailing("stay_bills_county") + (ledger.trailing("stay_bills_township") if p.drg_from_tier == 1 else 0.0)
        # without a history of bills, the budget is set from the first month's points at par (``dip_value``)
        state.dip_budget = bills * YEAR / days if days >= p.min_history_days else -1.0
        state.dip_since, state.value = day, 1.0
    elif p.regime != "dip":
        state.dip_since, state.value = -1, 1.0


def dip_value(state: PaymentState, p: PaymentParams, ledger, day: int) -> float:
    """The point value that meets the DIP budget: the budget accrued over the trailing year (or
    since DIP began) over the points earned in it; par until points have been earned."""
    points = ledger.trailing("dip_points")
    days = min(day - state.dip_since, YEAR)
    if state.dip_budget < 0 and days >= p.min_history_days:
        state.dip_budget = points * YEAR / days
    if points <= 0 or state.dip_budget < 0:
        return 1.0
    budget = state.dip_budget * (1 + p.budget_growth) ** ((day - state.dip_since) / YEAR) * days / YEAR
    return float(np.clip(budget / points, 0.2, 5.0))


def projected_result(ledger) -> tuple[float, float]:
    """(the consortium's result over the trailing year: budget less its spending, the year's budget)."""
    days = max(min(ledger.days_booked, YEAR), 1)
    budget = ledger.trailing("budget")
    return (budget - ledger.trailing("consortium_spent")) * YEAR / days, budget * YEAR / days


def _smooth_step(x):
    return 1.0 / (1.0 + np.exp(-x))


def stake(p: PaymentParams, result: float, budget: float) -> float:
    """How far a member weighs a yuan of the consortium's pooled result: the share of a marginal
    yuan of the year's result the consortium keeps (``retention``, less the fund's share beyond
    the risk band, felt smoothly near the band's edges), times ``cohesion``."""
    if budget <= 0:
        return p.cohesion * p.retention
    band, width = p.risk_band * budget, p.risk_width * budget
    beyond = _smooth_step((result - band) / width) + _smooth_step((-band - result) / width)
    return p.cohesion * p.retention * (1 - p.risk_share * beyond)


def member_rate(p: PaymentParams, result: float, budget: float) -> float:
    """What the lead hospital pays on the yuan of its village and township members' bills: more
    when the consortium projects a surplus, less in deficit (at most ``member_rate_cap`` either way)."""
    if budget <= 0 or p.member_rate_cap <= 0:
        return 1.0
    return 1.0 + p.member_rate_cap * np.tanh(p.pass_through * result / budget / p.member_rate_cap)


def year_end_settlement(net: float, band: float, share: float, retention: float) -> float:
    """What the fund pays the consortium at a year's end (negative: takes back) on the year's
    ``net`` result: its ``share`` of the part beyond ``band`` either way, and of the rest the
    ``1 - retention`` the consortium does not keep (or bear)."""
    beyond = net - band if net > band else (net + band if net < -band else 0.0)
    return -share * beyond - (1 - retention) * (net - share * beyond)


def daily_budget(rate: float, resident_scheme_members: int) -> float:
    """A day's capitation budget for the consortium, per living member of the resident scheme."""
    return rate * resident_scheme_members / YEAR


def consortium_settles(capitation: bool, scheme):
    """Whether the consortium, not the fund, pays the insured part of a bill of a member of
    ``scheme`` (scalar or array): under capitation, its residents' (resident scheme) bills."""
    return capitation & (scheme == 0)


# ---------------------------------------------------------------------- money that is not a bill
def daily_premiums(alive_by_scheme: np.ndarray, premiums) -> np.ndarray:
    """A day's premiums by scheme, from the living members of each."""
    return alive_by_scheme * np.asarray(premiums) / YEAR


def establishment_posts(f) -> np.ndarray:
    """Staff on each facility's own establishment: not county doctors on loan or on a tidal move."""
    return np.maximum(f.senior - np.maximum(f.loan, 0.0) + f.junior - np.maximum(f.tidal, 0.0) + f.nurses, 0.0)


def daily_subsidies(p: PaymentParams, f, county_ids: np.ndarray, scale: float) -> np.ndarray:
    """A day's government subsidies by facility: per approved post of each township or community
    centre (一类财政保障), per village doctor, and the county hospitals' fixed subsidy (quoted for
    the whole reference county, so scaled by ``scale``) split evenly among them."""
    out = np.where(f.tier == 1, establishment_posts(f) * p.post_subsidy_per_year,
                   np.where(f.tier == 0, f.village_doctors * p.village_doctor_subsidy_per_year, 0.0)) / YEAR
    out[county_ids] += p.secondary_fixed_subsidy * scale / YEAR / max(len(county_ids), 1)
    return out


def public_health_shares(county) -> np.ndarray:
    """Each facility's share of the county's residents by the township or community centre that
    serves their home (where basic public-health services are delivered)."""
    served = county.slot_facility[:, 1]
    pop = county.home_population[county.homes]
    shares = np.bincount(served[served >= 0], weights=pop[served >= 0], minlength=county.n_facilities)
    return shares / max(shares.sum(), 1e-9)


# ---------------------------------------------------------------------- what providers respond to
def _copays(schemes, bed0, days) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The resident scheme patient's share by tier of a visit's bill, of a marginal yuan of a
    stay's and of a common stay's whole bill (referred and not, on average)."""
    tier = np.arange(4)
    scheme = np.zeros(4, dtype=np.int64)
    both = [np.zeros(4, dtype=bool), np.ones(4, dtype=bool)]
    visit = 1 - np.mean([effective_ratio(schemes, scheme, tier, r, "outpatient") for r in both], axis=0)
    ratio = np.mean([effective_ratio(schemes, scheme, tier, r, "inpatient") for r in both], axis=0)
    bill = bed0 * days
    res = schemes[0]
    insured = insured_after_deductible(bill, ratio, np.asarray(res.deductible, float), np.asarray(res.cap_per_stay, float))
    stay = np.divide(bill - insured, bill, out=np.ones(4), where=bill > 0)
    return visit, 1 - ratio, stay


def response_prices(s, weights: np.ndarray) -> tuple[Prices, float]:
    """``Prices`` for the response, and what a resident's out-of-county case costs the consortium
    (the tertiary hospital's insured part of a complex case, referred)."""
    prices, schemes = s.prices, (s.insurance.resident, s.insurance.employee)
    days = expected_days(s.facilities.los_days)
    visit, stay = visit_prices(prices), bed_day_prices(prices)
    visit0, stay0 = visit_prices(pre_reform(prices)), bed_day_prices(pre_reform(prices))
    copay_visit, copay_day, copay_stay = _copays(schemes, stay.total, days[:, 1])
    res = schemes[0]
    out = float(insured_after_deductible(weights[3, 3], effective_ratio(schemes, 0, 3, True, "inpatient"),
                                         res.deductible[3], res.cap_per_stay[3]))
    return Prices(visit, stay, visit0, stay0, days[:, 1], copay_visit, copay_day, copay_stay, out), out


def payer(p: PaymentParams, state: PaymentState, tier: np.ndarray, ledger, resident_share: float) -> Payer:
    """How each facility is paid today and its stake in the consortium's pool."""
    members = tier <= 2
    w, rate = np.zeros(len(tier)), np.ones(len(tier))
    if p.budgeted:
        result, budget = projected_result(ledger)
        w = np.where(members, stake(p, result, budget), 0.0)
        rate = np.where(tier <= 1, member_rate(p, result, budget), 1.0)
    return Payer(per_case_facilities(p, tier), p.regime == "dip", state.value, p.resource_share, state.case_rate,
                 p.merge_days > 0, w, rate, resident_share)


def fixed_cover(p: PaymentParams, s, f, county) -> np.ndarray:
    """Each facility's fixed subsidies (posts, village doctors, the county hospitals' sum) as a
    share of its salaries: what crowds out effort (``response.subsidy_cover``)."""
    sp = staff.StaffParams.of(s)
    _, _, daily_pay = staff.staff_tables(sp, county)
    return subsidy_cover(daily_subsidies(p, f, np.flatnonzero(f.tier == 2), 1.0) * (f.tier <= 1),
                         staff.salaries(f, daily_pay, sp.nurse_salary_share))


def payment_responses(s, p: PaymentParams, state: PaymentState, f, county, ledger, alive_by_scheme) -> tuple[Payer, Responses]:
    """Each facility's payer and its ``Responses`` (``agents/response.py``) under today's margins."""
    weights = case_weights(s.prices, s.facilities.los_days)
    set_case_rates(state, p, weights)
    prices, _ = response_prices(s, weights)
    pay = payer(p, state, f.tier, ledger, float(alive_by_scheme[0] / max(alive_by_scheme.sum(), 1)))
    return pay, respond(ResponseParams.of(s), pay, prices, f.tier, state.idle, fixed_cover(p, s, f, county))


def feel_idle(state: PaymentState, f, days: float) -> None:
    """The day's idle beds join the average over about ``days`` that providers feel (``response.idle_share``)."""
    state.idle += (idle_share(f.beds, f.occupied + f.occupied_priority) - state.idle) / days


def year_end(state: PaymentState, p: PaymentParams, ledger) -> float:
    """A year's end: the case rates rebased on the year's cost per case, and what the fund pays
    the consortium (negative: takes back) under the year's budget, if it held one."""
    state.case_rate = rebased(state.case_rate, ledger.case_costs, p.rebase)
    ledger.case_costs[:] = 0.0
    settle = 0.0
    if state.budget_year:
        settle = year_end_settlement(ledger.consortium - state.consortium_at_year_start, p.risk_band * state.budget_year,
                                     p.risk_share, p.retention)
    state.budget_year = 0.0
    return settle


class Payment:
    """The money of a model's day that is not a bill (premiums, subsidies, public-health funds,
    the capitation budget and its year end), who settles the insured part of bills, and the
    providers' responses to it all (``responses``, by facility)."""

    def __init__(self, m):
        self.m = m
        self.state = PaymentState(len(m.fac.tier))
        self.public_health = public_health_shares(m.county)
        self._subsidies = (None, b"", None)  # (parameters, staffing, daily subsidies): see ``subsidies``

    def derive(self, s) -> None:
        m = self.m
        self.params = p = PaymentParams.of(s)
        self.scenario = s
        self.capitation = p.budgeted
        start_budgets(self.state, p, m.ledger, int(m.alive_by_scheme[0]), m.day)
        self.respond()

    def respond(self) -> None:
        """The providers' responses to today's margins (a lever changed, or a month began)."""
        m = self.m
        self.payer, self.responses = payment_responses(self.scenario, self.params, self.state, m.fac, m.county, m.ledger,
                                                       m.alive_by_scheme)

    def month(self) -> None:
        """Monthly: the DIP point value from the points earned, and the responses to the budget position and idle beds."""
        if self.state.dip_since >= 0:
            self.state.value = dip_value(self.state, self.params, self.m.ledger, self.m.day)
        self.respond()

    def daily(self) -> None:
        """Premiums in; subsidies, public-health funds, the critical-illness premium and, under
        capitation, the day's budget out; personal accounts pay back employees' outpatient costs."""
        m, p, led = self.m, self.params, self.m.ledger
        led.collect_premiums(daily_premiums(m.alive_by_scheme, p.premiums), np.asarray(p.personal_share))
        led.government_pays(np.arange(len(m.fac.tier)), self.subsidies())
        health = p.public_health_per_resident * float(m.alive_by_scheme.sum()) / YEAR
        if p.public_health_to_consortium:
            led.government_pays_consortium(health)
        else:
            led.government_pays(np.arange(len(m.fac.tier)), health * self.public_health)
        led.fund_buys_critical(self.critical_premium())
        if self.capitation:
            budget = daily_budget(budget_rate(p, self.state, m.day), int(m.alive_by_scheme[0]))
            led.fund_pays_consortium(budget)
            self.state.budget_year += budget
        led.personal_accounts_pay()
        feel_idle(self.state, m.fac, p.idle_days)

    def subsidies(self) -> np.ndarray:
        """``daily_subsidies`` of today's staff, kept while the staff and the parameters stay the same
        (they follow the posts, which move monthly or with a lever)."""
        m, p = self.m, self.params
        held, staffing, subsidies = self._subsidies
        now = m.fac.staffing()
        if held is not p or staffing != now:
            subsidies = daily_subsidies(p, m.fac, m.county_ids, m.scale)
            self._subsidies = (p, now, subsidies)
        return subsidies

    def critical_premium(self) -> float:
        return self.m.p.insurance.critical_illness_premium * float(self.m.alive_by_scheme[0]) / YEAR

    def year_end(self) -> None:
        """Case rates rebased; the fund settles the consortium's year (retention, risk sharing)."""
        led = self.m.ledger
        settle = year_end(self.state, self.params, led)
        if settle:
            led.fund_pays_consortium(settle, budget=False)
        self.state.consortium_at_year_start = led.consortium

    def settle_visits(self, insured: np.ndarray) -> None:
        """The insured part of the day's visits, ``insured[facility, scheme]``: under capitation the
        consortium pays its residents' bills (its primary members' at its ``member_rate``), the fund the rest."""
        led = self.m.ledger
        if self.capitation:
            led.consortium_pays(np.arange(len(insured)), insured[:, 0] * self.payer.member_rate)
            insured[:, 0] = 0.0
        led.fund_pays_facilities(insured)

    def settle_stays(self, fid: np.ndarray, paid: np.ndarray, scheme: np.ndarray) -> None:
        """What the payer pays for stays (bills or case payments): under capitation the consortium
        for its residents (its primary members at its ``member_rate``)."""
        led = self.m.ledger
        cap = consortium_settles(self.capitation, scheme)
        if cap.any():
            led.consortium_pays(fid[cap], paid[cap] * self.payer.member_rate[fid[cap]])
        if (~cap).any():
            led.fund_pays(fid[~cap], paid[~cap], scheme[~cap])
