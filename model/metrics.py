"""Daily metrics (through Mesa's DataCollector) and the run summary.

The summary's keys are a public interface: researchers script against them. Flow metrics
(shares, costs, rates) are taken over the last simulated year (or the whole run if shorter);
stocks (fund balance) are end-of-run values.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from mesa import DataCollector
from reformsim.agents.lifetable import period_life_expectancy

from . import VERSION
from .params import SEVERITIES, TIERS

if TYPE_CHECKING:
    from .model import CountyModel

TARGETS = {"primary_visit_share": 0.65, "county_internal_visit_share": 0.90, "life_expectancy": 77.0}

_TIERED = ("visits", "visit_cost", "admissions", "stays", "stay_cost", "stay_days", "stay_paid", "wait", "occupancy", "surplus",
           "staff")
_SCALARS = (
    "episodes", "referrals_up", "referrals_down", "referral_decisions", "referrals_attended", "first_contacts",
    "bypass", "revisits", "deaths", "excess_deaths", "births", "oop_outpatient", "oop_inpatient", "bed_days",
    "premiums", "subsidies", "oop", "provider_revenue", "fund_change", "money_residual", "fund_balance",
    "consortium_balance", "personal_accounts", "critical_illness_balance", "fund_paid", "readmissions",
    "drug_revenue", "service_revenue", "test_revenue", "alive", "episodes_open",
    "episodes_opened", "episodes_closed", "staff_balance", "contract_rate", "life_expectancy",
    "primary_visit_share", "county_internal_visit_share", "county_internal_inpatient_share",
)
_TIERED_KEYS = tuple(f"{k}_{t}" for k in _TIERED for t in TIERS)
_REVENUE_KEYS = tuple(f"drug_revenue_{t}" for t in TIERS)  # cumulative drug revenue by tier
# the care pathway by severity: first contacts by (severity, tier), episodes ended, episodes ended
# without adequate care; primary visits that end in an upward referral; patients turned away from beds
_PATHWAY_KEYS = (*(f"first_contacts_{s}_{t}" for s in SEVERITIES for t in TIERS), *(f"ended_{s}" for s in SEVERITIES),
                 *(f"untreated_{s}" for s in SEVERITIES), "ladder_visits", *(f"turned_away_{t}" for t in TIERS))
# the wards: days waited for a bed by the day's admissions, patients on waiting lists, staffed beds;
# emergencies (serious and complex episodes) admitted and turned away, by the tier of the ward tried
_WARD_KEYS = (*(f"bed_waits_{t}" for t in TIERS), *(f"waiting_list_{t}" for t in TIERS), *(f"staffed_beds_{t}" for t in TIERS),
              *(f"emergencies_admitted_{t}" for t in TIERS), *(f"emergencies_turned_away_{t}" for t in TIERS))
DAILY_METRICS = (*_SCALARS, *_TIERED_KEYS, *_REVENUE_KEYS, *_PATHWAY_KEYS, *_WARD_KEYS)
_TIER_COUNTERS = _TIERED[:7]  # filled by the engine during the day; the rest are stocks read at its end
_COUNTS = ("episodes", "referrals_up", "referrals_down", "referral_decisions", "referrals_attended", "first_contacts",
           "bypass", "revisits", "deaths", "excess_deaths", "births", "readmissions")
_OWN_SCALARS = (*_COUNTS, "oop_outpatient", "oop_inpatient", "bed_days")


class Daily:
    """Counters for one day, filled by the engine and frozen by ``finish``."""

    def __init__(self, model: CountyModel):
        self.model = model
        for k in _TIER_COUNTERS:
            setattr(self, k, np.zeros(4))
        for k in _COUNTS:
            setattr(self, k, 0)
        self.oop_outpatient = self.oop_inpatient = self.bed_days = 0.0
        self.first_contact = np.zeros((4, 4))  # by (severity, tier)
        self.untreated = np.zeros(4)  # by severity
        self.ladder_visits = 0
        self.turned_away = np.zeros(4)  # by tier
        self.bed_waits = np.zeros(4)  # days waited for a bed by the day's admissions, by tier
        self.emergencies = np.zeros((2, 4))  # emergencies admitted, turned away, by tier
        self._ended = model.ep.ended_by_severity.copy()  # the pool's count when the day began
        self.row: dict[str, float] = {}

    def finish(self) -> None:
        m = self.model
        f, led = m.fac, m.ledger
        row = {k: float(getattr(self, k)) for k in _OWN_SCALARS}
        row.update(led.close_step())
        # the facility stocks summed per tier in one bincount (this runs every simulated day)
        stocks = np.concatenate([f.beds, f.occupied + f.occupied_priority, f.revenue - f.cost, f.capacity,
                                 m.wait_general * f.capacity, f.staff])
        bins = (f.tier + 4 * np.arange(6)[:, None]).ravel()  # stock k of tier t in bin 4k + t
        beds, occupied, surplus, cap, waited, staff = np.bincount(bins, weights=stocks, minlength=24).reshape(6, 4)
        surplus[2] += led.consortium
        wait = np.divide(waited, cap, out=np.zeros(4), where=cap > 0)
        occupancy = np.divide(occupied, beds, out=np.zeros(4), where=beds > 0)
        values = np.concatenate([self.visits, self.visit_cost, self.admissions, self.stays, self.stay_cost, self.stay_days,
                                 self.stay_paid, wait, occupancy, surplus, staff]).tolist()
        row.update(zip(_TIERED_KEYS, values, strict=True))
        v, a = values[0:4], values[8:12]  # visits, admissions by tier
        row["primary_visit_share"] = primary_visit_share(v)
        row["county_internal_visit_share"] = county_internal_visit_share(v)
        row["county_internal_inpatient_share"] = county_internal_inpatient_share(a)
        row["fund_balance"] = float(led.fund.sum())  # the pooled funds
        row["personal_accounts"] = float(led.personal)
        row["critical_illness_balance"] = float(led.critical)
        row["fund_paid"] = float(led.fund_paid)
        row["consortium_balance"] = float(led.consortium)
        row["alive"] = float(m.alive_by_scheme.sum())  # kept count (checked against the rows in tests)
        row["episodes_open"] = float(m.ep.n_open)
        row["episodes_opened"] = float(m.ep.opened)
        row["episodes_closed"] = float(m.ep.closed.sum())
        row["staff_balance"] = m.staff_balance
        row["contract_rate"] = float(m.contract_count / max(row["alive"], 1))  # kept count, like "alive"
        row["life_expectancy"] = float(m.life_expectancy)
        row["drug_revenue"], row["service_revenue"], row["test_revenue"] = (float(x.sum()) for x in (led.drug, led.service, led.test))
        row.update(zip(_REVENUE_KEYS, led.drug.tolist(), strict=True))
        pathway = np.concatenate([self.first_contact.ravel(), m.ep.ended_by_severity - self._ended, self.untreated,
                                  [self.ladder_visits], self.turned_away]).tolist()
        row.update(zip(_PATHWAY_KEYS, pathway, strict=True))
        wards = np.concatenate([self.bed_waits, np.bincount(f.tier, weights=f.waiting + f.waiting_priority, minlength=4),
                                np.bincount(f.tier, weights=f.staffed_beds, minlength=4), self.emergencies.ravel()]).tolist()
        row.update(zip(_WARD_KEYS, wards, strict=True))
        self.row = row


# ---------------------------------------------------------------------- the formulas
# Every target and summary formula is written here once; the visual, compare and calibration
# import them. Each takes figures by tier on the last axis: one day's, a year's or a series'.

def ratio(num, den):
    """``num / den``; NaN where ``den`` is not positive. Scalars give a float, arrays an array."""
    if np.ndim(num) == 0 and np.ndim(den) == 0:
        return float(num / den) if den > 0 else float("nan")
    num, den = np.broadcast_arrays(np.asarray(num, dtype=float), np.asarray(den, dtype=float))
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)



def _tiers(x) -> tuple:
    x = np.asarray(x, dtype=float)
    return x[..., 0], x[..., 1], x[..., 2], x[..., 3]


def primary_visit_share(visits):
    """基层就诊率: village and township/community visits over the county's own visits (tiers 0-2)."""
    v0, v1, v2, _ = _tiers(visits)
    return ratio(v0 + v1, v0 + v1 + v2)


