"""The evidence file, paired effects, the scoreboard's rules and `reformsim validate`."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from reformsim.experiments.cli import main
from reformsim.experiments.evidence_file import EvidenceError, arms, load_evidence, parse_evidence
from reformsim.experiments.paired import effect
from reformsim.experiments.scoreboard import counts, judge
from reformsim.model.params import with_value

# every row family of the project's evidence list, by id
FAMILIES = ({f"P{i}" for i in range(1, 8)} | {f"D{i}" for i in range(1, 6)} | {f"Y{i}" for i in range(1, 8)}
            | {f"F{i}" for i in range(1, 6)} | {f"S{i}" for i in range(1, 8)} | {f"M{i}" for i in range(1, 4)}
            | {f"R{i}" for i in range(1, 4)})

ROW = """
[[rows]]
id = "T1"
citation = "c"
setting = "s"
design = "d"
role = "training"
published = {{ text = "t", point = -0.1, low = -0.2, high = -0.05 }}
measure = {{ figure = "{figure}", effect = "relative" }}
[rows.experiment]
lever = {{ {lever} }}
"""


def row_text(figure: str = "visits_per_capita", lever: str = '"prices.drug_markup" = 0.0') -> str:
    return ROW.format(figure=figure, lever=lever)


@pytest.fixture(scope="module")
def rows():
    return load_evidence()


def test_builtin_file_holds_every_row_family_with_roles(rows):
    ids = {re.sub(r"[a-z]$", "", r.id) for r in rows}
    assert ids >= FAMILIES
    roles = {r.role for r in rows if r.status == "expressible"}
    assert roles == {"training", "held_out", "check"}
    for r in rows:
        assert r.citation and r.published.text
        assert r.status == "expressible" or r.missing


def test_seed_reported_outcomes_are_checks_on_their_scenarios(rows):
    by_id = {r.id: r for r in rows}
    assert by_id["R2a"].published.point == pytest.approx(0.8502)
    assert by_id["R2b"].published.point == pytest.approx(0.5856)
    assert by_id["R2c"].published.point == pytest.approx(0.3917)
    assert by_id["R1a"].published.point == pytest.approx(0.387)
    assert by_id["R1b"].published.point == pytest.approx(0.7561)
    assert {by_id[i].experiment.scenario for i in ("R1a", "R2a", "R3a")} == {"yancheng", "tongren", "chuxiong_city_group"}


def test_arms_share_the_county_and_differ_only_by_the_lever(rows):
    p1 = next(r for r in rows if r.id == "P1a")
    base, lever = arms(p1, population=5_000, patch={"behaviour.beta_quality": 4.0})
    assert base.county.urban_share == lever.county.urban_share == 0.0
    assert base.behaviour.beta_quality == lever.behaviour.beta_quality == 4.0
    assert base.prices.service_multiplier == [1.0] * 4 and lever.prices.service_multiplier == [1.1] * 4
    r3 = next(r for r in rows if r.id == "R2a")
    base, lever = arms(r3, population=None)
    assert base is None and lever.county.mountain_share == 0.7 and lever.timeline  # tongren's own timeline


def test_reform_day_turns_the_lever_into_a_timeline_event():
    text = row_text().replace("[rows.experiment]\n", "[rows.experiment]\nreform_day = 30\nyears = 2.0\n")
    (r,) = parse_evidence(text, "t.toml", figures={"visits_per_capita"})
    base, lever = arms(r, population=None)
    assert lever.prices.drug_markup == base.prices.drug_markup == [0.15] * 4
    assert [(e.day, e.path, e.value) for e in lever.timeline] == [(30, "prices.drug_markup", 0.0)]


def _reform_year(r, lever):
    """The lever arm as it runs in the measured year: its reform-day events applied."""
    for ev in lever.timeline:
        if ev.day <= r.experiment.reform_day:
            lever = with_value(lever, ev.path, ev.value)
    return lever


def test_each_paired_row_changes_what_it_names_and_nothing_else(rows):
    """The arms differ, in the lever arm's measured year, only in fields the row names (its lever
    and its base arm's own): a row whose arms do not differ would be no experiment, and one whose
    arms differ elsewhere would measure something it does not say."""
    paired = [r for r in rows if r.status == "expressible" and r.measure.effect != "level" and not r.experiment.scenario]
    assert {"D5", "Y2", "Y3", "Y5", "S5"} <= {r.id for r in paired}
    for r in paired:
        ex = r.experiment
        base, lever = arms(r, population=None)
        lever = _reform_year(r, lever)
        fields = set(ex.lever) | set(ex.base_set)
        changed = set()
        for section in ("county", "population", "illness", "behaviour", "facilities", "prices", "insurance",
                        "payment", "staff", "policy"):
            b, lv = getattr(base, section).model_dump(), getattr(lever, section).model_dump()
            changed |= {f"{section}.{key}" for key in b if b[key] != lv[key]}
        assert changed, f"{r.id}: the arms do not differ"
        for c in changed:
            assert any(f == c or f.startswith(c + ".") for f in fields), f"{r.id}: arms differ in {c}, which the row does not name"


def test_a_reform_is_in_place_for_the_whole_measured_year(rows):
    for r in rows:
        if r.experiment is not None and r.experiment.reform_day:
            assert r.experiment.reform_day <= r.experiment.days - 365, r.id
    late = row_text().replace("[rows.experiment]\n", "[rows.experiment]\nreform_day = 365\n")
    with pytest.raises(EvidenceError, match="row T1: experiment.*reform_day 365 falls inside the measured year"):
        parse_evidence(late, "t.toml", figures={"visits_per_capita"})
    (ok,) = parse_evidence(late.replace("reform_day = 365\n", "reform_day = 365\nyears = 2.0\n"), "t.toml",
                           figures={"visits_per_capita"})
    assert ok.experiment.days - 365 == ok.experiment.reform_day


@pytest.mark.parametrize(("text", "needle"), [
    (row_text().replace('role = "training"', 'role = "sometimes"'), "row T1: role"),
    (row_text().replace("low = -0.2, high = -0.05", "low = -0.05, high = -0.2"), "row T1: published"),
    (row_text().replace('design = "d"', 'design = "d"\ncolour = "red"'), "row T1: colour"),
    (row_text(figure="no_such_figure"), "row T1: measure.figure 'no_such_figure'"),
    (row_text(lever='"prices.no_such" = 1.0'), "row T1: experiment"),
    (row_text(lever='"prices.drug_markup" = 7.0'), "row T1: experiment"),
    (row_text() + row_text(), "row T1: the id appears twice"),
    (row_text().replace('point = -0.1, low = -0.2, high = -0.05', 'point = -0.1, low = -0.2'), "row T1: published"),
    ("rows = 3", "no [[rows]]"),
    ("[[rows", "not valid TOML"),
])
def test_malformed_evidence_is_one_line_naming_row_and_field(text, needle):
    with pytest.raises(EvidenceError) as err:
        parse_evidence(text, "bad.toml", figures={"visits_per_capita"})
    assert needle in str(err.value) and "bad.toml" in str(err.value) and "\n" not in str(err.value)


def test_validate_refuses_a_malformed_file_with_exit_2_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(row_text(figure="no_such_figure"))
    out = tmp_path / "out"
    assert main(["validate", "--evidence", str(bad), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "T1" in err and "measure.figure" in err
    assert not out.exists()


def test_effect_kinds():
    def row(kind, scale=1.0, per=1.0):
        text = row_text().replace('effect = "relative"', f'effect = "{kind}", scale = {scale}, per = {per}')
        return parse_evidence(text, "t.toml", figures={"visits_per_capita"})[0]

    assert effect(row("relative", per=0.1), 10.0, 9.0) == pytest.approx(-1.0)  # an elasticity
    assert effect(row("difference", scale=100.0), 0.60, 0.62) == pytest.approx(2.0)  # percentage points
    assert effect(row("odds_ratio"), 0.5, 0.75) == pytest.approx(3.0)
    assert effect(row("level"), None, 0.8) == 0.8
    assert math.isnan(effect(row("relative"), 0.0, 1.0))


def test_verdicts_follow_the_stated_rules():
    (r,) = parse_evidence(row_text(), "t.toml", figures={"visits_per_capita"})  # published -0.1 in [-0.2, -0.05]
    inside = judge(r, np.array([-0.1, -0.12, -0.09]))
    assert inside["sign_match"] and inside["within"] and inside["verdict"].startswith("right sign, within range")
    small = judge(r, np.array([-0.01, -0.02, -0.015]))
    assert small["sign_match"] and not small["within"] and "too small" in small["verdict"]
    wrong = judge(r, np.array([0.05, 0.06, 0.04]))
    assert wrong["sign_match"] is False and wrong["verdict"].startswith("wrong sign")
    null = row_text().replace("point = -0.1, low = -0.2, high = -0.05", 'point = 0.0, direction = "0", tolerance = 0.03')
    (n,) = parse_evidence(null, "t.toml", figures={"visits_per_capita"})
    assert judge(n, np.array([0.01, -0.01, 0.0]))["sign_match"] is True
    assert judge(n, np.array([0.2, 0.25, 0.3]))["sign_match"] is False
    board = pd.DataFrame([inside, small, wrong])
    c = counts(board).set_index("role").loc["training"]
    assert (c.sign_match, c.signed, c.within, c.ranged) == (2, 3, 1, 3)


@pytest.mark.slow
def test_validate_runs_rows_and_writes_the_scoreboard(tmp_path, capsys):
    out = tmp_path / "v"
    assert main(["validate", "--rows", "D1a,P5a,F4", "--seeds", "2", "--population", "2500", "--workers", "1",
                 "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "| D1a |" in printed and "not expressible yet" in printed
    board = pd.read_csv(out / "scoreboard.csv").set_index("id")
    # zero mark-up made up by subsidy: the drug part of every county visit's bill falls, so its cost does
    assert board.loc["D1a", "mean"] < 0 and board.loc["D1a", "sign_match"] == "yes"
    assert board.loc["D1a", "seeds"] == 2
    assert 0 < board.loc["P5a", "mean"] < 1  # a level: a share
    assert board.loc["F4", "seeds"] == 0
    for name in ("scoreboard.parquet", "scoreboard.md", "scoreboard.png"):
        assert (out / name).stat().st_size > 0
