"""Where sweep runs execute: every backend is a ``concurrent.futures.Executor``.

- ``serial``: in this process, one run at a time (debugging, profiling, a baseline).
- ``local``: a ``ProcessPoolExecutor`` with the *spawn* start method, so behaviour is the same on
  Linux, macOS and Windows and no threads (tqdm's monitor, DuckDB, BLAS) are forked.
- ``dask``: Dask distributed, on a ``LocalCluster`` or an existing scheduler (``--address``),
  through ``Client.get_executor()``; ``dask-jobqueue`` clusters on SLURM/PBS plug in the same way.
- ``ray``: Ray tasks, whose ``ObjectRef.future()`` is a ``concurrent.futures.Future``; Ray is an
  optional extra (``pip install 'reformsim[ray]'``) imported only when asked for.

The sweep loop (``sweep.run_sweep``) sees only ``submit`` and futures: one code path for all.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

BACKENDS = ("local", "serial", "dask", "ray")


class BackendError(RuntimeError):
    """A backend that cannot start (missing extra, unreachable scheduler)."""


class SerialExecutor(Executor):
    """Runs each submitted call at once in this process; the returned future is already done."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - delivered through the future, as other executors do
            fut.set_exception(exc)
        return fut


class RayExecutor(Executor):
    """Ray tasks behind the Executor interface (one CPU per task)."""

    def __init__(self, workers: int | None, address: str | None):
        try:
            import ray
        except ImportError:
            raise BackendError("the ray backend needs Ray, an optional extra: pip install 'reformsim[ray]'") from None
        self._ray = ray
        self._started = not ray.is_initialized()
        if self._started:
            ray.init(address=address, num_cpus=None if address else workers, include_dashboard=False,
                     log_to_driver=False)
        self._remote: dict[Callable, Any] = {}

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(num_cpus=1, max_retries=1)(fn)
        return remote.remote(*args, **kwargs).future()

    def slots(self) -> int:
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


@contextmanager
def open_executor(backend: str, workers: int | None = None, address: str | None = None) -> Iterator[tuple[Executor, int]]:
    """An executor for ``backend`` and how many runs it executes at once; shut down on exit.

    On exit (Ctrl-C included) queued runs are cancelled; runs already finished have been
    handed back to the caller, which writes them.
    """
    if backend not in BACKENDS:
        raise BackendError(f"unknown backend '{backend}' (choose from {', '.join(BACKENDS)})")
    if address and backend not in ("dask", "ray"):
        raise BackendError(f"--address applies to the dask and ray backends, not '{backend}'")
    n = workers or default_workers()
    if backend == "serial":
        yield SerialExecutor(), 1
    elif backend == "local":
        pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
        try:
            yield pool, n
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    elif backend == "dask":
        with _dask(n, address) as pair:
            yield pair
    else:
        ex = RayExecutor(workers, address)
        try:
            yield ex, ex.slots()
        finally:
            ex.shutdown()


@contextmanager
def _dask(n: int, address: str | None) -> Iterator[tuple[Executor, int]]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise BackendError("the dask backend needs Dask: pip install 'reformsim[dask]'") from None
    cluster = None
    try:
        if address:
            client = Client(address, timeout="20s")
        else:
            # one single-threaded process per worker: runs hold the GIL, threads would not help
            # silence_logs: a worker slow to exit on a busy machine is killed with a harmless warning
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.ERROR)
            client = Client(cluster)
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise BackendError(f"cannot reach the Dask scheduler at {address}: {str(exc).splitlines()[0]}") from None
    try:
        slots = sum(client.nthreads().values()) or n
        # pure=False: two runs with equal arguments are still two runs, never deduplicated
        ex = client.get_executor(pure=False)
        try:
            yield ex, slots
        finally:
            ex.shutdown(wait=False)  # the sweep loop has collected every run it waits for
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
