"""A generated corpus of malformed inputs for the ``reformsim`` command line.

Each ``BadInput`` is a set of files to write into a fresh folder plus the command-line arguments
that read them; ``expect`` is a fragment the one-line error must contain (the field or the
problem). Cases are generated from the scenario schema itself (every field gets wrong types,
NaN, infinities, absurd sizes, out-of-range values and — for lists — wrong shapes), plus
hand-written families: broken TOML, non-UTF-8 bytes, bad timelines, bad facilities CSVs, and
(when their modules exist) sweep specs and calibration targets.

Arguments and file contents may contain ``{dir}``, replaced by the case's folder.
"""

from __future__ import annotations

import importlib.util
import math
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field

import annotated_types as at
import tomli_w
from pydantic import BaseModel
from reformsim.model.county import CSV_COLUMNS
from reformsim.model.params import BUILD_TIME, Scenario, get_path

# a run short and small enough that a case which wrongly passes validation still ends quickly
QUICK = ["--years", "0.01", "--population", "1000", "--quiet"]
ABSURD_FLOAT = 1e300
ABSURD_INT = 10**18
VARIABLE_LENGTH = {"staff.tidal_months"}  # lists whose length is the user's choice
# values that are finite and would pass a naive check, but would exhaust memory or overflow a run
DANGEROUS = {
    "illness.incidence_scale": 1e6, "illness.acute_rate": [1e6, 3.4, 2.6, 3.6, 5.2],
    "illness.hypertension_followups": 1e6, "illness.diabetes_followups": 5e5,
    "facilities.los_days": [0.0, 6.0, 8.5, 1e7], "staff.pay_index": [1e-300, 1.0, 1.0, 1.0],
    "staff.recruitment_years": 1e-300, "staff.attrition_pay_elasticity": 1e3,
    "facilities.township_beds": 1e12, "prices.visit_price": [40.0, 85.0, 1e15, 354.0],
}


@dataclass(frozen=True)
class BadInput:
    """One malformed input: files to write, the command that reads them, and the expected error."""

    name: str
    files: dict[str, bytes]
    argv: list[str]
    expect: str
    family: str = "scenario"
    extra: dict = field(default_factory=dict)

    def materialise(self, folder) -> list[str]:
        """Write the files into ``folder``; return argv with ``{dir}`` filled in."""
        for rel, data in self.files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data.replace(b"{dir}", str(folder).encode()))
        return [a.replace("{dir}", str(folder)) for a in self.argv]


def run_scenario(name: str, text: str | bytes, expect: str, family: str = "scenario") -> BadInput:
    """A case that runs ``reformsim run`` on one scenario file."""
    data = text.encode() if isinstance(text, str) else text
    return BadInput(name, {"bad.toml": data},
                    ["run", "--scenario", "{dir}/bad.toml", "--out", "{dir}/out", *QUICK], expect, family)


def _toml(d: dict) -> str:
    return tomli_w.dumps(d)


def _nested(path: str, value) -> dict:
    """{"a": {"b": value}} from "a.b"."""
    out: dict = {}
    node = out
    parts = path.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value
    return out


# --------------------------------------------------------------------------- scenario schema
def _bounds(meta: list) -> tuple[float, float]:
    lo, hi = -math.inf, math.inf
    for m in meta:
        if isinstance(m, at.Ge):
            lo = m.ge
        elif isinstance(m, at.Gt):
            lo = m.gt
        elif isinstance(m, at.Le):
            hi = m.le
        elif isinstance(m, at.Lt):
            hi = m.lt
    return lo, hi


def _element_meta(annotation) -> list:
    """Constraints on a list's elements (``list[Annotated[float, Field(...)]]``)."""
    args = typing.get_args(annotation)
    if not args:
        return []
    inner = typing.get_args(args[0])
    return [m for extra in inner[1:] for m in getattr(extra, "metadata", [extra])]


def scenario_leaves() -> Iterator[tuple[str, object, tuple[float, float], bool]]:
    """(dotted path, default, (lower, upper) bound, integer-typed) for every numeric field of a scenario."""

    def walk(model: BaseModel, prefix: str):
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)
            path = f"{prefix}{name}"
            if isinstance(value, BaseModel):
                yield from walk(value, path + ".")
            elif isinstance(value, list) and value and isinstance(value[0], int | float):
                elem = typing.get_args(info.annotation)[0]
                yield path, value, _bounds(_element_meta(info.annotation)), typing.get_args(elem)[:1] == (int,)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                yield path, value, _bounds(info.metadata), info.annotation is int

    yield from walk(Scenario(), "")


