"""The reform levers a person can move in the visual: which scenario field each one sets, its
range, and how its value is shown.

A lever's value is stored as the scenario holds it (a share as 0.33, doctors as 46); the panel
shows shares as percentages. Staff counts are quoted for the whole county (the model scales
them to the simulated population), so "46" means the county's 46 doctors at any demo size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Lever:
    """One control: ``path`` is the dotted scenario field ``CountyModel.set_lever`` changes."""

    key: str  # its label, explanation and evidence in viz/text.py and viz/explain.py
    path: str
    kind: str  # "int", "share" or "select"
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.01
    options: tuple[str, ...] = ()


LEVERS: tuple[Lever, ...] = (
    Lever("transfer_seniors", "staff.transfer_seniors_to_townships", "int", 0, 200, 2),
    Lever("township_inpatient_ratio", "insurance.resident.inpatient_ratio.1", "share", 0.5, 0.95),
    Lever("county_inpatient_ratio", "insurance.resident.inpatient_ratio.2", "share", 0.4, 0.95),
    Lever("outside_inpatient_ratio", "insurance.resident.inpatient_ratio.3", "share", 0.3, 0.9),
    Lever("no_referral_penalty", "insurance.resident.no_referral_penalty", "share", 0.0, 0.4),
    Lever("drug_markup", "prices.drug_markup", "share", 0.0, 0.3),
    Lever("payment_regime", "payment.regime", "select", options=("ffs", "capitation", "drg")),
    Lever("reserved_slots", "policy.reserved_slot_share", "share", 0.0, 0.5),
    Lever("reserved_beds", "policy.reserved_bed_share", "share", 0.0, 0.5),
    Lever("contract_rate", "policy.contract_rate", "share", 0.0, 1.0),
)
LEVER_BY_KEY = {lv.key: lv for lv in LEVERS}
LEVER_BY_PATH = {lv.path: lv for lv in LEVERS}


def model_value(lever: Lever, value: Any) -> Any:
    """A value from a control (a slider gives floats, a select a name) as the scenario takes it."""
    if lever.kind == "int":
        return int(round(float(value)))
    if lever.kind == "select":
        if value not in lever.options:
            raise ValueError(f"{lever.key}: '{value}' is not one of {', '.join(lever.options)}")
        return str(value)
    if isinstance(value, list):  # a field by tier that the lever sets as one number (prices.drug_markup):
        value = max(value)  # where a scenario sets tiers apart, the highest is shown
    # a slider's float arithmetic (0.1 + 0.2) must not leak into the scenario file
    return round(float(value), 4)


def percent(value: float) -> str:
    """A share as the panel and the trade-offs show it: 0.335 -> '33.5%', 0.33 -> '33%'."""
    return f"{100 * float(value):.1f}".rstrip("0").rstrip(".") + "%"
