"""The visual without a browser: the session it steers, the what-if, the map's geometry, the
translations, the export, and its components rendered with ``solara.render`` (clicks, slider
changes and map events go through the widgets)."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest
import solara
from reformsim.experiments import cmd_viz
from reformsim.experiments.cli import main as cli_main
from reformsim.model.model import CountyModel
from reformsim.model.params import Scenario, get_path, with_value
from reformsim.model.scenario import builtin_names, load_scenario
from reformsim.viz import (
    compare,
    export,
    facts,
    figures,
    maplayout,
    names,
    projection,
    simulator,
    whatif,
)
from reformsim.viz.controls import Setup
from reformsim.viz.explain import LEVER_HELP, SCENARIO_INFO
from reformsim.viz.flows import FlowTracker
from reformsim.viz.i18n import LANGUAGES, lang, t
from reformsim.viz.levers import LEVER_BY_KEY, LEVERS, model_value
from reformsim.viz.session import Session
from reformsim.viz.text import TEXT

POP = 6_000
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
PROPER = {"DRG", "PNG", "CSV", "TOML", "Parquet", "TCM"}  # names that stay as they are in Chinese


@pytest.fixture(autouse=True)
def english():
    lang.set("en")
    yield
    lang.set("en")


@pytest.fixture(scope="module")
def stepped() -> Session:
    """A small county 60 days in (read-only for the tests that use it)."""
    s = Session("baseline", POP, 2)
    s.step(60)
    return s


@pytest.fixture
def short_projections(monkeypatch):
    """What-ifs of 60 days: the mechanics are the same, the tests quicker."""
    monkeypatch.setattr(projection, "DAYS", 60)


def eventually(check, timeout: float = 30.0):
    """``check()`` once it is truthy: a what-if's thread may be drawing when an event comes, and
    then the event's redraw is done by that thread, a moment later."""
    deadline = time.monotonic() + timeout
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


def texts(rc, cls: str) -> list[str]:
    """Text of the widgets with CSS class ``cls`` (solara.Text spans and solara.HTML blocks)."""
    spans = ["".join(map(str, w.children)) for w in rc.find(v.Html).widgets if cls in (w.class_ or "").split()]
    blocks = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets if cls in w.attributes.get("class", "").split()]
    return spans + blocks


def vue(rc, prop: str):
    """The one Vue-template widget of a render with the property ``prop`` (the map, the levers)."""
    found = [w for w in rc.find(v.VuetifyTemplate).widgets if prop in w.trait_names()]
    assert len(found) == 1, [type(w) for w in found]
    return found[0]


# ---------------------------------------------------------------------- words
def test_every_label_is_translated():
    for key, labels in TEXT.items():
        assert len(labels) == len(LANGUAGES) and all(s.strip() for s in labels), key
        latin = set(LATIN_WORD.findall(re.sub(r"\{[^}]*\}", "", labels[1]))) - PROPER  # placeholders aside
        assert CJK.search(labels[1]) or key in ("side_a", "side_b", "side_title", "download_png"), key
        assert not latin or key in ("font_missing",), f"{key}: English in the Chinese label: {latin}"
    assert set(LEVER_HELP) == set(LEVER_BY_KEY) and set(SCENARIO_INFO) == set(builtin_names())
    with pytest.raises(KeyError):
        t("no_such_label")


def test_scenarios_facilities_and_timelines_read_in_chinese():
    for name in builtin_names():
        scenario = load_scenario(name)
        shown = [names.scenario_title(name, "zh"), names.scenario_description(name, scenario, "zh"),
                 *names.timeline_lines(scenario, "zh")]
        for text in shown:
            assert not set(LATIN_WORD.findall(text)) - PROPER, (name, text)
    county = CountyModel(Scenario(), rng=1, population=POP).county
    for name in county.name:
        assert not set(LATIN_WORD.findall(names.facility_name(name, "zh"))) - PROPER, name
        assert not set(LATIN_WORD.findall(names.facility_label(name, "zh"))) - PROPER, name
    assert names.facility_name("Township 3", "zh") == "第3乡镇卫生院"
    assert names.facility_name("Township 3", "en") == "Township 3"


