"""Money: every payment debits a source and credits a provider.

Sources are residents (out of pocket), the insurance funds (one per scheme) and government
(subsidies; its premium share counts as premium). Providers are the facilities plus the
consortium's own account (医共体, which under capitation receives the budget and pays its
members and its residents' out-of-county bills). Conservation, checked every step:
premiums + subsidies + out-of-pocket = provider revenue + change in fund balance.
"""

from __future__ import annotations

import numpy as np


class Ledger:
    def __init__(self, revenue: np.ndarray, fund0: np.ndarray):
        self.revenue = revenue  # per-facility cumulative revenue (shared with FacilityState)
        self.fund = fund0.astype(float).copy()  # balance by scheme
        self.consortium = 0.0  # consortium account balance (a provider)
        self.premiums = 0.0
        self.subsidies = 0.0
        self.oop = 0.0
        self.fund_paid = 0.0
        self.drug = self.service = self.test = 0.0  # provider revenue by bill part
        self._mark = self._stocks()

    def collect_premiums(self, amounts: np.ndarray) -> None:
        self.fund += amounts
        self.premiums += float(amounts.sum())

    def _credit(self, fids: np.ndarray, amounts: np.ndarray) -> None:
        self.revenue += np.bincount(fids, weights=amounts, minlength=len(self.revenue))

    def fund_pays(self, fids: np.ndarray, amounts: np.ndarray, scheme: np.ndarray) -> None:
        self._credit(fids, amounts)
        self.fund -= np.bincount(scheme, weights=amounts, minlength=2)
        self.fund_paid += float(amounts.sum())

    def fund_pays_facilities(self, amounts: np.ndarray) -> None:
        """The funds pay each facility its totals ``amounts[facility, scheme]``."""
        self.revenue += amounts.sum(axis=1)
        self.fund -= amounts.sum(axis=0)
        self.fund_paid += float(amounts.sum())

    def fund_pays_consortium(self, amount: float, scheme: int = 0) -> None:
        self.fund[scheme] -= amount
        self.consortium += amount
        self.fund_paid += amount

    def consortium_pays(self, fids: np.ndarray, amounts: np.ndarray) -> None:
        self._credit(fids, amounts)
        self.consortium -= float(amounts.sum())

    def resident_pays(self, fids: np.ndarray, amounts: np.ndarray) -> None:
        self._credit(fids, amounts)
        self.oop += float(amounts.sum())

    def government_pays(self, fids: np.ndarray, amounts: np.ndarray) -> None:
        self._credit(fids, amounts)
        self.subsidies += float(amounts.sum())

    def book_parts(self, service: np.ndarray, drug: np.ndarray, test: np.ndarray) -> None:
        self.service += float(service.sum())
        self.drug += float(drug.sum())
        self.test += float(test.sum())

    @property
    def provider_revenue(self) -> float:
        return float(self.revenue.sum()) + self.consortium

    def _stocks(self) -> tuple[float, float, float, float, float]:
        return (self.premiums, self.subsidies, self.oop, self.provider_revenue, float(self.fund.sum()))

    def close_step(self) -> dict[str, float]:
        """Flows since the last call and the conservation residual (should be ~0)."""
        now = self._stocks()
        d = [a - b for a, b in zip(now, self._mark, strict=True)]
        self._mark = now
        inflow = d[0] + d[1] + d[2]
        return {
            "premiums": d[0], "subsidies": d[1], "oop": d[2], "provider_revenue": d[3], "fund_change": d[4],
            "money_residual": inflow - (d[3] + d[4]),
        }
