"""The evidence file: published effects of Chinese reforms, and the experiment that checks each.

``experiments/evidence/evidence.toml`` holds one ``[[rows]]`` table per published effect (ids as
in the project's evidence list: P1–P7, D1–D5, Y1–Y7, F1–F5, S1–S7, M1–M3, R1–R3; a study with two
effects has two rows, ``P1a`` and ``P1b``). Each row says what was published (point, interval,
or only a direction), how the model expresses it (an experiment: a county set-up, a base
scenario and a lever arm, a horizon) and how the effect is measured (a figure and an effect
kind), and its role: ``training`` rows are fitted by ``reformsim infer``, ``held_out`` rows are
the out-of-sample check, ``check`` rows (the seeds' own before/after figures) are shown only.
A row the model cannot express yet says so (``status = "not expressible"``) and names the
mechanism it needs; its measure is written already, so it runs once the figure exists.

Effect of a paired run (lever arm L, base arm B, per seed), times ``scale``, divided by ``per``:

- ``level``: L (the lever arm's figure itself: a seed's reported outcome)
- ``difference``: L − B (``scale = 100`` for percentage points)
- ``relative``: L / B − 1 (an elasticity is ``relative`` with ``per`` = the input's relative change)
- ``odds_ratio``: odds(L) / odds(B) for a share

Every problem is one line naming the row and field (``EvidenceError``, exit 2 from the CLI).
"""

from __future__ import annotations

import math
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator
from reformsim.model.params import Scenario, first_error, with_value
from reformsim.model.scenario import ScenarioError, load_scenario

Finite = Annotated[float, Field(allow_inf_nan=False)]


class EvidenceError(ScenarioError):
    """An evidence file that cannot be used; the message names the row and field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Published(Strict):
    """What the study reported, in the unit of the row's effect."""

    text: str  # the finding as reported
    point: Finite | None = None
    low: Finite | None = None  # the published interval (CI), when given
    high: Finite | None = None
    # the reported direction when no number is comparable: + (rises), - (falls), 0 (no effect)
    direction: Literal["+", "-", "0"] | None = None
    tolerance: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None  # accepted error when no interval

    @model_validator(mode="after")
    def _consistent(self) -> Published:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither")
        if self.low is not None and not self.low <= self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        if self.point is None and self.direction is None and self.low is None:
            raise ValueError("needs a point, an interval or a direction")
        return self


class Experiment(Strict):
    """Two arms on the same seeds: ``base`` (with ``base_set``) and the lever arm (``scenario``,
    else ``base``), both with the ``county`` set-up and ``set``; the lever arm's ``lever`` fields
    change on ``reform_day``."""

    base: str = "baseline"
    scenario: str | None = None  # a built-in or file scenario as the lever arm
    county: dict[str, Any] = {}  # county.* fields of both arms (the study's setting)
    set: dict[str, Any] = {}  # fields of both arms (the study's population: its insurance, contracts ...)
    base_set: dict[str, Any] = {}  # fields of the base arm only (the study's comparison group)
    lever: dict[str, Any] = {}  # dotted scenario field -> value in the lever arm
    reform_day: Annotated[int, Field(ge=0, le=3650)] = 0
    years: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = 1.0

    @model_validator(mode="after")
    def _reform_measured(self) -> Experiment:
        # effects are measured over a run's last year: a later reform would mix in days before it
        if self.reform_day > max(self.days - 365, 0):
            raise ValueError(f"reform_day {self.reform_day} falls inside the measured year (the run's last: "
                             f"from day {max(self.days - 365, 0)}); lengthen years")
        return self

    @property
    def days(self) -> int:
        return max(1, round(self.years * 365))


class Measure(Strict):
    figure: str  # a flat summary key or a probe (experiments/measures.py)
    effect: Literal["level", "difference", "relative", "odds_ratio"]
    scale: Finite = 1.0
    per: Annotated[float, Field(allow_inf_nan=False)] = 1.0  # the input's change (an elasticity's denominator)

    @model_validator(mode="after")
    def _per(self) -> Measure:
        if self.per == 0:
            raise ValueError("per cannot be 0")
        return self