def test_every_lever_path_exists_and_accepts_its_range():
    s = Scenario()
    for lever in LEVERS:
        get_path(s, lever.path)
        for value in (lever.options if lever.kind == "select" else (lever.lo, lever.hi)):
            value = int(value) if lever.kind == "int" else value
            assert model_value(lever, get_path(with_value(s, lever.path, value), lever.path)) == value


# ---------------------------------------------------------------------- the session
def test_a_lever_applies_from_the_next_day_and_is_recorded():
    s = Session("baseline", POP, 1)
    s.step(5)
    before, after = s.set_lever(LEVER_BY_KEY["transfer_seniors"], 46.0)
    assert before == [] and after == [("staff.transfer_seniors_to_townships", 46)]
    assert s.values()["transfer_seniors"] == 46 and s.model.p.staff.transfer_seniors_to_townships == 0  # pending
    s.set_lever(LEVER_BY_KEY["payment_regime"], "drg")
    s.set_lever(LEVER_BY_KEY["payment_regime"], "ffs")  # back to the value in force: nothing pending
    assert list(s.pending) == ["staff.transfer_seniors_to_townships"]
    s.step(1)
    assert s.model.p.staff.transfer_seniors_to_townships == 46 and not s.pending
    assert [(c.day, c.path) for c in s.changes] == [(5, "staff.transfer_seniors_to_townships")]
    assert s.marks == [(5, "staff.transfer_seniors_to_townships")]
    with pytest.raises(ValueError):
        s.set_lever(LEVER_BY_KEY["payment_regime"], "bribes")


def test_one_markup_on_a_scenario_with_tiers_apart_is_a_change_at_the_highest_value_shown():
    """The panel shows the highest tier's mark-up (15% in panjin's primary-care reform), but the
    slider sets every tier: moving it to 15% there changes the primary tiers, it is not ignored."""
    s = Session("baseline", POP, 1)
    s.model.set_lever("prices.drug_markup", [0.0, 0.0, 0.15, 0.15])
    assert s.values()["drug_markup"] == 0.15
    s.set_lever(LEVER_BY_KEY["drug_markup"], 0.15)
    assert s.pending == {"prices.drug_markup": 0.15}
    s.step(1)
    assert s.model.p.prices.drug_markup == [0.15] * 4 and not s.pending


def test_the_exported_scenario_reproduces_the_session_with_reformsim_run(tmp_path):
    """Changes on day 0, on a reform's own day and pending ones: `reformsim run` on the saved file
    gives the session's daily series bit for bit."""
    s = Session("chuxiong_five_ones", POP, 3)
    s.set_lever(LEVER_BY_KEY["contract_rate"], 0.5)
    s.step(365)
    s.set_lever(LEVER_BY_KEY["transfer_seniors"], 100)
    s.set_lever(LEVER_BY_KEY["drug_markup"], 0.05)
    s.step(20)
    s.set_lever(LEVER_BY_KEY["reserved_slots"], 0.3)
    toml = export.scenario_toml(s)
    command = toml.splitlines()[0]
    assert command == f"# reformsim run --scenario session.toml --seed 3 --years {385 / 365:.6g}"
    (tmp_path / "session.toml").write_text(toml)
    args = command.removeprefix("# reformsim ").replace("session.toml", str(tmp_path / "session.toml")).split()
    assert cli_main([*args, "--out", str(tmp_path / "out"), "--quiet"]) == 0
    ran = pd.read_parquet(tmp_path / "out" / "timeseries.parquet")
    (tmp_path / "session.parquet").write_bytes(export.run_parquet(s))
    session = pd.read_parquet(tmp_path / "session.parquet")
    pd.testing.assert_frame_equal(session, ran.drop(columns=[c for c in ran if c not in session]))
    assert pd.read_csv(pd.io.common.BytesIO(export.run_csv(s)))["day"].iloc[-1] == 384


def test_flows_follow_the_referral_hierarchy(stepped):
    tier = stepped.model.county.tier
    flows = stepped.flows.current(stepped.day)
    up_i, up_j = np.nonzero(flows["flow_up"])
    assert len(up_i) > 0 and (tier[up_j] > tier[up_i]).all()
    assert flows["flow_up"].sum() <= sum(stepped.model.datacollector.model_vars["referrals_up"])
    down_i, down_j = np.nonzero(flows["flow_down"])
    assert (tier[down_j] < tier[down_i]).all()
    by_i, by_j = np.nonzero(flows["flow_bypass"])
    assert len(by_i) > 0 and (tier[by_j] >= 2).all() and (tier[by_i] <= 1).all()
    assert stepped.visits.shape == (60, stepped.model.county.n_facilities) and stepped.visits[-1].sum() > 0
    assert not any(issubclass(cls, CountyModel) for cls in (Session, FlowTracker))  # the engine is not subclassed


