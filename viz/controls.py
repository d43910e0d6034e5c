"""The controls beside the simulator: which county to simulate (scenario with its description and
reform timeline, residents, seed), and running it (step, play, days per step).

A new scenario, size or seed starts a new county only when "Restart" is pressed; until then the
panel says that the choice is not applied yet.
"""

from __future__ import annotations

import dataclasses
import html
import os
from collections.abc import Callable
from dataclasses import dataclass

import solara
from reformsim.model.scenario import builtin_names, load_scenario

from .i18n import lang, t
from .names import scenario_description, scenario_title, timeline_lines
from .session import DEFAULT_POPULATION

SCENARIO_ENV = "REFORMSIM_VIZ_SCENARIO"  # set by `reformsim viz --scenario`
DAY_CHOICES = (1, 10, 30, 90)
POPULATIONS = (5_000, 200_000, 5_000)  # slider: lowest, highest, step


def default_scenario() -> str:
    """The scenario the app opens with: ``$REFORMSIM_VIZ_SCENARIO`` or the baseline."""
    return os.environ.get(SCENARIO_ENV) or "baseline"


def scenario_names() -> list[str]:
    """Built-in scenarios, plus the file the app was started with."""
    names = builtin_names()
    return names if default_scenario() in names else [default_scenario(), *names]


@dataclass(frozen=True)
class Setup:
    """What a county is made from."""

    scenario: str = ""
    population: int = DEFAULT_POPULATION
    seed: int = 1


@solara.component
def ScenarioPicker(value: str, on_value: Callable[[str], None], css: str = "scenario-select") -> solara.Element:
    """A scenario select (titles in the session's language) with the scenario's description and
    reform timeline."""
    language = lang.value
    titles = {scenario_title(name, language): name for name in scenario_names()}
    scenario = solara.use_memo(lambda: load_scenario(value), [value])
    with solara.Column(gap="2px", classes=[css]) as main:
        solara.Select(t("scenario"), values=list(titles), value=scenario_title(value, language),
                      on_value=lambda title: on_value(titles[title]))
        solara.Text(scenario_description(value, scenario, language), classes=["scenario-description"],
                    style="font-size:12px;color:#455a64")
        lines = timeline_lines(scenario, language)
        with solara.Details(t("reform_timeline"), expand=False):
            items = "".join(f"<li>{html.escape(line)}</li>" for line in lines) or html.escape(t("no_timeline"))
            solara.HTML(tag="ul", unsafe_innerHTML=items, classes=["scenario-timeline"],
                        style="font-size:12px;padding-left:16px;margin:0")
    return main


@solara.component
def SetupPanel(chosen: solara.Reactive[Setup], running: Setup, on_restart: Callable[[], None]) -> solara.Element:
    """Scenario, residents and seed; Restart builds the county they describe."""
    setup = chosen.value

    def choose(**field: object) -> None:
        chosen.set(dataclasses.replace(setup, **field))

    with solara.Column(gap="6px", classes=["reformsim-setup"]) as main:
        solara.HTML(tag="h3", unsafe_innerHTML=html.escape(t("county_setup")), style="margin:4px 0")
        ScenarioPicker(setup.scenario, lambda name: choose(scenario=name))
        solara.Text(f"{t('population')}: {setup.population:,}", classes=["population-label"])
        solara.SliderInt("", value=setup.population, min=POPULATIONS[0], max=POPULATIONS[1], step=POPULATIONS[2],
                         on_value=lambda n: choose(population=int(n)), thumb_label=False)
        solara.Text(f"{t('seed')}: {setup.seed}", classes=["seed-label"])
        solara.SliderInt("", value=setup.seed, min=0, max=99, on_value=lambda n: choose(seed=int(n)), thumb_label=False)
        changed = setup != running
        if changed:
            solara.Text(t("restart_needed"), classes=["restart-needed"], style="color:#e65100;font-size:12px")
        solara.Button(t("restart"), on_click=on_restart, color="warning" if changed else None, classes=["restart"])
    return main


@solara.component
def RunPanel(playing: bool, on_play: Callable[[bool], None], on_step: Callable[[], None],
             days: solara.Reactive[int]) -> solara.Element:
    """Step, play / pause and the days per step."""
    with solara.Column(gap="4px", classes=["reformsim-run"]) as main:
        solara.HTML(tag="h3", unsafe_innerHTML=html.escape(t("run")), style="margin:4px 0")
        with solara.Row(style="align-items:center;flex-wrap:wrap"):
            solara.Button(t("step"), on_click=on_step, disabled=playing, color="primary", classes=["run-step"])
            solara.Button(t("pause") if playing else t("play"), on_click=lambda: on_play(not playing),
                          classes=["run-play"])
        solara.Select(t("days_per_frame"), values=list(DAY_CHOICES), value=days, classes=["days-per-step"])
    return main
