"""Ensembles: weighted parameter sets accepted by calibration, drawn one per seed.

An ensemble file (TOML, written by ``reformsim infer``) holds the calibrated parameters' names and
one ``[[members]]`` table per accepted particle: its ``weight``, its parameter ``values`` and the
scenario fields they resolve to (``set``: dotted field -> value, a scenario patch)::

    parameters = ["beta_quality", "incidence_scale"]
    [[members]]
    weight = 0.021
    values = { beta_quality = 3.4, incidence_scale = 1.08 }
    set = { "behaviour.beta_quality" = 3.4, "illness.incidence_scale" = 1.08 }

``compare``, ``sweep`` and ``validate`` take ``--ensemble FILE``: each seed draws one member (by
weight, from a generator keyed by the seed), and every scenario run with that seed gets the same
member, so differences stay paired while their spread now carries parameter uncertainty too.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pydantic
import tomli_w
from pydantic import BaseModel, ConfigDict, Field
from reformsim.model.params import Scenario, first_error, with_value
from reformsim.model.scenario import ScenarioError

from .io import atomic_write

DRAW_KEY = 0xE5E  # separates the member draw from every other use of a seed


class EnsembleError(ScenarioError):
    """An ensemble file that cannot be used; the message names the member and field."""


class Member(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    weight: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    values: dict[str, float] = {}
    set: dict[str, Any]


class EnsembleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    parameters: list[str]
    source: str = ""
    members: Annotated[list[Member], Field(min_length=1)]


@dataclass
class Ensemble:
    parameters: list[str]
    members: list[Member]
    source: str = ""

    @property
    def weights(self) -> np.ndarray:
        w = np.array([m.weight for m in self.members])
        return w / w.sum()

    def values(self) -> np.ndarray:
        """(members, parameters) matrix of the calibrated values."""
        return np.array([[m.values[p] for p in self.parameters] for m in self.members])

    def member_for(self, seed: int) -> int:
        return int(np.random.default_rng([DRAW_KEY, seed]).choice(len(self.members), p=self.weights))

    def draw(self, seeds: Sequence[int]) -> list[dict[str, Any]]:
        """The scenario patch of the member each seed draws."""
        return [self.members[self.member_for(s)].set for s in seeds]

    def central(self) -> int:
        """The member nearest the weighted median, in parameters scaled by their weighted spread."""
        x, w = self.values(), self.weights
        med = np.array([_weighted_median(x[:, j], w) for j in range(x.shape[1])])
        sd = np.sqrt(np.average((x - np.average(x, axis=0, weights=w)) ** 2, axis=0, weights=w))
        d = (((x - med) / np.where(sd > 0, sd, 1.0)) ** 2).sum(axis=1)
        return int(np.argmin(d))


def _weighted_median(v: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(v)
    cum = np.cumsum(w[order])
    return float(v[order][np.searchsorted(cum, 0.5 * cum[-1])])


def apply(scn: Scenario, patch: dict[str, Any]) -> Scenario:
    """``scn`` with a member's fields set (its timeline kept)."""
    for path, v in patch.items():
        scn = with_value(scn, path, v)
    return scn


def load_ensemble(path: str | Path) -> Ensemble:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EnsembleError(f"ensemble file not found: {path}") from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise EnsembleError(f"{path}: not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as exc:
        raise EnsembleError(f"{path.name}: not valid TOML ({exc})") from None
    try:
        f = EnsembleFile.model_validate(data)
    except pydantic.ValidationError as exc:
        raise EnsembleError(f"{path.name}: {first_error(exc)}") from None
    for i, m in enumerate(f.members):
        missing = set(f.parameters) - set(m.values)
        if missing:
            raise EnsembleError(f"{path.name}: member {i + 1}: no value for parameter '{sorted(missing)[0]}'")
        try:
            apply(Scenario(), m.set)
        except ValueError as exc:
            raise EnsembleError(f"{path.name}: member {i + 1}: {str(exc).replace('timeline path', 'field')}") from None
    if not sum(m.weight for m in f.members) > 0:
        raise EnsembleError(f"{path.name}: every member's weight is 0")
    return Ensemble(f.parameters, f.members, f.source)


def write_ensemble(ens: Ensemble, path: str | Path, header: str = "") -> Path:
    data = {"parameters": ens.parameters, "source": ens.source,
            "members": [m.model_dump() for m in ens.members]}
    text = "".join(f"# {line}\n" for line in header.splitlines()) + tomli_w.dumps(data)
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
