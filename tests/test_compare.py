"""``reformsim compare``: same seeds for every scenario, paired differences, table, plot and parquet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reformsim.experiments.cli import main
from reformsim.experiments.compare import (
    compare,
    format_comparison,
    mean_interval,
    numeric_summary,
    write_comparison,
)
from reformsim.experiments.io import read_parquet
from reformsim.model.metrics import TARGETS
from reformsim.model.params import Scenario, TimelineEvent

DAYS = 60
POP = 2_500


def reform(day: int = 20) -> Scenario:
    """A reform that shows quickly: case payment (stays paid per case shorten at once) and zero
    mark-up from ``day``."""
    return Scenario(name="reform", timeline=[
        TimelineEvent(day=day, path="payment.regime", value="drg"),
        TimelineEvent(day=day, path="prices.drug_markup", value=0.0),
    ])


@pytest.fixture(scope="module")
def comparison():
    return compare([Scenario(name="baseline"), reform(), Scenario(name="baseline_again")], seeds=[1, 2], days=DAYS,
                   population=POP)


def test_every_scenario_runs_with_every_seed(comparison):
    t = comparison.table
    assert set(t["scenario"].astype(str)) == {"baseline", "reform", "baseline_again"}
    counts = t.groupby(["scenario", "metric"], observed=True).size()
    assert (counts == 2).all()
    assert set(comparison.series["seed"]) == {1, 2}
    assert comparison.series.groupby(["scenario", "seed"]).size().eq(DAYS).all()


def test_differences_are_paired_by_seed(comparison):
    t = comparison.table.assign(scenario=comparison.table["scenario"].astype(str))
    ref = t[t.scenario == "baseline"].set_index(["seed", "metric"])["value"]
    for _, g in t.groupby("scenario"):
        g = g.set_index(["seed", "metric"])
        expect = g["value"] - ref.reindex(g.index)
        assert np.allclose(g["diff"], expect, equal_nan=True)
    assert (t[t.scenario == "baseline"]["diff"].dropna() == 0).all()


def test_common_random_numbers_make_an_identical_scenario_differ_by_exactly_zero(comparison):
    t = comparison.table
    again = t[t["scenario"] == "baseline_again"]
    assert (again["diff"].dropna() == 0).all()
    assert again["diff"].notna().any()


def test_reform_moves_the_paired_difference(comparison):
    t = comparison.table
    los = t[(t["scenario"] == "reform") & (t["metric"] == "avg_length_of_stay")]["diff"]
    assert (los < 0).all()


def test_printed_table_has_targets_key_metrics_and_differences(comparison):
    text = format_comparison(comparison)
    assert "基层就诊率" in text and "县域内就诊率" in text and "预期寿命" in text
    assert "target ≥ 65.0%" in text
    assert "diff" in text and "90%" in text
    assert "avg_length_of_stay" in text and "reform" in text
    block = text.split("基层就诊率")[1]
    assert block.index("baseline") < block.index("reform") < block.index("baseline_again")  # the order given


def test_writes_parquet_and_a_png_plot(comparison, tmp_path):
    paths = write_comparison(comparison, tmp_path / "cmp")
    table = read_parquet(tmp_path / "cmp" / "comparison.parquet")
    assert {"scenario", "seed", "metric", "value", "diff", "scenario_hash", "version"} <= set(table.columns)
    assert len(table) == len(comparison.table)
    series = read_parquet(tmp_path / "cmp" / "targets_over_time.parquet")
    assert set(TARGETS) <= set(series.columns)
    png = (tmp_path / "cmp" / "targets.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert len(paths) == 3


def test_mean_interval_covers_the_mean_and_shrinks_with_agreement():
    m, lo, hi = mean_interval(np.array([1.0, 2.0, 3.0, 4.0]))
    assert lo < m == 2.5 < hi
    _, lo2, hi2 = mean_interval(np.array([2.4, 2.5, 2.5, 2.6]))
    assert hi2 - lo2 < hi - lo
    assert mean_interval(np.array([5.0])) == (5.0, 5.0, 5.0)
    assert all(np.isnan(mean_interval(np.array([np.nan]))))


def test_numeric_summary_spreads_tiers_and_drops_labels():
    flat = numeric_summary({"a": 1, "b": {"county": 2.0}, "scenario": "x", "seed": 3, "flag": True})
    assert flat == {"a": 1.0, "b_county": 2.0}


def test_repeated_names_are_refused():
    with pytest.raises(ValueError, match="names"):
        compare([Scenario(name="a"), Scenario(name="a")], seeds=[1], days=2, population=POP)


def test_compare_command_prints_and_writes(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["compare", "baseline", "chuxiong_five_ones", "--seeds", "2", "--years", "0.1",
                 "--population", "2000", "--out", str(out), "--quiet"])
    assert code == 0
    text = capsys.readouterr().out
    assert "chuxiong_five_ones" in text and "diff" in text
    assert (out / "comparison.parquet").exists() and (out / "targets.png").exists()
    t = pd.read_parquet(out / "comparison.parquet")
    assert sorted(t["seed"].unique()) == [1, 2]


@pytest.mark.parametrize(("argv", "message"), [
    (["compare", "baseline"], "at least two"),
    (["compare", "baseline", "no_such_scenario"], "no_such_scenario"),
    (["compare", "baseline", "baseline"], "repeat"),
])
def test_compare_command_user_errors_exit_2_with_one_line(argv, message, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path / "x"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_parallel_workers_give_the_same_table(comparison):
    par = compare([Scenario(name="baseline"), reform(), Scenario(name="baseline_again")], seeds=[1, 2], days=DAYS,
                  population=POP, workers=2)
    pd.testing.assert_frame_equal(par.table, comparison.table)
