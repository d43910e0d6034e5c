"""The instant what-if of a session: when a lever moves, the next five years from today with and
without the change, on the session's seed and on a few more for a band.

A projection is identified by the state it starts from (the model and day), the changes applied
first and the seed, and is computed once: moving a second lever while paused reuses the first
one's "with" as its "without". While the county is paused, "without" for the current settings is
prepared before anyone asks (``prepare``), so that a lever change waits only for "with".
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import projection
from .figures import chart_series, daily_columns, end_figures, joined
from .session import Session

BAND_SEEDS = 3  # extra seeds for the band, besides the session's own
CACHE_SIZE = 24  # projections kept per session (a few hundred kB each)

Changes = tuple[tuple[str, Any], ...]


@dataclass(eq=False)  # one request is equal only to itself (reacton compares arguments)
class Request:
    """A lever change to project: ``without`` and ``with_`` are the pending changes before and after it."""

    serial: int
    day: int
    label: tuple[str, Any]  # (path, value) of the change, named at render time
    without: Changes
    with_: Changes
    history: dict[str, np.ndarray]
    scale: float
    seeds: tuple[int | None, ...]
    state: tuple[tuple, bytes]  # (key, engine state) of the day it projects from
    futures: dict[tuple[str, int | None], cf.Future] = field(default_factory=dict)
    # what finished projections are drawn from, made once: the charts redraw at every frame
    made: dict[tuple, dict[str, np.ndarray]] = field(default_factory=dict)

    def result(self, role: str, seed: int | None) -> dict[str, np.ndarray] | None:
        """A finished projection's daily columns, history included (None while running)."""
        future = self.futures.get((role, seed))
        if not finished(future):
            return None
        if ("daily", role, seed) not in self.made:
            self.made["daily", role, seed] = joined(self.history, future.result())
        return self.made["daily", role, seed]

    def series(self, role: str, seed: int | None) -> dict[str, np.ndarray] | None:
        """A finished projection as the charts draw it (``figures.chart_series``)."""
        daily = self.result(role, seed)
        if daily is None:
            return None
        if ("series", role, seed) not in self.made:
            self.made["series", role, seed] = chart_series(daily, self.scale)
        return self.made["series", role, seed]

    def error(self) -> BaseException | None:
        for future in self.futures.values():
            if future.done() and not future.cancelled() and future.exception() is not None:
                return future.exception()
        return None

    def main_ready(self) -> bool:
        return all(self.result(role, None) is not None for role in ("without", "with"))

    def band_done(self) -> int:
        return sum(all(self.result(r, s) is not None for r in ("without", "with")) for s in self.seeds[1:])

    def tradeoffs(self) -> dict[str, tuple[float, float, float, float]] | None:
        """Per measure: (without, with, lowest and highest difference over the seeds done)."""
        if not self.main_ready():
            return None
        ends = {role: end_figures(self.result(role, None), self.day, self.scale) for role in ("without", "with")}
        diffs = [{k: b - a for (k, a), b in zip(end_figures(self.result("without", s), self.day, self.scale).items(),
                                                end_figures(self.result("with", s), self.day, self.scale).values(), strict=True)}
                 for s in self.seeds if all(self.result(r, s) is not None for r in ("without", "with"))]
        return {k: (ends["without"][k], ends["with"][k], min(d[k] for d in diffs), max(d[k] for d in diffs))
                for k in ends["with"]}


def finished(future: cf.Future | None) -> bool:
    """Whether a projection ran to its end (not failed, not called off)."""
    return (future is not None and future.done() and not future.cancelled() and future.exception() is None
            and future.result() is not None)


class WhatIf:
    """The projections of one session (see module docstring)."""

    def __init__(self, session: Session):
        self.session = session
        self.lock = threading.Lock()
        self.cache: dict[tuple, cf.Future] = {}
        self.slots: dict[cf.Future, int] = {}  # the slot that calls each projection off
        self.state: tuple[tuple, bytes] | None = None  # (state key, engine state) of the latest day asked for
        self.current: Request | None = None
        self.serial = 0

    def _state_key(self) -> tuple:
        return id(self.session.model), self.session.day

    def _engine_state(self) -> tuple[tuple, bytes]:
        with self.session.lock:  # a consistent copy, never half-way through a day
            key = self._state_key()
            if self.state is None or self.state[0] != key:
                self.state = key, projection.engine_state(self.session.model)
            return self.state

    def _future(self, state: tuple[tuple, bytes], changes: Changes, seed: int | None) -> cf.Future:
        key = (state[0], changes, seed)
        future = self.cache.get(key)
        if future is None or (future.done() and not finished(future)):
            future, slot = projection.submit(state[1], changes, seed, band=seed is not None)
            self.cache[key], self.slots[future] = future, slot
            while len(self.cache) > CACHE_SIZE:
                self._call_off(self.cache.pop(next(iter(self.cache))))
        return future

    def _call_off(self, future: cf.Future) -> None:
        projection.call_off(future, self.slots.pop(future))

    def _cancel_unneeded(self, keep: set[cf.Future]) -> None:
        """Call off the projections nothing asks for any more (a newer change came)."""
        for key, future in list(self.cache.items()):
            if future not in keep and not future.done():
                del self.cache[key]
                self._call_off(future)

    def prepare(self) -> None:
        """Start "without" for today's settings, so a lever change waits only for "with"."""
        with self.lock:
            state = self._engine_state()
            pending = tuple(self.session.pending.items())
            keep = {self._future(state, pending, None)}
            if self.current is not None:
                keep |= set(self.current.futures.values())
            self._cancel_unneeded(keep)

    def ask(self, changed: tuple[str, Any], without: list, with_: list) -> Request:
        """A lever change: a new request (its projections start with ``submit``). Call it under the
        session's lock together with ``Session.set_lever``: the pending changes and the state it
        projects from must be of the same moment."""
        with self.lock, self.session.lock:
            self.serial += 1
            seed = self.session.seed
            self.current = Request(self.serial, self.session.day, changed, tuple(without), tuple(with_),
                                   daily_columns(self.session.model), self.session.model.scale,
                                   (None, *(seed + 1 + i for i in range(BAND_SEEDS))), self._engine_state())
            return self.current

    def close(self) -> None:
        """Call off every projection still to come (the page closed, or the county restarted):
        they would only hold up other sessions' what-ifs."""
        with self.lock:
            self.current = None
            self._cancel_unneeded(set())

    def submit(self, request: Request, seeds: tuple[int | None, ...]) -> list[cf.Future]:
        """Start a request's projections on ``seeds`` (none if a newer change came); their futures."""
        with self.lock:
            if request is not self.current:
                return []
            for seed in seeds:
                for role, changes in (("without", request.without), ("with", request.with_)):
                    request.futures[role, seed] = self._future(request.state, changes, seed)
            self._cancel_unneeded(set(request.futures.values()))
            return [request.futures[role, seed] for seed in seeds for role in ("without", "with")]
