"""The Chinese web font, shipped from the npm registry and served with the app.

``tests/browser/fill_solara_assets.sh`` puts the package in Solara's asset cache (online, Solara's
proxy fetches it from the CDN instead), so the page needs no CJK font on the computer. The page
loads it and reports back; without it the page says so and uses the computer's fonts.
"""

from __future__ import annotations

from collections.abc import Callable

import solara

from .i18n import t

FAMILY = "Noto Sans SC"
PACKAGE = "@fontsource/noto-sans-sc@5.3.0"  # also listed in tests/browser/fill_solara_assets.sh
STYLESHEETS = [f"_solara/cdn/{PACKAGE}/{weight}.css" for weight in (400, 700)]
# the font for every text of the page; Latin letters keep Vuetify's Roboto where there is one
CSS = f".v-application, .v-application .text-h6, .reformsim-map-box svg {{ font-family: Roboto, '{FAMILY}', sans-serif !important; }}"


@solara.component_vue("vue/font.vue")
def _FontProbe(stylesheets: list, family: str, sample: str, event_report: Callable[[bool], None]) -> None:
    pass


@solara.component
def ChineseFont() -> solara.Element:
    """Loads the font; a notice if it could not be loaded."""
    loaded, set_loaded = solara.use_state(None)
    with solara.Column(gap="0px") as main:
        solara.Style(CSS)
        _FontProbe(stylesheets=STYLESHEETS, family=FAMILY, sample="基层就诊率", event_report=set_loaded)
        if loaded is False:
            solara.Warning(t("font_missing"), classes=["font-missing"])
    return main
