"""The command line: outputs of `reformsim run` and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from reformsim.experiments.cli import main


def test_run_writes_the_three_outputs(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--population", "3000", "--years", "0.3", "--seed", "2", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "基层就诊率" in printed and "≥65.0%" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 2 and summary["days"] == 110
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 110 and {"day", "primary_visit_share", "scenario_hash", "seed", "version"} <= set(ts.columns)
    fac = pd.read_parquet(out / "facilities.parquet")
    assert {"name", "tier", "visits_total", "revenue"} <= set(fac.columns)
    assert not list(out.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "--scenario", "no_such_reform"], "unknown scenario 'no_such_reform'"),
        (["run", "--population", "-5"], "--population"),
        (["run", "--years", "0"], "--years"),
        (["run", "--years", "-1"], "--years"),
        (["run", "--scenario", "/nonexistent/x.toml"], "not found"),
        (["run", "--years", "1e308"], "--years"),
        (["run", "--population", "10000000000000"], "--population"),
        (["run", "--seed", "-5"], "--seed"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, needle, capsys):
    with pytest.raises(SystemExit) as exc_info:
        code = main(argv)
        raise SystemExit(code)
    assert exc_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert needle in err[-1]
    assert not any("Traceback" in line for line in err)


def test_bad_scenario_field_names_the_field(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[policy]\nreserved_slot_share = 1.5\n', encoding="utf-8")
    assert main(["run", "--scenario", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "policy.reserved_slot_share" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_malformed_csv_scenario_exits_2_without_traceback(tmp_path):
    csv = tmp_path / "c.csv"
    csv.write_text("id,kind\n1,village\n", encoding="utf-8")
    scn = tmp_path / "s.toml"
    scn.write_text(f'[county]\nfacilities_csv = "{csv}"\n', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "reformsim.experiments.cli", "run", "--scenario", str(scn), "--quiet",
                           "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "missing column" in proc.stderr and "Traceback" not in proc.stderr
