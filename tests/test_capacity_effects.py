"""Issue 18's capacity levers each move a target or a key metric, in the direction the evidence
gives, by more than seed noise: paired over 5 seeds (common random numbers), every seed's
difference has the expected sign and their mean is more than twice its standard error.

EVIDENCE rows: S2 (township doctors: +1 physician, +0.8-1.2% outpatient visits), seed 002
(reserved tertiary slots raise attendance of referrals), S6 and P7 (hospital beds keep inpatients
in the county). Reserved tertiary beds are tested in tests/test_capacity.py.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from paired import scenario
from reformsim.model.metrics import summarize
from reformsim.model.model import CountyModel
from reformsim.model.params import Scenario

SEEDS = (1, 2, 3, 4, 5)
POP, DAYS = 20_000, 365
COUNTY_BEDS = Scenario().facilities.county_beds
COUNTY_STAFF = {f"facilities.{k}": getattr(Scenario().facilities, k) for k in ("county_senior", "county_junior", "county_nurses")}


@cache
def summary(changes: tuple, seed: int) -> dict:
    m = CountyModel(scenario(changes), rng=seed, population=POP)
    m.run_days(DAYS)
    return summarize(m)


def township_visits(x: dict) -> float:
    return x["visits_by_tier"]["township"]


def metric(name: str):
    return lambda x: x[name]


LEVERS = {
    # seed 004 Chongqing: county juniors to the townships in the winter peak (潮汐式)
    "tidal deployment": ((("staff.tidal_share", 0.2), ("staff.tidal_months", (1, 2, 12))), township_visits, +1),
    # seed 000: 212 approved primary posts filled over 3 years (编制)
    "recruitment": ((("staff.approved_primary_posts", 212.0),), township_visits, +1),
    # seed 002: 1/3 of tertiary slots for contracted residents referred up
    "reserved slots": ((("policy.reserved_slot_share", 1 / 3), ("policy.contract_rate", 0.4)), metric("referral_attendance"), +1),
    # a third more county beds, staffed (S6, P7)
    "county bed expansion": ((("facilities.county_beds", tuple(b * 4 / 3 for b in COUNTY_BEDS)),
                              *((k, tuple(v * 4 / 3 for v in vals)) for k, vals in COUNTY_STAFF.items())),
                             metric("county_internal_inpatient_share"), +1),
}
# reserved capacity is compared with the same contracting without it: only the reservation differs
BASE = {"reserved slots": (("policy.contract_rate", 0.4),)}


# referrals up to the tertiary hospital now book a specialist appointment (预约转诊, choice.seen_at_once), so
# reserved slots are used; but at the calibrated tertiary capacity its outpatient load is ~0.53 (waits ~0)
# and only ~16 referrals a day reach it from the whole county, too few for the share of all referrals
# followed up to move beyond seed noise: open, issue 18
SLOTS_OPEN = pytest.mark.xfail(strict=True, reason="reserved tertiary slots: tertiary outpatient capacity is not scarce at baseline (issue 18)")


@pytest.mark.parametrize("lever", [pytest.param(k, marks=SLOTS_OPEN) if k == "reserved slots" else k for k in LEVERS])
def test_a_capacity_lever_moves_its_key_metric_beyond_seed_noise(lever):
    changes, read, sign = LEVERS[lever]
    base = BASE.get(lever, ())
    diff = np.array([read(summary(changes, seed)) - read(summary(base, seed)) for seed in SEEDS])
    mean, se = diff.mean(), diff.std(ddof=1) / np.sqrt(len(diff))
    print(f"{lever}: paired differences {np.round(diff, 5)} (mean {mean:.5f}, se {se:.5f})")
    assert (np.sign(diff) == sign).all(), diff
    assert abs(mean) > 2 * se, (mean, se)
