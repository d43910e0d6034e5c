"""Inpatient capacity and the levers that change it (issue 18): what a county builds once is refused
on a timeline; hospital and township staff and beds change on it, staff conserved.

Directions are paired by seed (common random numbers) on small counties.
"""

from __future__ import annotations

import numpy as np
import pytest
from reformsim.model.model import CountyModel
from reformsim.model.params import BUILD_TIME, ESTABLISHMENT, Scenario, TimelineEvent, with_value


def timeline(*events: tuple[int, str, object], base: Scenario | None = None) -> Scenario:
    s = base or Scenario()
    return s.model_copy(update={"timeline": [TimelineEvent(day=d, path=p, value=v) for d, p, v in events]})


# ---------------------------------------------------------------- build-time fields
@pytest.mark.parametrize("path", [*(f for f in BUILD_TIME if f != "county"), "county.townships", "county.population",
                                  "population.initial_trust.0"])
def test_a_field_fixed_when_the_county_is_built_is_refused_on_a_timeline(path):
    value = {"county.townships": 3, "county.population": 5_000}.get(path) or Scenario().model_dump()
    if not path.startswith("county."):
        for part in path.split("."):
            value = value[int(part)] if isinstance(value, list) else value[part]
    with pytest.raises(ValueError, match=f"timeline path '{path}': fixed when the county is built"):
        Scenario.model_validate({"timeline": [{"day": 10, "path": path, "value": value}]})
    m = CountyModel(rng=1, population=1_000)
    with pytest.raises(ValueError, match="fixed when the county is built"):
        m.set_lever(path, value)


def test_staff_and_beds_are_levers_on_a_generated_county_but_not_on_a_facilities_csv(tmp_path):
    for path in ESTABLISHMENT:
        Scenario.model_validate({"timeline": [{"day": 10, "path": path, "value": [3.0, 2.0] if "county_" in path else 3.0}]})
    csv = with_value(Scenario(), "county.facilities_csv", str(tmp_path / "f.csv")).model_dump()
    with pytest.raises(ValueError, match="a facilities CSV gives"):
        Scenario.model_validate(csv | {"timeline": [{"day": 10, "path": "facilities.tertiary_beds", "value": 9.0}]})


# ---------------------------------------------------------------- establishment on a timeline
def test_hiring_and_closing_on_a_timeline_moves_staff_and_beds_by_the_scaled_difference_conserving_staff():
    f0 = Scenario().facilities
    s = timeline((40, "facilities.county_nurses", [900.0, 360.0]), (40, "facilities.county_senior", [200.0, 70.0]),
                 (40, "facilities.township_junior", 10.0), (40, "facilities.county_beds", [1800.0, 650.0]))
    m, m0 = CountyModel(s, rng=2, population=5_000), CountyModel(rng=2, population=5_000)
    m.run_days(40)
    m0.run_days(40)
    county, towns = m.fac.tier == 2, m.county.kind == "township"
    assert np.array_equal(m.fac.beds, m0.fac.beds) and np.array_equal(m.fac.nurses, m0.fac.nurses)  # nothing before the day
    m.run_days(1)
    m0.run_days(1)
    k = m.scale
    kt = k * 15 / m.p.county.townships
    assert m.fac.beds[county] - m0.fac.beds[county] == pytest.approx([300 * k, 0.0])
    assert m.fac.nurses[county] - m0.fac.nurses[county] == pytest.approx([150 * k, 60 * k])
    assert m.fac.senior[county] - m0.fac.senior[county] == pytest.approx([20 * k, 0.0])
    assert m.fac.junior[towns] - m0.fac.junior[towns] == pytest.approx(np.full(towns.sum(), (10 - f0.township_junior) * kt))
    assert m.staff.hired - m0.staff.hired == pytest.approx((150 + 60 + 20) * k)
    assert m.staff.left - m0.staff.left == pytest.approx((f0.township_junior - 10) * kt * towns.sum())
    assert m.staff_balance == pytest.approx(0.0, abs=1e-6)
    m.run_days(100)
    assert m.staff_balance == pytest.approx(0.0, abs=1e-6)
