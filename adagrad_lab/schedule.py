"""Which iterations the history keeps: every k-th, log-spaced, or only the final one."""

from __future__ import annotations

import numpy as np


def record_iterations(
    schedule: str, n_iter: int, every: int = 1, per_decade: int = 10
) -> np.ndarray:
    """Sorted distinct iterations in 0..n_iter to record; the last iteration is always included.

    ``every``: 0, k, 2k, ... ; ``log``: 0 and about ``per_decade`` log-spaced
    iterations per decade of 1..n_iter; ``final``: none (the trajectories table
    holds the final values).
    """
    if schedule == "final":
        return np.zeros(0, np.int64)
    if schedule == "every":
        iters = np.arange(0, n_iter + 1, every, dtype=np.int64)
    else:
        decades = max(np.log10(n_iter), 1e-9)
        count = max(int(np.ceil(decades * per_decade)) + 1, 2)
        iters = np.unique(np.round(np.logspace(0.0, np.log10(n_iter), count)).astype(np.int64))
        iters = np.concatenate(([0], iters))
    if iters[-1] != n_iter:
        iters = np.append(iters, n_iter)
    return iters
