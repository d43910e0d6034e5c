"""The county: facilities, homes and the referral graph.

A county is either generated (seeded, Chuxiong-like by default) or read from a facilities
CSV. Facilities are rows of a table; the referral graph is a ``networkx.DiGraph`` over
them whose edges carry ``kind`` (``refer_up``, ``refer_down``, ``support``) and
``travel_min``. Residents live at *homes*: villages (rural) and community centres' catchments
(urban). For each home we precompute the facilities a resident may choose and the travel
time to each, by shortest path on the graph.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import dijkstra

from .params import CountyParams, FacilityParams

KINDS = ("village", "township", "community", "county", "tertiary")
KIND_TIER = {"village": 0, "township": 1, "community": 1, "county": 2, "tertiary": 3}
REFERENCE_POPULATION = 631_530  # staff and bed defaults are sized for this many residents
LOCAL_TRAVEL_MIN = 5.0  # walking to one's own village clinic or community centre
CSV_MAX_KM = 10_000.0  # |x|, |y| in km
CSV_MAX_COUNT = 1e6  # staff, beds, residents per row
CSV_MAX_RESIDENTS = 20_000_000  # as CountyParams.population
CSV_COLUMNS = ("id", "kind", "name", "x", "y", "parent", "senior", "junior", "nurses", "village_doctors", "beds", "population")


class CountyError(ValueError):
    """A county that cannot be built: bad CSV, disconnected graph, bad parameter."""


@dataclass
class County:
    """Facilities (one row each, index = facility id), homes and the referral graph."""

    name: list[str]
    kind: np.ndarray  # object array of KINDS
    tier: np.ndarray  # int8
    x: np.ndarray
    y: np.ndarray
    parent: np.ndarray  # int32, -1 for none
    mountain: np.ndarray  # bool
    senior: np.ndarray  # float64 staff counts (transfers move fractions of a year)
    junior: np.ndarray
    nurses: np.ndarray
    village_doctors: np.ndarray
    beds: np.ndarray
    home_population: np.ndarray  # residents living at each facility's catchment (villages, communities)
    graph: nx.DiGraph
    # choice sets: per home, slot facility ids (-1 = unavailable) and travel minutes
    homes: np.ndarray  # facility ids of homes
    slot_facility: np.ndarray  # (n_homes, n_slots) int32
    slot_travel: np.ndarray  # (n_homes, n_slots) float32
    scales: tuple[float, float] | None = None  # the generator's (``generator_scales``); None for a facilities CSV

    @property
    def n_facilities(self) -> int:
        return len(self.tier)

    @property
    def lead_hospital(self) -> int:
        """The consortium's General Hospital (总医院): the first county-tier facility."""
        return int(np.flatnonzero(self.tier == 2)[0])

    def establishment(self, f: FacilityParams) -> dict[str, np.ndarray]:
        """Each facility's staff and beds (``ESTABLISHED``) as the generator builds them from ``f``:
        a change of ``f`` on a timeline adds the difference (agents/staff.py, agents/beds.py).
        A county from a facilities CSV has its own, whatever ``f`` says."""
        if self.scales is None:
            return {what: getattr(self, what).copy() for what in ESTABLISHED}
        k, kt = self.scales
        out = {what: np.zeros(self.n_facilities) for what in ESTABLISHED}
        seen: dict[str, int] = {}
        for fid, kind in enumerate(self.kind):
            index = seen[kind] = seen.get(kind, -1) + 1
            for what, v in staffing(kind, index, k, kt, f).items():
                out[what][fid] = v
        return out


