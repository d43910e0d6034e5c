"""The model as the visual sees it: a ``CountyModel`` built from keyword arguments, with levers,
referral flows between facilities and the figures the views show.

SolaraViz re-creates the model with keyword arguments taken from its sidebar, so ``VizModel``
takes a scenario *name* (never a ``scenario`` argument: Mesa's reset treats that name specially).
Everything here is plain Python and NumPy so the views stay thin and the tests need no browser.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from reformsim.model import metrics
from reformsim.model.metrics import TARGETS
from reformsim.model.model import CountyModel
from reformsim.model.params import SEVERITIES, TIERS, get_path
from reformsim.model.scenario import load_scenario

SCENARIO_ENV = "REFORMSIM_VIZ_SCENARIO"  # set by `reformsim viz --scenario`
DEFAULT_POPULATION = 25_000  # responsive in the browser (~15 ms per simulated day)
FLOW_MEMORY_DAYS = 30.0  # flows on the map fade with this time constant
TARGET_WINDOW_DAYS = 365  # the targets are annual shares
SMOOTH_DAYS = 30  # rolling window of the time series
COMMON = SEVERITIES.index("common")  # minor and common illness taken to a hospital first is bypassing (越级就诊)


def default_scenario() -> str:
    """The scenario the app opens with: ``$REFORMSIM_VIZ_SCENARIO`` or the baseline."""
    return os.environ.get(SCENARIO_ENV) or "baseline"


@dataclass(frozen=True)
class Lever:
    """One control: ``path`` is the dotted scenario field ``model.set_lever`` changes."""

    key: str  # i18n key of its label
    path: str
    kind: str  # "int", "float" or "select"
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.01
    options: tuple[str, ...] = ()


TRANSFER_PATH = "staff.transfer_seniors_to_townships"
LEVERS: tuple[Lever, ...] = (
    # in full-county doctors (the model scales them to the county's size): "46" means the county's 46
    Lever("transfer_seniors", TRANSFER_PATH, "int", 0, 200, 2),
    Lever("township_inpatient_ratio", "insurance.resident.inpatient_ratio.1", "float", 0.5, 0.95, 0.01),
    Lever("county_inpatient_ratio", "insurance.resident.inpatient_ratio.2", "float", 0.4, 0.95, 0.01),
    Lever("outside_inpatient_ratio", "insurance.resident.inpatient_ratio.3", "float", 0.3, 0.9, 0.01),
    Lever("no_referral_penalty", "insurance.resident.no_referral_penalty", "float", 0.0, 0.4, 0.01),
    Lever("drug_markup", "prices.drug_markup", "float", 0.0, 0.3, 0.01),
    Lever("payment_regime", "payment.regime", "select", options=("ffs", "capitation", "drg")),
    Lever("reserved_slots", "policy.reserved_slot_share", "float", 0.0, 0.5, 0.01),
    Lever("reserved_beds", "policy.reserved_bed_share", "float", 0.0, 0.5, 0.01),
    Lever("contract_rate", "policy.contract_rate", "float", 0.0, 1.0, 0.01),
)
LEVER_BY_KEY = {lv.key: lv for lv in LEVERS}


def shown_value(lever: Lever, value: Any) -> Any:
    """A lever's value as the panel shows it and the log records it (int, float or option name)."""
    return int(value) if lever.kind == "int" else (str(value) if lever.kind == "select" else float(value))


