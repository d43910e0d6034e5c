"""The Solara visual without a browser: the model it steers, its figures, and its components
rendered with ``solara.render`` (clicks and slider moves go through the widgets)."""

from __future__ import annotations

import re

import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara
from mesa.visualization.utils import force_update, update_counter
from reformsim.experiments import cmd_viz
from reformsim.experiments.cli import main as cli_main
from reformsim.model.params import Scenario, with_value
from reformsim.viz import app, compare, components
from reformsim.viz.figures import network_figure, series_spec, stack_spec, to_png
from reformsim.viz.i18n import LANGUAGES, TEXT, lang, t
from reformsim.viz.vizmodel import (
    LEVERS,
    SCENARIO_ENV,
    VizModel,
    current_targets,
    get_path,
    money_series,
    target_status,
)

POP = 8_000


@pytest.fixture(autouse=True)
def english():
    """Each test starts in English with the default facility selection."""
    lang.set("en")
    components.selected_facility.set(None)
    yield
    lang.set("en")


@pytest.fixture(scope="module")
def stepped() -> VizModel:
    """A small model 60 days in (read-only for the tests that use it)."""
    m = VizModel("baseline", POP, 2)
    for _ in range(60):
        m.step()
    return m


def auto(fn, model):
    """Render a plain function of the model the way SolaraViz does: again on every update_counter change."""

    @solara.component
    def Wrapped():
        update_counter.get()
        return fn(model)

    return Wrapped()


def texts(rc, cls: str) -> list[str]:
    """Text of the widgets with CSS class ``cls`` (solara.Text spans and solara.HTML blocks)."""
    spans = ["".join(map(str, w.children)) for w in rc.find(v.Html, class_=cls).widgets]
    blocks = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets if cls in w.attributes.get("class", "").split()]
    return spans + blocks


# ---------------------------------------------------------------------- model side
def test_translations_are_complete_and_distinct():
    for key, labels in TEXT.items():
        assert len(labels) == len(LANGUAGES), key
        assert all(s.strip() for s in labels), key
        assert re.search(r"[\u4e00-\u9fff]", labels[1]) or key in ("side_a", "side_b"), f"{key}: no Chinese"
    with pytest.raises(KeyError):
        t("no_such_label")


def test_every_lever_path_exists_and_accepts_its_range():
    s = Scenario()
    for lever in LEVERS:
        get_path(s, lever.path)  # raises if the path is wrong
        values = lever.options if lever.kind == "select" else (lever.lo, lever.hi)
        for value in values:
            model_value = int(value) if lever.kind == "int" else value
            assert get_path(with_value(s, lever.path, model_value), lever.path) == model_value


def test_vizmodel_takes_keyword_arguments_and_a_text_seed():
    m = VizModel(scenario_name="baseline", population=3_000, rng="7")
    assert m.seed == 7 and m.scenario_name == "baseline"
    assert m.res.n == pytest.approx(3_000, rel=0.05)


def test_levers_apply_from_today_and_are_logged():
    m = VizModel("baseline", POP, 1)
    for _ in range(5):
        m.step()
    m.apply_lever("transfer_seniors", 46)
    assert m.p.staff.transfer_seniors_to_townships == 46
    towns = m.county.kind == "township"
    assert m.fac.loan[towns].sum() == pytest.approx(46 * m.scale)  # the model scales full-county doctors
    assert m.fac.loan[m.fac.tier == 2].sum() == pytest.approx(-46 * m.scale)
    assert m.staff_balance == pytest.approx(0.0, abs=1e-6)
    m.apply_lever("payment_regime", "drg")
    m.apply_lever("township_inpatient_ratio", 0.93)
    assert m.p.payment.regime == "drg" and m.p.insurance.resident.inpatient_ratio[1] == pytest.approx(0.93)
    assert [(d, k) for d, k, _ in m.lever_log] == [(5, "transfer_seniors"), (5, "payment_regime"),
                                                   (5, "township_inpatient_ratio")]
    assert m.base_scenario.payment.regime == "ffs"  # the scenario itself is untouched
    with pytest.raises(ValueError, match="inpatient_ratio"):
        m.apply_lever("township_inpatient_ratio", 1.5)


