"""``reformsim bench --quick --json``: the benchmark pipeline end to end, on small sizes.

Figures are checked for shape and sense (positive, consistent), never against time limits.
"""

from __future__ import annotations

import json

from reformsim.experiments.bench import QUICK, TARGETS, median_run, run_seconds
from reformsim.experiments.cli import main


def test_quick_bench_writes_the_documented_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["quick"] is True and r["command"].startswith("reformsim bench --quick")

    d = r["default_county"]
    assert d["population"] == QUICK.population
    assert [c["years"] for c in d["checkpoints"]] == list(QUICK.years)
    seconds = [c["seconds"] for c in d["checkpoints"]]
    assert all(s > 0 for s in seconds) and seconds == sorted(seconds)  # cumulative checkpoints
    assert d["peak_rss_delta_bytes"] > 0 and d["bytes_per_resident"] > 0
    assert 0 < d["state_bytes_per_resident"] < d["bytes_per_resident"]  # arrays are part of the peak
    runs = r["default_county_runs"]  # each in a fresh process; the median one is reported
    assert len(runs) == QUICK.repeats and d in runs
    assert sorted(runs, key=run_seconds)[len(runs) // 2] == d
    out = capsys.readouterr().out
    assert f"{len(runs)} runs, each in a fresh process" in out and "engine vs reference" in out
    load = d["engine_load"]  # libraries and compiled kernels, once per process: reported apart
    assert load["seconds"] > 0 and load["rss_bytes"] > 0

    ref = r["reference"]
    assert [(c["population"], c["days"]) for c in ref] == list(QUICK.compare)
    for c in ref:
        assert c["engine_seconds"] > 0 and c["reference_seconds"] > 0 and c["episodes"] > 0
        assert abs(c["speedup"] - c["reference_seconds"] / c["engine_seconds"]) < 1e-9
    assert r["targets"]["reference_speedup"]["value"] == ref[-1]["cpu_speedup"]  # judged on the largest county

    assert [s["population"] for s in r["scaling"]] == list(QUICK.scaling)
    assert all(s["ms_per_day"] > 0 for s in r["scaling"])

    assert r["profile"], "pyinstrument is a test dependency, so the profile must be there"
    shares = [p["share"] for p in r["profile"]]
    assert shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 1.0 + 1e-9

    assert set(r["targets"]) == set(TARGETS)
    assert r["targets"]["default_5y_seconds"]["value"] is None  # only the full benchmark runs 5 years
    assert r["machine"]["cpus"] >= 1 and r["version"]


def test_the_median_run_is_reported_and_an_even_count_takes_the_slower_middle():
    def run(build, days):
        return {"build_cpu_seconds": build, "checkpoints": [{"cpu_seconds": days / 2}, {"cpu_seconds": days}]}

    a, b, c = run(0.5, 12.0), run(0.4, 9.0), run(0.4, 15.5)
    assert median_run([a, b, c]) is a and median_run([c]) is c
    assert median_run([b, c]) is c and run_seconds(a) == 12.5
