"""Row recycling: a dead resident's row serves a newborn, who inherits nothing of the dead.

Resident arrays track the living population over decades (issue 8) because newborns reuse the
rows of residents who died in earlier years; random streams are keyed by a person's ``uid``.
"""

from __future__ import annotations

import numpy as np
import pytest
from reformsim.agents.population import Residents
from reformsim.model.metrics import timeseries
from reformsim.model.model import YEAR, CountyModel
from reformsim.model.params import Scenario, with_value


def _residents(n: int) -> Residents:
    m = CountyModel(rng=3, population=n)
    return m.res


def test_released_rows_wait_for_recycle_then_serve_newborns_lowest_first() -> None:
    r = _residents(1_000)
    n0, uid0 = r.n, r.next_uid
    r.alive[[7, 3, 500]] = False
    r.release(np.array([7, 3, 500]))
    fresh = r.new_rows(2)
    assert fresh.tolist() == [n0, n0 + 1]  # not recycled yet: new rows
    r.recycle()
    rows = r.new_rows(4)
    assert rows.tolist() == [3, 7, 500, n0 + 2]
    assert r.uid[fresh].tolist() == [uid0, uid0 + 1]
    assert r.uid[rows].tolist() == [uid0 + 2, uid0 + 3, uid0 + 4, uid0 + 5]
    assert r.next_uid == uid0 + 6 and r.n == n0 + 3


def test_new_rows_grow_the_arrays_keeping_contents() -> None:
    r = _residents(500)
    before = r.birth_day[: r.n].copy()
    rows = r.new_rows(len(r.alive) + 10)  # more than the capacity left
    assert len(r.alive) >= r.n == len(before) + len(rows)
    assert np.array_equal(r.birth_day[: len(before)], before)
    assert (r.episode[len(before):] == -1).all()
    assert len(np.unique(r.uid[: r.n])) == r.n


@pytest.fixture(scope="module")
def deadly_county() -> tuple[CountyModel, list[tuple[int, int, int]]]:
    """A county with short lives, many births and deadly untreated illness, run 3 years day by day.

    Records per day: (background deaths expected from the death days, background deaths seen,
    newborns placed in recycled rows)."""
    s = Scenario()
    for path, value in (("life_expectancy_table", 45.0), ("population.crude_birth_rate", 0.06),
                        ("illness.untreated_fatality", [0.0, 0.02, 0.2, 0.5])):
        s = with_value(s, path, value)
    m = CountyModel(s, rng=5, population=3_000)
    log = []
    for _ in range(3 * YEAR):
        r, day = m.res, m.steps  # the day the next step simulates
        expected = int((r.alive[: r.n] & (r.death_day[: r.n] == day)).sum())
        n_before = r.n
        m.step()
        t = m.today
        born_today = np.flatnonzero(r.birth_day[: r.n] == day)
        recycled = int((born_today < n_before).sum())
        # a newborn dying on its birth day is a background death too
        expected += int((r.death_day[born_today] == day).sum())
        log.append((expected, t.deaths - t.excess_deaths, recycled))
    return m, log


def test_every_background_death_happens_on_its_day_and_only_then(deadly_county) -> None:
    """No newborn in a recycled row is killed by the dead person's pending death, and nobody is missed."""
    m, log = deadly_county
    expected = np.array([e for e, _, _ in log])
    seen = np.array([s for _, s, _ in log])
    assert expected.sum() > 100
    assert np.array_equal(seen, expected)
    r = m.res
    alive = r.alive[: r.n]
    assert (r.death_day[: r.n][alive] > m.day).all()


def test_rows_are_reused_and_track_the_living(deadly_county) -> None:
    m, log = deadly_county
    r = m.res
    recycled = sum(x for _, _, x in log)
    births = int(timeseries(m)["births"].sum())
    assert recycled > 100
    assert r.next_uid == 3_000 + births
    assert r.n < r.next_uid - recycled + 1  # rows in use fall short of people ever by the recycled rows
    living = r.uid[: r.n][r.alive[: r.n]]
    assert len(np.unique(living)) == len(living)
    # a recycled row never hosts a newborn in the year its previous occupant died
    assert all(x == 0 for _, _, x in log[:YEAR])


def test_recycling_keeps_episodes_and_money_conserved(deadly_county) -> None:
    m, _ = deadly_county
    assert m.ep.opened == m.ep.closed.sum() + m.ep.n_open
    open_eps = np.flatnonzero(m.ep.open)
    # every open episode belongs to the living person in its row
    assert (m.res.alive[m.ep.resident[open_eps]]).all()
    assert np.array_equal(m.res.uid[m.ep.resident[open_eps]], m.ep.person[open_eps])
    assert np.abs(timeseries(m)["money_residual"]).max() < 1e-6


def test_draws_follow_the_person_not_the_row(monkeypatch) -> None:
    """Common random numbers survive recycling: with and without row reuse, each living person
    (by uid) has the same onset days and the same background death day in year 2."""
    s = with_value(Scenario(), "population.crude_birth_rate", 0.06)

    def onsets_and_deaths(m: CountyModel) -> tuple[set, dict]:
        m.run_days(YEAR + 60)  # into year 2 (its onsets were drawn at the boundary), with births in reused rows
        r = m.res
        # the rest of the year's onsets: the list drawn at the boundary and the newborns' list
        ill = m.illness
        newborn_day, newborn_rows = ill.newborn_onsets
        rows = np.concatenate([ill.year_onsets, newborn_rows]).astype(np.int64)
        day = np.concatenate([ill.year_start + np.repeat(np.arange(len(ill.year_bounds) - 1), np.diff(ill.year_bounds)),
                              newborn_day])
        living = np.flatnonzero(r.alive[: r.n])
        return set(zip(r.uid[rows].tolist(), day.tolist(), strict=True)), dict(zip(r.uid[living].tolist(), r.death_day[living].tolist(), strict=True))

    reused = CountyModel(s, rng=2, population=3_000)
    onsets_a, deaths_a = onsets_and_deaths(reused)
    monkeypatch.setattr(Residents, "recycle", lambda self: None)
    appended = CountyModel(s, rng=2, population=3_000)
    onsets_b, deaths_b = onsets_and_deaths(appended)
    assert reused.res.n < appended.res.n  # the first did reuse rows
    both = deaths_a.keys() & deaths_b.keys()
    assert len(both) > 0.99 * len(deaths_a)
    assert all(deaths_a[u] == deaths_b[u] for u in both)
    keep = lambda pairs: {p for p in pairs if p[0] in both}  # noqa: E731
    assert keep(onsets_a) == keep(onsets_b)