def test_timeline_changes_reach_the_lever_values_and_the_log():
    m = VizModel("sanming", 5_000, 1)
    version = m.lever_version
    assert m.lever_values["drug_markup"] == pytest.approx(0.15) and m.lever_values["payment_regime"] == "ffs"
    for _ in range(366):  # the reform's timeline applies from day 365
        m.step()
    assert m.p.prices.drug_markup == 0.0 and m.p.payment.regime == "capitation"
    for lever in LEVERS:
        assert m.lever_values[lever.key] == get_path(m.p, lever.path), lever.key
    assert {(365, "drug_markup", 0.0), (365, "payment_regime", "capitation")} <= set(m.lever_log)
    assert m.lever_version > version


def test_flows_follow_the_referral_hierarchy(stepped):
    tier = stepped.fac.tier
    up_i, up_j = np.nonzero(stepped.flow_up)
    assert len(up_i) > 0 and (tier[up_j] > tier[up_i]).all() and (tier[up_i] < 3).all()
    # every upward flow is a referral someone wrote (flows fade, so they are at most the count)
    assert stepped.flow_up.sum() <= sum(stepped.datacollector.model_vars["referrals_up"])
    down_i, down_j = np.nonzero(stepped.flow_down)
    assert (tier[down_j] < tier[down_i]).all()
    by_i, by_j = np.nonzero(stepped.flow_bypass)
    assert len(by_i) > 0 and (tier[by_j] >= 2).all() and (tier[by_i] <= 1).all()
    assert stepped.visits_recent.sum() > 0 and len(stepped.visits_history) == 60


def test_targets_and_money_are_consistent_with_the_model(stepped):
    tv = current_targets(stepped)
    assert 0 < tv["primary_visit_share"] < 1 and 0 < tv["county_internal_visit_share"] <= 1
    assert target_status(tv["primary_visit_share"], "primary_visit_share") == (tv["primary_visit_share"] >= 0.65)
    assert target_status(float("nan"), "life_expectancy") is None
    m = money_series(stepped)
    assert len(m["fund_balance"]) == stepped.steps
    assert m["fund_balance"][-1] * 1e6 == pytest.approx(float(stepped.ledger.fund.sum()))
    assert np.nanmax(m["oop_share"]) <= 1.0


def test_figures_draw(stepped):
    png = to_png(network_figure(stepped, 3))
    assert png[:4] == b"\x89PNG"
    png2 = to_png(network_figure(stepped, stepped.county.lead_hospital))
    assert png2 != png  # the selection ring moved
    spec = series_spec({"x": np.linspace(0, 1, 2000)}, target=0.5, marks=[10], percent=True)
    assert len(spec["data"]["values"]) <= 201 and spec["data"]["values"][-1]["day"] == 1999
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "rule", "rule"]
    stack = stack_spec([spec, spec], columns=2)
    assert stack["columns"] == 2 and all("$schema" not in p for p in stack["concat"])


def test_compare_same_scenario_is_identical_and_a_lever_shows_up():
    cmp = compare.Comparison.start("baseline", "baseline", 5_000, 4)
    cmp.step(20)
    assert all(np.nan_to_num(d).max() == 0 and np.nan_to_num(d).min() == 0 for d in cmp.differences().values())
    cmp.b.apply_lever("no_referral_penalty", 0.4)
    cmp.b.apply_lever("county_inpatient_ratio", 0.4)
    cmp.step(30)
    diff = cmp.differences()
    assert np.nanmax(np.abs(diff["oop_share"])) > 0
    assert cmp.a.steps == cmp.b.steps == 50