def scenario_field_cases() -> Iterator[BadInput]:
    """Per numeric field: wrong type, NaN, an absurd size and each violated bound, plus a rotating
    extra (bool, infinities, a table, a fraction for integers) and, for lists, a rotating wrong shape.

    Rotation keeps the corpus near 700 cases (each costs a CLI parse) while every kind of value
    still meets dozens of fields.
    """
    extras = [("bool", True), ("inf", math.inf), ("neg-inf", -math.inf), ("table", {"x": 1})]
    shapes = ["too-short", "too-long", "scalar", "empty"]
    for i, (path, default, (lo, hi), is_int) in enumerate(scenario_leaves()):
        is_list = isinstance(default, list)
        bad: list[tuple[str, object]] = [
            ("text", "lots"), ("nan", math.nan), ("absurd", ABSURD_INT if is_int else ABSURD_FLOAT), extras[i % len(extras)],
        ]
        if is_int:
            bad.append(("fraction", 2.5))
        if lo > -math.inf:
            bad.append(("below-min", lo - 1 if lo >= 1 or lo < 0 else -0.5))
        if hi < math.inf:
            bad.append(("above-max", hi + 1 if hi > 1 else 1.5))
        for tag, v in bad:
            value = [v, *default[1:]] if is_list else v
            yield run_scenario(f"{path}:{tag}", _toml(_nested(path, value)), path)
        if is_list and path not in VARIABLE_LENGTH:
            shape = shapes[i % len(shapes)]
            value = {"too-short": default[:-1], "too-long": [*default, default[-1]], "scalar": default[0], "empty": []}[shape]
            yield run_scenario(f"{path}:{shape}", _toml(_nested(path, value)), path)


def dangerous_value_cases() -> Iterator[BadInput]:
    """Finite values large (or small) enough to blow up memory or arithmetic in a run."""
    for path, value in DANGEROUS.items():
        yield run_scenario(f"{path}:dangerous", _toml(_nested(path, value)), path)


def scenario_structure_cases() -> Iterator[BadInput]:
    """Unknown and misspelt fields, sections of the wrong shape, cross-field rules, string fields."""
    for section in ("county", "population", "illness", "behaviour", "facilities", "prices", "insurance",
                    "insurance.resident", "payment", "staff", "policy"):
        yield run_scenario(f"{section}:unknown-field", _toml(_nested(f"{section}.bogus_lever", 1.0)), "bogus_lever")
        yield run_scenario(f"{section}:not-a-table", f"{section.split('.')[0]} = 3\n"
                           if "." not in section else "[insurance]\nresident = 3\n", section)
    yield run_scenario("unknown-section", "[hospitals]\nbeds = 3\n", "hospitals")
    yield run_scenario("misspelt-field", "[county]\ntownshps = 12\n", "townshps")
    yield run_scenario("top-level-unknown", "seed = 4\n", "seed")
    yield run_scenario("name-not-string", "name = 5\n", "name")
    yield run_scenario("description-table", "[description]\nx = 1\n", "description")
    yield run_scenario("regime-unknown", '[payment]\nregime = "bundled"\n', "payment.regime")
    yield run_scenario("regime-case", '[payment]\nregime = "FFS"\n', "payment.regime")
    yield run_scenario("regime-number", "[payment]\nregime = 1\n", "payment.regime")
    yield run_scenario("out-of-county-regime-unknown", '[payment]\nout_of_county_regime = "capitation"\n',
                       "payment.out_of_county_regime")
    yield run_scenario("response-cap-too-wide", "[payment.response]\nlos_cap = 9.0\n", "payment.response.los_cap")
    yield run_scenario("csv-path-number", "[county]\nfacilities_csv = 5\n", "county.facilities_csv")
    yield run_scenario("severity-sum", "[illness]\nseverity_old = [0.5, 0.5, 0.5, 0.5]\n", "severity")
    yield run_scenario("severity-sum-low", "[illness]\nseverity_young = [0.1, 0.1, 0.1, 0.1]\n", "severity")
    yield run_scenario("compensation-sum", "[prices]\nmarkup_compensation = [0.5, 0.5, 0.5]\n", "markup_compensation")
    yield run_scenario("compensation-len", "[prices]\nmarkup_compensation = [1.0]\n", "markup_compensation")
    yield run_scenario("drug-plus-test", "[prices]\nvisit_drug_share = [0.9, 0.45, 0.38, 0.38]\n"
                       "visit_test_share = [0.5, 0.2, 0.3, 0.32]\n", "drug + test")
    yield run_scenario("tidal-month-13", "[staff]\ntidal_months = [13]\n", "staff.tidal_months")
    yield run_scenario("tidal-month-0", "[staff]\ntidal_months = [0, 1]\n", "staff.tidal_months")
    yield run_scenario("life-table-low", "life_expectancy_table = 10.0\n", "life_expectancy_table")
    yield run_scenario("date-value", "[county]\npopulation = 1979-05-27\n", "county.population")
    yield run_scenario("array-of-tables-section", "[[county]]\npopulation = 5000\n", "county")


