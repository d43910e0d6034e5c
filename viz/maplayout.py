"""Where the referral map draws facilities and flows (plain geometry; ``mapview`` draws it).

Facilities keep their direction from the county seat. Distances are drawn on a gentle power
scale so the seat and the nearby townships get room, and the seat's own facilities (county
hospitals, community centres) are spread on two small rings around it: at their true
coordinates they lie within a few minutes of each other and hid under one another. The
tertiary hospital, outside the county, is drawn beyond the map's edge in its direction.

Flows are aggregated per link: a village's flow to the county seat or beyond is drawn from its
township (the route it takes), and up, down and bypass flows between the same two places curve
to different sides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from reformsim.model.county import County

WIDTH, HEIGHT = 760, 600  # the SVG's own pixels
DISTANCE_POWER = 0.7  # < 1 widens the centre, narrows the rim
HOSPITAL_RING, COMMUNITY_RING = 0.1, 0.19  # radii of the seat's rings, in shares of the county's radius
OFF_MAP = 1.22  # the tertiary hospital's distance from the seat, in county radii
FLOW_FLOOR = 0.08  # links below this share of a large flow are not drawn
CURVE = {"flow_up": 0.12, "flow_down": -0.12, "flow_bypass": 0.24}  # sideways bend, share of the link's length


@dataclass(frozen=True)
class Layout:
    """Pixel positions of the facilities and the map's frame."""

    x: np.ndarray
    y: np.ndarray
    centre: tuple[float, float]
    radius: float  # of the frame around the county, pixels
    offmap: np.ndarray  # facilities drawn outside the frame (the tertiary hospital)


def layout(county: County) -> Layout:
    """Facility positions on the map (see module docstring)."""
    kind = np.asarray(county.kind)
    x = np.asarray(county.x, float) - county.x[county.lead_hospital]  # the seat at the origin
    y = np.asarray(county.y, float) - county.y[county.lead_hospital]
    seat = np.isin(kind, ("county", "community"))
    offmap = kind == "tertiary"
    rho, angle = np.hypot(x, y), np.arctan2(y, x)
    inside = ~seat & ~offmap
    reach = float(rho[inside].max()) if inside.any() else 1.0
    shown = np.where(inside, (rho / reach) ** DISTANCE_POWER, 0.0)
    hospitals = np.flatnonzero(kind == "county")
    # county hospitals around the seat, the first (the lead, 总医院) on the west
    shown[hospitals] = HOSPITAL_RING
    angle[hospitals] = np.pi + 2 * np.pi * np.arange(len(hospitals)) / max(len(hospitals), 1)
    shown[kind == "community"] = COMMUNITY_RING
    shown[offmap] = OFF_MAP
    angle[offmap & (rho == 0)] = np.pi  # a tertiary hospital at the seat itself: drawn west
    # pixels: the frame fits the height; the off-map hospital gets the extra width on its side
    radius = 0.46 * HEIGHT
    cx = WIDTH / 2
    if offmap.any():
        cx = WIDTH - radius - 8 if np.cos(angle[offmap]).mean() < 0 else radius + 8
    centre = (float(cx), HEIGHT / 2)
    px = np.clip(centre[0] + radius * shown * np.cos(angle), 12, WIDTH - 12)
    py = np.clip(centre[1] - radius * shown * np.sin(angle), 12, HEIGHT - 12)  # SVG's y grows downwards
    return Layout(px, py, centre, radius, offmap)


def node_radii(visits: np.ndarray) -> np.ndarray:
    """Node radius in pixels by the day's visits (area grows with visits)."""
    top = max(float(np.max(visits, initial=0.0)), 1e-9)
    return 2.5 + 14.0 * np.sqrt(np.maximum(visits, 0.0) / top)


def links(county: County, flows: dict[str, np.ndarray]) -> list[tuple[str, int, int, float]]:
    """(kind, origin, destination, patients) per drawn link, aggregated as in the module docstring."""
    tier, parent = np.asarray(county.tier), np.asarray(county.parent)
    out: dict[tuple[str, int, int], float] = {}
    for kind, matrix in flows.items():
        origin, dest = np.nonzero(matrix)
        weight = matrix[origin, dest]
        # a village's flow to the seat or beyond leaves through its township; a flow from there down to a
        # village arrives through it
        far = tier[dest] >= 2
        origin = np.where(far & (tier[origin] == 0) & (parent[origin] >= 0), parent[origin], origin)
        back = tier[origin] >= 2
        dest = np.where(back & (tier[dest] == 0) & (parent[dest] >= 0), parent[dest], dest)
        for o, d, w in zip(origin.tolist(), dest.tolist(), weight.tolist(), strict=True):
            if o != d:
                out[kind, o, d] = out.get((kind, o, d), 0.0) + w
    if not out:
        return []
    big = float(np.percentile(list(out.values()), 95))
    return [(k, o, d, w) for (k, o, d), w in out.items() if w >= max(FLOW_FLOOR * big, 0.5)]


def arrow_paths(lay: Layout, radii: np.ndarray, drawn: list[tuple[str, int, int, float]]) -> list[dict]:
    """SVG paths of the links: curved, from the edge of one node to the edge of the other, their
    width growing with the square root of the patients (an arrowhead scales with it)."""
    if not drawn:
        return []
    big = float(np.percentile([w for *_, w in drawn], 95)) or 1.0
    out = []
    for kind, o, d, w in sorted(drawn, key=lambda link: link[3]):  # the largest on top
        a, b = np.array([lay.x[o], lay.y[o]]), np.array([lay.x[d], lay.y[d]])
        length = float(np.hypot(*(b - a)))
        if length < 1e-6:
            continue
        unit = (b - a) / length
        width = float(min(0.8 + 4.0 * np.sqrt(w / big), 6.0))
        start = a + unit * radii[o]
        end = b - unit * (radii[d] + 2.5 * width)  # room for the arrowhead, which grows with the width
        normal = np.array([-unit[1], unit[0]])
        bend = (start + end) / 2 + normal * CURVE[kind] * length
        out.append({"kind": kind, "width": round(width, 2), "patients": round(w, 1),
                    "d": f"M{start[0]:.1f},{start[1]:.1f} Q{bend[0]:.1f},{bend[1]:.1f} {end[0]:.1f},{end[1]:.1f}"})
    return out
