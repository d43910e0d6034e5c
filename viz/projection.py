"""Five years ahead from today, in worker processes: the engine behind the instant what-if.

The session's model is copied as it is today (``engine_state``: a deep copy without the visual's
subscribers or the DataCollector's history, pickled), and a worker runs the copy on under a list
of lever changes and returns the daily columns the charts and trade-offs need. Two workers run
"with" and "without" a change side by side; a few more seeds (the future's chance redrawn on the
same state) give the band, in a worker of lower priority. The engine is compiled code that holds the interpreter lock, so the
work must run in other processes for the page to stay responsive.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import copy
import functools
import io
import math
import multiprocessing
import os
import pickle
import signal
import threading
import time
from array import array
from collections import defaultdict
from typing import Any

import numpy as np
from reformsim.model.events import Events
from reformsim.model.model import CountyModel
from reformsim.model.params import TIERS

YEARS = 5
DAYS = 365 * YEARS
WORKERS = max(1, min(2, os.cpu_count() or 1))
SLOTS = 512  # tasks that can be called off while running (more than are ever in flight)
CHECK_DAYS = 30  # a running task looks whether it was called off this often
# the daily columns a projection returns (target shares, money, waits)
COLUMNS = (*(f"visits_{t}" for t in TIERS), "life_expectancy", *(f"visit_cost_{t}" for t in TIERS),
           *(f"stay_cost_{t}" for t in TIERS), "oop_outpatient", "oop_inpatient", "fund_balance",
           *(f"surplus_{t}" for t in TIERS), *(f"wait_{t}" for t in TIERS))


# ---------------------------------------------------------------------- the model's state, portable
def _defaultdict_of_copies(items: dict, template: Any) -> defaultdict:
    out = defaultdict(functools.partial(copy.deepcopy, template))
    out.update(items)
    return out


class _StatePickler(pickle.Pickler):
    """Pickles a model whose per-year tallies are defaultdicts of a lambda (not picklable): rebuilt
    with a factory that copies what the lambda makes."""

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is defaultdict and getattr(obj.default_factory, "__name__", "") == "<lambda>":
            return _defaultdict_of_copies, (dict(obj), obj.default_factory())
        return NotImplemented


def engine_state(model: CountyModel) -> bytes:
    """The model as it is now, as bytes a worker can load: without subscribers (the visual's flows)
    and without the DataCollector (its history stays here; the worker records only the future)."""
    twin = copy.deepcopy(model, {id(model.events): Events(), id(model.datacollector): None})
    buf = io.BytesIO()
    _StatePickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(twin)
    return buf.getvalue()


class Columns:
    """What the engine records its days into during a projection: only ``COLUMNS`` (it calls
    ``collect`` at the end of each day), a tenth of a day's cost less than the full DataCollector."""

    def __init__(self) -> None:
        self.values = {k: array("d") for k in COLUMNS}

    def collect(self, model: CountyModel) -> None:
        row = model.today.row
        for key, values in self.values.items():
            values.append(row.get(key, math.nan))


def load_state(state: bytes) -> CountyModel:
    model = pickle.loads(state)
    model.datacollector = Columns()
    return model


def run_ahead(state: bytes, changes: tuple[tuple[str, Any], ...], seed: int | None, days: int = DAYS,
              slot: int | None = None) -> dict[str, np.ndarray] | None:
    """Run a copy of the model ``days`` days on with ``changes`` applied first; its daily columns,
    or None if the task in ``slot`` was called off meanwhile (see ``call_off``).

    ``seed`` redraws the future's chance (the same state, another seed) for the band; None keeps
    the session's seed, so that "with" and "without" differ only by the change.
    """
    from .session import apply_changes  # the worker imports the visual only for this

    model = load_state(state)
    if seed is not None:
        model.reseed(seed)
    apply_changes(model, changes)
    for day in range(days):
        if slot is not None and day % CHECK_DAYS == 0 and _called_off is not None and _called_off[slot]:
            return None
        model.step()
    return {k: np.asarray(v, dtype=float) for k, v in model.datacollector.values.items()}


# ---------------------------------------------------------------------- the worker processes
def _watch_parent(parent: int) -> None:
    """A worker ends when the server is gone (killed without closing its pool)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


_called_off: Any = None  # in a worker: the flags of ``call_off``, shared with the server


def _start_worker(parent: int, called_off: Any, niceness: int) -> None:
    global _called_off
    _called_off = called_off
    # the server stops its workers itself (``shutdown_pool``, at exit): a SIGTERM to the server's
    # process group must not kill them half-way and leave the pool's queues behind
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.nice(niceness)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _warm_up() -> float:
    """Load the compiled engine in a worker (about a second), so the first what-if is quick."""
    t0 = time.perf_counter()
    from reformsim.model.scenario import load_scenario

    model = CountyModel(load_scenario("baseline"), rng=1, population=2_000)
    run_ahead(engine_state(model), (), 2, days=3)
    return time.perf_counter() - t0


# Two pools: the session's seed ("with", "without") in WORKERS processes; the band's seeds in one
# process at a lower priority, which only takes the processor time the first leave. On a shared pool
# the band of one change (six runs) queued ahead of the next change, and one session's ahead of another's.
POOLS = {"main": (WORKERS, 0), "band": (1, 10)}  # kind -> (processes, niceness)
_pools: dict[str, cf.ProcessPoolExecutor] = {}
_flags: Any = None  # one flag per slot: set, the task in that slot stops at its next check
_next_slot = 0
_pool_lock = threading.Lock()


def pool(kind: str = "main") -> cf.ProcessPoolExecutor:
    """The server's worker processes of ``kind`` (shared by its sessions), started and warmed on first use."""
    global _flags
    with _pool_lock:
        if kind not in _pools:
            # spawn, not fork: the server runs threads, and a forked copy of a lock held by one of them
            # would never be released in the child
            context = multiprocessing.get_context("spawn")
            if _flags is None:
                _flags = context.Array("b", SLOTS, lock=False)
                atexit.register(shutdown_pool)
            processes, niceness = POOLS[kind]
            _pools[kind] = cf.ProcessPoolExecutor(processes, mp_context=context, initializer=_start_worker,
                                                  initargs=(os.getpid(), _flags, niceness))
            for _ in range(processes):
                _pools[kind].submit(_warm_up)
        return _pools[kind]


def start_pools() -> None:
    """Start and warm every pool now (the server is starting), not at the first lever change."""
    for kind in POOLS:
        pool(kind)


def submit(state: bytes, changes: tuple[tuple[str, Any], ...], seed: int | None,
           band: bool = False) -> tuple[cf.Future, int]:
    """Start a projection (``run_ahead``) in the main or the band's pool; returns its future and the
    slot that calls it off. A pool whose worker died (out of memory) is replaced."""
    global _next_slot
    kind = "band" if band else "main"
    with _pool_lock:
        slot, _next_slot = _next_slot, (_next_slot + 1) % SLOTS
    executor = pool(kind)
    _flags[slot] = 0
    try:
        return executor.submit(run_ahead, state, changes, seed, DAYS, slot), slot
    except cf.process.BrokenProcessPool:
        with _pool_lock:
            _pools.pop(kind, None)
        executor.shutdown(wait=False, cancel_futures=True)
        return pool(kind).submit(run_ahead, state, changes, seed, DAYS, slot), slot


def call_off(future: cf.Future, slot: int) -> None:
    """Stop a projection nobody needs any more: dropped if it has not started, stopped within a
    month of simulated days if it runs (the slider moved on)."""
    if not future.cancel() and not future.done():
        _flags[slot] = 1


def shutdown_pool() -> None:
    """Stop the workers (the server is stopping): running projections are called off."""
    with _pool_lock:
        done = list(_pools.values())
        _pools.clear()
    if done:
        _flags[:] = [1] * SLOTS
    for executor in done:
        executor.shutdown(wait=True, cancel_futures=True)
