"""Results are written atomically, and damaged results files are refused, not read as data.

* A writer that fails midway (disk full, Ctrl-C, a bug) leaves no file under the final name, no
  stray temporary file, and an existing good file untouched.
* ``write_run`` writes summary.json last, so an interrupted run has no summary (incomplete).
* Truncated, zeroed, bit-flipped or foreign files raise ``ResultsError`` from ``read_parquet`` /
  ``read_json``; a command reading one exits 2 with one line.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from reformsim.experiments import io as rio
from reformsim.experiments.cli import main
from reformsim.experiments.io import (
    ResultsError,
    atomic_write,
    read_json,
    read_parquet,
    write_json,
    write_parquet,
)
from reformsim.experiments.runner import RunResult, run, write_run
from reformsim.model.params import Scenario, with_value

FAILURES = [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt(), RuntimeError("writer bug")]


def listing(folder: Path) -> list[str]:
    """Every entry in ``folder``, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir())


def half_then_fail(exc: BaseException, payload: bytes = b'{"primary_visit_share": 0.6') :
    """A writer that puts part of a file on disk and then fails."""
    def write(tmp: Path) -> None:
        tmp.write_bytes(payload)
        raise exc
    return write


def frame(n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"day": np.arange(n), "visits_village": rng.random(n) * 100,
                         "scenario_hash": ["abc"] * n, "fund_balance": rng.normal(1e6, 1e4, n)})


@pytest.fixture(scope="module")
def small_run() -> RunResult:
    """A real (tiny) run to write and damage."""
    scn = with_value(with_value(Scenario(), "county.population", 1000), "county.townships", 2)
    return run(scn, seed=3, days=20)


# ------------------------------------------------------------------------- atomic writes
@pytest.mark.parametrize("exc", FAILURES, ids=lambda e: type(e).__name__)
def test_failed_write_leaves_nothing(tmp_path: Path, exc: BaseException) -> None:
    """No file under the final name and no temporary file after a writer fails midway."""
    with pytest.raises(type(exc)):
        atomic_write(tmp_path / "summary.json", half_then_fail(exc))
    assert listing(tmp_path) == []


@pytest.mark.parametrize("exc", FAILURES, ids=lambda e: type(e).__name__)
def test_failed_write_keeps_previous_file(tmp_path: Path, exc: BaseException) -> None:
    """A good summary.json already there survives a failed rewrite byte for byte."""
    good = {"primary_visit_share": 0.61, "seed": 1}
    write_json(tmp_path / "summary.json", good)
    before = (tmp_path / "summary.json").read_bytes()
    with pytest.raises(type(exc)):
        atomic_write(tmp_path / "summary.json", half_then_fail(exc))
    assert (tmp_path / "summary.json").read_bytes() == before
    assert read_json(tmp_path / "summary.json") == good
    assert listing(tmp_path) == ["summary.json"]


def test_failed_json_serialisation_keeps_previous_file(tmp_path: Path) -> None:
    """An unserialisable summary fails before anything replaces the good file."""
    write_json(tmp_path / "summary.json", {"ok": 1})
    with pytest.raises(TypeError):
        write_json(tmp_path / "summary.json", {"ok": object()})
    assert read_json(tmp_path / "summary.json") == {"ok": 1}
    assert listing(tmp_path) == ["summary.json"]