def county_internal_visit_share(visits):
    """县域内就诊率 of visits: visits inside the county (tiers 0-2) over all visits."""
    v0, v1, v2, v3 = _tiers(visits)
    return ratio(v0 + v1 + v2, v0 + v1 + v2 + v3)


def primary_share_of_all_visits(visits):
    """基层诊疗量占比 as cities report it: village and township/community visits over all visits,
    out-of-county ones included (seed 004 Tongren's 58.56%)."""
    v0, v1, v2, v3 = _tiers(visits)
    return ratio(v0 + v1, v0 + v1 + v2 + v3)


def county_internal_inpatient_share(admissions):
    """县域内住院率: admissions at township and county facilities over all admissions."""
    a0, a1, a2, a3 = _tiers(admissions)
    return ratio(a1 + a2, a0 + a1 + a2 + a3)


def trailing_sum(x: np.ndarray, window: int) -> np.ndarray:
    """Sums of the trailing ``window`` rows of a daily series (fewer at its start), along axis 0."""
    c = np.concatenate([np.zeros((1, *np.shape(x)[1:])), np.cumsum(x, axis=0)])
    lo = np.maximum(np.arange(1, len(x) + 1) - window, 0)
    return c[1:] - c[lo]


LIFE_TABLE_DAYS = 365  # a period life table needs a year of deaths and exposure


