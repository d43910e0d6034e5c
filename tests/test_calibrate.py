"""Calibration: recovers a synthetic truth on a tiny county; refuses bad targets files clearly."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from reformsim.experiments.calibrate import (
    METRICS,
    CalibrationError,
    calibrate,
    figures,
    fitted_toml,
    load_spec,
    parse_spec,
    scenario_at,
    simulate,
)
from reformsim.experiments.cli import main
from reformsim.model.params import Scenario, with_value
from reformsim.model.scenario import load_scenario, parse_scenario

POP, DAYS, SEED = 1_500, 60, 7
TRUTH = {"incidence_scale": 1.3, "asc_primary": 0.6}

PARAMETERS = """
[parameters.incidence_scale]
paths = ["illness.incidence_scale"]
lower = 0.8
upper = 1.8

[parameters.asc_primary]
paths = ["behaviour.asc_tier.0", "behaviour.asc_tier.1"]
mode = "shift"
lower = -1.0
upper = 1.5
"""


def _targets_text(values: dict[str, float], tolerances: dict[str, float]) -> str:
    return "".join(f"[targets.{k}]\nvalue = {float(v)!r}\ntolerance = {tolerances[k]}\n\n" for k, v in values.items())


@pytest.fixture(scope="module")
def synthetic():
    """Figures simulated at parameters we chose (the truth), as a targets + parameters spec."""
    base = with_value(Scenario(), "illness.incidence_scale", 1.0)  # a start away from the truth
    spec0 = parse_spec("[targets.visits_per_capita]\nvalue = 1.0\n\n[targets.primary_visit_share]\nvalue = 0.5\n"
                       + PARAMETERS, "probe")
    truth = scenario_at(spec0, base, [TRUTH["incidence_scale"], TRUTH["asc_primary"]])
    observed = dict(zip([t.name for t in spec0.targets], figures(simulate(truth, SEED, DAYS, POP), spec0.targets),
                        strict=True))
    text = _targets_text(observed, {"visits_per_capita": 0.05, "primary_visit_share": 0.005}) + PARAMETERS
    return base, parse_spec(text, "synthetic.toml"), observed


def test_recovers_synthetic_truth(synthetic):
    """From a start away from the truth, Nelder–Mead on common random numbers finds it again."""
    base, spec, observed = synthetic
    seen = []
    fit = calibrate(spec, base, seeds=[SEED], days=DAYS, population=POP, budget=22, progress=seen.append)
    assert len(seen) == len(fit.history) <= 22
    assert fit.start.x == [1.0, 0.0]  # the base scenario's own values
    assert fit.best.loss < fit.start.loss
    got = fit.values
    # stated tolerance: ±0.1 on the incidence scale, ±0.3 on the primary-care preference shift
    assert abs(got["incidence_scale"] - TRUTH["incidence_scale"]) < 0.1, got
    assert abs(got["asc_primary"] - TRUTH["asc_primary"]) < 0.3, got
    # the fitted scenario TOML loads and carries the fitted values
    scn = parse_scenario(fitted_toml(fit, "test"), "fitted.toml")
    assert math.isclose(scn.illness.incidence_scale, got["incidence_scale"], rel_tol=1e-9)
    assert math.isclose(scn.behaviour.asc_tier[1], base.behaviour.asc_tier[1] + got["asc_primary"], rel_tol=1e-9)


def test_ratio_matching_moves_cost_toward_target():
    """A bed-day price scale with ``match`` is solved by ratio matching, not by the optimiser."""
    base = Scenario()
    text = """
[targets.cost_per_stay_county]
value = 5000.0

