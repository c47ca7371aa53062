"""Each history row's trajectory by its position in the trajectories frame, and its value:
what the convergence and runtime frames are computed from. Looking the rows up by
position, rather than merging the trajectories' key columns into a million history
rows, keeps a report's frames a few numpy passes (`values._values` is the same
computation as a frame)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from adagrad_lab.analysis.values import INF, Array, _diverged_at, _keys, _optimum


@dataclass(frozen=True)
class _Rows:
    """The history rows whose trajectory is in the trajectories frame, ordered by it."""

    at: Array  # per row, its trajectory's position (row number) in the trajectories frame
    iters: Array  # per row, its iteration (the history's integer dtype)
    v: Array  # per row, f or the gap f - f*, +inf from the trajectory's divergence on
    starts: Array  # per trajectory, its first row (rows of trajectory p: starts[p]:ends[p])
    ends: Array

    def of(self, positions: Array) -> tuple[Array, Array]:
        """The rows of the trajectories at ``positions``: their indices and, for each, the
        index into ``positions`` of its trajectory."""
        lengths = self.ends[positions] - self.starts[positions]
        owner = np.repeat(np.arange(len(positions)), lengths)
        first = np.cumsum(lengths) - lengths  # where each trajectory's rows begin in the result
        rows = self.starts[positions][owner] + np.arange(int(lengths.sum())) - first[owner]
        return rows, owner


def _rows(traj: pd.DataFrame, hist: pd.DataFrame, value: str) -> _Rows:
    """The rows of ``hist`` whose (job, trajectory) is a row of ``traj`` (an inner join on the
    keys), grouped by trajectory in the order of ``traj``, iterations in the history's order.

    Raises ValueError where a (job, trajectory) is twice in ``traj``."""
    keys = _keys(hist)
    index = pd.MultiIndex.from_frame(traj[keys])
    if not index.is_unique:
        raise ValueError(f"trajectories: a ({', '.join(keys)}) appears more than once")
    at = index.get_indexer(pd.MultiIndex.from_frame(hist[keys]))
    kept = np.flatnonzero(at >= 0)
    order = kept
    if np.any(np.diff(at[kept]) < 0):  # a history read from the store is in order already
        order = kept[np.argsort(at[kept], kind="stable")]
    at = at[order]
    iters = hist["iter"].to_numpy()[order]
    v = hist["f"].to_numpy(np.float64)[order] - _optimum(traj, value)[at]
    dead = np.isnan(v) | (iters.astype(np.float64) >= _diverged_at(traj)[at])
    bounds = np.searchsorted(at, np.arange(len(traj) + 1))
    return _Rows(at, iters, np.where(dead, INF, v), bounds[:-1], bounds[1:])