def target_series(daily, window: int) -> dict[str, np.ndarray]:
    """The targets day by day from daily columns (a DataFrame or a dict of arrays with
    ``visits_<tier>`` and ``life_expectancy``): the visit shares over the trailing ``window``
    days, and life expectancy once a simulated year has been measured (NaN before)."""
    visits = trailing_sum(np.stack([np.asarray(daily[f"visits_{t}"], dtype=float) for t in TIERS], axis=-1), window)
    life = np.asarray(daily["life_expectancy"], dtype=float)
    return {
        "primary_visit_share": primary_visit_share(visits),
        "county_internal_visit_share": county_internal_visit_share(visits),
        "life_expectancy": np.where(np.arange(len(life)) >= LIFE_TABLE_DAYS, life, np.nan),
    }


def oop_share_series(daily, window: int) -> np.ndarray:
    """``oop_share`` day by day: what residents paid out of pocket over the bills (visits and
    stays, every tier), both summed over the trailing ``window`` days."""
    bills = sum(np.asarray(daily[f"visit_cost_{t}"], dtype=float) + np.asarray(daily[f"stay_cost_{t}"], dtype=float)
                for t in TIERS)
    oop = np.asarray(daily["oop_outpatient"], dtype=float) + np.asarray(daily["oop_inpatient"], dtype=float)
    return ratio(trailing_sum(oop, window), trailing_sum(bills, window))


def flatten_summary(summary: dict) -> dict:
    """A summary as flat columns: per-tier dicts become ``key_tier`` (as in the daily series)."""
    flat: dict = {}
    for k, v in summary.items():
        if isinstance(v, dict):
            flat.update({f"{k}_{t}": x for t, x in v.items()})
        else:
            flat[k] = v
    return flat


class DailyCollector(DataCollector):
    """Mesa's DataCollector over the day's row of floats.

    Each daily reporter only reads a float from ``model.today.row``, so ``collect`` appends those
    directly instead of calling and deep-copying them one by one (a third of a simulated day's
    fixed cost in a small county). Anything else (reporters added later) goes through Mesa's own
    ``collect``; readers (``model_vars``, ``get_model_vars_dataframe``) are Mesa's. A daily value
    is stored as a C double (``array('d')``, 8 bytes) rather than a Python float in a list
    (~32 bytes): a 30-year run holds ~800,000 of them, and as lists they were most of the
    memory a long run gained after its first years.
    """

    _only_daily = True  # every model reporter is a plain read of the day's row

    def _new_model_reporter(self, name, reporter) -> None:
        super()._new_model_reporter(name, reporter)
        daily = getattr(reporter, "daily_key", None) == name
        if daily:
            self.model_vars[name] = array("d")
        # kept as reporters are added rather than checked daily (75 reporters: a tenth of a small county's day)
        self._only_daily = self._only_daily and daily

    def collect(self, model) -> None:
        if self.agent_reporters or self.agenttype_reporters or not self._only_daily:
            super().collect(model)
            return
        self._collection_steps.append(model.time)
        row, nan = model.today.row, float("nan")
        for key, values in self.model_vars.items():
            values.append(row.get(key, nan))