def timeline_cases() -> Iterator[BadInput]:
    """Bad lever timelines: unknown paths, bad indices, invalid values, bad days, missing fields."""
    def event(**kw) -> str:
        return _toml({"timeline": [kw]})

    bad_paths = {
        "unknown-section": "hospital.beds", "unknown-field": "prices.markup", "too-deep": "prices.drug_markup.0.1",
        "bad-index": "prices.visit_price.9", "negative-index": "prices.visit_price.-1", "word-index": "prices.visit_price.one",
        "empty": "", "timeline-itself": "timeline", "section-only": "county", "subsection": "insurance.resident",
        "trailing-dot": "prices.", "double-dot": "prices..drug_markup", "spaces": " prices.drug_markup",
        "case": "Prices.drug_markup",
    }
    for tag, path in bad_paths.items():
        yield run_scenario(f"timeline:path-{tag}", event(day=10, path=path, value=0.1), "timeline", "timeline")
    bad_values = {
        "share-above-one": ("prices.drug_markup", 1.5), "negative-count": ("staff.transfer_seniors_to_townships", -4),
        "text-value": ("policy.reserved_slot_share", "a third"), "nan-value": ("policy.contract_rate", math.nan),
        "inf-value": ("illness.incidence_scale", math.inf), "bad-regime": ("payment.regime", "pay-for-performance"),
        "list-wrong-length": ("staff.pay_index", [1.0, 1.2]), "element-negative": ("staff.pay_index.1", -1.0),
        "table-value": ("prices.drug_markup", {"v": 0.1}), "population-tiny": ("county.population", 3),
        "absurd-value": ("staff.approved_primary_posts", ABSURD_FLOAT),
    }
    for tag, (path, value) in bad_values.items():
        yield run_scenario(f"timeline:{tag}", event(day=10, path=path, value=value), path, "timeline")
    for tag, day in (("negative-day", -1), ("day-absurd", 10**9), ("day-text", "soon"), ("day-float", 3.5)):
        yield run_scenario(f"timeline:{tag}", event(day=day, path="prices.drug_markup", value=0.0), "timeline.0.day", "timeline")
    yield run_scenario("timeline:missing-day", event(path="prices.drug_markup", value=0.0), "timeline.0.day", "timeline")
    yield run_scenario("timeline:missing-path", event(day=1, value=0.0), "timeline.0.path", "timeline")
    yield run_scenario("timeline:missing-value", event(day=1, path="prices.drug_markup"), "timeline.0.value", "timeline")
    yield run_scenario("timeline:unknown-key", event(day=1, path="prices.drug_markup", value=0.0, when=3), "when", "timeline")
    yield run_scenario("timeline:path-number", event(day=1, path=5, value=0.0), "timeline.0.path", "timeline")
    yield run_scenario("timeline:note-table", event(day=1, path="prices.drug_markup", value=0.0, note={"a": 1}),
                       "timeline.0.note", "timeline")
    yield run_scenario("timeline:not-list", "timeline = 3\n", "timeline", "timeline")
    yield run_scenario("timeline:list-of-numbers", "timeline = [1, 2]\n", "timeline.0", "timeline")
    # a field read once when the county is built is refused on a timeline, never accepted and ignored
    for fixed in BUILD_TIME:
        path = "county.townships" if fixed == "county" else fixed
        value = 3 if fixed == "county" else get_path(Scenario(), path)
        yield run_scenario(f"timeline:build-time-{path}", event(day=10, path=path, value=value), path, "timeline")
    yield run_scenario("timeline:build-time-element", event(day=10, path="population.initial_trust.1", value=0.5),
                       "population.initial_trust.1", "timeline")
    csv_timeline = CSV_SCENARIO + _toml({"timeline": [{"day": 10, "path": "facilities.county_beds", "value": [2000.0, 900.0]}]}).encode()
    yield BadInput("timeline:build-time-csv-beds", {"facilities.csv": csv_text(GOOD_ROWS).encode(), "county.toml": csv_timeline},
                   ["run", "--scenario", "{dir}/county.toml", "--out", "{dir}/out", "--years", "0.01", "--quiet"],
                   "facilities.county_beds", "timeline")
    yield run_scenario("timeline:second-event-bad", _toml({"timeline": [
        {"day": 1, "path": "prices.drug_markup", "value": 0.0}, {"day": 2, "path": "prices.nothing", "value": 0.0}]}),
        "prices.nothing", "timeline")


def toml_syntax_cases() -> Iterator[BadInput]:
    """Text that is not TOML at all."""
    broken = {
        "unclosed-table": "[county\npopulation = 5000\n",
        "unclosed-string": 'name = "baseline\n',
        "duplicate-key": "[county]\npopulation = 5000\npopulation = 6000\n",
        "duplicate-table": "[county]\npopulation = 5000\n[county]\ntownships = 3\n",
        "no-value": "[county]\npopulation =\n",
        "bare-word": "[county]\npopulation = lots\n",
        "json": '{"county": {"population": 5000}}\n',
        "yaml": "county:\n  population: 5000\n",
        "unclosed-array": "[illness]\nacute_rate = [7.0, 3.4,\n",
        "leading-zero": "[county]\npopulation = 0005000\n",
        "python-none": "[county]\nfacilities_csv = None\n",
        "stray-bracket": "]]\n",
        "nul-bytes": "name = \"a\"\n\x00\x00\n",
        "truncated": '[county]\npopulation = 5000\n[illn',
    }
    for tag, text in broken.items():
        yield run_scenario(f"toml:{tag}", text, "not valid TOML", "toml")