class VizModel(CountyModel):
    """A ``CountyModel`` the visual can create, steer and draw.

    Args:
        scenario_name: a built-in scenario name or a TOML path.
        population: residents of the scaled county (the demo default is responsive).
        rng: the seed (SolaraViz may pass it as text).
    """

    def __init__(self, scenario_name: str | None = None, population: int = DEFAULT_POPULATION, rng: int | str = 1):
        super().__init__(load_scenario(scenario_name or default_scenario()), rng=int(rng), population=int(population))
        # the browser changes levers from its own thread: never in the middle of a simulated day
        self.lock = threading.RLock()
        self.scenario_name = scenario_name or default_scenario()
        n = self.county.n_facilities
        # recent patient flows between facilities (origin, destination), fading over ~a month
        self.flow_up = np.zeros((n, n))
        self.flow_down = np.zeros((n, n))
        self.flow_bypass = np.zeros((n, n))
        self.visits_recent = np.zeros(n)
        self._referred_from = np.full(self.ep.capacity, -1, dtype=np.int64)  # per episode: who referred it, until it chooses
        self.visits_history: list[np.ndarray] = []
        self._stepping = False  # inside step(): a lever changed now applies from today, not tomorrow
        self.lever_log: list[tuple[int, str, Any]] = []  # (first day under the value, lever key, value shown)
        self.lever_version = 0  # bumped whenever a lever's value changes: the lever panel redraws on it
        self.lever_values = {lv.key: self._read_lever(lv) for lv in LEVERS}
        self.events.subscribe("referral", self._on_referral)
        self.events.subscribe("choice", self._on_choice)
        self.events.subscribe("down_referral", self._on_down_referral)
        self.events.subscribe("lever", self._on_lever)

    # ------------------------------------------------------------------ levers
    def _read_lever(self, lever: Lever) -> Any:
        return shown_value(lever, get_path(self.p, lever.path))

    def _on_lever(self, day: int, path: str, old: Any, new: Any) -> None:
        """A scenario field changed by any route (the user, the timeline): the levers it moves are
        refreshed in ``lever_values``, logged for the charts and counted in ``lever_version``, so
        that the panel shows what the model uses."""
        # the next simulated day (row ``steps`` of the series) is the first under the new value; inside a
        # step (the timeline), today (row ``steps - 1``) already is
        first_day = self.steps - 1 if self._stepping else self.steps
        for lever in LEVERS:
            now = self._read_lever(lever)
            if now != self.lever_values[lever.key]:
                self.lever_values[lever.key] = now
                self.lever_log.append((first_day, lever.key, now))
                self.lever_version += 1

    def apply_lever(self, key: str, value: Any) -> None:
        """Apply a lever from the next simulated day (the value as the panel shows it)."""
        lever = LEVER_BY_KEY[key]
        with self.lock:
            self.set_lever(lever.path, shown_value(lever, value))

    # ------------------------------------------------------------------ flows (the engine's events)
    def _referrals(self) -> np.ndarray:
        """Per episode id, the facility whose referral it has not yet acted on (-1: none)."""
        if len(self._referred_from) < self.ep.capacity:  # the episode pool grew
            grown = np.full(self.ep.capacity, -1, dtype=np.int64)
            grown[: len(self._referred_from)] = self._referred_from
            self._referred_from = grown
        return self._referred_from

    def _on_referral(self, day: int, eps: np.ndarray, facility: np.ndarray, tier: np.ndarray) -> None:
        self._referrals()[eps] = facility  # the facility that writes the referral

    def _on_choice(self, day: int, eps: np.ndarray, facility: np.ndarray, first: np.ndarray, letter: np.ndarray,
                   severity: np.ndarray, home: np.ndarray) -> None:
        pending = self._referrals()
        origin = np.where(first, -1, pending[eps])  # a recycled episode id carries no old referral
        pending[eps] = -1  # a referral is acted on once
        went = facility >= 0
        tier = self.fac.tier
        # a referred patient may still choose a lower tier (the letter is only a nudge): not an upward flow
        up = went & (origin >= 0) & (tier[np.maximum(facility, 0)] > tier[np.maximum(origin, 0)])
        np.add.at(self.flow_up, (origin[up], facility[up]), 1.0)
        bypass = went & first & (severity <= COMMON) & (tier[np.maximum(facility, 0)] >= 2)
        np.add.at(self.flow_bypass, (self.county.homes[home[bypass]], facility[bypass]), 1.0)

    def _on_down_referral(self, day: int, eps: np.ndarray, origin: np.ndarray, facility: np.ndarray) -> None:
        np.add.at(self.flow_down, (origin, facility), 1.0)

    def step(self) -> None:
        fade = math.exp(-1.0 / FLOW_MEMORY_DAYS)
        with self.lock:
            for flows in (self.flow_up, self.flow_down, self.flow_bypass, self.visits_recent):
                flows *= fade
            self._stepping = True
            try:
                super().step()
            finally:
                self._stepping = False
            self.visits_recent += self.fac.visits_today
            self.visits_history.append(self.fac.visits_today.copy())