def make_datacollector() -> DataCollector:
    return DailyCollector(model_reporters={k: _reporter(k) for k in DAILY_METRICS})


def _reporter(key: str):
    def report(model: CountyModel) -> float:
        return model.today.row.get(key, float("nan"))

    report.__name__ = key
    report.daily_key = key  # marks a plain read of the day's row (see DailyCollector)
    return report


def timeseries(model: CountyModel) -> pd.DataFrame:
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    df.insert(0, "day", np.arange(len(df), dtype=np.int64))
    return df


def summarize(model: CountyModel, ts: pd.DataFrame | None = None) -> dict:
    """The run summary over the last simulated year (see module docstring)."""
    ts = timeseries(model) if ts is None else ts
    last = ts.tail(365)
    s = last.sum(numeric_only=True)
    v = np.array([s[f"visits_{t}"] for t in TIERS])
    adm = np.array([s[f"admissions_{t}"] for t in TIERS])
    stays = np.array([s[f"stays_{t}"] for t in TIERS])
    alive = float(last["alive"].mean())
    years = len(last) / 365.0
    stocks = ["drug_revenue", "service_revenue", "test_revenue", *_REVENUE_KEYS, "fund_paid"]
    parts = last[stocks].iloc[-1] - (ts[stocks].iloc[-len(last) - 1] if len(ts) > len(last) else 0.0)
    parts_total = float(parts[["drug_revenue", "service_revenue", "test_revenue"]].sum())
    total_bills = float(sum(s[f"visit_cost_{t}"] + s[f"stay_cost_{t}"] for t in TIERS))
    oop = float(s["oop_outpatient"] + s["oop_inpatient"])
    yr = (len(ts) - 1) // 365
    le = period_life_expectancy(model.year_deaths[yr], model.year_py[yr]) if yr in model.year_py else float("nan")
    # NHSS two-week visit rate (两周就诊率): visits in the last 14 days per resident (not residents with a visit)
    fortnight = ts.tail(14)
    two_week = ratio(float(fortnight[[f"visits_{t}" for t in TIERS]].to_numpy().sum()), float(fortnight["alive"].iloc[-1]))
    by_tier = lambda a, b: {t: ratio(a[i], b[i]) for i, t in enumerate(TIERS)}  # noqa: E731
    stay_costs = np.array([s[f"stay_cost_{t}"] for t in TIERS])
    per_capita = lambda a: {t: float(a[i] / alive / years) for i, t in enumerate(TIERS)}  # noqa: E731
    out = {
        "primary_visit_share": primary_visit_share(v),
        "primary_share_all_visits": primary_share_of_all_visits(v),
        "county_internal_visit_share": county_internal_visit_share(v),
        "county_internal_inpatient_share": county_internal_inpatient_share(adm),
        "life_expectancy": le,
        "visits_per_capita": float(v.sum() / alive / years),
        "admissions_per_capita": float(adm.sum() / alive / years),
        "two_week_visit_rate": two_week,
        "visits_by_tier": per_capita(v),
        "admissions_by_tier": per_capita(adm),
        "referrals_up": float(s["referrals_up"]),
        "referrals_down": float(s["referrals_down"]),
        "referral_attendance": ratio(s["referrals_attended"], s["referral_decisions"]),
        "bypass_share": ratio(s["bypass"], s["first_contacts"]),
        "mean_wait_days": {t: float(last[f"wait_{t}"].mean()) for t in TIERS},
        "bed_occupancy": {t: float(last[f"occupancy_{t}"].mean()) for t in TIERS},
        "cost_per_visit": by_tier(np.array([s[f"visit_cost_{t}"] for t in TIERS]), v),
        "cost_per_stay": by_tier(np.array([s[f"stay_cost_{t}"] for t in TIERS]), stays),
        "cost_per_stay_all": ratio(float(stay_costs.sum()), float(stays.sum())),
        "oop_per_stay": ratio(float(s["oop_inpatient"]), float(stays.sum())),
        "outpatient_spending_per_capita": float(sum(s[f"visit_cost_{t}"] for t in TIERS) / alive / years),
        "inpatient_spending_per_capita": float(stay_costs.sum() / alive / years),
        "oop_share": ratio(oop, total_bills),
        "drug_share": ratio(float(parts["drug_revenue"]), parts_total),
        "service_revenue_share": ratio(float(parts["service_revenue"]), parts_total),
        "avg_length_of_stay": ratio(float(s[[f"stay_days_{t}" for t in TIERS]].sum()), float(stays.sum())),
        "revisit_rate": ratio(s["revisits"], v.sum()),
        "readmission_rate_30d": ratio(s["readmissions"], stays.sum()),
        "drug_revenue_by_tier": {t: float(parts[f"drug_revenue_{t}"] / alive / years) for t in TIERS},
        "fund_spending_per_capita": float(parts["fund_paid"] / alive / years),
        "payer_per_stay": by_tier(np.array([s[f"stay_paid_{t}"] for t in TIERS]), stays),
        **pathway_figures(s),
        "fund_balance": float(ts["fund_balance"].iloc[-1]),
        "personal_accounts": float(ts["personal_accounts"].iloc[-1]),
        "consortium_balance": float(ts["consortium_balance"].iloc[-1]),
        "provider_surplus": {t: float(last[f"surplus_{t}"].iloc[-1] - (ts[f"surplus_{t}"].iloc[-len(last) - 1] if len(ts) > len(last) else 0.0))
                             for t in TIERS},
        "contract_rate": float(last["contract_rate"].iloc[-1]),
        "deaths": float(s["deaths"]),
        "excess_deaths": float(s["excess_deaths"]),
        "population": alive,
        "days": int(len(ts)),
        "scenario": model.base_scenario.name,
        "scenario_hash": model.base_scenario.hash(),
        "seed": model.seed,
        "version": VERSION,
    }
    return out