def encoding_cases() -> Iterator[BadInput]:
    """Files whose bytes are not UTF-8."""
    cases = {
        "latin1-comment": "# café\nname = \"x\"\n".encode("latin-1"),
        "latin1-string": 'name = "Chuxiong \xe9"\n'.encode("latin-1"),
        "gbk-description": 'description = "楚雄州"\n'.encode("gbk"),
        "utf16": 'name = "x"\n'.encode("utf-16"),
        "random-binary": bytes(range(128, 256)) * 4,
        "png-header": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    }
    for tag, data in cases.items():
        yield run_scenario(f"encoding:{tag}", data, "UTF-8", "encoding")


def path_cases() -> Iterator[BadInput]:
    """Scenario references that do not resolve to a readable file."""
    def case(name: str, ref: str, expect: str, files: dict | None = None) -> BadInput:
        return BadInput(name, files or {}, ["run", "--scenario", ref, "--out", "{dir}/out", *QUICK], expect, "path")

    yield case("path:missing-file", "{dir}/nowhere.toml", "not found")
    yield case("path:unknown-builtin", "no_such_builtin", "unknown scenario")
    yield case("path:directory", "{dir}/adir", "directory", {"adir/keep.txt": b"x"})
    yield case("path:directory-toml", "{dir}/adir.toml", "directory", {"adir.toml/keep.txt": b"x"})
    yield BadInput("show:missing", {}, ["show", "{dir}/nowhere.toml"], "not found", "path")
    yield BadInput("show:bad-field", {"s.toml": b"[county]\ntownships = -3\n"}, ["show", "{dir}/s.toml"],
                   "county.townships", "path")


def output_cases() -> Iterator[BadInput]:
    """--out locations that cannot hold results."""
    yield BadInput("out:is-a-file", {"taken": b"x"}, ["run", "--out", "{dir}/taken", *QUICK], "--out", "output")
    yield BadInput("out:under-a-file", {"taken": b"x"}, ["run", "--out", "{dir}/taken/run", *QUICK], "taken", "output")


# --------------------------------------------------------------------------- facilities CSV
GOOD_ROWS = [
    # id, kind, name, x, y, parent, senior, junior, nurses, village_doctors, beds, population
    ("T1", "tertiary", "Prefecture Hospital", "-20", "0", "", "40", "50", "120", "0", "200", "0"),
    ("C1", "county", "County People's Hospital", "0", "0", "T1", "30", "50", "120", "0", "250", "0"),
    ("M1", "community", "Community Centre", "2", "1", "C1", "2", "6", "6", "0", "10", "600"),
    ("W1", "township", "Township One", "25", "5", "C1", "3", "10", "12", "0", "30", "0"),
    ("W2", "township", "Township Two", "-10", "30", "C1", "3", "10", "12", "0", "30", "0"),
    ("V1", "village", "Village 1-1", "28", "9", "W1", "0", "0", "0", "1", "0", "300"),
    ("V2", "village", "Village 1-2", "21", "2", "W1", "0", "0", "0", "1", "0", "250"),
    ("V3", "village", "Village 2-1", "-12", "35", "W2", "0", "0", "0", "1", "0", "350"),
]
CSV_SCENARIO = b'name = "csv county"\n[county]\nfacilities_csv = "{dir}/facilities.csv"\n'


def csv_text(rows: list[tuple], columns: tuple[str, ...] = CSV_COLUMNS) -> str:
    return "\n".join([",".join(columns), *(",".join(r) for r in rows)]) + "\n"


def csv_case(name: str, data: str | bytes, expect: str) -> BadInput:
    """A scenario that reads a (bad) facilities CSV."""
    raw = data.encode() if isinstance(data, str) else data
    return BadInput(name, {"facilities.csv": raw, "county.toml": CSV_SCENARIO},
                    ["run", "--scenario", "{dir}/county.toml", "--out", "{dir}/out", "--years", "0.01", "--quiet"],
                    expect, "csv")


def good_csv_case() -> BadInput:
    """The valid county every CSV case mutates (a positive control: it must run)."""
    return csv_case("csv:good", csv_text(GOOD_ROWS), "")


def _with(row_id: str, **changes) -> list[tuple]:
    idx = {c: i for i, c in enumerate(CSV_COLUMNS)}
    out = []
    for r in GOOD_ROWS:
        r = list(r)
        if r[0] == row_id:
            for k, v in changes.items():
                r[idx[k]] = v
        out.append(tuple(r))
    return out


