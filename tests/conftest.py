"""Shared fixtures: small counties that run in a second or two."""

from __future__ import annotations

import pytest
from reformsim.model.metrics import timeseries
from small import small_model


@pytest.fixture(scope="session")
def baseline_run():
    """One small baseline run shared by read-only tests: (model, timeseries)."""
    m = small_model(seed=3, days=400)
    return m, timeseries(m)