# ---------------------------------------------------------------------- components
def test_target_cards_show_values_status_and_translate(stepped):
    box, rc = solara.render(auto(components.TargetCards, stepped), handle_error=False)
    values = texts(rc, "target-value")
    # the shares are measured from the first day; life expectancy needs a simulated year
    assert len(values) == 3 and all(re.match(r"\d+\.\d%", s) for s in values[:2]) and values[2] == "—"
    status = texts(rc, "target-status")
    assert len(status) == 3 and set(status[:2]) <= {"met", "not met"} and status[2] == t("no_data")
    assert rc.find(v.Card, children=[t("primary_visit_share")]) is not None
    lang.set("zh")
    status = texts(rc, "target-status")
    assert len(status) == 3 and set(status[:2]) <= {"达标", "未达标"}
    assert any("基层就诊率" in str(w.children) for w in rc.find(v.CardTitle).widgets)
    rc.close()


def test_cards_change_as_the_model_steps():
    m = VizModel("baseline", 5_000, 3)
    box, rc = solara.render(auto(components.TargetCards, m), handle_error=False)
    assert texts(rc, "target-value")[0] == "—"
    for _ in range(10):
        m.step()
    force_update()
    assert texts(rc, "target-value")[0] != "—"
    assert "Day 10" in texts(rc, "reformsim-day")[0]
    rc.close()


def test_lever_panel_slider_and_select_change_the_model():
    m = VizModel("baseline", 5_000, 1)
    box, rc = solara.render(auto(components.LeverPanel, m), handle_error=False)
    sliders = rc.find(v.Slider).widgets
    assert len(sliders) == sum(lv.kind != "select" for lv in LEVERS)
    sliders[0].v_model = 46  # senior doctors (full-county equivalent)
    assert m.lever_values["transfer_seniors"] == 46
    assert m.p.staff.transfer_seniors_to_townships == 46
    assert any(f"46 (= {46 * m.scale:.1f}" in s for s in texts(rc, "lever-label"))
    regime = rc.find(v.Select, label=t("payment_regime")).widget
    regime.v_model = t("capitation")
    assert m.p.payment.regime == "capitation"
    rc.close()


def test_lever_panel_follows_the_timeline_and_redraws_only_then(tmp_path, monkeypatch):
    scenario = tmp_path / "early.toml"
    scenario.write_text('[[timeline]]\nday = 3\npath = "prices.drug_markup"\nvalue = 0.05\n')
    m = VizModel(str(scenario), 5_000, 1)
    redraws = []  # the panel draws its heading once per redraw
    heading = components.heading
    monkeypatch.setattr(components, "heading", lambda text, level=3: redraws.append(text) or heading(text, level))
    box, rc = solara.render(app.LeverPanelFollowingModel(m), handle_error=False)
    assert f"{t('drug_markup')}: 15%" in texts(rc, "lever-label") and len(redraws) == 1
    m.step()
    force_update()  # a new frame, as the play loop asks for: no lever moved, no redraw
    assert len(redraws) == 1
    for _ in range(4):
        m.step()
    force_update()
    assert f"{t('drug_markup')}: 5%" in texts(rc, "lever-label") and len(redraws) == 2
    assert [(d, k) for d, k, _ in m.lever_log] == [(3, "drug_markup")]
    rc.close()


def test_map_and_facility_panel_follow_the_selection(stepped):
    box, rc = solara.render(auto(components.FacilityPanel, stepped), handle_error=False)
    assert "County People's Hospital" in rc.find(v.Select).widget.v_model
    before = texts(rc, "facility-facts")
    assert "Visits today" in before[0]
    township = int(np.flatnonzero(stepped.county.kind == "township")[0])
    name = next(k for k, fid in components.facility_choices(stepped).items() if fid == township)
    rc.find(v.Select).widget.v_model = name
    assert components.selected_facility.value == township
    assert texts(rc, "facility-facts") != before
    rc.close()
    box, rc = solara.render(auto(components.NetworkMap, stepped), handle_error=False)
    img = rc.find(ipywidgets.Image).widget
    assert "reformsim-map-img" in img._dom_classes and bytes(img.value)[:4] == b"\x89PNG"
    rc.close()


