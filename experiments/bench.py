"""Speed and memory of the engine: the figures behind docs/performance.md.

Measured, never asserted (timings depend on the machine and its load):

* the default county (631,530 residents): construction, 1 and 5 simulated years, peak memory
  beyond the interpreter (resident set size after the run's high-water mark, less the resident
  set before the model was built), and the model's own arrays, per resident;
* the engine against the per-resident reference model on the same population, as a ratio, on a
  small county and on the default county itself (the target is judged there: a policy run's
  size);
* how a year's time grows with the population;
* the functions where a run spends its time (pyinstrument, if installed).

The main run (the one whose memory is measured) runs in a fresh process so that earlier work
does not hide its peak, three times, and the run of median time is reported; the others measure
time only.
``quick=True`` uses small sizes (a smoke test of the whole pipeline).
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context

import numpy as np

DEFAULT_POPULATION = 631_530
TARGETS = {"default_5y_seconds": 10.0, "reference_speedup": 100.0, "bytes_per_resident": 300.0}


@dataclass(frozen=True)
class Sizes:
    """What to measure; ``FULL`` is the documented benchmark, ``QUICK`` a smoke test."""

    population: int | None  # None: the default county
    years: tuple[int, ...]  # checkpoints (simulated years) of the main run
    days_per_year: int
    compare: tuple[tuple[int, int], ...]  # engine vs reference: (residents, days); the target is judged on the last
    scaling: tuple[int, ...]
    scaling_days: int
    profile_days: int
    profile_population: int | None
    repeats: int  # main runs, each in a fresh process: the one of median time is reported


FULL = Sizes(None, (1, 5), 365, ((20_000, 120), (DEFAULT_POPULATION, 30)),
             (10_000, 30_000, 100_000, 300_000, DEFAULT_POPULATION), 180, 60, None, 3)
QUICK = Sizes(3_000, (1, 2), 20, ((300, 20), (1_000, 10)), (1_000, 3_000), 20, 10, 3_000, 2)


def _rss_bytes() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _peak_rss_bytes() -> int:
    """The process's resident-set high-water mark (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def load_engine() -> dict:
    """Import the engine and the reference model and run each on a tiny county once.

    This loads the libraries and Numba's compiled kernels (from its on-disk cache; compiled on the
    very first run after installation): a cost paid once per process, not per run or per resident,
    so the timings and the memory per resident are taken after it, and it is reported on its own.
    """
    rss, wall, cpu = _rss_bytes(), time.perf_counter(), time.process_time()
    from reformsim.model.model import YEAR, CountyModel
    from reformsim.model.reference import ReferenceModel

    # past a new year, so the kernels of the yearly draws are loaded here too, not in the timed run
    CountyModel(rng=0, population=1_000).run_days(YEAR + 2)
    ReferenceModel(rng=0, population=300).run_days(5)
    return {"seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu, "rss_bytes": _rss_bytes() - rss}


def measure_main_run(population: int | None, years: tuple[int, ...], days_per_year: int, seed: int = 1) -> dict:
    """Build a county and run it to each checkpoint; times, peak memory and state size.

    Meant to run in a fresh process (see ``run_isolated``): the memory figures are the high-water
    mark of the whole process less the resident set once the engine was loaded (``load_engine``).
    """
    loading = load_engine()
    from reformsim.model.metrics import summarize
    from reformsim.model.model import CountyModel

    rss0 = _rss_bytes()
    wall, cpu = time.perf_counter(), time.process_time()
    m = CountyModel(rng=seed, population=population)
    build = (time.perf_counter() - wall, time.process_time() - cpu)
    checkpoints, done = [], 0
    wall, cpu = time.perf_counter(), time.process_time()
    for y in years:
        m.run_days(y * days_per_year - done)
        done = y * days_per_year
        checkpoints.append({"years": y, "days": done, "seconds": time.perf_counter() - wall,
                            "cpu_seconds": time.process_time() - cpu})
    summarize(m)  # part of every run's cost, and it touches the collected rows
    residents = int(m.res.n)
    peak = _peak_rss_bytes() - rss0
    return {
        "population": int(m.p.county.population), "residents_at_end": residents, "episodes": int(m.ep.opened),
        "build_seconds": build[0], "build_cpu_seconds": build[1], "checkpoints": checkpoints,
        "ms_per_day": 1000 * checkpoints[-1]["seconds"] / done, "cpu_ms_per_day": 1000 * checkpoints[-1]["cpu_seconds"] / done,
        "peak_rss_delta_bytes": peak, "bytes_per_resident": peak / residents,
        "state_bytes": int(m.nbytes), "state_bytes_per_resident": m.nbytes / residents, "engine_load": loading,
    }


def time_run(model_class: type, population: int, days: int, seed: int = 1) -> dict:
    """Wall and CPU seconds to build ``model_class`` and run it for ``days``."""
    wall, cpu = time.perf_counter(), time.process_time()
    m = model_class(rng=seed, population=population)
    built, built_cpu = time.perf_counter() - wall, time.process_time() - cpu
    m.run_days(days)
    return {"population": population, "days": days, "build_seconds": built, "build_cpu_seconds": built_cpu,
            "seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu,
            "episodes": int(m.ep.opened)}


def compare_reference(population: int, days: int, seed: int = 1) -> dict:
    """Engine and reference on the same county, population and seed."""
    from reformsim.model.model import CountyModel
    from reformsim.model.reference import ReferenceModel

    engine = time_run(CountyModel, population, days, seed)
    reference = time_run(ReferenceModel, population, days, seed)
    return {"population": population, "days": days, "engine_seconds": engine["seconds"],
            "reference_seconds": reference["seconds"], "engine_cpu_seconds": engine["cpu_seconds"],
            "reference_cpu_seconds": reference["cpu_seconds"], "speedup": reference["seconds"] / engine["seconds"],
            "cpu_speedup": reference["cpu_seconds"] / engine["cpu_seconds"], "episodes": engine["episodes"]}


def scaling(populations: tuple[int, ...], days: int, seed: int = 1) -> list[dict]:
    """Seconds for ``days`` at each population: how the engine's cost grows with residents."""
    from reformsim.model.model import CountyModel

    rows = []
    for n in populations:
        r = time_run(CountyModel, n, days, seed)
        r["ms_per_day"] = 1000 * (r["seconds"] - r["build_seconds"]) / days
        r["cpu_ms_per_day"] = 1000 * (r["cpu_seconds"] - r["build_cpu_seconds"]) / days
        r["us_per_resident_day"] = 1e6 * (r["seconds"] - r["build_seconds"]) / days / n
        rows.append(r)
    return rows


def profile_top(population: int | None, days: int, top: int = 15, seed: int = 1) -> list[dict]:
    """Functions with the most self time over ``days`` of a built county (pyinstrument)."""
    try:
        from pyinstrument import Profiler
    except ImportError:  # a test extra, not a runtime dependency
        return []
    from reformsim.model.model import CountyModel

    m = CountyModel(rng=seed, population=population)
    m.run_days(1)  # the first day schedules everyone's first choice; profile the steady state
    profiler = Profiler(interval=0.001)
    profiler.start()
    m.run_days(days)
    session = profiler.stop()
    self_time: dict[tuple[str, str], float] = defaultdict(float)
    stack = [session.root_frame()]
    while stack:
        frame = stack.pop()
        if frame is None:
            continue
        if not frame.is_synthetic:  # pyinstrument keeps a frame's own time in a synthetic "[self]" child
            self_time[(frame.function, f"{frame.file_path_short}:{frame.line_no}")] += frame.total_self_time
        stack.extend(frame.children)
    total = max(session.duration, 1e-12)
    ranked = sorted(self_time.items(), key=lambda kv: -kv[1])[:top]
    return [{"function": f, "where": w, "self_seconds": s, "share": s / total} for (f, w), s in ranked]


def run_seconds(run: dict) -> float:
    """CPU seconds of a main run: the build and every simulated day."""
    return run["build_cpu_seconds"] + run["checkpoints"][-1]["cpu_seconds"]


def median_run(runs: list[dict]) -> dict:
    """The run of median time (of an even number, the slower middle one). One run is good to
    about +-40% on a shared machine (docs/performance.md); the median of several, each in a
    fresh process minutes apart, is steadier, and the targets are judged on it."""
    return sorted(runs, key=run_seconds)[len(runs) // 2]


def run_isolated(fn, *args):
    """``fn(*args)`` in a fresh interpreter (spawned), so its memory peak is its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _machine() -> dict:
    import mesa

    return {"python": platform.python_version(), "numpy": np.__version__, "mesa": mesa.__version__,
            "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def run_benchmark(quick: bool = False, progress=None) -> dict:
    """All the figures, as a JSON-ready dict (see docs/performance.md for their meaning)."""
    from reformsim.model import VERSION

    sizes = QUICK if quick else FULL
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    runs = []
    for i in range(sizes.repeats):
        say(f"main run {i + 1} of {sizes.repeats} (fresh process)")
        runs.append(run_isolated(measure_main_run, sizes.population, sizes.years, sizes.days_per_year))
    main = median_run(runs)
    # the rest measure time only, so they share this process
    load_engine()
    ref = []
    for population, days in sizes.compare:
        say(f"engine vs reference, {population:,} residents x {days} days")
        ref.append(compare_reference(population, days))
    say("scaling with population")
    scale = scaling(sizes.scaling, sizes.scaling_days)
    say("profile")
    prof = profile_top(sizes.profile_population, sizes.profile_days)
    last = main["checkpoints"][-1]
    five = next((c for c in main["checkpoints"] if c["years"] == 5), None)
    # targets are judged on CPU time (one core), which a busy machine inflates far less than wall time
    values = {"default_5y_seconds": (five["cpu_seconds"] + main["build_cpu_seconds"]) if five and not quick else None,
              "reference_speedup": ref[-1]["cpu_speedup"], "bytes_per_resident": main["bytes_per_resident"]}
    targets = {k: {"target": t, "value": values[k],
                   "met": None if values[k] is None else (values[k] >= t if k == "reference_speedup" else values[k] <= t)}
               for k, t in TARGETS.items()}
    return {
        "version": VERSION, "quick": quick, "sizes": asdict(sizes), "machine": _machine(),
        "default_county": main, "default_county_runs": runs, "reference": ref, "scaling": scale, "profile": prof, "targets": targets,
        "summary": {"seconds_per_simulated_year": last["seconds"] / last["years"] if last["years"] else None,
                    "benchmark_seconds": time.perf_counter() - t0},
    }
