"""Malformed input ends in one line on stderr naming the problem, and exit code 2 — never a traceback.

The corpus (``tests/corpus.py``) is generated from the scenario schema and hand-written families
of broken files. Every case runs in-process through ``reformsim.experiments.cli.main`` (fast); a
few run as real subprocesses to prove the exit code and the absence of a traceback end to end.
Positive controls show the unmutated inputs run, so each error comes from the mutation.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import tomli_w
from corpus import TARGETS, BadInput, all_cases, good_csv_case, good_sweep_case, run_scenario
from reformsim.experiments.cli import main
from reformsim.model.scenario import builtin_names, load_scenario

CASES = all_cases()
OPTIONAL = {name: importlib.util.find_spec(f"reformsim.experiments.{name}") is not None for name in ("sweep", "calibrate")}
REFORMSIM = Path(sys.executable).parent / "reformsim"


def error_line(stderr: str) -> str:
    """The single non-empty stderr line, asserting there is exactly one."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, f"expected one error line, got {len(lines)}:\n{stderr}"
    return lines[0]


def test_corpus_is_large_and_varied() -> None:
    """At least 200 generated cases, covering every family of bad input."""
    assert len(CASES) >= 200
    families = Counter(c.family for c in CASES)
    assert {"scenario", "timeline", "toml", "encoding", "path", "csv", "output"} <= set(families)
    assert families["csv"] >= 40
    for name, present in OPTIONAL.items():  # sweep specs and calibration targets, once those commands exist
        assert (families[name] >= 25) == present


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line_exit_2(case: BadInput, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The error is one line naming the field or problem, the exit code is 2, and no results are written."""
    argv = case.materialise(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, f"exit {code} for {case.name}; stderr: {err!r}"
    line = error_line(err)
    assert line.startswith("reformsim: error: ")
    assert case.expect in line, f"error does not name {case.expect!r}: {line}"
    assert not (tmp_path / "out" / "summary.json").exists()


def test_unmutated_csv_county_runs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Positive control: the CSV every csv case mutates is a valid county."""
    assert main(good_csv_case().materialise(tmp_path)) == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "summary.json").exists()


def test_valid_scenario_with_timeline_runs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Positive control: a well-formed file of the kind the scenario cases break runs cleanly."""
    good = run_scenario("good", '[county]\ntownships = 3\n[payment]\nregime = "drg"\n'
                        '[[timeline]]\nday = 1\npath = "prices.drug_markup"\nvalue = 0.0\n', "")
    assert main(good.materialise(tmp_path)) == 0, capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not OPTIONAL["sweep"], reason="reformsim.experiments.sweep not present")
def test_unmutated_sweep_spec_runs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Positive control: the spec every sweep case mutates is valid (slow: the sweep starts worker processes)."""
    assert main(good_sweep_case().materialise(tmp_path)) == 0, capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not OPTIONAL["calibrate"], reason="reformsim.experiments.calibrate not present")
def test_unmutated_targets_file_is_accepted(tmp_path: Path) -> None:
    """Positive control: the targets every calibrate case mutates parse against the baseline."""
    from reformsim.experiments.calibrate import parse_spec

    spec = parse_spec(tomli_w.dumps(TARGETS), "targets.toml")
    assert [t.name for t in spec.targets] == list(TARGETS["targets"])


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_scenarios_pass_strict_validation(name: str) -> None:
    """Strict parsing of files must not reject the scenarios the package ships."""
    assert load_scenario(name).name


# each subprocess pays the full import of the CLI (seconds), so only a few, in parallel
SUBPROCESS_CASES = ["toml:unclosed-table", "illness.incidence_scale:nan", "csv:township-orphan"]


def test_bad_input_end_to_end(tmp_path: Path) -> None:
    """Through the installed ``reformsim`` script: exit code 2, one line on stderr, no traceback."""
    by_name = {c.name: c for c in CASES}
    procs = []
    for i, name in enumerate(SUBPROCESS_CASES):
        folder = tmp_path / str(i)
        folder.mkdir()
        argv = by_name[name].materialise(folder)
        procs.append((name, subprocess.Popen([str(REFORMSIM), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                             text=True)))
    for name, proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, f"{name}: exit {proc.returncode}\n{err}"
        assert by_name[name].expect in error_line(err)
