"""One browser session's county: the engine model, the flows on its map, and the levers a person
moved and when.

A lever moved in the browser waits in ``pending`` and is applied at the start of the next
simulated day, exactly as a scenario's ``[[timeline]]`` entry for that day would be (same day
number, same order), so that ``session_scenario`` can write the session as a scenario file that
``reformsim run`` reproduces bit for bit. Stepping and every read of the model happen under
``lock``: the browser's thread and the play loop's thread share the session.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from reformsim.model.model import CountyModel
from reformsim.model.params import Scenario, TimelineEvent, get_path, with_value
from reformsim.model.scenario import load_scenario

from .flows import FlowTracker
from .levers import LEVERS, Lever, model_value

DEFAULT_POPULATION = 25_000  # the demo county: ~1 ms per simulated day, five years in ~2 s


@dataclass(frozen=True)
class Change:
    """A scenario field a person set, first in force on ``day``."""

    day: int
    path: str
    value: Any


def apply_changes(model: CountyModel, changes: Iterable[tuple[str, Any]]) -> None:
    """Apply changes between two days as the timeline applies them at the start of the next day.

    The engine reads ``model.day`` in a lever change (a transfer's start, the contract draws): it
    is the day about to be simulated, as it is when the timeline runs inside ``step``.
    """
    changes = list(changes)
    if changes:
        model.day = model.steps
        for path, value in changes:
            model.set_lever(path, value)


class Session:
    """A county to watch and steer (see module docstring).

    Args:
        scenario_name: a built-in scenario name or a TOML path.
        population: residents of the simulated county.
        seed: the seed; a run is a pure function of (scenario, seed, changes).
    """

    def __init__(self, scenario_name: str, population: int = DEFAULT_POPULATION, seed: int = 1):
        self.scenario_name = scenario_name
        self.seed = int(seed)
        self.model = CountyModel(load_scenario(scenario_name), rng=self.seed, population=int(population))
        self.lock = threading.RLock()
        self.flows = FlowTracker(self.model)
        self.facilities = [self.model.facility(fid) for fid in range(self.model.county.n_facilities)]
        self._visits = np.zeros((64, len(self.facilities)))  # visits per facility, a row per simulated day
        self.pending: dict[str, Any] = {}  # path -> value, applied at the start of the next day
        self.changes: list[Change] = []  # what the person changed, as applied
        self.marks: list[tuple[int, str]] = []  # (first day in force, path) of every change, timeline's too
        self.lever_version = 0  # bumped whenever a lever's value (shown or in force) changes
        self.model.events.subscribe("lever", self.on_lever)

    @property
    def day(self) -> int:
        """Days simulated so far (the next day to simulate)."""
        return self.model.steps

    # ------------------------------------------------------------------ levers
    def on_lever(self, day: int, path: str, old: Any, new: Any) -> None:
        self.marks.append((day, path))
        self.lever_version += 1

    def value(self, lever: Lever) -> Any:
        """A lever's value as the panel shows it: a pending change, else what the model uses."""
        with self.lock:
            if lever.path in self.pending:
                return self.pending[lever.path]
            return model_value(lever, get_path(self.model.p, lever.path))

    def values(self) -> dict[str, Any]:
        return {lever.key: self.value(lever) for lever in LEVERS}

    def set_lever(self, lever: Lever, value: Any) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
        """Set a lever from the next simulated day; returns the pending changes (path, value) before
        and after, which is what a what-if projects. Raises ValueError for a value the scenario refuses."""
        value = model_value(lever, value)
        with self.lock:
            before = list(self.pending.items())
            # the scenario's own check of the value, now, and the value as it would hold it: one mark-up
            # is every tier's, so 15% on a scenario with tiers set apart is a change, not a no-op
            taken = get_path(with_value(self.model.p, lever.path, value), lever.path)
            if taken == get_path(self.model.p, lever.path):
                self.pending.pop(lever.path, None)
            else:
                self.pending[lever.path] = value
            self.lever_version += 1
            return before, list(self.pending.items())

    # ------------------------------------------------------------------ time
    def step(self, days: int = 1) -> None:
        """Simulate ``days`` days, applying pending lever changes first."""
        for _ in range(days):
            with self.lock:
                if self.pending:
                    self.changes += [Change(self.day, path, value) for path, value in self.pending.items()]
                    apply_changes(self.model, self.pending.items())
                    self.pending = {}
                self.model.step()
                if self.day > len(self._visits):  # grown by doubling: a row per day stays cheap
                    self._visits = np.vstack([self._visits, np.zeros_like(self._visits)])
                self._visits[self.day - 1] = [f.visits_today for f in self.facilities]

    @property
    def visits(self) -> np.ndarray:
        """Visits per facility, one row per simulated day."""
        return self._visits[: self.day]

    # ------------------------------------------------------------------ the session as a scenario
    def scenario(self) -> Scenario:
        """The scenario that reproduces this session: its scenario, with every change the person made
        (pending ones too, from the next day) as timeline entries, ordered as the session applied them."""
        with self.lock:
            base = self.model.base_scenario
            made = self.changes + [Change(self.day, path, value) for path, value in self.pending.items()]
        mine = [TimelineEvent(day=c.day, path=c.path, value=c.value, note="set in the visual") for c in made]
        # a day's timeline runs in file order: on day 0 the scenario's entries came first (at start-up),
        # on later days the person's changes (applied before the day's step)
        timeline = []
        for day in sorted({ev.day for ev in [*base.timeline, *mine]}):
            theirs = [ev for ev in base.timeline if ev.day == day]
            ours = [ev for ev in mine if ev.day == day]
            timeline += theirs + ours if day == 0 else ours + theirs
        name = f"{base.name}_session"
        return base.model_copy(update={"name": name, "timeline": timeline,
                                       "description": f"{base.description} (saved from the visual on day {self.day})"})
