"""Which iterations the history keeps: every k-th, log-spaced, or only the final one."""

from __future__ import annotations

import numpy as np

MAX_N_ITER = 2**31 - 2  # iterations are stored as int32 (iter, iters_to_target, diverged_at)

# A log schedule asking for more points than this, and more than there are
# iterations, records every iteration instead of materialising the points.
# Up to it the points are computed exactly as they always were, so those
# configs keep their recorded iterations bit for bit.
LOG_EXACT_POINTS = 1 << 20


def _log_points(n_iter: int, per_decade: int) -> int:
    """How many log-spaced points a log schedule asks for (before rounding and de-duplication)."""
    per_decade = min(per_decade, 1 << 62)  # more is every iteration anyway; keeps the float finite
    decades = max(np.log10(n_iter), 1e-9)
    return max(int(np.ceil(decades * per_decade)) + 1, 2)


def _log_is_every(n_iter: int, per_decade: int) -> bool:
    points = _log_points(n_iter, per_decade)
    return points > n_iter + 1 and points > LOG_EXACT_POINTS


def record_bound(schedule: str, n_iter: int, every: int = 1, per_decade: int = 10) -> int:
    """An upper bound, computed without allocating, on both the length of
    `record_iterations(...)` and the number of values it materialises on the way."""
    if schedule == "final":
        return 0
    if schedule == "every":
        return n_iter // every + 1 + (n_iter % every != 0)
    if _log_is_every(n_iter, per_decade):
        return n_iter + 1
    return _log_points(n_iter, per_decade) + 2


def record_iterations(
    schedule: str, n_iter: int, every: int = 1, per_decade: int = 10
) -> np.ndarray:
    """Sorted distinct iterations in 0..n_iter to record; the last iteration is always included.

    ``every``: 0, k, 2k, ... ; ``log``: 0 and about ``per_decade`` log-spaced
    iterations per decade of 1..n_iter (simply every iteration when that asks
    for more points than there are iterations and more than `LOG_EXACT_POINTS`);
    ``final``: none (the trajectories table holds the final values).
    Materialises at most `record_bound(...)` values.
    """
    if schedule == "final":
        return np.zeros(0, np.int64)
    if schedule == "every":
        iters = np.arange(0, n_iter + 1, every, dtype=np.int64)
    elif _log_is_every(n_iter, per_decade):
        iters = np.arange(0, n_iter + 1, dtype=np.int64)
    else:
        count = _log_points(n_iter, per_decade)
        iters = np.unique(np.round(np.logspace(0.0, np.log10(n_iter), count)).astype(np.int64))
        iters = np.concatenate(([0], iters))
    if iters[-1] != n_iter:
        iters = np.append(iters, n_iter)
    return iters