def csv_cases() -> Iterator[BadInput]:
    """Missing columns, bad numbers, unknown kinds and parents, broken graphs, duplicates, bytes."""
    for i, col in enumerate(CSV_COLUMNS):
        cols = tuple(c for c in CSV_COLUMNS if c != col)
        rows = [tuple(v for j, v in enumerate(r) if j != i) for r in GOOD_ROWS]
        yield csv_case(f"csv:missing-column-{col}", csv_text(rows, cols), col)
    numeric = ("x", "y", "senior", "junior", "nurses", "village_doctors", "beds", "population")
    for col in numeric:
        target = "V1" if col in ("population", "village_doctors") else "W1"
        for tag, v in (("text", "many"), ("nan", "nan"), ("inf", "inf"), ("absurd", "1e300")):
            yield csv_case(f"csv:{col}-{tag}", csv_text(_with(target, **{col: v})), col)
        if col not in ("x", "y"):
            yield csv_case(f"csv:{col}-negative", csv_text(_with(target, **{col: "-3"})), col)
    yield csv_case("csv:population-fraction", csv_text(_with("V1", population="300.5")), "population")
    yield csv_case("csv:population-huge", csv_text(_with("V1", population="50000000")), "population")
    yield csv_case("csv:unknown-kind", csv_text(_with("W1", kind="clinic")), "clinic")
    yield csv_case("csv:empty-kind", csv_text(_with("W1", kind="")), "kind")
    yield csv_case("csv:unknown-parent", csv_text(_with("V1", parent="W9")), "W9")
    yield csv_case("csv:self-parent", csv_text(_with("W1", parent="W1")), "W1")
    yield csv_case("csv:parent-cycle", csv_text(_with("W1", parent="W2")[:4] + [
        ("W2", "township", "Township Two", "-10", "30", "W1", "3", "10", "12", "0", "30", "0"), *GOOD_ROWS[5:]]),
        "parent cycle")
    yield csv_case("csv:duplicate-id", csv_text([*GOOD_ROWS, GOOD_ROWS[5]]), "duplicate id")
    no_county = [r if r[5] != "C1" else (*r[:5], "T1", *r[6:]) for r in GOOD_ROWS if r[1] != "county"]
    yield csv_case("csv:no-county", csv_text(no_county), "no county facility")
    yield csv_case("csv:no-tertiary", csv_text(_with("C1", parent="")[1:]), "tertiary")
    yield csv_case("csv:township-orphan", csv_text(_with("W2", parent="")), "cannot reach")
    yield csv_case("csv:village-orphan", csv_text(_with("V3", parent="")), "Village 2-1")
    yield csv_case("csv:village-under-village", csv_text(_with("V2", parent="V1")), "township parent")
    yield csv_case("csv:village-under-county", csv_text(_with("V2", parent="C1")), "township parent")
    yield csv_case("csv:tertiary-orphan", csv_text(_with("C1", parent="")), "cannot reach")
    yield csv_case("csv:no-residents", csv_text([_zero_pop(r) for r in GOOD_ROWS]), "no residents")
    yield csv_case("csv:header-only", ",".join(CSV_COLUMNS) + "\n", "no rows")
    yield csv_case("csv:empty-file", "", "missing column")
    yield csv_case("csv:ragged-row", csv_text(GOOD_ROWS) + "V9,village,Short Row\n", "line 10")
    yield csv_case("csv:semicolons", csv_text(GOOD_ROWS).replace(",", ";"), "missing column")
    yield csv_case("csv:latin1", csv_text(GOOD_ROWS).replace("Village 1-1", "Villáge").encode("latin-1"), "UTF-8")
    yield csv_case("csv:gbk", csv_text(GOOD_ROWS).replace("Village 1-1", "楚雄村").encode("gbk"), "UTF-8")
    yield csv_case("csv:binary", bytes(range(256)), "facilities CSV")
    yield BadInput("csv:missing-file", {"county.toml": CSV_SCENARIO},
                   ["run", "--scenario", "{dir}/county.toml", "--out", "{dir}/out", "--years", "0.01", "--quiet"],
                   "not found", "csv")
    yield BadInput("csv:directory", {"facilities.csv/keep": b"x", "county.toml": CSV_SCENARIO},
                   ["run", "--scenario", "{dir}/county.toml", "--out", "{dir}/out", "--years", "0.01", "--quiet"],
                   "facilities.csv", "csv")


def _zero_pop(r: tuple) -> tuple:
    return (*r[:-1], "0")


# --------------------------------------------------------------------------- sweeps and calibration
def optional_command_cases() -> Iterator[BadInput]:
    """Bad sweep specs and calibration targets, once those commands exist."""
    if importlib.util.find_spec("reformsim.experiments.sweep") is not None:
        yield from sweep_cases()
    if importlib.util.find_spec("reformsim.experiments.calibrate") is not None:
        yield from calibrate_cases()
    if importlib.util.find_spec("reformsim.experiments.evidence_file") is not None:
        yield from evidence_cases()