def generate_county(p: CountyParams, f: FacilityParams, rng: np.random.Generator) -> County:
    """A seeded synthetic county: seat with community centres and county hospitals, townships, villages."""
    rows: list[dict] = []

    def add(kind: str, name: str, x: float, y: float, parent: int, mountain: bool = False, **kw) -> int:
        rows.append(dict(kind=kind, name=name, x=x, y=y, parent=parent, mountain=mountain, **kw))
        return len(rows) - 1

    k, kt = generator_scales(p)
    tertiary = add("tertiary", "Prefecture People's Hospital", -p.county_tertiary_min / 2, 0.0, -1,
                   **staffing("tertiary", 0, k, kt, f))
    county_names = ("County People's Hospital", "County TCM Hospital")
    counties = [add("county", county_names[i], 0.0, float(i), tertiary, **staffing("county", i, k, kt, f)) for i in range(2)]
    urban_pop = int(round(p.population * p.urban_share))
    # a county below the reference size stands for it scaled down (k_down < 1): as many community
    # centres as its urban residents would need at the reference size, each staffed at the scale,
    # so it keeps their staff per resident; a larger county has one per residents_per_community_centre
    k_down = min(k, 1.0)
    n_comm = max(1, round(urban_pop / k_down / p.residents_per_community_centre)) if urban_pop > 0 else 0
    for c in range(n_comm):
        share = urban_pop // n_comm + (1 if c < urban_pop % n_comm else 0)
        ang = 2 * np.pi * c / max(n_comm, 1)
        add("community", f"Community Centre {c + 1}", 3 * np.cos(ang), 3 * np.sin(ang), counties[0],
            population=share, **staffing("community", c, k_down, kt, f))
    rural_pop = p.population - urban_pop
    n_mountain = int(round(p.townships * p.mountain_share))
    mountain_ids = set(rng.choice(p.townships, size=n_mountain, replace=False).tolist())
    n_vill = p.townships * p.villages_per_township
    weights = rng.lognormal(0.0, 0.5, size=n_vill)
    vill_pop = np.floor(weights / weights.sum() * rural_pop).astype(int)
    vill_pop[: rural_pop - vill_pop.sum()] += 1
    vi = 0
    for t in range(p.townships):
        mountain = t in mountain_ids
        dist = p.township_county_min * (p.mountain_travel_factor if mountain else 1.0) * rng.uniform(0.7, 1.3)
        ang = 2 * np.pi * (t + rng.uniform(-0.3, 0.3)) / p.townships
        tx, ty = dist * np.cos(ang), dist * np.sin(ang)
        tw = add("township", f"Township {t + 1}", tx, ty, counties[0], mountain, **staffing("township", t, k, kt, f))
        for v in range(p.villages_per_township):
            vd = p.village_township_min * (p.mountain_travel_factor if mountain else 1.0) * rng.uniform(0.4, 1.6)
            va = rng.uniform(0, 2 * np.pi)
            pop = int(vill_pop[vi])
            vi += 1
            add("village", f"Village {t + 1}-{v + 1}", tx + vd * np.cos(va), ty + vd * np.sin(va), tw, mountain,
                village_doctors=village_doctors(pop, k_down, f.village_doctors_per_1000), population=pop)
    travel = _tree_travel(rows, p)
    county = _assemble(rows, travel)
    county.scales = (k, kt)
    return county


ESTABLISHED = ("senior", "junior", "nurses", "beds")  # what ``staffing`` gives a facility


def generator_scales(p: CountyParams) -> tuple[float, float]:
    """How the generator scales the staff and beds quoted for the reference county: by population
    for the hospitals (a scaled-down county keeps staff and beds per resident), and per township
    for the townships (their defaults are for 15 of them)."""
    k = p.population / REFERENCE_POPULATION
    return k, k * 15 / p.townships


def village_doctors(pop: int, k: float, per_1000: float) -> float:
    """A village clinic's doctors: ``per_1000`` per thousand residents and at least one (every
    administrative village keeps a clinic with a doctor, 一村一室), counted at the village's size in
    the reference county (``pop / k``, ``k`` at most 1) and scaled by ``k`` like the hospitals' staff, so a
    scaled-down county keeps the reference county's village doctors per resident (a village of 60
    residents standing for one of 600 has a tenth of a doctor, not a whole one)."""
    return k * max(1.0, round(pop / k * per_1000 / 1000))


