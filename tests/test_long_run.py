"""Long runs: 30 simulated years of the default county keep memory flat after the warm-up.

A full 631k-resident, 30-year run is too slow for the suite, so this runs the default county
scaled to 50,000 residents (same structure, staff and beds per resident) for 30 years and
measures, at the end of each year, the model's state (``model.nbytes``: residents, episodes,
facilities, calendars), the process RSS and the size of the daily time series. The state and the
RSS may grow at most 10% from year 5 to year 30 (newborns reuse the rows of the dead; the daily
series is stored as C doubles); the figures are in docs/reliability.md.

Run as a script for the table: ``.venv/bin/python tests/test_long_run.py [residents] [years]``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import pytest
from reformsim.model.model import YEAR, CountyModel
from reformsim.model.params import Scenario, with_value

RESIDENTS = 50_000
YEARS = 30
WARM_UP_YEARS = 5
MAX_GROWTH = 0.10


@dataclass
class YearMemory:
    year: int
    state_bytes: int  # model.nbytes
    residents_bytes: int
    episodes_bytes: int
    calendar_bytes: int
    rows_ever: int  # resident rows ever used (newborns reuse the rows of earlier years' dead)
    alive: int
    open_episodes: int
    series_cells: int  # daily metrics held by the DataCollector
    rss_mb: float
    seconds: float


def rss_mb() -> float:
    """Resident set size of this process (Linux /proc), in MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(m: CountyModel, year: int, seconds: float) -> YearMemory:
    r = m.res
    return YearMemory(
        year=year, state_bytes=m.nbytes, residents_bytes=r.nbytes, episodes_bytes=m.ep.nbytes,
        calendar_bytes=m.calendar_nbytes, rows_ever=r.n,
        alive=int(r.alive[: r.n].sum()), open_episodes=m.ep.n_open,
        series_cells=sum(len(v) for v in m.datacollector.model_vars.values()), rss_mb=rss_mb(), seconds=seconds,
    )


def run_years(residents: int = RESIDENTS, years: int = YEARS, seed: int = 1) -> list[YearMemory]:
    """Run the scaled default county, measuring memory at the end of every year. Background
    mortality is held at its level (no secular decline): with the decline the county ages and keeps
    more episodes open, by design, and memory is measured on a stationary population."""
    m = CountyModel(with_value(Scenario(), "mortality_decline", 0.0), rng=seed, population=residents)
    out = [measure(m, 0, 0.0)]
    for year in range(1, years + 1):
        t = time.perf_counter()
        m.run_days(YEAR)
        out.append(measure(m, year, time.perf_counter() - t))
        assert m.ep.opened == m.ep.closed.sum() + m.ep.n_open
    return out


def growth(rows: list[YearMemory], attr: str, since: int = WARM_UP_YEARS) -> float:
    """Largest relative increase of ``attr`` over its value at year ``since``."""
    base = getattr(rows[since], attr)
    return max(getattr(r, attr) for r in rows[since:]) / base - 1


@pytest.fixture(scope="module")
def thirty_years() -> list[YearMemory]:
    """One 50,000-resident, 30-year run shared by the assertions below (~1-2 minutes)."""
    return run_years()


@pytest.mark.slow
def test_thirty_years_complete_with_flat_episode_memory(thirty_years: list[YearMemory]) -> None:
    """The run completes; open episodes and their pool track the living population, not the years gone by."""
    rows = thirty_years
    assert [r.year for r in rows] == list(range(YEARS + 1))
    assert growth(rows, "episodes_bytes") <= MAX_GROWTH, table(rows)
    # open at the year's end (winter): the ill of the last days, those waiting their turn at a
    # full clinic and the inpatients, some 4-6% of residents as the population ages
    assert max(r.open_episodes for r in rows) <= 0.08 * RESIDENTS, table(rows)
    # the time series is one row a day by design: it grows linearly, never faster
    cells_per_year = [b.series_cells - a.series_cells for a, b in zip(rows, rows[1:], strict=False)]
    assert len(set(cells_per_year)) == 1, cells_per_year


@pytest.mark.slow
def test_thirty_years_memory_grows_at_most_10_percent(thirty_years: list[YearMemory]) -> None:
    """The criterion: model state (``model.nbytes``) and the process RSS grow at most 10% after year 5."""
    assert growth(thirty_years, "state_bytes") <= MAX_GROWTH, table(thirty_years)
    assert growth(thirty_years, "residents_bytes") <= MAX_GROWTH, table(thirty_years)
    assert growth(thirty_years, "rss_mb") <= MAX_GROWTH, table(thirty_years)
    # the rows in use track the living: people ever born in the run far outnumber them
    last = thirty_years[-1]
    assert last.rows_ever < 1.1 * max(r.alive for r in thirty_years), table(thirty_years)


def table(rows: list[YearMemory]) -> str:
    """Markdown table of the yearly figures."""
    head = "| year | state MB | residents MB | episodes MB | calendars MB | rows | alive | open episodes | series cells | RSS MB | s/year |"
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        lines.append(f"| {r.year} | {r.state_bytes / 1e6:.2f} | {r.residents_bytes / 1e6:.2f} | {r.episodes_bytes / 1e6:.2f} | "
                     f"{r.calendar_bytes / 1e6:.2f} | {r.rows_ever:,} | {r.alive:,} | {r.open_episodes:,} | "
                     f"{r.series_cells:,} | {r.rss_mb:.0f} | {r.seconds:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else RESIDENTS
    y = int(sys.argv[2]) if len(sys.argv) > 2 else YEARS
    figures = run_years(n, y)
    print(table(figures))
    for attr in ("state_bytes", "residents_bytes", "episodes_bytes", "calendar_bytes", "rss_mb"):
        print(f"growth of {attr} after year {WARM_UP_YEARS}: {100 * growth(figures, attr):.1f}%")