def test_whole_county_figures_are_whole_numbers(stepped):
    town = int(np.flatnonzero(stepped.model.county.kind == "township")[0])
    rows = dict(facts.facility_rows(stepped, town))
    assert rows[t("doctors")].split(" / ")[0] == "3"  # a township's 3 senior doctors (0.03 in this county)
    for label in (t("visits_today"), t("capacity"), t("nurses")):
        assert re.fullmatch(r"[\d,]+", rows[label]), (label, rows[label])
    assert facts.whole_county_factor(stepped, town) == pytest.approx(1 / stepped.model.scale)


# ---------------------------------------------------------------------- the what-if
def test_the_projection_with_the_change_is_what_the_session_then_does(short_projections):
    s = Session("baseline", POP, 4)
    s.step(30)
    w = whatif.WhatIf(s)
    with s.lock:
        without, with_ = s.set_lever(LEVER_BY_KEY["no_referral_penalty"], 0.4)
        request = w.ask(("insurance.resident.no_referral_penalty", 0.4), without, with_)
    for future in w.submit(request, request.seeds):
        future.result(timeout=120)
    s.step(60)
    done = figures.daily_columns(s.model)
    assert request.main_ready() and request.band_done() == whatif.BAND_SEEDS
    for key in projection.COLUMNS:  # the session's seed: the future it projected is the one that happened
        np.testing.assert_array_equal(request.result("with", None)[key], done[key])
    differs = [k for k in projection.COLUMNS if not np.array_equal(request.result("without", None)[k], done[k], equal_nan=True)]
    assert "oop_inpatient" in differs
    other = request.result("with", request.seeds[1])
    assert not np.array_equal(other["visits_village"], done["visits_village"])  # another seed, another future
    rows = request.tradeoffs()
    assert set(rows) == set(figures.TRADEOFFS) and not any(lo > hi for _, _, lo, hi in rows.values())
    # a second change while paused: its "without" is the first change's "with", not run again
    with s.lock:
        without2, with2 = s.set_lever(LEVER_BY_KEY["drug_markup"], 0.0)
        second = w.ask(("prices.drug_markup", 0.0), without2, with2)
    assert second.without == () and second.day == 90


def test_a_projection_nobody_needs_is_called_off():
    s = Session("baseline", POP, 5)
    future, slot = projection.submit(projection.engine_state(s.model), (), None)
    deadline = time.monotonic() + 120
    while not future.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    projection.call_off(future, slot)
    assert future.result(timeout=60) is None  # stopped within a month of simulated days, not five years


# ---------------------------------------------------------------------- the map
def test_map_layout_keeps_facilities_apart_and_the_tertiary_hospital_off_the_map(stepped):
    county = stepped.model.county
    lay = maplayout.layout(county)
    assert ((lay.x >= 0) & (lay.x <= maplayout.WIDTH) & (lay.y >= 0) & (lay.y <= maplayout.HEIGHT)).all()
    distance = np.hypot(lay.x - lay.centre[0], lay.y - lay.centre[1])
    assert (distance[lay.offmap] > lay.radius).all() and (distance[~lay.offmap] <= lay.radius + 1).all()
    seat = np.flatnonzero(np.isin(county.kind, ("county", "community")))
    biggest = maplayout.node_radii(np.ones(1))[0]
    for a in seat:  # the seat's facilities no longer hide under each other
        for b in seat[seat > a]:
            assert np.hypot(lay.x[a] - lay.x[b], lay.y[a] - lay.y[b]) > biggest, (county.name[a], county.name[b])
    town = np.flatnonzero(county.kind == "township")
    lead = county.lead_hospital
    true = np.arctan2(county.y[town] - county.y[lead], county.x[town] - county.x[lead])
    shown = np.arctan2(-(lay.y[town] - lay.centre[1]), lay.x[town] - lay.centre[0])
    np.testing.assert_allclose(np.cos(true - shown), 1.0, atol=1e-9)  # townships keep their direction


