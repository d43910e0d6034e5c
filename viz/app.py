"""The visual for planners and workshops, built with Solara.

Run with ``reformsim viz [--scenario NAME] [--port N]`` (or ``solara run viz/app.py``). Two tabs:
the simulator (one county, steered and projected) and compare mode (two counties in lockstep).
Every word switches between English and 中文 in the app bar, and the Chinese font is served with
the app. The page is plain Solara: Mesa's page put the views in a draggable grid that took slider
drags for its own, and its controls could not be translated.
"""

from __future__ import annotations

import html

import solara
import solara.lab
import solara.server.settings

# absolute imports: `solara run viz/app.py` runs this file as a script, not as part of the package
from reformsim.viz import projection
from reformsim.viz.compare import ComparePanel
from reformsim.viz.controls import Setup, default_scenario
from reformsim.viz.fonts import ChineseFont
from reformsim.viz.i18n import LanguageToggle, lang, t
from reformsim.viz.simulator import Simulator

projection.start_pools()  # start and warm the what-if's workers with the server, not at the first change
solara.server.settings.theme.show_banner = False  # an English "runs on Solara" line in a Chinese page


@solara.component
def Page() -> solara.Element:
    language = lang.value
    tab = solara.use_reactive(0)
    solara.Title(t("title", language))
    with solara.Column(classes=["reformsim-page"], style="padding:0 12px") as main:
        with solara.Row(style="align-items:center;justify-content:space-between"):
            solara.HTML(tag="h2", unsafe_innerHTML=html.escape(t("title", language)), style="margin:8px 0 0 0")
            LanguageToggle()
        ChineseFont()
        # both tabs stay mounted (lazy=False): switching tabs keeps each county where it was
        with solara.lab.Tabs(value=tab, lazy=False):
            with solara.lab.Tab(t("tab_simulator", language), classes=["tab-simulator"]):
                Simulator()
            with solara.lab.Tab(t("tab_compare", language), classes=["tab-compare"]):
                ComparePanel(Setup(default_scenario()), shown=tab.value == 1)
    return main
