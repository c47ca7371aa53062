"""The kernel's minibatches drawn host-side in NumPy, every trajectory at once, so that the
learning benchmark's baselines (NumPy, PyTorch) train on the very batches the kernel does.

`jit.counter` defines the numbers (SplitMix64 keyed by seed, iteration and draw) and
`catalog.objectives.learning.batch_of` the batch: B distinct samples by a partial
Fisher-Yates shuffle of 0..n-1, sorted. Here the mixer runs on uint64 arrays (NumPy
wraps them as the kernel does), and the shuffle keeps only the positions it has
written (at most B per lane), never a permutation of n per lane.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from adagrad_lab.jit.counter import BATCH, GAMMA, MIX1, MIX2

Array = np.ndarray[Any, Any]


def mix64(z: Array) -> Array:
    """SplitMix64's output function on a uint64 array (wrapping)."""
    z = (z ^ (z >> np.uint64(30))) * MIX1
    z = (z ^ (z >> np.uint64(27))) * MIX2
    out: Array = z ^ (z >> np.uint64(31))
    return out


def batch_keys(seeds: Array) -> Array:
    """Each trajectory's key of the batch domain (``counter.stream`` before the iteration)."""
    return mix64(np.asarray(seeds, dtype=np.int64).astype(np.uint64) * GAMMA + BATCH)


def picks(keys: Array, k: int, size: int, n: int) -> Array:
    """The positions the shuffle swaps in at iteration ``k``: t + below(key, t, n - t),
    (lanes, size)."""
    step = mix64(keys + np.full_like(keys, k + 1) * GAMMA)  # an array: wraps without warning
    c = np.arange(1, size + 1, dtype=np.uint64) * GAMMA
    u = (mix64(step[:, None] + c[None, :]) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    m = n - np.arange(size)
    return np.arange(size) + np.minimum((u * m).astype(np.int64), m - 1)


def batches(keys: Array, k: int, size: int, n: int) -> Array:
    """Every trajectory's batch at iteration ``k`` without replacement, sorted, (lanes, size)."""
    chosen = picks(keys, k, size, n)
    out = chosen.copy()
    # a lane whose swaps never meet a position written before takes its picks as drawn
    # (at n = 10,000 and B = 32, 9 lanes in 10); the others replay the swaps
    met = _meets(chosen)
    if met.any():
        out[met] = _replay(chosen[met])
    out.sort(axis=1)
    return out


def _meets(chosen: Array) -> Array:
    """Lanes where a step's pick or its own position was written by an earlier step: two
    equal picks, or a pick u < pick_u < size (met again at step t = pick_u)."""
    size = chosen.shape[1]
    ordered = np.sort(chosen, axis=1)
    twice = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
    ahead = ((chosen > np.arange(size)) & (chosen < size)).any(axis=1)
    met: Array = twice | ahead
    return met


def _replay(chosen: Array) -> Array:
    """The shuffle's first ``size`` values, step by step, keeping only the written positions."""
    lanes, size = chosen.shape
    lane = np.arange(lanes)
    written = np.full((lanes, size), -1)  # the position swapped into at step t
    held = np.empty((lanes, size), np.int64)  # the value that position then held
    out = np.empty((lanes, size), np.int64)
    for t in range(size):
        q = chosen[:, t]
        out[:, t] = _value_at(written[:, :t], held[:, :t], q, lane)
        held[:, t] = _value_at(written[:, :t], held[:, :t], np.full(lanes, t), lane)
        written[:, t] = q
    return out


def _value_at(written: Array, held: Array, q: Array, lane: Array) -> Array:
    """The value at position q of each lane's permutation: the last write there, else q."""
    if written.shape[1] == 0:
        return q
    last = ((written == q[:, None]) * np.arange(1, written.shape[1] + 1)).max(axis=1) - 1
    value: Array = np.where(last >= 0, held[lane, last], q)
    return value
