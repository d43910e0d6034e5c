"""Compiled helpers over arrays of ids that every mechanism's daily stage uses.

NumPy's fancy assignment checks and casts per element; on a day's thousands of ids these loops
take half its time. Each is tested against the NumPy expression it replaces (tests/test_kernels.py).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def scatter(dst, ids, src):
    """``dst[ids] = src`` for distinct ``ids``. NumPy's fancy assignment checks and casts per
    element: on a day's thousands of ids this loop takes half its time."""
    for i in range(len(ids)):
        dst[ids[i]] = src[i]


@njit(cache=True)
def scatter_from(dst, ids, src, rows):
    """``dst[ids] = src[rows]`` without the gathered temporary (see ``scatter``)."""
    for i in range(len(ids)):
        dst[ids[i]] = src[rows[i]]


@njit(cache=True)
def fill(dst, ids, value):
    """``dst[ids] = value`` for one value (see ``scatter``)."""
    for i in range(len(ids)):
        dst[ids[i]] = value


@njit(cache=True)
def rank_within(group, mask):
    """0-based order of each masked row among the masked rows of its group, in row order
    (others: the largest int64), e.g. patients' places in the queue for a facility's free beds."""
    out = np.full(len(group), np.iinfo(np.int64).max, dtype=np.int64)
    if len(group) == 0:
        return out
    seen = np.zeros(group.max() + 1, dtype=np.int64)
    for i in range(len(group)):
        if mask[i]:
            g = group[i]
            out[i] = seen[g]
            seen[g] += 1
    return out


@njit(cache=True)
def first_of_each(ids, keep_row, seen, stamp):
    """Rows of ``ids`` where ``keep_row`` holds and the id was not met earlier in ``ids``, in order.

    ``seen`` (as long as the largest id + 1) remembers ids by ``stamp``, a number never used in
    an earlier call, so it never needs clearing."""
    out = np.empty(len(ids), dtype=np.int64)
    n = 0
    for i in range(len(ids)):
        x = ids[i]
        if keep_row[i] and seen[x] != stamp:
            seen[x] = stamp
            out[n] = x
            n += 1
    return out[:n]


@njit(cache=True)
def search_guide(values, buckets):
    """For ``guided_search`` in ``values`` (non-decreasing, not all equal): for each of ``buckets``
    equal parts of their range, the last index whose value is at most the part's start."""
    scale = buckets / (values[-1] - values[0])
    guide = np.empty(buckets, dtype=np.int64)
    i = 0
    for b in range(buckets):
        start = values[0] + b / scale
        while i + 1 < len(values) and values[i + 1] <= start:
            i += 1
        guide[b] = i
    return guide


@njit(cache=True, inline="always")  # inlined in Numba's IR: called as a function it took twice as long
def guided_search(values, guide, x):
    """``np.searchsorted(values, x, side="right") - 1`` for ``x`` not below ``values[0]``: the last
    index whose value is at most ``x``. It starts where ``guide`` (``search_guide``) points for x's
    part of the range and steps from there, a step or two instead of a binary search's dozen
    unpredictable branches (the steps also correct any rounding of the part)."""
    b = int((x - values[0]) * (len(guide) / (values[-1] - values[0])))
    i = guide[min(max(b, 0), len(guide) - 1)]
    while i > 0 and values[i] > x:
        i -= 1
    while i + 1 < len(values) and values[i + 1] <= x:
        i += 1
    return i


@njit(cache=True)
def by_day(rows, day, days):
    """Counting sort of ``rows`` by ``day`` (0 .. days - 1), stable: day d's rows are
    ``sorted[bounds[d]:bounds[d + 1]]``, in their order in ``rows``."""
    bounds = np.zeros(days + 1, dtype=np.int64)
    for j in range(len(day)):
        bounds[day[j] + 1] += 1
    for d in range(days):
        bounds[d + 1] += bounds[d]
    at = bounds[:-1].copy()
    out = np.empty(len(rows), dtype=rows.dtype)
    for j in range(len(rows)):
        out[at[day[j]]] = rows[j]
        at[day[j]] += 1
    return out, bounds