# a valid, tiny sweep: what every sweep case breaks (the positive control runs it)
SWEEP_SPEC = {
    "name": "tiny", "base": "baseline", "days": 3, "population": 1000, "seed": 1, "replications": 1,
    "design": {"method": "latin", "samples": 2},
    "factors": [{"path": "policy.reserved_slot_share", "low": 0.0, "high": 0.3},
                {"name": "markup", "path": "prices.drug_markup", "low": 0.0, "high": 0.15}],
    "outputs": {"summary": ["primary_visit_share"], "timeseries_every": 0},
}


def sweep_case(name: str, spec: dict | str | bytes, expect: str) -> BadInput:
    """``reformsim sweep`` on one spec; limited to one tiny run should validation wrongly pass."""
    data = spec if isinstance(spec, bytes) else (spec if isinstance(spec, str) else _toml(spec)).encode()
    return BadInput(name, {"spec.toml": data},
                    ["sweep", "{dir}/spec.toml", "--out", "{dir}/out", "--limit", "1", "--workers", "1", "--quiet"],
                    expect, "sweep")


def good_sweep_case() -> BadInput:
    return sweep_case("sweep:good", SWEEP_SPEC, "")


def _mutated(spec: dict, path: str, value=...) -> dict:
    """A deep copy of ``spec`` with ``path`` (dots; list indices as numbers) set, or deleted if no value."""
    import copy

    out = copy.deepcopy(spec)
    node = out
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
    last = int(parts[-1]) if isinstance(node, list) else parts[-1]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return out


def sweep_cases() -> Iterator[BadInput]:
    """Bad sweep specs: every top-level field, the design, factors, outputs, [set] and timelines."""
    bad = {
        "unknown-top": ("sampels", 3, "sampels"), "days-zero": ("days", 0, "days"), "days-text": ("days", "few", "days"),
        "days-float": ("days", 2.5, "days"), "days-negative": ("days", -3, "days"),
        "population-tiny": ("population", 5, "population"), "population-text": ("population", "lots", "population"),
        "population-nan": ("population", math.nan, "population"), "seed-negative": ("seed", -1, "seed"),
        "seed-text": ("seed", "abc", "seed"), "replications-zero": ("replications", 0, "replications"),
        "replications-bool": ("replications", True, "replications"), "base-unknown": ("base", "nowhere", "base"),
        "base-number": ("base", 3, "base"), "base-missing-file": ("base", "/nonexistent/x.toml", "base"),
        "design-not-table": ("design", 3, "design"), "design-method": ("design.method", "random", "design.method"),
        "design-unknown-key": ("design.smaples", 4, "design.smaples"), "design-samples-zero": ("design.samples", 0, "design.samples"),
        "design-samples-text": ("design.samples", "many", "design.samples"),
        "sobol-not-power-of-2": ("design", {"method": "sobol", "samples": 6}, "power of 2"),
        "design-levels-one": ("design.levels", 1, "design.levels"),
        "factors-empty": ("factors", [], "factors"), "factors-not-list": ("factors", {"path": "x"}, "factors"),
        "factor-not-table": ("factors.0", 3, "factors"), "factor-no-path": ("factors.0.path", ..., "path"),
        "factor-path-unknown": ("factors.0.path", "policy.nothing", "nothing"),
        "factor-path-section": ("factors.0.path", "policy", "section"),
        "factor-path-bad-index": ("factors.0.path", "staff.pay_index.7", "bad index"),
        "factor-low-above-high": ("factors.0.low", 0.5, "low"), "factor-low-nan": ("factors.0.low", math.nan, "low"),
        "factor-high-inf": ("factors.0.high", math.inf, "high"), "factor-high-text": ("factors.0.high", "lots", "high"),
        "factor-distribution": ("factors.0.distribution", "cauchy", "cauchy"),
        "factor-normal-no-sd": ("factors.0", {"path": "policy.reserved_slot_share", "distribution": "normal", "mean": 0.1},
                                "sd"),
        "factor-normal-sd-negative": ("factors.0", {"path": "policy.reserved_slot_share", "distribution": "normal",
                                                    "mean": 0.1, "sd": -1.0}, "sd"),
        "factor-loguniform-zero": ("factors.0", {"path": "policy.reserved_slot_share", "distribution": "loguniform",
                                                 "low": 0.0, "high": 0.3}, "loguniform"),
        "factor-levels-one": ("factors.0", {"path": "policy.reserved_slot_share", "levels": [0.1]}, "levels"),
        "factor-levels-and-range": ("factors.0.levels", [0.1, 0.2], "levels"),
        "factor-unknown-key": ("factors.0.lo", 0.1, "lo"),
        "factor-duplicate-name": ("factors.1.name", "policy_reserved_slot_share", "unique"),
        "outputs-summary-unknown": ("outputs.summary", ["happiness"], "happiness"),
        "outputs-summary-number": ("outputs.summary", 3, "outputs.summary"),
        "outputs-columns-unknown": ("outputs.timeseries_columns", ["happiness"], "happiness"),
        "outputs-every-negative": ("outputs.timeseries_every", -1, "outputs.timeseries_every"),
        "outputs-unknown-key": ("outputs.format", "csv", "outputs.format"),
        "set-unknown-path": ("set", {"policy.nothing": 1.0}, "policy.nothing"),
        "set-invalid-value": ("set", {"policy.contract_rate": 2.0}, "policy.contract_rate"),
        "set-nan": ("set", {"illness.incidence_scale": math.nan}, "illness.incidence_scale"),
        "set-not-table": ("set", 3, "set"),
        "timeline-bad-path": ("timeline", [{"day": 3, "path": "prices.markup", "value": 0.0}], "prices.markup"),
        "timeline-not-list": ("timeline", 3, "timeline"),
        "analysis-unknown-key": ("analysis.method", "sobol", "analysis.method"),
    }
    for tag, (path, value, expect) in bad.items():
        yield sweep_case(f"sweep:{tag}", _mutated(SWEEP_SPEC, path, value), expect)
    yield sweep_case("sweep:years-and-days", {**SWEEP_SPEC, "years": 1.0}, "years")
    yield sweep_case("sweep:years-negative", {**_mutated(SWEEP_SPEC, "days"), "years": -1.0}, "years")
    yield sweep_case("sweep:years-nan", {**_mutated(SWEEP_SPEC, "days"), "years": math.nan}, "years")
    yield sweep_case("sweep:broken-toml", "[design\nmethod = 'latin'\n", "not valid TOML")
    yield sweep_case("sweep:latin1", 'name = "caf\xe9"\n'.encode("latin-1"), "sweep spec")
    yield BadInput("sweep:missing-spec", {}, ["sweep", "{dir}/nowhere.toml", "--out", "{dir}/out", "--quiet"],
                   "not found", "sweep")
    yield BadInput("sweep:out-is-file", {"spec.toml": _toml(SWEEP_SPEC).encode(), "taken": b"x"},
                   ["sweep", "{dir}/spec.toml", "--out", "{dir}/taken", "--limit", "1", "--quiet"], "taken", "sweep")