def pathway_figures(s) -> dict:
    """Where care pathways go, from a year's sums of the daily counters ``s``: first contacts by
    tier for each severity (``first_contact_<severity>``), the share of ended episodes of each
    severity that ended without adequate care (``untreated_share``), the share of primary visits
    that ended in an upward referral (``ladder_share``), the share of admission attempts turned
    away by tier (``turnaway_share``), the share of emergencies' attempts (serious and complex)
    turned away, by the tier of the ward tried (``emergency_turnaway_share``) and the mean days an admission waited for its bed,
    by tier (``bed_wait_days``: discretionary admissions from a waiting list; emergencies do not wait)."""
    out = {}
    for sev in SEVERITIES:
        first = np.array([s[f"first_contacts_{sev}_{t}"] for t in TIERS], dtype=float)
        out[f"first_contact_{sev}"] = {t: ratio(first[i], first.sum()) for i, t in enumerate(TIERS)}
    out["untreated_share"] = {sev: ratio(s[f"untreated_{sev}"], s[f"ended_{sev}"]) for sev in SEVERITIES}
    out["ladder_share"] = ratio(s["ladder_visits"], s["visits_village"] + s["visits_township"])
    out["turnaway_share"] = {t: ratio(s[f"turned_away_{t}"], s[f"turned_away_{t}"] + s[f"admissions_{t}"]) for t in TIERS}
    out["bed_wait_days"] = {t: ratio(s[f"bed_waits_{t}"], s[f"admissions_{t}"]) for t in TIERS}
    out["emergency_turnaway_share"] = {t: ratio(s[f"emergencies_turned_away_{t}"],
                                                s[f"emergencies_turned_away_{t}"] + s[f"emergencies_admitted_{t}"]) for t in TIERS}
    return out


def targets_table(summary: dict) -> list[tuple[str, float, float, bool]]:
    """(target, value, threshold, met) for the 2025 targets."""
    return [(k, summary[k], t, bool(summary[k] >= t)) for k, t in TARGETS.items()]
