"""The figures an experiment can measure: every summary key, and counts the summary does not keep.

A *figure* is named by a flat summary key (``metrics.flatten_summary``: ``cost_per_stay_county``,
``visits_by_tier_village``, ``county_internal_inpatient_share`` ...) or by one of the ``PROBES``
below. A probe subscribes to the model's events (``model.events``) and counts what a study
measured for a subgroup — first contacts of the elderly, visits of chronic patients — over the
summary's window (the last simulated year), without touching the engine.

Probes read the episode's resident (``ep.resident``) and that resident's age, chronic conditions
and contract (``res``), and the facility tiers (``fac.tier``): the only engine fields read here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
from reformsim.model.metrics import flatten_summary, ratio, summarize, timeseries
from reformsim.model.model import CountyModel
from reformsim.model.params import Scenario

from .calibrate import ResidentInpatientBills

YEAR = 365
ELDERLY_AGE = 60  # the rural elderly cohorts of F2 were 60+


@dataclass(frozen=True)
class Probe:
    """A figure counted from ``choice`` events: ``select`` picks the decisions counted (a mask
    over the day's decisions), ``hit`` those of them in the numerator."""

    label: str
    select: Callable[[CountyModel, dict], np.ndarray]
    hit: Callable[[CountyModel, dict], np.ndarray]


def _tier(m: CountyModel, ev: dict) -> np.ndarray:
    """Tier of each decision's facility; -1 for self-care or giving up."""
    fid = ev["facility"]
    return np.where(fid >= 0, m.fac.tier[np.maximum(fid, 0)], -1)


def _first_care(m: CountyModel, ev: dict) -> np.ndarray:
    return ev["first"] & (ev["facility"] >= 0)


def _residents(m: CountyModel, ev: dict) -> np.ndarray:
    return m.ep.resident[ev["eps"]]


def _elderly(m: CountyModel, ev: dict) -> np.ndarray:
    return m.res.age(m.day, _residents(m, ev)) >= ELDERLY_AGE


def _chronic(m: CountyModel, ev: dict) -> np.ndarray:
    return m.res.chronic[_residents(m, ev)] > 0


PROBES: dict[str, Probe] = {
    # R1 Yancheng's "two-week illness": minor and common episodes, the ones a two-week survey counts
    "minor_first_contact_primary_share": Probe(
        "First contacts for minor or common illness at village or township/community care",
        lambda m, ev: _first_care(m, ev) & (ev["severity"] <= 1), lambda m, ev: _tier(m, ev) <= 1),
    # P7: a general (county or tertiary) hospital as the first contact
    "first_contact_hospital_share": Probe(
        "First contacts at county or tertiary hospitals", _first_care, lambda m, ev: _tier(m, ev) >= 2),
    # P1: the probability that an episode starts any outpatient care (not self-care)
    "care_initiation": Probe(
        "Episodes whose first decision is a facility", lambda m, ev: ev["first"], lambda m, ev: ev["facility"] >= 0),
    # P6, F1: where chronic patients' care happens
    "chronic_primary_share": Probe(
        "Chronic patients' facility visits at primary care", lambda m, ev: (ev["facility"] >= 0) & _chronic(m, ev),
        lambda m, ev: _tier(m, ev) <= 1),
    "chronic_village_share": Probe(
        "Chronic patients' facility visits at village clinics", lambda m, ev: (ev["facility"] >= 0) & _chronic(m, ev),
        lambda m, ev: _tier(m, ev) == 0),
    # F2: first contacts of the elderly at a hospital (a tier up from primary care)
    "elderly_first_contact_hospital_share": Probe(
        "First contacts of residents 60+ at county or tertiary hospitals",
        lambda m, ev: _first_care(m, ev) & _elderly(m, ev), lambda m, ev: _tier(m, ev) >= 2),
}


class ProbeCounter:
    """Counts one probe's numerator and denominator from the choices made from ``measure_from`` on."""

    def __init__(self, model: CountyModel, probe: Probe, measure_from: int):
        self.model, self.probe, self.measure_from = model, probe, measure_from
        self.hits = self.selected = 0
        model.events.subscribe("choice", self)

    def __call__(self, day: int, **ev) -> None:
        if day < self.measure_from:
            return
        sel = self.probe.select(self.model, ev)
        self.selected += int(sel.sum())
        self.hits += int((sel & self.probe.hit(self.model, ev)).sum())

    @property
    def value(self) -> float:
        return ratio(float(self.hits), float(self.selected))


@cache
def summary_figures(population: int = 2_000) -> set[str]:
    """Every flat numeric summary key (from a one-day run of a tiny county)."""
    m = CountyModel(Scenario(), rng=0, population=population)
    m.run_days(1)
    return {k for k, v in flatten_summary(summarize(m)).items()
            if isinstance(v, int | float) and not isinstance(v, bool)}


BILLS = "resident_inpatient_fund_share"  # calibration's stay-bill counter (experiments/calibrate.py)


def known_figures() -> set[str]:
    return summary_figures() | set(PROBES) | {BILLS}


def measure(scenario: Scenario, seed: int, days: int, population: int | None, figures: Iterable[str]) -> dict[str, float]:
    """Run ``scenario`` once and return the named ``figures`` over its last year (NaN if absent).

    Module level, so process pools and Dask workers import it by name.
    """
    figures = tuple(figures)
    m = CountyModel(scenario, rng=seed, population=population)
    counters = {f: ProbeCounter(m, PROBES[f], max(days - YEAR, 0)) for f in figures if f in PROBES}
    bills = ResidentInpatientBills(m, measure_from=max(days - YEAR, 0)) if BILLS in figures else None
    m.run_days(days)
    flat = flatten_summary(summarize(m, timeseries(m)))
    if bills is not None:
        flat[BILLS] = bills.fund_share
    out = {}
    for f in figures:
        v = counters[f].value if f in counters else flat.get(f, float("nan"))
        out[f] = float(v) if isinstance(v, int | float) else float("nan")
    return out
