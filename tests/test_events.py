"""The model's events: what subscribers are told matches what the day's counters record."""

from __future__ import annotations

import numpy as np
import pytest
from reformsim.model.model import CountyModel
from reformsim.model.params import Scenario, with_value


class Recorder:
    """Sums each event's entries by day."""

    def __init__(self, model: CountyModel):
        self.counts: dict[str, dict[int, float]] = {}
        self.oop: dict[int, float] = {}
        for name in ("choice", "referral", "admission", "down_referral", "stay_bill"):
            model.events.subscribe(name, self._counter(name))
        model.events.subscribe("stay_bill", self._stay_bill)
        self.first_contacts: dict[int, int] = {}
        model.events.subscribe("choice", self._choice)

    def _counter(self, name: str):
        def count(day: int, eps: np.ndarray, **_) -> None:
            by_day = self.counts.setdefault(name, {})
            by_day[day] = by_day.get(day, 0) + len(eps)
        return count

    def _stay_bill(self, day: int, oop: np.ndarray, **_) -> None:
        self.oop[day] = self.oop.get(day, 0.0) + float(oop.sum())

    def _choice(self, day: int, facility: np.ndarray, first: np.ndarray, **_) -> None:
        self.first_contacts[day] = self.first_contacts.get(day, 0) + int(((facility >= 0) & first).sum())


@pytest.fixture(scope="module")
def recorded():
    s = with_value(Scenario(), "payment.regime", "drg")  # more down-referrals to see
    # 30,000 residents: a township then has some two staffed beds to take patients moved down
    m = CountyModel(s, rng=2, population=30_000)
    rec = Recorder(m)
    rows = []
    for _ in range(200):
        m.step()
        rows.append(m.today.row)
    return rec, rows


def test_events_tell_what_the_days_counters_count(recorded):
    rec, rows = recorded
    for day, row in enumerate(rows):
        assert rec.counts.get("referral", {}).get(day, 0) == row["referrals_up"]
        assert rec.counts.get("down_referral", {}).get(day, 0) == row["referrals_down"]
        admissions = sum(row[f"admissions_{t}"] for t in ("village", "township", "county", "tertiary"))
        assert rec.counts.get("admission", {}).get(day, 0) == admissions
        assert rec.first_contacts.get(day, 0) == row["first_contacts"]
        assert rec.oop.get(day, 0.0) == pytest.approx(row["oop_inpatient"], rel=1e-9, abs=1e-6)
    assert sum(rec.counts["down_referral"].values()) > 0


def test_lever_event_names_the_field_and_both_values():
    m = CountyModel(rng=1, population=2_000)
    seen = []
    m.events.subscribe("lever", lambda **kw: seen.append(kw))
    m.run_days(3)
    m.set_lever("prices.drug_markup", 0.0)
    # the scenario holds the mark-up by tier; one number set every tier
    assert seen == [{"day": 2, "path": "prices.drug_markup", "old": [0.15] * 4, "new": [0.0] * 4}]


def test_subscribing_to_an_unknown_event_is_an_error():
    m = CountyModel(rng=1, population=1_000)
    with pytest.raises(ValueError, match="unknown event 'refferal'"):
        m.events.subscribe("refferal", print)


def test_subscribers_change_nothing():
    a = CountyModel(rng=4, population=3_000)
    b = CountyModel(rng=4, population=3_000)
    Recorder(b)
    a.run_days(120)
    b.run_days(120)
    assert a.today.row.keys() == b.today.row.keys()
    assert np.array_equal(list(a.today.row.values()), list(b.today.row.values()), equal_nan=True)
