"""Sweeps: backends agree, resume is exact, failures are recorded, bad specs are clear errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from reformsim.experiments.backends import open_executor
from reformsim.experiments.cli import main
from reformsim.experiments.sweep import (
    PartWriter,
    Results,
    SweepError,
    design_matrix,
    load_spec,
    params_table,
    parse_spec,
    read_manifest,
    read_summary,
    replication_seeds,
    run_sweep,
)

# 3 design points x 2 replications = 6 runs of a 1,000-resident county over 60 days
TINY = """
name = "tiny"
days = 60
population = 1000
replications = 2
seed = 11
[[timeline]]
day = 20
path = "illness.incidence_scale"
value = 2.0
[design]
method = "factorial"
[[factors]]
path = "timeline.0.day"
levels = [5, 30, 50]
[outputs]
timeseries_every = 15
timeseries_columns = ["primary_visit_share", "alive"]
"""


def write_spec(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def sweep(spec_path: Path, out: Path, backend: str = "serial", workers: int | None = None, **kw):
    spec = load_spec(spec_path)
    with open_executor(backend, workers) as (ex, slots):
        return run_sweep(spec, out, ex, slots, backend=backend, progress=False, **kw)


def table(out: Path) -> pd.DataFrame:
    return read_summary(out).to_pandas().reset_index(drop=True)


def timeseries(out: Path) -> pd.DataFrame:
    parts = sorted((out / "timeseries").glob("part-*.parquet"))
    return pd.concat([pq.read_table(p).to_pandas() for p in parts]).sort_values(["run_id", "day"]).reset_index(drop=True)


# ------------------------------------------------------------------ the design and its seeds
def test_replication_seeds_are_spawned_stable_and_distinct():
    seeds = replication_seeds(5, 8)
    assert len(set(seeds)) == 8
    assert replication_seeds(5, 3) == seeds[:3]  # adding replications keeps the earlier ones
    assert replication_seeds(6, 3) != seeds[:3]


@pytest.mark.parametrize(("method", "extra", "n_points"), [
    ("latin", "samples = 10", 10),
    ("sobol", "samples = 8", 8 * (3 + 2)),
    ("morris", "samples = 5\nlevels = 4", 5 * (3 + 1)),
])
def test_sampled_designs_respect_bounds_types_and_categories(method, extra, n_points):
    spec = parse_spec(f"""
        replications = 3
        [design]
        method = "{method}"
        {extra}
        [[factors]]
        path = "policy.reserved_slot_share"
        low = 0.1
        high = 0.3
        [[factors]]
        path = "staff.transfer_seniors_to_townships"
        low = 0
        high = 40
        [[factors]]
        path = "payment.regime"
        levels = ["ffs", "drg", "capitation"]
    """)
    X = design_matrix(spec)
    assert X.shape == (n_points, 3)
    assert ((X[:, 0] >= 0.1) & (X[:, 0] <= 0.3)).all()
    p = params_table(spec, X).to_pandas()
    assert len(p) == n_points * 3
    assert p["staff_transfer_seniors_to_townships"].dtype == np.int64  # an integer field stays integer
    assert set(p["payment_regime"]) <= {"ffs", "drg", "capitation"}
    # replications share seeds across points and the seed is never a design column
    assert p.groupby("replicate")["seed"].nunique().eq(1).all()
    assert p["seed"].nunique() == 3


# ------------------------------------------------------------------ backends agree
@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Path]:
    """The TINY sweep run serially, uninterrupted: (spec path, results folder)."""
    d = tmp_path_factory.mktemp("reference")
    spec = write_spec(d, TINY)
    report = sweep(spec, d / "serial")
    assert (report.done, report.failed) == (6, 0)
    return spec, d / "serial"


def check_same_as_reference(reference, backend: str, tmp_path: Path) -> None:
    spec, ref_out = reference
    report = sweep(spec, tmp_path / backend, backend, 2, flush_every=2)
    assert (report.done, report.failed) == (6, 0)
    ref = table(ref_out)
    assert ref["run_id"].tolist() == list(range(6))
    pd.testing.assert_frame_equal(table(tmp_path / backend), ref)
    pd.testing.assert_frame_equal(timeseries(tmp_path / backend), timeseries(ref_out))
    # the timeline factor changed the runs: the later illness doubles, the fewer the visits
    visits = ref.groupby(ref["run_id"] // 2)["visits_per_capita"].mean()
    assert visits.is_monotonic_decreasing and visits.nunique() == 3


def test_local_process_pool_matches_serial(reference, tmp_path):
    check_same_as_reference(reference, "local", tmp_path)


@pytest.mark.slow  # a Dask LocalCluster takes ~20 s to start on a loaded 2-core machine
def test_dask_matches_serial(reference, tmp_path):
    pytest.importorskip("dask.distributed")
    check_same_as_reference(reference, "dask", tmp_path)


# ------------------------------------------------------------------ interruption and resume
def test_resumed_sweep_equals_uninterrupted(reference, tmp_path):
    spec, whole = reference
    part = tmp_path / "part"
    first = sweep(spec, part, flush_every=2, limit=3)
    assert (first.done, first.not_run) == (3, 0)
    # leftovers of a process killed mid-write: a temp file, and a time-series part whose
    # summary part was never written (those runs are not finished and will run again)
    (part / "summary" / ".part-000009.parquet.x.tmp").write_bytes(b"half")
    pq.write_table(pq.read_table(next((part / "timeseries").glob("part-*.parquet"))), part / "timeseries" / "part-000009.parquet")
    second = sweep(spec, part, flush_every=2)
    assert (second.already_done, second.done) == (3, 3)
    third = sweep(spec, part)
    assert (third.already_done, third.done) == (6, 0)  # nothing left, nothing duplicated
    pd.testing.assert_frame_equal(table(part), table(whole))
    pd.testing.assert_frame_equal(timeseries(part), timeseries(whole))
    assert not list((part / "summary").glob(".*.tmp"))
    assert pq.read_table(part / "params.parquet").equals(pq.read_table(whole / "params.parquet"))


@pytest.mark.slow
def test_killed_sweep_loses_no_finished_run(tmp_path):
    spec = write_spec(tmp_path, TINY.replace("levels = [5, 30, 50]", "levels = [5, 20, 30, 40, 50]"))
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "reformsim.experiments.cli", "sweep", str(spec), "--out", str(out),
           "--backend", "serial", "--flush-every", "1", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "summary").glob("part-*.parquet"))) < 2:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished_before = Results(out).finished()
    assert 2 <= len(finished_before) < 10
    before = table(out)
    report = sweep(spec, out)
    assert report.already_done == len(finished_before) and report.done == 10 - len(finished_before)
    after = table(out)
    assert after["run_id"].tolist() == list(range(10))
    pd.testing.assert_frame_equal(after[after["run_id"].isin(before["run_id"])].reset_index(drop=True), before)
    sweep(spec, tmp_path / "whole")
    pd.testing.assert_frame_equal(after, table(tmp_path / "whole"))


def test_a_different_spec_cannot_reuse_the_folder(tmp_path, capsys):
    short = TINY.replace("days = 60", "days = 5").replace("levels = [5, 30, 50]", "levels = [1, 3]")
    out = tmp_path / "o"
    assert main(["sweep", str(write_spec(tmp_path, short)), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    other = write_spec(tmp_path, short.replace("days = 5", "days = 6"), "other.toml")
    assert main(["sweep", str(other), "--out", str(out), "--backend", "serial", "--quiet"]) == 2
    assert "holds a different sweep" in capsys.readouterr().err


# ------------------------------------------------------------------ failures
def test_failing_run_is_recorded_not_fatal_and_retried(tmp_path, capsys):
    # a reserved share of 1.5 is invalid (must be <= 1): those runs fail, the others finish
    spec = write_spec(tmp_path, """
        days = 20
        population = 500
        replications = 2
        [design]
        method = "factorial"
        [[factors]]
        path = "policy.reserved_slot_share"
        levels = [0.1, 1.5]
    """)
    out = tmp_path / "o"
    assert main(["sweep", str(spec), "--out", str(out), "--backend", "serial", "--quiet"]) == 1
    assert "2 runs failed" in capsys.readouterr().err
    status = read_manifest(out)
    assert [status[r]["status"] for r in range(4)] == ["done", "done", "failed", "failed"]
    assert "reserved_slot_share" in status[2]["error"]
    assert table(out)["run_id"].tolist() == [0, 1]
    # running again retries only the failed runs and duplicates nothing
    assert main(["sweep", str(spec), "--out", str(out), "--backend", "serial", "--quiet"]) == 1
    lines = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert sorted(x["run_id"] for x in lines) == [0, 1, 2, 2, 3, 3]
    assert table(out)["run_id"].tolist() == [0, 1]


def test_part_writer_flushes_every_few_runs(tmp_path):
    from reformsim.experiments.sweep import RunOutcome

    res = Results(tmp_path)
    res.summary_dir.mkdir()
    res.ts_dir.mkdir()
    w = PartWriter(res, every=3)
    for i in range(7):
        w.add(RunOutcome(i, True, 0.1, summary={"x": float(i)}, timeseries={"run_id": np.full(2, i), "day": np.arange(2)}))
    assert len(list(res.summary_dir.glob("part-*.parquet"))) == 2  # 6 runs flushed, 1 buffered
    w.flush()
    assert read_summary(tmp_path)["run_id"].to_pylist() == list(range(7))
    assert pq.read_table(res.ts_dir).num_rows == 14


# ------------------------------------------------------------------ bad specs and backends
BASE_FACTOR = '[[factors]]\npath = "policy.reserved_slot_share"\nlow = 0.0\nhigh = 0.3\n'


@pytest.mark.parametrize(("text", "needle"), [
    ("colour = 1\n" + BASE_FACTOR, "unknown field 'colour'"),
    ('[[factors]]\npath = "policy.reserved_slots"\nlow = 0\nhigh = 1\n', "unknown field 'reserved_slots'"),
    ('[[factors]]\npath = "policy.reserved_slot_share"\nlow = 0.3\nhigh = 0.1\n', "bad range"),
    ('[design]\nmethod = "fractional"\n' + BASE_FACTOR, "unknown design 'fractional'"),
    ('[design]\nmethod = "sobol"\nsamples = 10\n' + BASE_FACTOR + BASE_FACTOR.replace("policy.reserved_slot_share", "prices.drug_markup"), "power of 2"),
    ('[[factors]]\npath = "timeline.0.day"\nlow = 1\nhigh = 9\n', "bad index '0'"),
    ('[[factors]]\npath = "prices.visit_price"\nlow = 1\nhigh = 9\n', "is a section or list"),
    ('[[factors]]\npath = "prices.drug_markup"\ndistribution = "normal"\nmean = 0.1\n', "needs 'sd'"),
    ("replications = 0\n" + BASE_FACTOR, "replications must be an integer >= 1"),
    ('[outputs]\nsummary = ["primary_share"]\n' + BASE_FACTOR, "unknown summary key 'primary_share'"),
    ("", "at least one [[factors]]"),
])
def test_bad_spec_is_one_line_error_exit_2(tmp_path, capsys, text, needle):
    spec = write_spec(tmp_path, text)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--backend", "serial"]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()
    with pytest.raises(SweepError):
        load_spec(spec)


def test_missing_ray_is_a_clear_error(tmp_path, capsys):
    pytest.importorskip("dask")
    try:
        import ray  # noqa: F401
        pytest.skip("ray is installed")
    except ImportError:
        pass
    spec = write_spec(tmp_path, BASE_FACTOR)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--backend", "ray"]) == 2
    err = capsys.readouterr().err.strip()
    assert "reformsim[ray]" in err and len(err.splitlines()) == 1


# ------------------------------------------------------------------ analysis
def test_sobol_analysis_ranks_an_influential_factor_above_an_inert_one(tmp_path, capsys):
    # incidence drives visits per capita; the training lag does nothing without training
    spec = write_spec(tmp_path, """
        days = 30
        population = 400
        replications = 1
        [design]
        method = "sobol"
        samples = 4
        [[factors]]
        name = "incidence"
        path = "illness.incidence_scale"
        low = 0.5
        high = 1.5
        [[factors]]
        name = "training_lag"
        path = "staff.training_lag_days"
        low = 30
        high = 300
        [analysis]
        targets = ["visits_per_capita"]
    """)
    out = tmp_path / "o"
    assert main(["sweep", str(spec), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    assert main(["analyze", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "visits_per_capita" in printed and "incidence" in printed
    t = pd.read_csv(out / "analysis" / "sensitivity_sobol.csv")
    st = t[t["index"] == "ST"].set_index("factor")["value"]
    assert st["incidence"] > 0.5 > abs(st["training_lag"])
    assert t["conf"].notna().all()
    assert (out / "analysis" / "sensitivity_sobol.png").read_bytes()[:4] == b"\x89PNG"
    # a method that does not match the design is a one-line error
    assert main(["analyze", str(out), "--method", "morris"]) == 2
    assert "needs a morris design" in capsys.readouterr().err


def test_example_spec_is_valid():
    spec = load_spec(Path(__file__).parents[1] / "experiments" / "sweeps" / "example.toml")
    assert spec.design == "sobol" and [f.name for f in spec.factors][1:] == ["drug_markup", "transfer_day"]
    assert spec.base.timeline[-1].path == "staff.transfer_seniors_to_townships"
    assert design_matrix(spec).shape == (spec.samples * (len(spec.factors) + 2), len(spec.factors))


@pytest.mark.parametrize(("method", "design", "index"), [
    ("morris", 'method = "morris"\nsamples = 20', "mu_star"),
    pytest.param("delta", 'method = "latin"\nsamples = 48', "delta",  # SALib's delta: slow, chatty
                 marks=[pytest.mark.slow, pytest.mark.filterwarnings("ignore")]),
    ("rbd_fast", 'method = "latin"\nsamples = 120', "S1"),
])
def test_analysers_rank_a_known_response(tmp_path, method, design, index):
    """A synthetic sweep folder whose target depends on 'strong' only: no model runs needed."""
    from reformsim.experiments.analyze import analyze_sweep
    from reformsim.experiments.sweep import RunOutcome

    spec = parse_spec(f"""
        replications = 2
        [design]
        {design}
        [[factors]]
        name = "strong"
        path = "illness.incidence_scale"
        low = 0.5
        high = 1.5
        [[factors]]
        name = "inert"
        path = "staff.training_lag_days"
        low = 30
        high = 300
        [analysis]
        targets = ["visits_per_capita"]
    """)
    res = Results(tmp_path)
    res.prepare(spec, design_matrix(spec), "serial")
    params = pq.read_table(tmp_path / "params.parquet").to_pandas()
    noise = np.random.default_rng(0).normal(0, 0.01, len(params))
    w = PartWriter(res, every=50)
    for rid, strong, eps in zip(params["run_id"], params["strong"], noise, strict=True):
        w.add(RunOutcome(int(rid), True, 0.0, summary={"visits_per_capita": 6 * strong ** 2 + eps}))
    w.flush()
    t, warnings = analyze_sweep(tmp_path, method, resamples=20)  # few resamples: SALib's delta is slow
    assert not warnings
    v = t[t["index"] == index].set_index("factor")
    # (Borgonovo's delta is biased upwards in small samples: an inert factor scores ~0.15 at n = 120)
    assert v.at["strong", "value"] > 0.3 and v.at["strong", "value"] > 2.5 * abs(v.at["inert", "value"])
    assert 0 <= t["noise_share"].iloc[0] < 0.05  # replicates differ only by the small noise