def test_series_panels_render_one_vega_view_each(stepped):
    for fn in (components.TargetSeries, components.MoneySeries):
        box, rc = solara.render(auto(fn, stepped), handle_error=False)
        spec = rc.find(solara.widgets.VegaLite).widget.spec
        assert len(spec["concat"]) == 3 and all(p["data"]["values"] for p in spec["concat"])
        assert spec["concat"][0]["data"]["values"][-1]["day"] == stepped.steps - 1
        rc.close()


def test_compare_panel_steps_both_models_in_lockstep():
    compare.comparison.set(None)
    m = VizModel("baseline", 5_000, 5)
    box, rc = solara.render(compare.ComparePanel(m), handle_error=False)
    cmp = compare.comparison.value
    assert cmp is not None and cmp.a.seed == cmp.b.seed == 5
    rc.find(v.Btn, class_="compare-step").widget.click()
    assert cmp.a.steps == cmp.b.steps == compare.days_per_step.value
    assert f"Day {cmp.a.steps}" in texts(rc, "compare-day")[0]
    diffs = rc.find(solara.widgets.VegaLite).widget.spec["concat"]
    assert len(diffs) == 8 and all(p["data"]["values"] for p in diffs)
    rc.close()
    compare.comparison.set(None)


def test_compare_lever_panels_redraw_only_when_a_lever_moves(monkeypatch):
    """Each side's lever panel follows its model's levers (a timeline moves them mid-run) and is
    not redrawn at the other ticks."""
    compare.comparison.set(None)
    redraws = []
    heading = components.heading
    monkeypatch.setattr(components, "heading", lambda text, level=3: redraws.append(text) or heading(text, level))
    box, rc = solara.render(compare.ComparePanel(VizModel("baseline", 5_000, 5)), handle_error=False)
    cmp = compare.comparison.value
    drawn = redraws.count(t("levers"))
    assert drawn == 2  # one panel per side
    for _ in range(3):
        rc.find(v.Btn, class_="compare-step").widget.click()
    assert redraws.count(t("levers")) == drawn, "lever panels redrawn although no lever moved"
    cmp.b.set_lever("prices.drug_markup", 0.0)
    compare.next_tick()
    assert redraws.count(t("levers")) == drawn + 1  # only side B's panel
    rc.close()
    compare.comparison.set(None)


def test_app_page_renders_and_steps(monkeypatch):
    monkeypatch.setattr(app, "DEFAULT_POPULATION", 5_000)
    box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    assert len(texts(rc, "target-value")) == 3
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert f"Day {app.RENDER_INTERVAL}" in texts(rc, "reformsim-day")[0]
    rc.find(v.Btn, children=["Reset"]).widget.click()  # SolaraViz re-creates VizModel from keyword arguments
    assert "Day 0" in texts(rc, "reformsim-day")[0]
    rc.close()


# ---------------------------------------------------------------------- command line
def test_viz_command_environment(tmp_path):
    env = cmd_viz.viz_env("reform", {"PATH": "/bin"})
    assert env[SCENARIO_ENV] == "reform" and env["PATH"] == "/bin"
    kept = cmd_viz.viz_env("x", {"SOLARA_ASSETS_PROXY_CACHE_DIR": "/elsewhere", "REFORMSIM_SOLARA_ASSETS": str(tmp_path)})
    assert kept["SOLARA_ASSETS_PROXY_CACHE_DIR"] == "/elsewhere"
    found = cmd_viz.viz_env("x", {"REFORMSIM_SOLARA_ASSETS": str(tmp_path)})
    assert found["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(tmp_path)
    missing = cmd_viz.viz_env("x", {"REFORMSIM_SOLARA_ASSETS": str(tmp_path / "absent")})
    assert "SOLARA_ASSETS_PROXY_CACHE_DIR" not in missing
    cmd = cmd_viz.viz_command(8800, "127.0.0.1")
    assert cmd[1:4] == ["-m", "solara", "run"] and cmd[4].endswith("app.py") and "8800" in cmd


def test_viz_command_rejects_bad_input(capsys):
    assert cli_main(["viz", "--scenario", "no_such_scenario"]) == 2
    assert "no_such_scenario" in capsys.readouterr().err
    assert cli_main(["viz", "--port", "70000"]) == 2
