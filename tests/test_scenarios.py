"""The built-in scenarios: they load, cite their seeds, change nothing before the reform date, and run."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from reformsim.experiments.cli import main
from reformsim.model.model import CountyModel
from reformsim.model.params import get_path, with_value
from reformsim.model.scenario import (
    ScenarioError,
    builtin_names,
    dump_scenario,
    load_scenario,
    parse_scenario,
)

REFORMS = ("chuxiong_five_ones", "chuxiong_city_group", "panjin", "sanming", "tongren", "guangdong", "chongqing",
           "shenzhen", "yancheng")
BASELINE_DAYS = 365  # the reforms start after one pre-reform year


def scenario_text(name: str) -> str:
    return (resources.files("reformsim.model.scenarios") / f"{name}.toml").read_text(encoding="utf-8")


def test_every_seed_reform_is_built_in():
    names = builtin_names()
    assert "baseline" in names
    for name in REFORMS:
        assert name in names


@pytest.mark.parametrize("name", builtin_names())
def test_scenario_loads_with_its_own_name_and_a_description(name):
    s = load_scenario(name)
    assert s.name == name
    assert s.description


@pytest.mark.parametrize("name", builtin_names())
def test_every_value_cites_its_seed(name):
    """Values set in a built-in file carry a comment naming the seed document they come from."""
    for line in scenario_text(name).splitlines():
        m = re.match(r"^(\w+)\s*=", line)
        if m and m.group(1) not in ("name", "description", "day", "path", "note"):
            assert re.search(r"#.*seeds? 00\d", line), f"{name}: no seed cited on: {line}"


@pytest.mark.parametrize("name", REFORMS)
def test_reform_is_a_timeline_after_a_baseline_year(name):
    s = load_scenario(name)
    assert s.timeline, f"{name} has no timeline"
    assert min(ev.day for ev in s.timeline) >= BASELINE_DAYS


@pytest.mark.parametrize("name", REFORMS)
def test_reform_run_equals_baseline_before_its_date(name):
    """Common random numbers: with no lever changed yet, a reform run is the baseline run on the
    same county (Shenzhen's is an urban district: its baseline is the default levels there;
    Chongqing's has visitors in season; Panjin staffs its village clinics at its own standard)."""
    reform, base = load_scenario(name), load_scenario("baseline")
    illness = base.illness.model_copy(update={"visitors_by_month": reform.illness.visitors_by_month})
    facilities = base.facilities.model_copy(update={"village_doctors_per_1000": reform.facilities.village_doctors_per_1000})
    before = base.model_copy(update={"county": reform.county, "illness": illness, "facilities": facilities})
    a = CountyModel(before, rng=4, population=2_500)
    b = CountyModel(reform, rng=4, population=2_500)
    a.run_days(40)
    b.run_days(40)
    assert a.datacollector.get_model_vars_dataframe().equals(b.datacollector.get_model_vars_dataframe())


@pytest.mark.parametrize("name", REFORMS)
def test_reform_runs_past_its_date_with_levers_applied_and_books_balanced(name):
    s = load_scenario(name)
    m = CountyModel(s, rng=1, population=3_000)
    worst = 0.0
    for _ in range(BASELINE_DAYS + 35):
        m.step()
        worst = max(worst, abs(m.today.row["money_residual"]))
    assert worst < 1e-3
    assert m.staff_balance == pytest.approx(0.0, abs=1e-6)
    assert m.ep.open.sum() == m.ep.n_open
    last = {}
    for ev in sorted(s.timeline, key=lambda ev: ev.day):  # the latest event so far on each path is in force
        if ev.day <= m.day:
            last[ev.path] = ev.value
    for path, value in last.items():
        taken = get_path(with_value(m.p, path, value), path)  # as the scenario takes it: one mark-up is every tier's
        assert get_path(m.p, path) == taken, f"{name}: {path} is {get_path(m.p, path)}, timeline says {value}"


def test_show_output_loads_back_to_the_same_scenario(tmp_path):
    for name in builtin_names():
        s = load_scenario(name)
        assert parse_scenario(dump_scenario(s), "shown").hash() == s.hash()


def test_scenarios_command_lists_every_builtin(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in builtin_names():
        assert name in out


def test_show_command_prints_the_timeline(capsys):
    assert main(["show", "chuxiong_five_ones"]) == 0
    out = capsys.readouterr().out
    assert "staff.transfer_seniors_to_townships" in out and "[[timeline]]" in out


@pytest.mark.parametrize(("text", "named"), [
    ('name = "x"\n[policy]\nreserved_slot_shar = 0.3\n', "reserved_slot_shar"),
    ('name = "x"\n[policy]\nreserved_slot_share = 1.5\n', "reserved_slot_share"),
    ('name = "x"\n[payment]\nregime = "bundled"\n', "regime"),
    ('name = "x"\n[[timeline]]\nday = 365\npath = "staff.transfer_doctors"\nvalue = 46\n', "transfer_doctors"),
    ('name = "x"\n[[timeline]]\nday = 365\npath = "policy.reserved_bed_share"\nvalue = "a quarter"\n', "reserved_bed_share"),
    ('name = "x"\n[[timeline]]\nday = 365\npath = "policy.contract_rate"\n', "value"),
])
def test_unknown_or_wrong_field_is_an_error_naming_it(tmp_path, text, named):
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=named):
        load_scenario(f)
    assert main(["show", str(f)]) == 2