def staffing(kind: str, index: int, k: float, kt: float, f: FacilityParams) -> dict[str, float]:
    """Senior and junior doctors, nurses and beds (``ESTABLISHED``) of the ``index``-th facility
    of ``kind`` in a generated county, at the ``generator_scales`` ``k`` and ``kt``: the
    reference county's figures in ``f`` scaled (community centres are as many as the reference
    county's urban residents need, ``county.residents_per_community_centre``). Village clinics are
    staffed from their population instead (``village_doctors``)."""
    if kind == "tertiary":
        values, scale = (f.tertiary_senior, f.tertiary_junior, f.tertiary_nurses, f.tertiary_beds), k
    elif kind == "county":
        values, scale = (f.county_senior[index], f.county_junior[index], f.county_nurses[index], f.county_beds[index]), k
    elif kind == "township":
        values, scale = (f.township_senior, f.township_junior, f.township_nurses, f.township_beds), kt
    elif kind == "community":
        values, scale = (f.community_senior, f.community_junior, f.community_nurses, f.community_beds), k
    else:
        return {}
    return {what: scale * v for what, v in zip(ESTABLISHED, values, strict=True)}


def _tree_travel(rows: list[dict], p: CountyParams) -> dict[tuple[int, int], float]:
    """Travel minutes on each child -> parent link of the generated tree."""
    out = {}
    for i, r in enumerate(rows):
        j = r["parent"]
        if j < 0:
            continue
        if r["kind"] == "county":
            out[(i, j)] = p.county_tertiary_min
        elif r["kind"] == "community":
            out[(i, j)] = p.urban_county_min
        else:
            out[(i, j)] = float(np.hypot(r["x"] - rows[j]["x"], r["y"] - rows[j]["y"]))
    return out | _seat_links(rows, lambda a, b: LOCAL_TRAVEL_MIN)


def _seat_links(rows: list[dict], minutes) -> dict[tuple[int, int], float]:
    """Travel links between county hospitals: they stand in the same county seat."""
    seat = [i for i, r in enumerate(rows) if r["kind"] == "county"]
    return {(a, b): minutes(rows[a], rows[b]) for a in seat for b in seat if a < b}


