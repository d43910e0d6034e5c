"""The target and summary formulas (model/metrics.py), written once and used everywhere."""

from __future__ import annotations

import math

import numpy as np
import pytest
from reformsim.model import metrics
from reformsim.model.params import TIERS


def test_trailing_sums_match_direct_sums():
    rng = np.random.default_rng(0)
    x = rng.random((50, 4))
    s = metrics.trailing_sum(x, 7)
    assert s[20] == pytest.approx(x[14:21].sum(axis=0))
    assert s[2] == pytest.approx(x[:3].sum(axis=0))


def test_shares_by_tier_for_a_day_and_for_a_series():
    day = [10.0, 20.0, 30.0, 40.0]
    assert metrics.primary_visit_share(day) == pytest.approx(30 / 60)
    assert metrics.county_internal_visit_share(day) == pytest.approx(60 / 100)
    assert metrics.county_internal_inpatient_share(day) == pytest.approx(50 / 100)
    series = np.array([day, [0.0, 0.0, 0.0, 5.0]])
    assert np.allclose(metrics.primary_visit_share(series), [0.5, np.nan], equal_nan=True)
    assert math.isnan(metrics.ratio(1.0, 0.0))


def test_target_series_leave_life_expectancy_blank_until_a_year_is_measured():
    days = 400
    daily = {f"visits_{t}": np.ones(days) for t in TIERS} | {"life_expectancy": np.full(days, 95.0)}
    s = metrics.target_series(daily, 30)
    assert np.isnan(s["life_expectancy"][:365]).all() and (s["life_expectancy"][365:] == 95.0).all()
    assert s["primary_visit_share"][-1] == pytest.approx(2 / 3)


def test_flat_summary_columns_are_named_like_the_daily_series():
    flat = metrics.flatten_summary({"a": 1, "cost_per_visit": {"county": 2.0}, "scenario": "x"})
    assert flat == {"a": 1, "cost_per_visit_county": 2.0, "scenario": "x"}
