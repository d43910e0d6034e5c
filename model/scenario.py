"""Scenarios: TOML files validated against ``model.params.Scenario``.

A scenario is named (a built-in file under ``model/scenarios/``) or given as a path.
Every field is checked; an unknown or wrong field is an error that names it.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pydantic
import tomli_w

from .params import Scenario, first_error


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message names the file and field."""


def builtin_names() -> list[str]:
    files = resources.files("reformsim.model.scenarios")
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".toml"))


def _builtin_path(name: str) -> Path:
    return Path(str(resources.files("reformsim.model.scenarios") / f"{name}.toml"))


def parse_scenario(text: str, source: str) -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML ({exc})") from None
    try:
        # strict: a file saying `townships = true` or `incidence_scale = "2"` has a wrong type,
        # not a value to coerce (integers are still accepted where a float is wanted)
        return Scenario.model_validate(data, strict=True)
    except pydantic.ValidationError as exc:
        raise ScenarioError(f"{source}: {first_error(exc)}") from None
    except ValueError as exc:  # raised by our own validators (timeline paths)
        raise ScenarioError(f"{source}: {exc}") from None


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name, or a TOML file by path."""
    ref = str(name_or_path)
    path = Path(ref)
    if not (ref.endswith(".toml") or path.exists()):
        if ref not in builtin_names():
            raise ScenarioError(f"unknown scenario '{ref}' (built-in: {', '.join(builtin_names())})")
        path = _builtin_path(ref)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"scenario file not found: {path}") from None
    except IsADirectoryError:
        raise ScenarioError(f"scenario path is a directory: {path}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{path.name}: not UTF-8 text") from None
    return parse_scenario(text, path.name)


def dump_scenario(s: Scenario) -> str:
    """The fully resolved scenario as TOML (``reformsim show``; a starting point to copy)."""
    data = s.model_dump(mode="json", exclude_none=True)
    return tomli_w.dumps(data)
