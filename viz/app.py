"""The Solara visual for planners and workshops (Mesa SolaraViz).

Run with ``reformsim viz [--scenario NAME] [--port N]`` or ``solara run viz/app.py``.
Page 0 is the simulator (targets, levers, referral map, time series, facility panel); Page 1 is
compare mode. The sidebar (Mesa's) creates the model: scenario, population, seed; Reset applies them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import mesa.visualization.solara_viz as mesa_solara_viz
import solara
import solara.server.kernel_context as kernel_context
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter
from reformsim.viz.compare import ComparePanel, scenario_choices
from reformsim.viz.components import (
    FacilityPanel,
    LeverPanel,
    MoneySeries,
    NetworkMap,
    TargetCards,
    TargetSeries,
)
from reformsim.viz.i18n import LanguageToggle, lang, t
from reformsim.viz.vizmodel import DEFAULT_POPULATION, VizModel, default_scenario

# Five simulated days per redraw: a redraw costs several model days, so this keeps the demo >= 5 days/s.
RENDER_INTERVAL = 5
PLAY_INTERVAL_MS = 1

# Page 0 grid (12 columns, rows of 30 px): cards across the top, levers beside the map, charts below.
DASHBOARD_LAYOUT = [
    {"i": 0, "x": 0, "y": 0, "w": 12, "h": 6},
    {"i": 1, "x": 0, "y": 6, "w": 4, "h": 20},
    {"i": 2, "x": 4, "y": 6, "w": 8, "h": 20},
    {"i": 3, "x": 0, "y": 26, "w": 6, "h": 19},
    {"i": 4, "x": 6, "y": 26, "w": 6, "h": 19},
    {"i": 5, "x": 0, "y": 45, "w": 12, "h": 19},
]
COMPARE_LAYOUT = [{"i": 0, "x": 0, "y": 0, "w": 12, "h": 80}]
_mesa_layout = mesa_solara_viz.make_initial_grid_layout


def grid_layout(num_components: int) -> list[dict]:
    """Initial grid for a page: Mesa places every component at half width, too narrow for the map
    and for compare mode, so our two pages get their own (Mesa looks this function up at run time)."""
    layouts = {len(DASHBOARD_LAYOUT): DASHBOARD_LAYOUT, len(COMPARE_LAYOUT): COMPARE_LAYOUT}
    chosen = layouts.get(num_components)
    return [{**cell, "moved": False} for cell in chosen] if chosen else _mesa_layout(num_components)


mesa_solara_viz.make_initial_grid_layout = grid_layout


def force_update_in_turn() -> None:
    """Mesa's ``force_update`` (a new frame), asked for only once no other thread is rendering the page.

    A render runs in the thread that asks first; the others' requests join its loop. After a lever
    change, the browser's thread renders the page while Mesa's play loop goes on stepping, and the play
    loop asked for a new frame during every render pass: that render never ended (the levers froze)
    until reacton gave up with "Too many renders triggered" (issue 8, tests/browser/test_stress.py).
    Waiting for the render lock first lets that render finish; the frame is then drawn by this thread.
    """
    if kernel_context.has_current_context():
        render = kernel_context.get_current_context().app_object
        # reacton's render lock, held for a whole render loop (no public API); never our own
        lock = getattr(render, "thread_lock", None)
        if lock is not None and getattr(render, "_lock_thread", None) is not threading.current_thread():
            with lock:
                pass
    force_update()


# Mesa's play loop and Step button look the name up at run time
mesa_solara_viz.force_update = force_update_in_turn


def every_frame(view: Callable[[VizModel], solara.Element]) -> Callable[[VizModel], solara.Element]:
    """A plain view as a component that re-renders after every step, as SolaraViz would wrap it.

    SolaraViz wraps plain views in new components at each of its own renders, so a Reset remounted
    every view; charts with a redraw pending then plotted into destroyed elements, a JavaScript error
    in the page (issue 8, tests/browser/test_stress.py). Wrapped once here, they stay mounted.
    """

    @solara.component
    def EveryFrame(model: VizModel) -> solara.Element:
        update_counter.get()
        return view(model)

    return EveryFrame


@solara.component
def LeverPanelFollowingModel(model: VizModel) -> solara.Element:
    """The lever panel, redrawn whenever the model's levers change (the policy timeline moves them too).

    This wrapper runs at every frame but only reads a counter; reacton redraws ``LeverPanel`` only
    when its arguments change, i.e. when ``model.lever_version`` has.
    """
    update_counter.get()
    return LeverPanel(model, version=model.lever_version)


COMPONENTS = [
    (every_frame(TargetCards), 0),
    (LeverPanelFollowingModel, 0),
    (every_frame(NetworkMap), 0),
    (every_frame(TargetSeries), 0),
    (every_frame(MoneySeries), 0),
    (every_frame(FacilityPanel), 0),
    (ComparePanel, 1),
]


def model_params() -> dict:
    """The sidebar's model inputs, labelled in the current language (applied on Reset)."""
    return {
        "scenario_name": {"type": "Select", "value": default_scenario(), "values": scenario_choices(), "label": t("scenario")},
        "population": {"type": "SliderInt", "value": DEFAULT_POPULATION, "min": 5_000, "max": 200_000, "step": 5_000,
                       "label": t("population")},
        "rng": {"type": "SliderInt", "value": 1, "min": 0, "max": 99, "step": 1, "label": t("seed")},
    }


@solara.component
def Page() -> None:
    """The app: SolaraViz with our views, plus the 中文 / English switch in the app bar."""
    model = solara.use_reactive(solara.use_memo(lambda: VizModel(default_scenario(), DEFAULT_POPULATION, 1), []))
    with solara.AppBar():
        LanguageToggle()
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=model_params(),
        name=t("title", lang.value),
        play_interval=PLAY_INTERVAL_MS,
        render_interval=RENDER_INTERVAL,
    )