def test_map_links_aggregate_villages_through_their_township(stepped):
    county = stepped.model.county
    drawn = maplayout.links(county, stepped.flows.current(stepped.day))
    assert drawn and all(kind in ("flow_up", "flow_down", "flow_bypass") for kind, *_ in drawn)
    for _, o, d, _ in drawn:
        assert o != d
        if county.tier[d] >= 2:
            assert county.tier[o] >= 1, "a village's flow to the seat is drawn from its township"
    paths = maplayout.arrow_paths(maplayout.layout(county), maplayout.node_radii(stepped.visits[-1]), drawn)
    assert len(paths) == len(drawn) and all(re.fullmatch(r"M[\d.,-]+ Q[\d.,-]+ [\d.,-]+", p["d"]) for p in paths)


# ---------------------------------------------------------------------- components
def test_simulator_steps_changes_a_lever_and_follows_the_map(short_projections):
    box, rc = solara.render(simulator.Simulator(Setup("baseline", POP, 1)), handle_error=False)
    assert texts(rc, "target-status") == [t("no_data"), t("no_data"), t("measuring")]
    rc.find(v.Btn, class_="run-step").widget.click()
    assert "Day 10 " in texts(rc, "reformsim-day")[0]
    levers = vue(rc, "levers")
    levers.vue_change({"key": "drug_markup", "value": 0.0})
    assert eventually(lambda: any(lv["key"] == "drug_markup" and lv["pending"] for lv in levers.levers))
    assert "Drug mark-up" in eventually(lambda: texts(rc, "whatif-ready"), 120)[0]
    themap = vue(rc, "arrows")
    town = next(n["fid"] for n in json.loads(themap.nodes) if n["kind"] == "township")
    themap.vue_hover(town)
    tip = eventually(lambda: themap.tip)
    assert tip["title"].startswith("Township") and tip["rows"][0][0] == t("visits_today")
    themap.vue_select(town)
    assert eventually(lambda: texts(rc, "facility-title")[0].startswith("Township"))
    lang.set("zh")
    assert eventually(lambda: texts(rc, "facility-title")[0].startswith("第"))
    assert CJK.search(texts(rc, "reformsim-day")[0])
    rc.close()


def test_compare_steps_both_sides_in_lockstep_and_names_the_changes():
    cmp = compare.Comparison("baseline", "baseline", 5_000, 4)
    cmp.step(20)
    a, b = cmp.series(cmp.a), cmp.series(cmp.b)
    assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in compare.COMPARED)
    cmp.b.set_lever(LEVER_BY_KEY["no_referral_penalty"], 0.4)
    assert compare.side_heading("B", cmp.b) == t("side_changed", side="B", scenario="Pre-reform baseline",
                                                  levers=names.lever_label("no_referral_penalty"))
    cmp.step(30)
    a, b = cmp.series(cmp.a), cmp.series(cmp.b)
    assert cmp.day == 50 and np.nanmax(np.abs(b["oop_share"] - a["oop_share"])) > 0


# ---------------------------------------------------------------------- the command
def test_viz_command_environment(tmp_path):
    env = cmd_viz.viz_env("reform", {"PATH": "/bin"})
    assert env["REFORMSIM_VIZ_SCENARIO"] == "reform" and env["PATH"] == "/bin"
    found = cmd_viz.viz_env("x", {"REFORMSIM_SOLARA_ASSETS": str(tmp_path)})
    assert found["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(tmp_path)
    assert "SOLARA_ASSETS_PROXY_CACHE_DIR" not in cmd_viz.viz_env("x", {"REFORMSIM_SOLARA_ASSETS": str(tmp_path / "no")})


def test_viz_command_refuses_bad_input_in_one_line(capsys):
    assert cli_main(["viz", "--scenario", "no_such_scenario"]) == 2
    assert "no_such_scenario" in capsys.readouterr().err
    assert cli_main(["viz", "--port", "70000"]) == 2
    capsys.readouterr()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert cli_main(["viz", "--port", str(busy.getsockname()[1])]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "in use" in err


@pytest.mark.slow
def test_viz_stops_on_sigterm_and_frees_its_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "reformsim.experiments.cli", "viz", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0 and out.rstrip().endswith("reformsim viz: stopped"), out[-2000:]
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # free again
