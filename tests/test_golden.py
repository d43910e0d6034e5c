"""Golden checksums: the same scenario and seed give the same run, bit for bit.

A guard for changes that must not move behaviour (moving code between modules, speed work):
each case's summary figures and every column of its daily series recorded here are hashed exactly
(float64 bytes) and compared with ``tests/golden/checksums.json``. A change that *means* to move
behaviour regenerates the file in its own commit, saying why::

    REFORMSIM_REGOLD=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from reformsim.model.metrics import summarize, timeseries
from reformsim.model.model import CountyModel
from reformsim.model.scenario import load_scenario

GOLDEN = Path(__file__).parent / "golden" / "checksums.json"
CASES = ("baseline", "chuxiong_five_ones", "panjin", "sanming")
POPULATION, DAYS, SEED = 6_000, 420, 7  # past the reforms' day 365
PROVENANCE = ("version",)  # the package version is not behaviour


def _digest(model: CountyModel) -> dict:
    ts = timeseries(model)
    summary = summarize(model, ts)
    columns = {c: hashlib.sha256(np.ascontiguousarray(ts[c].to_numpy(dtype=np.float64)).tobytes()).hexdigest()[:16]
               for c in ts.columns}
    figures = {k: hashlib.sha256(json.dumps(v, sort_keys=True, default=repr).encode()).hexdigest()[:16]
               for k, v in summary.items() if k not in PROVENANCE}
    return {"summary": figures, "columns": columns}


def _run(name: str) -> dict:
    m = CountyModel(load_scenario(name), rng=SEED, population=POPULATION)
    m.run_days(DAYS)
    return _digest(m)


@pytest.mark.parametrize("name", CASES)
def test_run_matches_its_golden_checksums(name):
    got = _run(name)
    if os.environ.get("REFORMSIM_REGOLD"):
        data = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
        data[name] = got
        GOLDEN.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        return
    want = json.loads(GOLDEN.read_text())[name]
    # every recorded column and summary figure still exists and is unchanged; ones added since are new outputs
    for part in ("columns", "summary"):
        changed = [c for c, h in want[part].items() if got[part].get(c) != h]
        assert not changed, f"{name}: {part} changed: {', '.join(changed[:8])}"
