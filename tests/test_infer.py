"""ABC-SMC calibration recovers parameters from the model's own figures; ensembles widen intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reformsim.experiments.calibrate import parse_spec, scenario_at
from reformsim.experiments.cli import main
from reformsim.experiments.compare import compare, metric_stats
from reformsim.experiments.ensemble import Ensemble, Member, load_ensemble, write_ensemble
from reformsim.experiments.evidence_file import parse_evidence
from reformsim.experiments.identifiability import widths
from reformsim.experiments.infer import Simulator, infer, resolved_fields
from reformsim.experiments.sweep import parse_spec as parse_sweep
from reformsim.experiments.sweep import tasks_for, with_ensemble
from reformsim.model.params import Scenario
from reformsim.model.scenario import load_scenario

POP, DAYS = 1_500, 55
TRUTH = [1.3, 0.6]  # incidence scale, primary-care preference shift
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
# a synthetic training row: what a 20% price rise does to visits, measured the way the study rows are
EFFECT_ROW = """
[[rows]]
id = "SYN"
citation = "the model itself at the true parameters"
setting = "tiny county"
design = "synthetic"
role = "training"
published = {{ text = "synthetic", point = {point}, tolerance = 0.02 }}
measure = {{ figure = "visits_per_capita", effect = "relative" }}
[rows.experiment]
years = 0.15
lever = {{ "prices.service_multiplier" = [1.2, 1.2, 1.2, 1.2], "prices.drug_multiplier" = [1.2, 1.2, 1.2, 1.2] }}
"""


def _targets(values: dict[str, float]) -> str:
    tol = {"visits_per_capita": 0.15, "primary_visit_share": 0.02}
    return "".join(f"[targets.{k}]\nvalue = {v!r}\ntolerance = {tol[k]}\n\n" for k, v in values.items()) + PARAMETERS


@pytest.mark.slow
def test_abc_recovers_known_parameters_from_synthetic_levels_and_effect(tmp_path):
    """Levels and an effect simulated at a known truth; ABC-SMC from uniform priors covers it."""
    base = load_scenario("baseline")  # as the row's arms are built, so the levels run is the row's base run
    probe = parse_spec(_targets({"visits_per_capita": 1.0, "primary_visit_share": 0.5}), "probe")
    row0 = parse_evidence(EFFECT_ROW.format(point=0.0), "e.toml", figures={"visits_per_capita"})
    truth = Simulator(probe, base, row0, POP, DAYS).statistics(TRUTH, seed=11)
    spec = parse_spec(_targets({k: truth[k] for k in ("visits_per_capita", "primary_visit_share")}), "synthetic.toml")
    rows = parse_evidence(EFFECT_ROW.format(point=truth["SYN"]), "e.toml", figures={"visits_per_capita"})
    post = infer(spec, base, rows, population=POP, executor=None, slots=1, particles=20, generations=3,
                 max_simulations=160, db=tmp_path / "abc.db", days=DAYS, rng_seed=3)
    ident = widths(post.table, post.prior).set_index("parameter")
    for name, value in zip(("incidence_scale", "asc_primary"), TRUTH, strict=True):
        lo, hi = ident.loc[name, ["post_low", "post_high"]]
        assert lo <= value <= hi, (name, value, lo, hi)
    # the data pin incidence down: after three generations its posterior is well inside its prior
    assert ident.loc["incidence_scale", "width_ratio"] < 0.7
    assert len(post.ensemble.members) == 20 and post.table["weight"].sum() == pytest.approx(1.0)
    # each member is a scenario patch reproducing its parameter values
    m = post.ensemble.members[0]
    assert m.set["illness.incidence_scale"] == pytest.approx(m.values["incidence_scale"])
    shifted = scenario_at(spec, base, [m.values["incidence_scale"], m.values["asc_primary"]])
    assert m.set["behaviour.asc_tier.1"] == pytest.approx(shifted.behaviour.asc_tier[1])


def test_identifiability_tells_pinned_from_free_parameters():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.normal(0.5, 0.01, 400), "b": rng.uniform(0, 1, 400), "weight": np.full(400, 1 / 400)})
    t = widths(table, {"a": (0.0, 1.0), "b": (0.0, 1.0)}).set_index("parameter")
    assert t.loc["a", "verdict"] == "identified" and t.loc["b", "verdict"] == "not identified"
    assert t.loc["a", "post_low"] < 0.5 < t.loc["a", "post_high"]


def two_members(tmp_path, low=0.8, high=1.5):
    spec = parse_spec("[targets.visits_per_capita]\nvalue = 6.0\n" + PARAMETERS, "p")
    members = [Member(weight=1.0, values={"incidence_scale": v, "asc_primary": 0.0},
                      set=resolved_fields(spec, Scenario(), [v, 0.0])) for v in (low, high)]
    return write_ensemble(Ensemble(["incidence_scale", "asc_primary"], members), tmp_path / "ens.toml", "test")


def test_ensemble_file_round_trip_and_paired_draws(tmp_path):
    ens = load_ensemble(two_members(tmp_path))
    assert [m.values["incidence_scale"] for m in ens.members] == [0.8, 1.5]
    seeds = list(range(1, 9))
    assert ens.draw(seeds) == ens.draw(seeds)  # a seed always draws the same member
    assert {ens.member_for(s) for s in seeds} == {0, 1}
    assert ens.central() in (0, 1)


@pytest.mark.parametrize(("text", "needle"), [
    ("parameters = []\n", "members"),
    ('parameters = ["x"]\n[[members]]\nweight = 1.0\nset = {}\n', "no value for parameter 'x'"),
    ('parameters = []\n[[members]]\nweight = -1.0\nset = {}\n', "weight"),
    ('parameters = []\n[[members]]\nweight = 1.0\nset = { "illness.nope" = 1.0 }\n', "illness.nope"),
])
def test_bad_ensemble_is_one_line_exit_2(tmp_path, capsys, text, needle):
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    assert main(["compare", "baseline", "panjin", "--ensemble", str(bad), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err
    assert not (tmp_path / "o").exists()


def test_ensemble_intervals_are_wider_than_seed_only(tmp_path):
    ens = load_ensemble(two_members(tmp_path))
    seeds = [1, 2, 3, 4]
    assert {ens.member_for(s) for s in seeds} == {0, 1}  # both members among these seeds
    scns = [load_scenario("baseline"), load_scenario("chuxiong_five_ones")]
    seed_only = metric_stats(compare(scns, seeds, 40, 2_000), ["visits_per_capita"])
    with_params = metric_stats(compare(scns, seeds, 40, 2_000, members=ens.draw(seeds)), ["visits_per_capita"])
    width = lambda st: float((st.hi - st.lo).iloc[0])  # noqa: E731
    assert width(with_params) > 3 * width(seed_only)


def test_sweep_pairs_each_replication_seed_with_its_member(tmp_path):
    ens = load_ensemble(two_members(tmp_path))
    spec = parse_sweep('replications = 4\ndays = 5\n[[factors]]\npath = "policy.reserved_slot_share"\nlevels = [0.0, 0.3]\n')
    paired = with_ensemble(spec, ens)
    assert paired.sweep_hash() != spec.sweep_hash()
    from reformsim.experiments.sweep import design_matrix, params_table

    tasks = list(tasks_for(paired, params_table(paired, design_matrix(paired)), range(8)))
    for t in tasks:
        assert t.member == ens.members[ens.member_for(t.seed)].set
    # the same seed gets the same member at every design point
    by_seed = {}
    for t in tasks:
        assert by_seed.setdefault(t.seed, t.member) == t.member


def test_compare_command_with_an_ensemble_names_the_members_drawn(tmp_path, capsys):
    path = two_members(tmp_path)
    out = tmp_path / "c"
    assert main(["compare", "baseline", "panjin", "--ensemble", str(path), "--seeds", "2", "--years", "0.05",
                 "--population", "1500", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert f"ensemble {path}: 2 members" in printed and "parameter uncertainty" in printed
    assert (out / "comparison.parquet").exists()


def test_infer_refuses_a_priors_file_without_parameters(tmp_path, capsys):
    bad = tmp_path / "levels.toml"
    bad.write_text("[targets.visits_per_capita]\nvalue = 6.0\n")
    assert main(["infer", "--targets", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nothing to infer" in err
    assert not (tmp_path / "o").exists()
