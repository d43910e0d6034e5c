"""Money: every payment debits a source and credits a provider.

Sources are residents (out of pocket), the insurance funds (the pooled fund of each scheme, the
employee scheme's personal accounts, the critical-illness layer bought from the resident fund)
and government (subsidies; its premium share counts as premium). Providers are the facilities
plus the consortium's own account (医共体, which under capitation receives the budget and pays
its members and its residents' out-of-county bills). Conservation, checked every step:
premiums + subsidies + out-of-pocket = provider revenue + change in the funds' balances.

The ledger also keeps the books payment reads back (``agents/payment.py``): each day's claims
by scheme, the consortium's budget and spending, DIP points and stay bills by tier, summed over
a trailing year, and the year's cost of the stays paid per case by tier and severity.
"""

from __future__ import annotations

import numpy as np

YEAR = 365
# the trailing books, one column each
BOOKS = ("claims_resident", "claims_employee", "budget", "consortium_spent", "dip_points", "stay_bills_township",
         "stay_bills_county")
_COLUMN = {k: i for i, k in enumerate(BOOKS)}


class Ledger:
    def __init__(self, revenue: np.ndarray, fund0: np.ndarray, tier: np.ndarray):
        self.revenue = revenue  # per-facility cumulative revenue (shared with FacilityState)
        self.tier = tier
        self.fund = fund0.astype(float).copy()  # pooled fund balance by scheme
        self.personal = 0.0  # employee personal accounts (个人账户), all members' together
        self.critical = 0.0  # the critical-illness layer (大病保险)
        self.consortium = 0.0  # consortium account balance (a provider)
        self.premiums = 0.0
        self.subsidies = 0.0
        self.oop = 0.0
        self.fund_paid = 0.0
        self.drug = np.zeros(4)  # provider revenue by bill part and tier
        self.service = np.zeros(4)
        self.test = np.zeros(4)
        self.employee_outpatient_oop = 0.0  # today's, for the personal accounts
        self._today = np.zeros(len(BOOKS))
        self._trail = np.zeros((YEAR, len(BOOKS)))
        self.days_booked = 0
        self.case_costs = np.zeros((2, 4, 4))  # this year's stays paid per case: bills and count by (tier, severity)
        self._mark = self._stocks()

    # ------------------------------------------------------------------ flows
    def collect_premiums(self, amounts: np.ndarray, personal_share: np.ndarray) -> None:
        """A day's premiums by scheme, ``personal_share`` of each to personal accounts."""
        personal = amounts * personal_share
        self.fund += amounts - personal
        self.personal += float(personal.sum())
        self.premiums += float(amounts.sum())

    def _credit(self, fids: np.ndarray, amounts: np.ndarray) -> None:
        self.revenue += np.bincount(fids, weights=amounts, minlength=len(self.revenue))

    def fund_pays(self, fids: np.ndarray, amounts: np.ndarray, scheme: np.ndarray) -> None:
        self._credit(fids, amounts)
        by_scheme = np.bincount(scheme, weights=amounts, minlength=2)
        self.fund -= by_scheme
        self._today[:2] += by_scheme
        self.fund_paid += float(amounts.sum())

    def fund_pays_facilities(self, amounts: np.ndarray) -> None:
        """The funds pay each facility its totals ``amounts[facility, scheme]``."""
        self.revenue += amounts.sum(axis=1)
        by_scheme = amounts.sum(axis=0)
        self.fund -= by_scheme
        self._today[:2] += by_scheme
        self.fund_paid += float(amounts.sum())

    def fund_pays_consortium(self, amount: float, budget: bool = True, scheme: int = 0) -> None:
        """The fund pays the consortium its budget, or (``budget`` False) a year-end settlement."""
        self.fund[scheme] -= amount
        self.consortium += amount
        self.fund_paid += amount
        if budget:
            self._today[_COLUMN["budget"]] += amount

    def consortium_pays(self, fids: np.ndarray, amounts: np.ndarray) -> None:
        """The consortium pays its residents' claims (resident scheme)."""
        self._credit(fids, amounts)
        total = float(amounts.sum())
        self.consortium -= total
        self._today[_COLUMN["claims_resident"]] += total
        self._today[_COLUMN["consortium_spent"]] += total

    def resident_pays(self, fids: np.ndarray, amounts: np.ndarray) -> None:
        self._credit(fids, amounts)
        self.oop += float(amounts.sum())

    def note_employee_outpatient(self, amount: float) -> None:
        """Employees' outpatient out of pocket today, which their personal accounts pay back."""
        self.employee_outpatient_oop += amount

    def personal_accounts_pay(self) -> None:
        """At the day's end the personal accounts pay back employees' outpatient out of pocket, as far as they hold."""
        back = min(self.employee_outpatient_oop, max(self.personal, 0.0))
        self.personal -= back
        self.oop -= back
        self.employee_outpatient_oop = 0.0

    def fund_buys_critical(self, amount: float) -> None:
        """The resident fund pays the critical-illness layer its premium (a transfer between funds)."""
        self.fund[0] -= amount
        self.critical += amount

    def critical_pays(self, fids: np.ndarray, amounts: np.ndarray) -> None:
        self._credit(fids, amounts)
        self.critical -= float(amounts.sum())

    def government_pays(self, fids: np.ndarray, amounts: np.ndarray) -> None:
        self._credit(fids, amounts)
        self.subsidies += float(amounts.sum())

    def government_pays_consortium(self, amount: float) -> None:
        self.consortium += amount
        self.subsidies += amount

    def book_parts(self, tier: np.ndarray, service: np.ndarray, drug: np.ndarray, test: np.ndarray) -> None:
        """Provider revenue by part of the bill, by the tier of each entry."""
        self.service += np.bincount(tier, weights=service, minlength=4)
        self.drug += np.bincount(tier, weights=drug, minlength=4)
        self.test += np.bincount(tier, weights=test, minlength=4)

    # ------------------------------------------------------------------ the books payment reads
    def note(self, book: str, amount: float) -> None:
        """Add to today's entry of a trailing book that is not a payment (DIP points, stay bills)."""
        self._today[_COLUMN[book]] += amount

    def note_stay_bills(self, tier: np.ndarray, bills: np.ndarray) -> None:
        """Stay bills at township and county facilities (a DIP budget's base)."""
        by_tier = np.bincount(tier, weights=bills, minlength=4)
        self._today[_COLUMN["stay_bills_township"]] += by_tier[1]
        self._today[_COLUMN["stay_bills_county"]] += by_tier[2]

    def note_cases(self, tier: np.ndarray, severity: np.ndarray, bills: np.ndarray) -> None:
        """Bills of stays paid per case, by tier and severity: what next year's rates are rebased on."""
        np.add.at(self.case_costs, (0, tier, severity), bills)
        np.add.at(self.case_costs, (1, tier, severity), 1.0)

    def trailing(self, book: str) -> float:
        """A book's sum over the trailing year (or the days booked, if fewer)."""
        return float(self._trail[:, _COLUMN[book]].sum())

    # ------------------------------------------------------------------ conservation
    @property
    def provider_revenue(self) -> float:
        return float(self.revenue.sum()) + self.consortium

    @property
    def funds(self) -> float:
        """Every fund's balance: pooled, personal accounts and critical illness."""
        return float(self.fund.sum()) + self.personal + self.critical

    def _stocks(self) -> tuple[float, float, float, float, float]:
        return (self.premiums, self.subsidies, self.oop, self.provider_revenue, self.funds)

    def close_step(self) -> dict[str, float]:
        """Flows since the last call and the conservation residual (should be ~0); today's books
        join the trailing year."""
        self._trail[self.days_booked % YEAR] = self._today
        self._today = np.zeros(len(BOOKS))
        self.days_booked += 1
        now = self._stocks()
        d = [a - b for a, b in zip(now, self._mark, strict=True)]
        self._mark = now
        inflow = d[0] + d[1] + d[2]
        return {
            "premiums": d[0], "subsidies": d[1], "oop": d[2], "provider_revenue": d[3], "fund_change": d[4],
            "money_residual": inflow - (d[3] + d[4]),
        }
