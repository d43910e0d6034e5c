"""Payment regimes (支付方式) and providers' response: how the insurance fund and government
pay providers, and how providers change what they do at the margin.

- **Fee-for-service**: the fund pays the reimbursed part of each bill.
- **Capitation** (按人头打包, resident scheme): the fund pays the consortium (医共体) a budget per
  resident every day; the consortium pays its members' and its residents' out-of-county claims,
  keeps the surplus and bears the deficit (结余留用、超支不补); at each year's end the fund
  shares a deficit or surplus beyond the risk band (``capitation_risk_share``).
- **Disease-group payment** (按疾病分组, DRG): admissions from ``drg_from_tier`` up are paid a
  rate per case by severity instead of their bills.

Premiums come in daily; government pays a subsidy per primary post (一类财政保障) and a fixed
subsidy to the county hospitals. Providers respond (``provider_response``): each behaviour
(discretionary admissions, length of stay, test intensity, down-referral, keeping patients,
prevention) moves by an elasticity times the marginal revenue the regime takes away; the other
mechanisms read ``Payment.response`` by tier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

YEAR = 365


@dataclass(frozen=True)
class PaymentParams:
    """The scenario's ``payment.*`` fields, premiums, subsidies and doctors' pay linkage."""

    regime: str  # "ffs", "capitation" or "drg"
    capitation_per_resident: float  # ¥ per resident-scheme member per year, paid to the consortium
    capitation_risk_band: float  # share of the year's budget beyond which the fund shares the excess
    capitation_risk_share: float  # share of the excess beyond the band the fund tops up or takes back
    drg_rate: tuple[float, ...]  # ¥ per admitted case by severity
    drg_from_tier: int  # lowest tier paid per case
    consortium_pays_drg: bool  # under capitation, the consortium pays its members per case
    response_strength: float  # scales every provider response (0..1)
    revenue_linked_pay: float  # share of doctors' pay that follows the revenue they bill (0..1)
    premiums: tuple[float, ...]  # ¥ per member per year (individual + government), by scheme
    post_subsidy_per_year: float  # ¥ per primary staff member
    secondary_fixed_subsidy: float  # ¥ per year to the county hospitals (whole reference county)

    @classmethod
    def of(cls, s) -> PaymentParams:
        pay, ins, pol = s.payment, s.insurance, s.policy
        return cls(pay.regime, pay.capitation_per_resident, pay.capitation_risk_band, pay.capitation_risk_share,
                   tuple(pay.drg_rate),
                   pay.drg_from_tier, pay.consortium_pays_drg, pay.response_strength, s.staff.revenue_linked_pay,
                   tuple(sc.premium_individual + sc.premium_government for sc in (ins.resident, ins.employee)),
                   pol.post_subsidy_per_year, pol.secondary_fixed_subsidy)


@dataclass(frozen=True)
class ProviderResponse:
    """Multipliers on provider behaviour, 1.0 under fee-for-service."""

    admission: float = 1.0  # discretionary admissions
    los: float = 1.0  # length of stay
    tests: float = 1.0  # test intensity
    down_referral: float = 1.0  # sending recovering inpatients to township beds
    keep: float = 0.0  # extra skill margin before referring up (keeping patients in the consortium)
    prevention: float = 0.0  # chronic-disease management effort (0..1)


# Elasticities of each behaviour to the loss of marginal revenue (1 - m), where m is the
# share of a unit's price the provider still earns at the margin: m = 1 under FFS; under
# capitation the consortium pays for care out of a fixed budget (m = 0 for every service);
# under DRG the case rate is fixed once admitted (m = 0 for bed-days and tests in a stay,
# m = 1 for the admission itself). Magnitudes are assumptions shaped on the DRG/capitation
# literature (LOS falls ~10-20%, test use ~20%, down-referral rises several-fold).
ELASTICITY = {"admission": 0.12, "los": 0.15, "tests": 0.2, "down_referral": 2.5, "keep": 0.3, "prevention": 0.6}


def provider_response(regime: str, strength: float, tier: int, pay_link: float = 1.0,
                      drg_from_tier: int = 1) -> ProviderResponse:
    """How a provider of ``tier`` behaves under ``regime`` (see ELASTICITY for the rule).

    ``pay_link`` is the share of doctors' pay that follows the revenue they bill: a salaried doctor
    (Sanming's annual salary, ``pay_link`` 0) earns nothing at the margin from an admission, a bed-day
    or a test even under fee-for-service, so the same elasticities apply to ``m * pay_link``.
    """
    consortium = tier <= 2
    if regime == "capitation" and consortium:
        m_admit = m_stay = 0.0
        m_refer_out = 0.0  # out-of-county bills come out of the consortium's budget
    elif regime == "drg" and tier >= drg_from_tier:
        m_admit, m_stay, m_refer_out = 1.0, 0.0, 1.0
    else:
        m_admit = m_stay = m_refer_out = 1.0
    m_admit_doc, m_stay_doc = m_admit * pay_link, m_stay * pay_link
    k = strength
    return ProviderResponse(
        admission=1.0 - k * ELASTICITY["admission"] * (1 - m_admit_doc),
        los=1.0 - k * ELASTICITY["los"] * (1 - m_stay_doc),
        tests=1.0 - k * ELASTICITY["tests"] * (1 - m_stay_doc),
        down_referral=1.0 + k * ELASTICITY["down_referral"] * (1 - m_stay_doc),
        keep=k * ELASTICITY["keep"] * (1 - m_refer_out) if tier == 2 else 0.0,
        prevention=k * ELASTICITY["prevention"] * (1 - m_admit),
    )


def provider_responses(p: PaymentParams) -> list[ProviderResponse]:
    """``provider_response`` of each tier under the scenario's payment."""
    return [provider_response(p.regime, p.response_strength, t, p.revenue_linked_pay, p.drg_from_tier) for t in range(4)]


def per_case_payment(p) -> tuple[np.ndarray, np.ndarray]:
    """Disease-group payment (按疾病分组): by tier, whether an admission is paid per case rather
    than per bill (under DRG, or capitation with the consortium paying per case, from
    ``drg_from_tier`` up), and the case rate by severity."""
    per_case = p.regime == "drg" or (p.regime == "capitation" and p.consortium_pays_drg)
    return per_case & (np.arange(4) >= p.drg_from_tier), np.asarray(p.drg_rate, dtype=float)


def daily_premiums(alive_by_scheme: np.ndarray, premiums) -> np.ndarray:
    """A day's premiums by scheme, from the living members of each."""
    return alive_by_scheme * np.asarray(premiums) / YEAR


def daily_subsidies(p: PaymentParams, primary_staff: np.ndarray, n_county: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """A day's government subsidies: per staff member of each primary facility (一类财政保障),
    and the county hospitals' fixed subsidy (quoted for the whole reference county, so scaled
    by ``scale``) split evenly among the ``n_county`` of them."""
    return (primary_staff * p.post_subsidy_per_year / YEAR,
            np.full(n_county, p.secondary_fixed_subsidy * scale / YEAR / max(n_county, 1)))


def daily_budget(p: PaymentParams, resident_scheme_members: int) -> float:
    """A day's capitation budget for the consortium, per living member of the resident scheme."""
    return p.capitation_per_resident * resident_scheme_members / YEAR


def risk_sharing(net: float, band: float, share: float) -> float:
    """What the fund pays the consortium at a year's end (negative: takes back) when the year's
    ``net`` result is beyond ``band`` either way: its ``share`` of the deficit or surplus beyond it."""
    if net < -band:
        return share * (-band - net)  # fund tops up its share of the deficit beyond the band
    if net > band:
        return -share * (net - band)  # consortium returns the fund's share of the surplus beyond it
    return 0.0


def consortium_settles(capitation: bool, scheme):
    """Whether the consortium, not the fund, pays the insured part of a bill of a member of
    ``scheme`` (scalar or array): under capitation, its residents' (resident scheme) bills."""
    return capitation & (scheme == 0)


class Payment:
    """The money of a model's day that is not a bill: premiums, subsidies, the capitation budget
    and its yearly risk sharing; and who settles the insured part of bills."""

    def __init__(self, m):
        self.m = m
        self.budget_year = 0.0  # capitation budget paid this year
        self.consortium_at_year_start = 0.0

    def derive(self, s) -> None:
        self.params = p = PaymentParams.of(s)
        self.response = provider_responses(p)
        self.per_case = per_case_payment(p)
        self.capitation = p.regime == "capitation"

    def daily_premiums(self) -> np.ndarray:
        return daily_premiums(self.m.alive_by_scheme, self.params.premiums)

    def daily(self) -> None:
        """Premiums in; subsidies and, under capitation, the day's budget out."""
        m, p, led = self.m, self.params, self.m.ledger
        led.collect_premiums(self.daily_premiums())
        primary, county = m.primary_ids, m.county_ids
        posts, fixed = daily_subsidies(p, m.fac.staff[primary], len(county), m.scale)
        led.government_pays(primary, posts)
        led.government_pays(county, fixed)
        if self.capitation:
            budget = daily_budget(p, int(m.alive_by_scheme[0]))
            led.fund_pays_consortium(budget)
            self.budget_year += budget

    def year_end(self) -> None:
        """Under capitation (or in the year it ended), the fund shares a surplus or deficit beyond the band."""
        if not (self.capitation or self.budget_year):
            return
        led, p = self.m.ledger, self.params
        excess = risk_sharing(led.consortium - self.consortium_at_year_start, p.capitation_risk_band * self.budget_year,
                              p.capitation_risk_share)
        if excess:
            led.fund_pays_consortium(excess)
        self.budget_year = 0.0
        self.consortium_at_year_start = led.consortium

    def settle_visits(self, insured: np.ndarray) -> None:
        """The insured part of the day's visits, ``insured[facility, scheme]``: under capitation the
        consortium pays its residents' bills, the fund the rest."""
        led = self.m.ledger
        if self.capitation:
            led.consortium_pays(np.arange(len(insured)), insured[:, 0])
            insured[:, 0] = 0.0
        led.fund_pays_facilities(insured)

    def settle_stays(self, fid: np.ndarray, paid: np.ndarray, scheme: np.ndarray) -> None:
        """What the payer pays for stays (bills or case rates): under capitation the consortium for its residents."""
        led = self.m.ledger
        cap = consortium_settles(self.capitation, scheme)
        if cap.any():
            led.consortium_pays(fid[cap], paid[cap])
        if (~cap).any():
            led.fund_pays(fid[~cap], paid[~cap], scheme[~cap])