[parameters.county_price]
paths = ["prices.bed_day_price.2"]
mode = "scale"
lower = 0.3
upper = 3.0
match = "cost_per_stay_county"
"""
    fit = calibrate(parse_spec(text, "t.toml"), base, seeds=[SEED], days=DAYS, population=POP, budget=4)
    before = abs(fit.start.per_seed[0][0] - 5000.0)
    after = abs(fit.best.per_seed[0][0] - 5000.0)
    assert fit.best.x[0] < 1.0  # the observed cost is below the default's, so the price falls
    assert after < 0.2 * before


def test_default_targets_file_is_valid():
    spec = load_spec()
    names = {t.name for t in spec.targets}
    assert {"primary_visit_share", "visits_per_capita", "admissions_per_capita", "two_week_visit_rate",
            "life_expectancy", "resident_inpatient_fund_share", "cost_per_stay_county"} <= names
    assert spec.parameters and all(t.source for t in spec.targets)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("[targets.primary_share_typo]\nvalue = 0.6\n", "primary_share_typo"),
        ("[targets.primary_visit_share]\nvalue = 63.4\n", "within [0, 1]"),
        ("[targets.two_week_visit_rate]\nvalue = -0.1\n", "within [0, 1]"),
        ("[targets.cost_per_stay_county]\nvalue = -6762.0\n", "negative"),
        ("[targets.visits_per_capita]\nvalue = nan\n", "finite"),
        ("[targets.visits_per_capita]\nvalue = 6.0\nweight = -1.0\n", "weight"),
        ("[targets.visits_per_capita]\nvalue = 6.0\n[parameters.x]\npaths = [\"illness.no_such\"]\nlower = 0\nupper = 1\n",
         "illness.no_such"),
        ("[targets.visits_per_capita]\nvalue = 6.0\n[parameters.x]\npaths = [\"illness.incidence_scale\"]\nlower = 2\nupper = 1\n",
         "lower"),
    ],
)
def test_bad_targets_file_is_refused(tmp_path: Path, body: str, needle: str):
    with pytest.raises(CalibrationError) as err:
        parse_spec(body, "bad.toml")
    assert needle in str(err.value) and "bad.toml" in str(err.value)
    assert "\n" not in str(err.value)


def test_cli_refuses_bad_targets_with_one_line_exit_2(tmp_path: Path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[targets.primary_visit_share]\nvalue = 1.5\n")
    assert main(["calibrate", "--targets", str(bad), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "primary_visit_share" in err and "[0, 1]" in err
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[targets.bogus]\nvalue = 1\n")
    assert main(["calibrate", "--targets", str(unknown), "--quiet"]) == 2
    assert "bogus" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_writes_fitted_scenario_and_report(tmp_path: Path, capsys):
    targets = tmp_path / "t.toml"
    targets.write_text("[targets.visits_per_capita]\nvalue = 6.0\n\n[targets.primary_visit_share]\nvalue = 0.634\n\n"
                       "[parameters.incidence_scale]\npaths = [\"illness.incidence_scale\"]\nlower = 0.8\nupper = 1.6\n")
    out = tmp_path / "cal"
    code = main(["calibrate", "--targets", str(targets), "--budget", "3", "--seeds", "1", "--report-seeds", "2",
                 "--population", str(POP), "--years", "0.1", "--out", str(out), "--quiet"])
    assert code == 0
    rep = json.loads((out / "report.json").read_text())
    assert [r["target"] for r in rep["targets"]] == ["visits_per_capita", "primary_visit_share"]
    for r in rep["targets"]:
        lo, hi = r["interval"]
        assert lo <= r["simulated"] <= hi and len(r["per_seed"]) == 2
        assert math.isclose(r["error"], r["simulated"] - r["observed"])
    assert rep["evaluations"] <= 3
    assert "| Outpatient visits per capita" in (out / "report.md").read_text()
    scn = load_scenario(out / "fitted.toml")
    assert math.isclose(scn.illness.incidence_scale, rep["parameters"][0]["fitted"], rel_tol=1e-6)
    assert (out / "img" / "calibration_visits_per_capita.png").stat().st_size > 0


def test_every_metric_is_in_the_summary():
    """Each targetable name reads a figure from one simulated summary."""
    s = simulate(Scenario(), SEED, DAYS, POP)
    for name, metric in METRICS.items():
        assert isinstance(metric.get(s), float), name
    assert 0.0 < s["resident_inpatient_fund_share"] < 1.0


def test_cli_no_fit_validates_the_scenario_as_it_is(tmp_path: Path):
    targets = tmp_path / "t.toml"
    targets.write_text("[targets.visits_per_capita]\nvalue = 6.0\n\n[targets.two_week_visit_rate]\nvalue = 0.24\n")
    out = tmp_path / "val"
    assert main(["calibrate", "--no-fit", "--targets", str(targets), "--report-seeds", "1", "--population", str(POP),
                 "--years", "0.1", "--out", str(out), "--quiet"]) == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["fitted"] is False and rep["evaluations"] == 1 and not (out / "fitted.toml").exists()
    visits, fortnight = (r["simulated"] for r in rep["targets"])
    # the NHSS two-week rate counts visits per person in 14 days: about 14/365 of the yearly rate
    assert 0.5 * visits * 14 / 365 < fortnight < 2.0 * visits * 14 / 365
