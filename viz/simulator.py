"""The simulator tab: one county to watch day by day and steer, with the what-if of every change.

Left: the county (scenario, residents, seed), running it, export. Right: the target cards; the
levers beside their trade-offs; the targets over time with the five-year what-if; the referral
map beside the facility panel; money over time.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import solara
from reformsim.model.county import REFERENCE_POPULATION

from .cards import TargetCards
from .controls import RunPanel, Setup, SetupPanel, default_scenario
from .export import ExportPanel
from .facilitypanel import FacilityPanel
from .figures import chart_series, current_targets, daily_columns
from .leverpanel import LeverPanel
from .levers import LEVER_BY_PATH, Lever
from .mapview import ReferralMap
from .names import path_label
from .player import use_player
from .series import MoneySeries, TargetSeries
from .session import Session
from .tradeoffs import TradeoffPanel, progress
from .whatif import WhatIf


class County:
    """A session and its what-if, replaced together on Restart."""

    def __init__(self, setup: Setup):
        self.setup = setup
        self.session = Session(setup.scenario, setup.population, setup.seed)
        self.whatif = WhatIf(self.session)


@solara.component
def Simulator(first_setup: Setup | None = None) -> solara.Element:
    """The tab; ``first_setup`` is the county it opens with (default: the app's scenario)."""
    chosen = solara.use_reactive(first_setup or Setup(default_scenario()))
    first = solara.use_memo(lambda: County(chosen.value), [])
    county, set_county = solara.use_state(first)
    frame = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    days = solara.use_reactive(10)
    selected = solara.use_reactive(None)
    session, whatif = county.session, county.whatif

    def handlers() -> SimpleNamespace:
        # made once per county: a new callback at every frame would redraw the panels that take it

        def step() -> None:
            session.step(days.value)

        def step_once() -> None:
            step()
            frame.set(frame.value + 1)

        def restart() -> None:
            playing.set(False)
            set_county(County(chosen.value))
            selected.set(None)
            frame.set(frame.value + 1)

        def change_lever(lever: Lever, value: Any) -> None:
            try:
                with session.lock:  # the pending changes and the state projected from are of one moment
                    without, with_ = session.set_lever(lever, value)
                    request = whatif.ask((lever.path, value), without, with_)
            except ValueError:
                return  # the scenario refused the value (a slider cannot produce one)
            # projected at once, before the page redraws: in a burst of key presses each change calls
            # off the one before it (the worker stops within a simulated month)
            whatif.submit(request, request.seeds[:1])
            frame.set(frame.value + 1)

        return SimpleNamespace(step=step, step_once=step_once, restart=restart, change_lever=change_lever)

    act = solara.use_memo(handlers, [county])
    solara.use_effect(lambda: whatif.close, [whatif])  # on Restart or a closed page
    use_player(act.step, frame, playing.value, county)
    with session.lock:
        day = session.day
        daily = daily_columns(session.model)
        values = session.values()
        pending = frozenset(LEVER_BY_PATH[p].key for p in session.pending if p in LEVER_BY_PATH)
        marks = [(d, path_label(p)) for d, p in session.marks]
        population = session.model.p.county.population
    series = chart_series(daily, session.model.scale)
    request = whatif.current

    with solara.Columns([3, 9], classes=["reformsim-simulator"]) as main:
        with solara.Column(gap="12px", classes=["reformsim-sidebar"]):
            SetupPanel(chosen, county.setup, act.restart)
            RunPanel(playing.value, playing.set, act.step_once, days)
            ExportPanel(session)
        with solara.Column(gap="12px"):
            TargetCards(current_targets(daily), day, population, REFERENCE_POPULATION)
            with solara.Columns([1, 1]):
                LeverPanel(values, pending, act.change_lever)
                # while playing the day is left out: the panel only needs it to prepare a what-if when paused
                TradeoffPanel(whatif, request, -1 if playing.value else day, playing.value, progress.value)
            TargetSeries(series, day, marks, request, progress.value)
            with solara.Columns([7, 5]):
                ReferralMap(session, day, selected)
                FacilityPanel(session, day, selected, marks)
            MoneySeries(series, day, marks, request, progress.value)
    return main
