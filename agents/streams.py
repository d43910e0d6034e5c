"""Common random numbers: one uniform per (resident, purpose, counter), by hashing.

As in Starsim, randomness is tied to who draws it and why, not to the order of draws: a
baseline and a reform run with the same seed give each resident the same onset times,
severities and outcome draws, so they differ only where the policy changes behaviour.
Drawing is a vectorised counter-based hash (SplitMix64 finaliser), so the work scales with
the number of draws, not with the population.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_ID_MUL = np.uint64(0xD6E8FEB86659FD93)
_CTR_MUL = np.uint64(0xA0761D6478BD642F)


class Purpose(IntEnum):
    """What a draw is for; each purpose is an independent stream."""

    ONSET = 1
    KIND = 2
    SEVERITY = 3
    ADMIT = 4
    CHOICE = 5
    OUTCOME = 6
    DEATH = 7
    LOS = 8
    DOWN = 9
    CONTRACT = 10
    BIRTH = 11
    FATALITY = 12
    SEX = 13
    CHRONIC = 14
    ATTEMPT = 15  # whether a facility attempts a case or refers it up (agents/care.py)
    FOLLOWUP = 16  # whether an outpatient treatment comes with a return visit


@njit(cache=True)
def _mix(z: np.uint64) -> np.uint64:
    """SplitMix64 finaliser."""
    z ^= z >> np.uint64(30)
    z *= _M1
    z ^= z >> np.uint64(27)
    z *= _M2
    z ^= z >> np.uint64(31)
    return z


@njit(cache=True)
def draw(key: np.uint64, purpose: int, uid: int, counter: int) -> float:
    """One uniform in (0, 1): the compiled kernels call this, ``Streams.uniform`` loops over it.
    ``key`` must be a uint64 (mixed with a signed integer it would be promoted to float)."""
    z = _mix(np.uint64(uid) * _ID_MUL + ((key ^ (np.uint64(purpose) << np.uint64(56))) + _GOLDEN))
    z = _mix(z + (np.uint64(counter) * _CTR_MUL + _GOLDEN))
    return (np.float64(z >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _uniform(key, purpose, ids, counters):
    out = np.empty(len(ids))
    for i in range(len(ids)):
        out[i] = draw(key, purpose, ids[i], counters[i])
    return out


class Streams:
    """Uniform draws in (0, 1) keyed by ``(seed, purpose, ids, counter)``."""

    def __init__(self, seed: int):
        self.key = np.uint64(_mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) + _GOLDEN))

    def uniform(self, purpose: Purpose, ids: np.ndarray | int, counter: np.ndarray | int = 0) -> np.ndarray:
        ids, counter = np.asarray(ids), np.asarray(counter)
        if ids.shape != counter.shape:  # one id, many counters or many ids, one counter
            ids, counter = np.broadcast_arrays(ids, counter)
        return _uniform(self.key, int(purpose), ids.ravel(), counter.ravel()).reshape(ids.shape)
