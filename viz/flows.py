"""Patient flows between facilities, for the referral map, from the model's events.

Three kinds, each a fading count per (origin, destination) that forgets with a time constant of
a month: referrals up (a referred patient arriving at a higher tier), referrals down (recovering
inpatients moved to their home township's beds) and bypass (a first contact at a county or
tertiary hospital for a minor or common illness, counted from the patient's home village or
community). The tracker listens to ``model.events`` and never touches the engine's stages.
"""

from __future__ import annotations

import math

import numpy as np
from reformsim.model.model import CountyModel
from reformsim.model.params import SEVERITIES

COMMON = SEVERITIES.index("common")  # minor and common illness taken to a hospital first is bypassing (越级就诊)

MEMORY_DAYS = 30.0  # flows fade with this time constant
KINDS = ("flow_up", "flow_down", "flow_bypass")


class FlowTracker:
    """Recent flows of one model, updated by its events (see module docstring)."""

    def __init__(self, model: CountyModel):
        n = model.county.n_facilities
        self.tier = np.asarray(model.county.tier, dtype=np.int64)
        self.homes = np.asarray(model.county.homes)
        self.flows = {kind: np.zeros((n, n)) for kind in KINDS}
        self.day = 0  # the day the flows were last faded to
        # per episode id: the facility whose referral letter it holds and has not yet acted on (-1: none)
        self.letter_from = np.full(1024, -1, dtype=np.int64)
        model.events.subscribe("referral", self.on_referral)
        model.events.subscribe("choice", self.on_choice)
        model.events.subscribe("down_referral", self.on_down_referral)

    def _fade_to(self, day: int) -> None:
        if day > self.day:
            factor = math.exp(-(day - self.day) / MEMORY_DAYS)
            for flows in self.flows.values():
                flows *= factor
            self.day = day

    def _letters(self, eps: np.ndarray) -> np.ndarray:
        """The per-episode letter table, grown to hold ``eps`` (episode ids are reused and grow)."""
        need = int(eps.max()) + 1 if len(eps) else 0
        if need > len(self.letter_from):
            grown = np.full(max(need, 2 * len(self.letter_from)), -1, dtype=np.int64)
            grown[: len(self.letter_from)] = self.letter_from
            self.letter_from = grown
        return self.letter_from

    def on_referral(self, day: int, eps: np.ndarray, facility: np.ndarray, tier: np.ndarray) -> None:
        self._letters(eps)[eps] = facility

    def on_choice(self, day: int, eps: np.ndarray, facility: np.ndarray, first: np.ndarray, letter: np.ndarray,
                  severity: np.ndarray, home: np.ndarray) -> None:
        self._fade_to(day)
        letters = self._letters(eps)
        origin = np.where(first, -1, letters[eps])  # a reused episode id carries no old letter
        letters[eps] = -1  # a letter is acted on once
        went = facility >= 0
        to_tier = self.tier[np.maximum(facility, 0)]
        # a referred patient may still choose a lower tier (the letter is only a nudge): not an upward flow
        up = went & (origin >= 0) & (to_tier > self.tier[np.maximum(origin, 0)])
        np.add.at(self.flows["flow_up"], (origin[up], facility[up]), 1.0)
        bypass = went & first & (severity <= COMMON) & (to_tier >= 2)
        np.add.at(self.flows["flow_bypass"], (self.homes[home[bypass]], facility[bypass]), 1.0)

    def on_down_referral(self, day: int, eps: np.ndarray, origin: np.ndarray, facility: np.ndarray) -> None:
        self._fade_to(day)
        np.add.at(self.flows["flow_down"], (origin, facility), 1.0)

    def current(self, day: int) -> dict[str, np.ndarray]:
        """The flows as of ``day`` (faded to it), by kind."""
        self._fade_to(day)
        return self.flows