# ---------------------------------------------------------------------- figures the views show
def series(model: CountyModel, key: str) -> np.ndarray:
    """One daily metric as an array (read straight from the DataCollector, no DataFrame)."""
    return np.asarray(model.datacollector.model_vars.get(key, []), dtype=float)


def daily(model: CountyModel) -> dict[str, np.ndarray]:
    """The daily columns the target formulas read (``metrics.target_series``)."""
    return {k: series(model, k) for k in (*(f"visits_{t}" for t in TIERS), "life_expectancy")}


def target_series(model: CountyModel, window: int = SMOOTH_DAYS) -> dict[str, np.ndarray]:
    """Daily primary-care and county-internal visit shares (trailing ``window`` days) and life
    expectancy (once a year has been measured)."""
    return metrics.target_series(daily(model), window)


def current_targets(model: CountyModel) -> dict[str, float]:
    """The 2025 targets over the last simulated year (the run so far if shorter)."""
    s = target_series(model, TARGET_WINDOW_DAYS)
    return {k: (float(v[-1]) if len(v) else float("nan")) for k, v in s.items()}


def target_status(value: float, key: str) -> bool | None:
    """True if met, False if not, None if not yet measured."""
    return None if not np.isfinite(value) else bool(value >= TARGETS[key])


def money_series(model: CountyModel, window: int = SMOOTH_DAYS) -> dict[str, np.ndarray]:
    """Fund balance (¥ million), out-of-pocket share of bills (rolling) and cumulative surplus by tier (¥ million)."""
    bills = sum(series(model, f"visit_cost_{t}") + series(model, f"stay_cost_{t}") for t in TIERS)
    oop = series(model, "oop_outpatient") + series(model, "oop_inpatient")
    oop_share = metrics.ratio(metrics.trailing_sum(oop, window), metrics.trailing_sum(np.asarray(bills, dtype=float), window))
    out = {"fund_balance": series(model, "fund_balance") / 1e6, "oop_share": oop_share}
    for t in TIERS:
        out[f"surplus_{t}"] = series(model, f"surplus_{t}") / 1e6
    return out


def compare_metrics(model: CountyModel) -> dict[str, np.ndarray]:
    """The series compare mode differences (rolling where daily values are noisy)."""
    s = target_series(model)
    m = money_series(model)
    return {
        "primary_visit_share": s["primary_visit_share"],
        "county_internal_visit_share": s["county_internal_visit_share"],
        "wait_county": series(model, "wait_county"),
        "wait_township": series(model, "wait_township"),
        "fund_balance": m["fund_balance"],
        "oop_share": m["oop_share"],
        "surplus_township": m["surplus_township"],
        "surplus_county": m["surplus_county"],
    }


FACILITY_FACTS = ("visits_today", "capacity", "wait_days", "senior", "junior", "village_doctors", "on_loan", "nurses",
                  "beds", "beds_occupied", "revenue", "surplus", "skill")


def facility_facts(model: CountyModel, fid: int) -> dict[str, float]:
    """Load, wait, staff, beds and money of one facility today (from its agent)."""
    f = model.facility(fid)
    return {k: getattr(f, k) for k in FACILITY_FACTS}
