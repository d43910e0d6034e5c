"""The facility panel: the selected facility's load, wait, staff, beds and money (whole-county
figures), and its visits per day. A facility is picked here or by clicking it on the map."""

from __future__ import annotations

import html

import numpy as np
import solara

from .charts import Chart
from .facts import facility_rows, title, whole_county_factor
from .i18n import lang, t
from .session import Session
from .specs import Line, series_spec, stack_spec


def resolve(session: Session, selected: int | None) -> int:
    """The facility shown: the pick if valid, else the lead county hospital (总医院)."""
    n = session.model.county.n_facilities
    return selected if selected is not None and 0 <= selected < n else session.model.county.lead_hospital


def choices(session: Session) -> dict[str, int]:
    """Names for the picker, hospitals first, in the session's language."""
    tier = np.asarray(session.model.county.tier)
    order = np.lexsort((np.arange(len(tier)), -tier))
    return {title(session, int(fid)): int(fid) for fid in order}


@solara.component
def FacilityPanel(session: Session, day: int, selected: solara.Reactive[int | None],
                  marks: list[tuple[int, str]]) -> solara.Element:
    fid = resolve(session, selected.value)
    names = solara.use_memo(lambda: choices(session), [session, lang.value])
    label = next(k for k, v in names.items() if v == fid)
    rows = facility_rows(session, fid)
    with session.lock:
        history = session.visits[:, fid] * whole_county_factor(session, fid)
    body = "".join(f"<tr><td>{html.escape(k)}</td><td style='text-align:right'>{html.escape(v)}</td></tr>" for k, v in rows)
    with solara.Column(classes=["reformsim-facility"], gap="4px") as main:
        solara.HTML(tag="h3", unsafe_innerHTML=html.escape(t("facility")), style="margin:4px 0")
        solara.Select(t("choose_facility"), values=list(names), value=label,
                      on_value=lambda name: selected.set(names[name]), classes=["facility-select"])
        solara.Text(title(session, fid), classes=["facility-title"], style="font-weight:600")
        solara.HTML(tag="table", unsafe_innerHTML=body, classes=["facility-facts"],
                    style="border-collapse:collapse;font-size:13px")
        Chart(stack_spec([series_spec([Line(t("visits_history"), history, "#1565c0")], title=t("visits_history"),
                                      x_title=t("day"), marks=marks, width=380, height=90)]),
              css="facility-history", filename="facility.png")
        solara.Text(t("whole_county_short"), style="font-size:11px;color:#757575")
    return main