# a valid targets file, small enough that a wrongly accepted case ends quickly
TARGETS = {
    "targets": {"primary_visit_share": {"value": 0.63, "tolerance": 0.02, "weight": 2.0},
                "visits_per_capita": {"value": 6.0, "tolerance": 0.5}},
    "parameters": {"incidence_scale": {"paths": ["illness.incidence_scale"], "mode": "set", "lower": 0.8, "upper": 1.2}},
}


def calibrate_case(name: str, spec: dict | str | bytes, expect: str) -> BadInput:
    data = spec if isinstance(spec, bytes) else (spec if isinstance(spec, str) else _toml(spec)).encode()
    return BadInput(name, {"targets.toml": data},
                    ["calibrate", "--targets", "{dir}/targets.toml", "--out", "{dir}/out", "--budget", "1", "--seeds", "1",
                     "--report-seeds", "1", "--population", "1000", "--years", "0.1", "--quiet"], expect, "calibrate")


def calibrate_cases() -> Iterator[BadInput]:
    """Bad calibration targets: unknown names, bad values and weights, bad parameters."""
    t, pv = "targets.primary_visit_share", "parameters.incidence_scale"
    bad = {
        "target-unknown": ("targets.happiness", {"value": 0.5}, "happiness"),
        "target-no-value": (f"{t}.value", ..., "needs a value"), "target-value-text": (f"{t}.value", "high", "value"),
        "target-value-nan": (f"{t}.value", math.nan, "value"), "target-value-inf": (f"{t}.value", math.inf, "value"),
        "target-share-above-one": (f"{t}.value", 1.7, "share"), "target-share-negative": (f"{t}.value", -0.1, "share"),
        "target-rate-negative": ("targets.visits_per_capita.value", -6.0, "negative"),
        "target-value-bool": (f"{t}.value", True, "value"),
        "target-weight-negative": (f"{t}.weight", -1.0, "weight"), "target-weight-nan": (f"{t}.weight", math.nan, "weight"),
        "target-tolerance-zero": (f"{t}.tolerance", 0.0, "tolerance"),
        "target-tolerance-text": (f"{t}.tolerance", "some", "tolerance"),
        "target-unknown-key": (f"{t}.sigma", 0.1, "sigma"), "target-not-table": (t, 0.63, "needs a value"),
        "targets-empty": ("targets", {}, "no [targets"), "unknown-section": ("weights", {"a": 1}, "weights"),
        "param-unknown-path": (f"{pv}.paths", ["illness.nothing"], "illness.nothing"),
        "param-paths-number": (f"{pv}.paths", [3], "paths"), "param-no-paths": (f"{pv}.paths", ..., "paths"),
        "param-mode": (f"{pv}.mode", "multiply", "mode"), "param-lower-above-upper": (f"{pv}.lower", 2.0, "lower"),
        "param-lower-nan": (f"{pv}.lower", math.nan, "lower"), "param-upper-text": (f"{pv}.upper", "big", "upper"),
        "param-upper-invalid-value": (f"{pv}.upper", 1e6, "incidence_scale"),
        "param-match-unknown": (f"{pv}.match", "happiness", "match"),
        "param-unknown-key": (f"{pv}.step", 0.1, "step"), "param-not-table": (pv, 3, "must be a table"),
        "param-share-out-of-range": (f"{pv}", {"paths": ["policy.contract_rate"], "lower": 0.5, "upper": 1.5},
                                     "policy.contract_rate"),
    }
    for tag, (path, value, expect) in bad.items():
        yield calibrate_case(f"calibrate:{tag}", _mutated(TARGETS, path, value), expect)
    yield calibrate_case("calibrate:broken-toml", "[targets.primary_visit_share\nvalue = 0.6\n", "not valid TOML")
    yield calibrate_case("calibrate:gbk", 'source = "国家卫健委"\n'.encode("gbk"), "UTF-8")
    yield BadInput("calibrate:missing-file", {}, ["calibrate", "--targets", "{dir}/nowhere.toml", "--out", "{dir}/out",
                                                  "--quiet"], "not found", "calibrate")