def load_county_csv(path: str | Path, f: FacilityParams) -> County:
    """Read a real county from a facilities CSV (columns: ``CSV_COLUMNS``; x, y in km).

    Travel minutes on each link are the straight-line distance at 40 km/h, doubled for rows
    marked ``mountain=1`` if that optional column is present.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CountyError(f"facilities CSV not found: {path}") from None
    except UnicodeDecodeError:
        raise CountyError(f"facilities CSV {path.name} is not UTF-8 text") from None
    except OSError as exc:  # a directory, no permission
        raise CountyError(f"facilities CSV {path} cannot be read: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CountyError(f"facilities CSV {path.name}: missing column '{missing[0]}'")
    ids: dict[str, int] = {}
    raw = list(reader)
    if not raw:
        raise CountyError(f"facilities CSV {path.name}: no rows")
    for n, r in enumerate(raw, start=2):
        if None in r or None in r.values():  # DictReader's marks for too many / too few fields
            raise CountyError(f"facilities CSV line {n}: wrong number of fields (the header has {len(reader.fieldnames)})")
        if r["id"] in ids:
            raise CountyError(f"facilities CSV line {n}: duplicate id '{r['id']}'")
        ids[r["id"]] = n - 2
    rows = []
    for n, r in enumerate(raw, start=2):
        kind = (r["kind"] or "").strip().lower()
        if kind not in KIND_TIER:
            raise CountyError(f"facilities CSV line {n}: kind '{r['kind']}' is not one of {', '.join(KINDS)}")
        parent = (r["parent"] or "").strip()
        if parent and parent not in ids:
            raise CountyError(f"facilities CSV line {n}: parent '{parent}' is not a facility id")
        if parent == r["id"]:
            raise CountyError(f"facilities CSV line {n}: facility '{parent}' is its own parent")
        row = dict(kind=kind, name=r["name"] or r["id"], parent=ids[parent] if parent else -1,
                   mountain=(r.get("mountain") or "0").strip() in ("1", "true", "yes"))
        for col in ("x", "y", "senior", "junior", "nurses", "village_doctors", "beds", "population"):
            val = (r[col] or "0").strip()
            try:
                num = float(val)
            except ValueError:
                raise CountyError(f"facilities CSV line {n}: column '{col}' is not a number: '{val}'") from None
            if not np.isfinite(num) or (col not in ("x", "y") and num < 0):
                raise CountyError(f"facilities CSV line {n}: column '{col}' must be finite and >= 0, got {val}")
            # km across a county, staff, beds: anything this large is a typo, and overflows travel or pay
            if abs(num) > (CSV_MAX_KM if col in ("x", "y") else CSV_MAX_COUNT):
                raise CountyError(f"facilities CSV line {n}: column '{col}' is absurdly large: {val}")
            if col == "population" and num != int(num):
                raise CountyError(f"facilities CSV line {n}: column 'population' must be a whole number, got {val}")
            row[col] = num
        rows.append(row)
    _check_csv_county(rows, [r["id"] for r in raw], path.name)
    travel = {}
    def minutes(a: dict, b: dict) -> float:
        d = float(np.hypot(a["x"] - b["x"], a["y"] - b["y"]))
        return max(LOCAL_TRAVEL_MIN, d / 40.0 * 60.0 * (2.0 if a["mountain"] else 1.0))

    for i, r in enumerate(rows):
        if r["parent"] >= 0:
            travel[(i, r["parent"])] = minutes(r, rows[r["parent"]])
    travel |= _seat_links(rows, minutes)
    return _assemble(rows, travel, source=path.name)


def _check_csv_county(rows: list[dict], ids: list[str], source: str) -> None:
    """Whole-table checks: no parent cycles, some residents, not more residents than a county holds."""
    for start in range(len(rows)):
        seen, i = set(), start
        while i >= 0:
            if i in seen:
                raise CountyError(f"facilities CSV {source}: parent cycle through '{ids[i]}'")
            seen.add(i)
            i = rows[i]["parent"]
    residents = sum(r["population"] for r in rows if r["kind"] in ("village", "community"))
    if residents <= 0:
        raise CountyError(f"facilities CSV {source}: no residents (population is 0 in every village and community)")
    if residents > CSV_MAX_RESIDENTS:
        raise CountyError(f"facilities CSV {source}: population totals {residents:,.0f}, more than {CSV_MAX_RESIDENTS:,}")


def _assemble(rows: list[dict], travel: dict[tuple[int, int], float], source: str = "generator") -> County:
    n = len(rows)
    col = lambda k, d=0.0: np.array([float(r.get(k, d)) for r in rows])  # noqa: E731
    kind = np.array([r["kind"] for r in rows], dtype=object)
    tier = np.array([KIND_TIER[k] for k in kind], dtype=np.int8)
    parent = np.array([r["parent"] for r in rows], dtype=np.int32)
    for need in ("county", "tertiary"):
        if not (kind == need).any():
            raise CountyError(f"county from {source} has no {need} facility")
    g = nx.DiGraph()
    for i, r in enumerate(rows):
        g.add_node(i, name=r["name"], kind=r["kind"], tier=int(tier[i]), x=float(r["x"]), y=float(r["y"]),
                   senior=float(r.get("senior", 0)), junior=float(r.get("junior", 0)),
                   nurses=float(r.get("nurses", 0)), beds=float(r.get("beds", 0)))
    for (i, j), t in travel.items():
        if parent[i] == j:
            g.add_edge(i, j, kind="refer_up", travel_min=t)
            g.add_edge(j, i, kind="refer_down", travel_min=t)
    county_ids = np.flatnonzero(tier == 2)
    tertiary_ids = np.flatnonzero(tier == 3)
    lead = int(county_ids[0])
    primary = np.flatnonzero(tier == 1)
    for c in county_ids:
        for pc in primary:
            if not g.has_edge(pc, c):
                # every primary centre refers to every county hospital; travel via the graph
                g.add_edge(pc, int(c), kind="refer_up", travel_min=np.nan)
                g.add_edge(int(c), pc, kind="refer_down", travel_min=np.nan)
        for tt in tertiary_ids:
            if not g.has_edge(int(c), int(tt)):
                g.add_edge(int(c), int(tt), kind="refer_up", travel_min=np.nan)
                g.add_edge(int(tt), int(c), kind="refer_down", travel_min=np.nan)
    for pc in np.flatnonzero(kind == "township"):
        g.add_edge(lead, int(pc), kind="support", travel_min=np.nan)
    # fill travel on the added edges by shortest path over the tree links, every pair at once
    # (scipy's compiled Dijkstra: a networkx search per facility was a quarter of building a county)
    links = {(min(i, j), max(i, j)): t for (i, j), t in travel.items()}  # a link given twice: the last, as a graph keeps it
    ends = np.array(list(links), dtype=np.int64).reshape(-1, 2)
    dist = dijkstra(coo_array((np.array(list(links.values()), dtype=float), (ends[:, 0], ends[:, 1])), shape=(n, n)).tocsr(),
                    directed=False)
    for a, b, d in g.edges(data=True):
        if np.isnan(d["travel_min"]):
            if np.isinf(dist[a, b]):
                raise CountyError(f"county from {source}: {rows[a]['name']} cannot reach {rows[b]['name']}")
            d["travel_min"] = float(dist[a, b])
    homes = np.flatnonzero(((kind == "village") | (kind == "community")) & (col("population") > 0))
    slots = [None, None, *county_ids.tolist(), *tertiary_ids.tolist()]
    slot_fac = np.full((len(homes), len(slots)), -1, dtype=np.int32)
    slot_travel = np.full((len(homes), len(slots)), np.inf, dtype=np.float32)
    for h, fid in enumerate(homes):
        d = dist[fid]
        if kind[fid] == "village":
            slot_fac[h, 0] = fid
            slot_fac[h, 1] = parent[fid]
        else:
            slot_fac[h, 1] = fid
        for s in range(len(slots)):
            fs = slot_fac[h, s] if s < 2 else slots[s]
            if fs is None or fs < 0:
                continue
            slot_fac[h, s] = fs
            if np.isinf(d[fs]):
                raise CountyError(f"county from {source}: {rows[fid]['name']} cannot reach {rows[fs]['name']}")
            slot_travel[h, s] = LOCAL_TRAVEL_MIN if fs == fid else max(LOCAL_TRAVEL_MIN, float(d[fs]))
        if slot_fac[h, 1] < 0 or tier[slot_fac[h, 1]] != 1:
            raise CountyError(f"county from {source}: village {rows[fid]['name']} has no township parent")
    return County(
        name=[r["name"] for r in rows], kind=kind, tier=tier, x=col("x"), y=col("y"), parent=parent,
        mountain=np.array([bool(r.get("mountain", False)) for r in rows]),
        senior=col("senior"), junior=col("junior"), nurses=col("nurses"),
        village_doctors=col("village_doctors"), beds=col("beds"),
        home_population=col("population").astype(np.int64), graph=g,
        homes=homes, slot_facility=slot_fac, slot_travel=slot_travel,
    )


def build_county(p: CountyParams, f: FacilityParams, seed: int) -> County:
    """The scenario's county: from its CSV if given, else generated from ``seed``."""
    if p.facilities_csv:
        return load_county_csv(p.facilities_csv, f)
    return generate_county(p, f, np.random.default_rng([seed, 0xC0]))
