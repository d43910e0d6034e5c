"""Prices, reimbursement and providers' response to the payment regime (pure functions).

Bills are split into service, drug and test parts. Base prices include the pre-reform 15%
drug mark-up; removing it (药品零差率) lowers the drug part, and the lost revenue is made up in
the scenario's shares by a service-price rise, a government subsidy per unit of care, and
providers' internal savings (a cost cut), as seed 001 prescribes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from reformsim.model.params import PaymentParams, PriceParams, SchemeParams

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


def unit_prices(price: np.ndarray, drug_share: np.ndarray, test_share: np.ndarray, p: PriceParams,
                test_intensity: float = 1.0) -> UnitPrices:
    price = np.asarray(price, dtype=float)
    drug0 = price * np.asarray(drug_share)
    test0 = price * np.asarray(test_share)
    service0 = price - drug0 - test0
    supply = drug0 / (1 + BASE_MARKUP) * np.asarray(p.drug_multiplier)
    drug = supply * (1 + p.drug_markup)
    lost = np.maximum(supply * (BASE_MARKUP - p.drug_markup), 0.0)
    share_price, share_subsidy, share_saving = p.markup_compensation
    service = service0 * np.asarray(p.service_multiplier) + share_price * lost
    test = test0 * np.asarray(p.test_multiplier) * test_intensity
    return UnitPrices(service, drug, test, share_subsidy * lost, share_saving * lost, supply)


def visit_prices(p: PriceParams, test_intensity: float = 1.0) -> UnitPrices:
    return unit_prices(np.asarray(p.visit_price), np.asarray(p.visit_drug_share), np.asarray(p.visit_test_share), p, test_intensity)


def bed_day_prices(p: PriceParams, test_intensity: float = 1.0) -> UnitPrices:
    return unit_prices(np.asarray(p.bed_day_price), np.asarray(p.stay_drug_share), np.asarray(p.stay_test_share), p, test_intensity)


def provider_cost(units: UnitPrices, tier: np.ndarray, test: np.ndarray, n: np.ndarray | float = 1.0) -> np.ndarray:
    """Variable cost of ``n`` units of care whose tests were billed ``test``: drugs bought and
    tests run, less internal savings."""
    return (units.drug_cost[tier] - units.saving[tier]) * n + TEST_COST_SHARE * test


def _ratio(s: SchemeParams, kind: str) -> np.ndarray:
    return np.asarray(s.outpatient_ratio if kind == "outpatient" else s.inpatient_ratio)


def effective_ratio(schemes: tuple[SchemeParams, SchemeParams], scheme: np.ndarray, tier: np.ndarray,
                    referred: np.ndarray, kind: str) -> np.ndarray:
    """Reimbursement ratio by scheme and tier, less the penalty at county/tertiary without a referral."""
    ratio = np.where(scheme == 0, _ratio(schemes[0], kind)[tier], _ratio(schemes[1], kind)[tier])
    penalty = np.where(scheme == 0, schemes[0].no_referral_penalty, schemes[1].no_referral_penalty)
    return np.clip(ratio - np.where((tier >= 2) & ~referred, penalty, 0.0), 0.0, 1.0)


def fund_share(cost: np.ndarray, schemes: tuple[SchemeParams, SchemeParams], scheme: np.ndarray, tier: np.ndarray,
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


def inpatient_terms(schemes: tuple[SchemeParams, SchemeParams]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reimbursement of a stay as tables: the ratio by [scheme, tier, referred] (``effective_ratio``)
    and the deductible and cap per stay by [scheme, tier]."""
    scheme, tier, referred = np.indices((2, 4, 2))
    return (effective_ratio(schemes, scheme, tier, referred.astype(bool), "inpatient"), *_per_stay(schemes))


def _per_stay(schemes: tuple[SchemeParams, SchemeParams]) -> tuple[np.ndarray, np.ndarray]:
    """Deductible and cap per stay by [scheme, tier]."""
    return (np.array([np.asarray(s.deductible, dtype=float) for s in schemes]),
            np.array([np.asarray(s.cap_per_stay, dtype=float) for s in schemes]))


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


def per_case_payment(p: PaymentParams) -> tuple[np.ndarray, np.ndarray]:
    """Disease-group payment (按疾病分组): by tier, whether an admission is paid per case rather
    than per bill (under DRG, or capitation with the consortium paying per case, from
    ``drg_from_tier`` up), and the case rate by severity."""
    per_case = p.regime == "drg" or (p.regime == "capitation" and p.consortium_pays_drg)
    return per_case & (np.arange(4) >= p.drg_from_tier), np.asarray(p.drg_rate, dtype=float)