# a valid evidence row (what every evidence case breaks) and a valid one-member ensemble
EVIDENCE = {"rows": [{
    "id": "T1", "citation": "c", "setting": "s", "design": "d", "role": "held_out",
    "published": {"text": "t", "point": -0.1, "low": -0.2, "high": -0.05},
    "measure": {"figure": "cost_per_visit_county", "effect": "relative"},
    "experiment": {"lever": {"prices.drug_markup": 0.0}},
}]}
ENSEMBLE = {"parameters": ["q"], "members": [{"weight": 1.0, "values": {"q": 3.0}, "set": {"behaviour.beta_quality": 3.0}}]}


def evidence_cases() -> Iterator[BadInput]:
    """Bad evidence files (validate) and ensemble files (compare): one line naming the row or member."""
    r = "rows.0"
    bad = {
        "role": (f"{r}.role", "sometimes", "row T1: role"), "no-citation": (f"{r}.citation", ..., "row T1: citation"),
        "unknown-key": (f"{r}.colour", "red", "row T1: colour"),
        "interval-reversed": (f"{r}.published.low", 0.0, "row T1: published"),
        "point-nan": (f"{r}.published.point", math.nan, "row T1: published.point"),
        "figure-unknown": (f"{r}.measure.figure", "happiness", "happiness"),
        "effect-unknown": (f"{r}.measure.effect", "vibes", "row T1: measure.effect"),
        "per-zero": (f"{r}.measure.per", 0.0, "per cannot be 0"),
        "lever-unknown-field": (f"{r}.experiment.lever", {"prices.nothing": 1.0}, "prices.nothing"),
        "lever-bad-value": (f"{r}.experiment.lever", {"prices.drug_markup": -1.0}, "drug_markup"),
        "scenario-unknown": (f"{r}.experiment.scenario", "atlantis", "atlantis"),
        "no-experiment": (f"{r}.experiment", ..., "needs an [experiment]"),
        "no-rows": ("rows", [], "no [[rows]]"),
    }
    for tag, (path, value, expect) in bad.items():
        yield BadInput(f"evidence:{tag}", {"evidence.toml": _toml(_mutated(EVIDENCE, path, value)).encode()},
                       ["validate", "--evidence", "{dir}/evidence.toml", "--out", "{dir}/out", "--quiet"], expect, "evidence")
    m = "members.0"
    for tag, (path, value, expect) in {
        "weight-negative": (f"{m}.weight", -1.0, "weight"), "field-unknown": (f"{m}.set", {"behaviour.nope": 1.0}, "nope"),
        "value-missing": (f"{m}.values", {}, "no value for parameter 'q'"), "no-members": ("members", [], "members"),
        "field-bad-value": (f"{m}.set", {"behaviour.trust_learning_rate": 5.0}, "trust_learning_rate"),
    }.items():
        yield BadInput(f"ensemble:{tag}", {"ensemble.toml": _toml(_mutated(ENSEMBLE, path, value)).encode()},
                       ["compare", "baseline", "panjin", "--ensemble", "{dir}/ensemble.toml", "--out", "{dir}/out", *QUICK],
                       expect, "ensemble")


def all_cases() -> list[BadInput]:
    """Every malformed input, with unique names."""
    cases = [*scenario_field_cases(), *dangerous_value_cases(), *scenario_structure_cases(), *timeline_cases(), *toml_syntax_cases(),
             *encoding_cases(), *path_cases(), *output_cases(), *csv_cases(), *optional_command_cases()]
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "corpus case names must be unique"
    return cases
