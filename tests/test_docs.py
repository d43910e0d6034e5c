"""The docs name code that exists: every file path, module function and class method the
README and docs/ cite in backticks, and every scenario field and module of the lever table."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from reformsim.model.params import Scenario, get_path

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
PACKAGES = ("agents", "model", "experiments", "viz")
TICKED = re.compile(r"`([^`\n]+)`")
FILE_TYPES = ("py", "parquet", "json", "csv", "toml", "md", "png", "sh")  # `summary.json` names a file


def _module(name: str):
    """``reformsim.<package>.<name>`` for the first package that has it, else None."""
    for package in PACKAGES:
        if (ROOT / package / f"{name}.py").exists():
            return importlib.import_module(f"reformsim.{package}.{name}")
    return None


def _classes() -> dict[str, type]:
    """Classes defined in the engine's modules, by name."""
    found = {}
    for package in ("agents", "model"):
        for path in (ROOT / package).glob("*.py"):
            mod = importlib.import_module(f"reformsim.{package}.{path.stem}")
            found |= {k: v for k, v in vars(mod).items() if isinstance(v, type) and v.__module__ == mod.__name__}
    return found


def _is_field(cited: str) -> bool:
    """Whether ``cited`` is a scenario field (sections share names with modules: ``staff.pay_index``)."""
    try:
        get_path(Scenario(), cited)
    except (AttributeError, IndexError, ValueError):
        return False
    return True


def _citations(doc: Path) -> list[str]:
    return TICKED.findall(doc.read_text(encoding="utf-8"))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_cited_files_exist(doc):
    for cited in _citations(doc):
        path = cited.split("::")[0]
        if re.fullmatch(r"(agents|model|experiments|viz|tests)/[\w/]+\.(py|toml|md|sh)", path):
            assert (ROOT / path).exists(), f"{doc.name} cites {path}, which does not exist"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_cited_functions_and_methods_exist(doc):
    classes = _classes()
    checked = 0
    for cited in _citations(doc):
        m = re.fullmatch(r"(\w+)\.(\w+)", cited)
        if not m or m.group(2) in FILE_TYPES or _is_field(cited):
            continue
        owner, name = m.groups()
        if owner in classes:
            assert hasattr(classes[owner], name), f"{doc.name} cites {cited}: {owner} has no {name}"
            checked += 1
        elif owner not in ("model", "docs", "np", "pd", "self") and (mod := _module(owner)) is not None:
            assert hasattr(mod, name), f"{doc.name} cites {cited}: {mod.__name__} has no {name}"
            checked += 1
    if doc.name == "model.md":
        assert checked > 40, "model.md cites too few functions for this check to mean anything"


def _lever_rows() -> list[list[str]]:
    text = (ROOT / "docs" / "levers.md").read_text(encoding="utf-8")
    table = text.split("## Levers", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in table.splitlines() if line.startswith("|")]
    header, body = rows[0], rows[2:]
    assert "Module" in header, "the lever table names the module that applies each lever"
    return [dict(zip(header, r, strict=True)) for r in body]


def test_every_lever_names_existing_fields_and_the_module_that_applies_it():
    rows = _lever_rows()
    assert len(rows) >= 15
    default = Scenario()
    for row in rows:
        modules = re.findall(r"`((?:agents|model)/\w+\.py)`", row["Module"])
        assert modules, f"lever '{row['Lever']}' names no module"
        assert all((ROOT / m).exists() for m in modules), row["Module"]
        fields = re.findall(r"`([\w.]+)`", row["Scenario field(s)"])
        assert fields, f"lever '{row['Lever']}' names no scenario field"
        section = None
        for field in fields:
            path = field if "." in field or section is None else f"{section}.{field}"  # a bare name continues the row's section
            get_path(default, path)  # raises if the field does not exist
            section = path.rsplit(".", 1)[0]
