"""The architecture the docs promise: imports run one way, and nothing outside model/ extends
the engine by overriding its private methods (it subscribes to events instead)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
import reformsim.experiments
import reformsim.viz
from reformsim.model.model import CountyModel

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("agents", "model", "experiments", "viz")
# what each package may import from the others: experiments and viz use model, model uses agents;
# the command line launches the visual (experiments/cmd_viz.py), never the other way round
ALLOWED = {"agents": set(), "model": {"agents"}, "experiments": {"model", "viz"}, "viz": {"model"}}


def _imports(path: Path, package: str) -> set[str]:
    """The project packages a module imports (absolute ``reformsim.X`` or relative)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                found.add(package)
            elif node.level > 1:
                found.add("..")
            elif node.module and node.module.startswith("reformsim."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("reformsim.")}
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_run_one_way(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        others = _imports(path, package) - {package}
        bad = others - ALLOWED[package]
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_visual_is_launched_by_the_command_line_only():
    users = [p.name for p in (ROOT / "experiments").rglob("*.py") if "viz" in _imports(p, "experiments")]
    assert users == ["cmd_viz.py"]


def _subclasses_of_the_engine() -> list[type]:
    for pkg in (reformsim.experiments, reformsim.viz):
        for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + "."):
            importlib.import_module(info.name)
    found, todo = [], [CountyModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def _overrides(cls: type) -> set[str]:
    """The private methods of the engine that ``cls`` overrides."""
    engine_private = {name for name, _ in inspect.getmembers(CountyModel) if name.startswith("_") and not name.startswith("__")}
    return engine_private & {n for n in vars(cls) if n.startswith("_") and not n.startswith("__")}


def test_no_class_overrides_a_private_method_of_the_engine():
    class Overrider(CountyModel):  # what the check must catch
        def _apply_timeline(self, day: int) -> None: ...

    assert _overrides(Overrider) == {"_apply_timeline"}
    for cls in _subclasses_of_the_engine():
        if cls is not Overrider:
            assert not _overrides(cls), f"{cls.__module__}.{cls.__name__} overrides {sorted(_overrides(cls))}: subscribe to model.events"
