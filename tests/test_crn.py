"""Common random numbers across lever changes: a run differs from another only where a policy
changes behaviour, never because a lever was touched."""

from __future__ import annotations

import numpy as np
from reformsim.model.metrics import timeseries
from reformsim.model.model import CountyModel
from reformsim.model.params import Scenario, TimelineEvent


def _days_that_differ(a: CountyModel, b: CountyModel) -> list[int]:
    ta, tb = timeseries(a), timeseries(b)
    differ = np.zeros(len(ta), dtype=bool)
    for c in ta.columns:
        x, y = ta[c].to_numpy(dtype=float), tb[c].to_numpy(dtype=float)
        differ |= ~((x == y) | (np.isnan(x) & np.isnan(y)))
    return np.flatnonzero(differ).tolist()


def test_a_lever_set_to_its_current_value_changes_nothing():
    a, b = CountyModel(rng=5, population=20_000), CountyModel(rng=5, population=20_000)
    for day in range(365):
        if day == 100:
            for path, value in (("prices.drug_markup", 0.15), ("policy.contract_rate", 0.25),
                                ("staff.approved_primary_posts", 0.0), ("payment.regime", "ffs")):
                b.set_lever(path, value)
        a.step()
        b.step()
    assert _days_that_differ(a, b) == []
    assert np.array_equal(a.res.contract, b.res.contract)


def test_a_reform_leaves_the_days_before_it_as_they_were_and_other_levers_leave_contracts_alone():
    reform = Scenario().model_copy(update={"timeline": [
        TimelineEvent(day=200, path="prices.drug_markup", value=0.0),
        TimelineEvent(day=200, path="staff.transfer_seniors_to_townships", value=46),
    ]})
    a, b = CountyModel(rng=6, population=8_000), CountyModel(reform, rng=6, population=8_000)
    contracts = []
    for _ in range(260):
        a.step()
        b.step()
        contracts.append(np.array_equal(a.res.contract, b.res.contract))
    differ = _days_that_differ(a, b)
    assert differ and min(differ) >= 200
    assert all(contracts), "a lever other than the contract rates redrew family-doctor contracts"


def test_contracts_are_renewed_yearly_and_keep_the_key_population_at_its_rate():
    m = CountyModel(rng=3, population=10_000)
    r = m.res
    before = r.contract[: r.n].copy()
    m.run_days(366)
    before = np.concatenate([before, np.zeros(r.n - len(before), dtype=bool)])  # rows added for newborns
    alive = r.alive[: r.n]
    key = ((r.age(m.day) >= 65) | (r.chronic[: r.n] > 0)) & alive
    rate_key = m.p.policy.contract_rate_key
    assert abs(r.contract[: r.n][key].mean() - rate_key) < 0.03
    # residents who joined the key population during the year got their contract at the renewal
    joined = key & ~before & r.contract[: r.n]
    assert joined.any()
    assert m.contract_count == np.count_nonzero(r.contract[: r.n])