class Row(Strict):
    id: str
    citation: str
    setting: str
    design: str
    role: Literal["training", "held_out", "check"]
    status: Literal["expressible", "not expressible"] = "expressible"
    missing: str = ""  # the mechanism or figure a not-expressible row needs
    note: str = ""  # how the experiment approximates the study
    published: Published
    measure: Measure
    experiment: Experiment | None = None

    @model_validator(mode="after")
    def _complete(self) -> Row:
        if self.status == "expressible" and self.experiment is None:
            raise ValueError("an expressible row needs an [experiment]")
        if self.status == "not expressible" and not self.missing:
            raise ValueError("a not-expressible row must say what is missing (missing = ...)")
        return self

    @property
    def reference(self) -> float:
        """The no-effect value: 1 for an odds ratio, 0 for a change; NaN for a level."""
        return {"odds_ratio": 1.0, "level": math.nan}.get(self.measure.effect, 0.0)


class EvidenceFile(Strict):
    rows: list[Row]


def default_evidence_path() -> Path:
    return Path(str(resources.files("reformsim.experiments.evidence") / "evidence.toml"))


def load_evidence(path: str | Path | None = None, figures: set[str] | None = None) -> list[Row]:
    """Read and check an evidence file (the built-in one if ``path`` is None).

    ``figures`` (default: every known figure) checks that each expressible row measures
    something the model has; scenarios and fields named by experiments are checked too.
    """
    path = Path(path) if path is not None else default_evidence_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvidenceError(f"evidence file not found: {path}") from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise EvidenceError(f"{path}: not a UTF-8 text file") from None
    return parse_evidence(text, path.name, figures)


def parse_evidence(text: str, source: str, figures: set[str] | None = None) -> list[Row]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise EvidenceError(f"{source}: not valid TOML ({exc})") from None
    raw = data.get("rows")
    if not isinstance(raw, list) or not raw:
        raise EvidenceError(f"{source}: no [[rows]] tables")
    rows = []
    for i, r in enumerate(raw):
        name = r.get("id", f"#{i + 1}") if isinstance(r, dict) else f"#{i + 1}"
        try:
            rows.append(Row.model_validate(r))
        except pydantic.ValidationError as exc:
            raise EvidenceError(f"{source}: row {name}: {first_error(exc)}") from None
    ids = [r.id for r in rows]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup:
        raise EvidenceError(f"{source}: row {dup}: the id appears twice")
    if figures is None:
        from .measures import known_figures

        figures = known_figures()
    for r in rows:
        _check_row(r, source, figures)
    return rows


def _check_row(r: Row, source: str, figures: set[str]) -> None:
    where = f"{source}: row {r.id}"
    if r.status == "expressible" and r.measure.figure not in figures:
        raise EvidenceError(f"{where}: measure.figure '{r.measure.figure}' is not a summary key or probe")
    if r.experiment is None:
        return
    try:
        arms(r, population=None)
    except ScenarioError as exc:
        raise EvidenceError(f"{where}: experiment: {exc}") from None


def _patched(scn: Scenario, values: dict[str, Any], prefix: str = "") -> Scenario:
    for path, v in values.items():
        try:
            scn = with_value(scn, prefix + path, v)
        except ValueError as exc:
            raise ScenarioError(str(exc).replace("timeline path", "field")) from None
    return scn


@cache
def _scenario(name: str) -> Scenario:
    return load_scenario(name)


def arms(r: Row, population: int | None, patch: dict[str, Any] | None = None) -> tuple[Scenario | None, Scenario]:
    """(base arm or None for a level row, lever arm) of a row's experiment.

    ``patch`` (dotted field -> value: a calibration or ensemble member's parameters) is applied
    to both arms before the study's own set-up, so a study's insurance or contracts stay its own.
    """
    ex = r.experiment
    assert ex is not None

    def build(name: str) -> Scenario:
        scn = _patched(_scenario(name), patch or {})
        scn = _patched(scn, ex.county, "county.")
        scn = _patched(scn, ex.set)
        return scn if population is None else with_value(scn, "county.population", int(population))

    lever = build(ex.scenario or ex.base)
    base = _patched(build(ex.base), ex.base_set)
    if ex.lever:
        if ex.reform_day == 0:
            lever = _patched(lever, ex.lever)
        else:
            events = [*lever.model_dump(mode="json")["timeline"],
                      *({"day": ex.reform_day, "path": p, "value": v} for p, v in ex.lever.items())]
            data = lever.model_dump(mode="json") | {"timeline": events}
            try:
                lever = Scenario.model_validate(data)
            except ValueError as exc:
                raise ScenarioError(first_error(exc)) from None
    lever = lever.model_copy(update={"name": f"{r.id}-lever"})
    return (None if r.measure.effect == "level" else base), lever