def test_parquet_writer_killed_midway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parquet: half a real file on disk then Ctrl-C leaves the previous table intact and no temp file."""
    target = tmp_path / "timeseries.parquet"
    write_parquet(target, frame(100))
    before = target.read_bytes()
    real = pq.write_table

    def half_table(table, where, **kw):
        real(table, where, **kw)
        data = Path(where).read_bytes()
        Path(where).write_bytes(data[: len(data) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(rio.pq, "write_table", half_table)
    with pytest.raises(KeyboardInterrupt):
        write_parquet(target, frame(5000))
    assert target.read_bytes() == before
    assert len(read_parquet(target)) == 100
    assert listing(tmp_path) == ["timeseries.parquet"]


def test_interrupted_write_run_has_no_summary(tmp_path: Path, small_run: RunResult,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """summary.json is written last: a run interrupted before it is visibly incomplete."""
    def interrupted(path, obj):
        raise KeyboardInterrupt

    monkeypatch.setattr("reformsim.experiments.runner.write_json", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_run(small_run, tmp_path / "run")
    names = listing(tmp_path / "run")
    assert "summary.json" not in names
    assert not [n for n in names if n.endswith(".tmp")]
    assert len(read_parquet(tmp_path / "run" / "timeseries.parquet")) == 20  # what was written is complete


def test_interrupted_rewrite_keeps_previous_summary(tmp_path: Path, small_run: RunResult,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-running into a folder and failing inside the summary write keeps the old summary whole."""
    out = tmp_path / "run"
    write_run(small_run, out)
    before = (out / "summary.json").read_bytes()
    real_text = Path.write_text

    def disk_full(self: Path, text: str, *a, **kw):
        real_text(self, text[: len(text) // 3], *a, **kw)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(OSError):
        write_run(small_run, out)
    monkeypatch.undo()
    assert (out / "summary.json").read_bytes() == before
    assert read_json(out / "summary.json")["seed"] == 3
    assert not [n for n in listing(out) if n.endswith(".tmp")]


def test_cli_run_into_unwritable_place_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """An --out under a plain file ends in one line and exit 2, not a traceback."""
    (tmp_path / "file").write_text("x")
    code = main(["run", "--years", "0.01", "--population", "1000", "--quiet", "--out", str(tmp_path / "file" / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "Not a directory" in err[0]


# ------------------------------------------------------------------------- damaged files
def parquet_bytes(tmp_path: Path, small_run: RunResult) -> tuple[Path, bytes, pd.DataFrame]:
    path = tmp_path / "good.parquet"
    write_parquet(path, small_run.timeseries)
    return path, path.read_bytes(), read_parquet(path)


@pytest.mark.parametrize("keep", [0, 1, 4, 100, 0.5, -8, -1], ids=lambda k: f"keep{k}")
def test_truncated_parquet_is_refused(tmp_path: Path, small_run: RunResult, keep) -> None:
    _, raw, _ = parquet_bytes(tmp_path, small_run)
    n = int(len(raw) * keep) if isinstance(keep, float) else (keep if keep >= 0 else len(raw) + keep)
    bad = tmp_path / "timeseries.parquet"
    bad.write_bytes(raw[:n])
    with pytest.raises(ResultsError, match="truncated or corrupt"):
        read_parquet(bad)


def test_flipped_bytes_in_parquet_never_read_as_other_data(tmp_path: Path, small_run: RunResult) -> None:
    """Every single-byte corruption is refused or harmless (metadata we do not use): never different numbers."""
    _, raw, good = parquet_bytes(tmp_path, small_run)
    bad = tmp_path / "bad.parquet"
    refused = 0
    for pos in range(0, len(raw), max(1, len(raw) // 400)):
        b = bytearray(raw)
        b[pos] ^= 0x5A
        bad.write_bytes(bytes(b))
        try:
            got = read_parquet(bad)
        except ResultsError:
            refused += 1
            continue
        pd.testing.assert_frame_equal(got, good)
    assert refused > 0


@pytest.mark.parametrize("content", [b"", b"PAR1", b"\x00" * 4096, b"PAR1" + b"\x00" * 100 + b"PAR1",
                                     b'{"not": "parquet"}', bytes(range(256)) * 8], ids=range(6))
def test_foreign_bytes_as_parquet_are_refused(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "timeseries.parquet"
    bad.write_bytes(content)
    with pytest.raises(ResultsError):
        read_parquet(bad)


def test_missing_results_file(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="not found"):
        read_parquet(tmp_path / "nothing.parquet")
    with pytest.raises(ResultsError, match="not found"):
        read_json(tmp_path / "nothing.json")


def test_truncated_json_is_refused(tmp_path: Path, small_run: RunResult) -> None:
    """A summary cut anywhere short of its end is refused."""
    write_json(tmp_path / "good.json", small_run.summary)
    raw = (tmp_path / "good.json").read_bytes()
    bad = tmp_path / "summary.json"
    for n in sorted({0, 1, 2, len(raw) // 3, len(raw) // 2, len(raw) - 3, len(raw) - 2}):
        bad.write_bytes(raw[:n])
        with pytest.raises(ResultsError):
            read_json(bad)
    assert json.loads(raw) == read_json(tmp_path / "good.json")


@pytest.mark.parametrize("content", [b"[1, 2, 3]", b"3", b"null", b'"summary"', b"\xff\xfe{}", b"{'a': 1}",
                                     b"\x00" * 64, '{"a": "é"}'.encode("latin-1")], ids=range(8))
def test_foreign_json_is_refused(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "summary.json"
    bad.write_bytes(content)
    with pytest.raises(ResultsError):
        read_json(bad)


def test_summary_nan_is_written_as_null(tmp_path: Path) -> None:
    """Strict JSON: a NaN metric (no stays, say) is null, so other tools can read the file."""
    write_json(tmp_path / "s.json", {"cost_per_stay": {"village": float("nan")}, "x": np.float64(2.5)})
    assert read_json(tmp_path / "s.json") == {"cost_per_stay": {"village": None}, "x": 2.5}


def test_command_reading_corrupt_results_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """``reformsim analyze`` on a sweep folder whose sweep.json is truncated: one line, exit 2."""
    (tmp_path / "sweep.json").write_text('{"design": "sobol", "n": ')
    code = main(["analyze", str(tmp_path), "--no-plot"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and "sweep.json" in err[0] and "corrupt" in err[0]
