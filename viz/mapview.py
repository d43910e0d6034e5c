"""The referral map: facilities where they are, sized by the day's visits, with the month's flows
as arrows; hover a facility for its figures, click it to select it (see ``maplayout``)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable

import numpy as np
import solara

from . import maplayout
from .facts import facility_rows, title
from .flows import KINDS
from .i18n import lang, t
from .names import facility_label
from .session import Session

TIER_COLOURS = ("#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a")  # village, township, county, tertiary
COMMUNITY_COLOUR = "#0097a7"
FLOW_COLOURS = {"flow_up": "#1e88e5", "flow_down": "#43a047", "flow_bypass": "#e53935"}
LABELLED = ("township", "community", "county", "tertiary")


@solara.component_vue("vue/map.vue")
def _MapSvg(width: int, height: int, frame: dict, nodes: str, radii: str, arrows: str, colours: dict,
            selected: int, tip: dict | None, offmap: dict | None,
            event_hover: Callable[[int], None], event_select: Callable[[int], None]) -> None:
    pass


def as_json(value: object) -> str:
    """Long lists travel as one string: Solara would walk every item at every redraw otherwise."""
    return json.dumps(value, separators=(",", ":"))


def legend(items: list[tuple[str, str]], shape: str) -> solara.Element:
    """A row of coloured keys: dots (facilities) or bars (flows)."""
    style = ("width:10px;height:10px;border-radius:5px" if shape == "dot" else "width:18px;height:4px")
    spans = "".join(f'<span style="display:inline-flex;align-items:center;margin-right:12px">'
                    f'<span style="display:inline-block;{style};background:{colour};margin-right:4px"></span>'
                    f"{html.escape(label)}</span>" for label, colour in items)
    return solara.HTML(tag="div", unsafe_innerHTML=spans, style="font-size:12px")


def node_colour(kind: str, tier: int) -> str:
    return COMMUNITY_COLOUR if kind == "community" else TIER_COLOURS[tier]


@solara.component
def ReferralMap(session: Session, day: int, selected: solara.Reactive[int | None]) -> solara.Element:
    """The map of ``session`` as of ``day`` (the argument makes it redraw when the county moves on)."""
    language = lang.value
    county = session.model.county
    lay = solara.use_memo(lambda: maplayout.layout(county), [session])
    hovered, set_hovered = solara.use_state(-1)

    def static_nodes() -> list[dict]:
        return [{"fid": fid, "x": round(float(lay.x[fid]), 1), "y": round(float(lay.y[fid]), 1),
                 "kind": str(county.kind[fid]), "colour": node_colour(str(county.kind[fid]), int(county.tier[fid])),
                 "label": facility_label(county.name[fid], language) if county.kind[fid] in LABELLED else ""}
                for fid in range(county.n_facilities)]

    nodes = solara.use_memo(lambda: as_json(static_nodes()), [session, language])
    with session.lock:
        visits = session.visits[-1] if session.day else np.zeros(county.n_facilities)
        drawn = maplayout.links(county, session.flows.current(session.day))
    radii = maplayout.node_radii(visits)
    arrows = maplayout.arrow_paths(lay, radii, drawn)
    tip = ({"fid": hovered, "title": title(session, hovered), "rows": [list(r) for r in facility_rows(session, hovered)]}
           if 0 <= hovered < county.n_facilities else None)
    offmap = None
    if lay.offmap.any():
        fid = int(np.flatnonzero(lay.offmap)[0])
        offmap = {"x": round(float(lay.x[fid]), 1), "y": round(float(lay.y[fid]) + 26, 1),
                  "text": t("off_map", minutes=session.model.p.county.county_tertiary_min)}
    with solara.Column(classes=["reformsim-map"], gap="2px") as main:
        solara.HTML(tag="h3", unsafe_innerHTML=html.escape(t("network")), style="margin:4px 0")
        _MapSvg(width=maplayout.WIDTH, height=maplayout.HEIGHT,
                frame={"cx": lay.centre[0], "cy": lay.centre[1], "r": lay.radius},
                nodes=nodes, radii=as_json([round(float(r), 1) for r in radii]), arrows=as_json(arrows), colours=FLOW_COLOURS,
                selected=-1 if selected.value is None else selected.value, tip=tip, offmap=offmap,
                event_hover=set_hovered, event_select=selected.set)
        legend([(t(k), c) for k, c in (("village", TIER_COLOURS[0]), ("township", TIER_COLOURS[1]),
                                       ("community", COMMUNITY_COLOUR), ("county", TIER_COLOURS[2]),
                                       ("tertiary", TIER_COLOURS[3]))], "dot")
        legend([(t(k), FLOW_COLOURS[k]) for k in KINDS], "bar")
        solara.Text(t("map_hint"), style="font-size:12px;color:#616161")
    return main
