"""A facility's figures as the map's hover card and the facility panel show them.

The demo simulates a scaled county, where a township centre has a fraction of a doctor. Figures
are shown for the whole county, in whole numbers: counts and money of the township centres and
hospitals divided by ``model.scale``. Village clinics and community centres are shown as
simulated: the generator builds one clinic per village, with at least one doctor, and one centre
per 20,000 urban residents at every county size, so each is a whole clinic or centre already.
"""

from __future__ import annotations

from .i18n import t
from .names import facility_name
from .session import Session

PER_CENTRE_KINDS = ("village", "community")


def whole_county_factor(session: Session, fid: int) -> float:
    """What a count at facility ``fid`` is multiplied by to read as the whole county's."""
    kind = str(session.model.county.kind[fid])
    return 1.0 if kind in PER_CENTRE_KINDS else 1.0 / session.model.scale


def title(session: Session, fid: int) -> str:
    """'Township 3 · Township centres' in the session's language."""
    c = session.model.county
    return f"{facility_name(c.name[fid])} · {t(str(c.kind[fid]))}"


def facility_rows(session: Session, fid: int) -> list[tuple[str, str]]:
    """(label, value) rows of facility ``fid`` today, whole-county figures in whole numbers."""
    k = whole_county_factor(session, fid)
    with session.lock:
        f = session.facilities[fid]

        def n(x: float) -> str:
            return f"{round(x * k):,}"

        return [
            (t("visits_today"), n(f.visits_today)),
            (t("capacity"), n(f.capacity)),
            (t("wait_days"), f"{f.wait_days:.1f}"),
            (t("doctors"), f"{n(f.senior)} / {n(f.junior)} / {n(f.village_doctors)}"),
            (t("on_loan"), f"{round(f.on_loan * k):+,}"),
            (t("nurses"), n(f.nurses)),
            (t("beds"), f"{n(f.beds_occupied)} / {n(f.beds)}"),
            (t("skill"), f"{f.skill:.2f}"),
            (t("revenue"), f"{f.revenue * k / 1e6:,.1f}"),
            (t("surplus"), f"{f.surplus * k / 1e6:,.1f}"),
        ]
