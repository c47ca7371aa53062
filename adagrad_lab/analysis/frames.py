"""Convergence curves, step-size sensitivity and best step sizes: frames for the plots and
tables, pandas only.

Every function takes a `Results` (from `adagrad_lab.load`), or the frames it
holds: ``(trajectories, history)``, or the trajectories frame alone where no
history is needed. Every trajectory counts at every iteration: a diverged one
counts as +inf from its divergence on, one stopped at its target keeps its
last value, so a median never silently drops a trajectory. Zeros and
infinities stay in the frames (a log-scale plot decides what to do with them).

Groups default to the optimizer and the swept coordinates (the columns of the
trajectories frame that are neither identity nor outcome and take more than
one value); ``by=[]`` pools everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from adagrad_lab.analysis.budget import history_upto, values_after
from adagrad_lab.analysis.positions import _Rows, _rows
from adagrad_lab.analysis.values import (
    FLOOR,
    QUANTILES,
    Array,
    Data,
    _history,
    _keys,
    _name,
    _outcomes,
    _per_group,
    _trajectories,
    column_quantiles,
    default_by,
)


def convergence(
    data: Data,
    by: Sequence[str] | None = None,
    value: str = "f",
    quantiles: Sequence[float] = QUANTILES,
) -> pd.DataFrame:
    """Quantiles across trajectories of f (or the gap f - f*) per group per recorded iteration.

    One row per group and iteration of the group's iteration grid (every
    iteration any of its trajectories recorded), with ``n`` (trajectories) and
    a column ``q<quantile>`` per quantile (``q0.5``: the median).

    >>> curves = convergence(res, by=["step_size"], value="gap")  # doctest: +SKIP
    >>> curves.pivot(index="iter", columns="step_size", values="q0.5")  # doctest: +SKIP
    """
    traj, hist = _trajectories(data), _history(data, ["trajectory", "iter", "f"])
    by = default_by(traj) if by is None else list(by)
    rows = _rows(traj, hist, value)
    present = np.flatnonzero(rows.ends > rows.starts)  # the trajectories with history rows
    frame = traj[by].iloc[present].assign(_at=present)

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        wide = _wide(rows, g["_at"].to_numpy())
        qs = column_quantiles(wide.values, quantiles)
        out = pd.DataFrame({"iter": wide.iters, "n": (~np.isnan(wide.values)).sum(axis=0)})
        return out.assign(**{_name(q): qs[i] for i, q in enumerate(quantiles)})

    return _per_group(frame, by, per_group, traj)


@dataclass(frozen=True)
class _Wide:
    """The values of some trajectories, one row each, one column per iteration of ``iters``."""

    iters: Array
    values: Array  # NaN before a trajectory's first record; its last value after its last


def _wide(rows: _Rows, positions: Array) -> _Wide:
    """The trajectories at ``positions`` on the union of their recorded iterations, each
    row carried forward past its last record (a trajectory stopped at its target keeps
    its value). Raises ValueError where a trajectory records an iteration twice."""
    index, owner = rows.of(positions)
    iters = rows.iters[index]
    grid = np.unique(iters)
    cell = owner * len(grid) + np.searchsorted(grid, iters)
    if len(cell) and np.bincount(cell).max() > 1:
        raise ValueError("history: a trajectory records an iteration twice")
    values = np.full((len(positions), len(grid)), np.nan)
    values.flat[cell] = rows.v[index]
    filled = np.where(np.isnan(values), 0, np.arange(len(grid)))
    last = np.maximum.accumulate(filled, axis=1)  # the last recorded column at or before each
    return _Wide(grid, values[np.arange(len(positions))[:, None], last])


def sensitivity(
    data: Data,
    by: Sequence[str] | None = None,
    value: str = "f",
    quantiles: Sequence[float] = QUANTILES,
) -> pd.DataFrame:
    """Per group and step size: quantiles of final and best f, the fractions converged and diverged.

    Columns: the group keys, ``step_size``, ``n``, ``final_q<q>``, ``best_q<q>``
    (a diverged trajectory's final value is +inf), ``converged``, ``diverged``.

    >>> sensitivity(res, by=["optimizer"])  # doctest: +SKIP
    """
    traj = _trajectories(data)
    keys = [*(b for b in (default_by(traj) if by is None else by) if b != "step_size"), "step_size"]
    frame = _outcomes(traj, value)

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        final = column_quantiles(g["final"].to_numpy(np.float64), quantiles)[:, 0]
        best = column_quantiles(g["best"].to_numpy(np.float64), quantiles)[:, 0]
        row: dict[str, float] = {"n": len(g)}
        row |= {f"final_{_name(q)}": final[i] for i, q in enumerate(quantiles)}
        row |= {f"best_{_name(q)}": best[i] for i, q in enumerate(quantiles)}
        row |= {"converged": g["converged"].mean(), "diverged": g["diverged"].mean()}
        return pd.DataFrame([row])

    return _per_group(frame, keys, per_group, traj)


def best_step_size(
    data: Data,
    by: Sequence[str] | None = None,
    budget: int | None = None,
    value: str = "f",
    max_diverged: float = 0.0,
    floor: float = FLOOR,
) -> pd.DataFrame:
    """Per group, the best admissible step size at iteration ``budget`` (None: the end).

    A step size is admissible where at most ``max_diverged`` of its trajectories
    diverged by the budget and its median f is finite. Among those the lowest
    median wins, medians ``<= floor`` tying (0 and 1e-49 are both "solved"); ties
    go to the more robust step: fewer diverged, then the lower median iterations
    to the target (never reached: +inf), then the smaller step. The value at the
    budget is `fixed_budget`'s: the last recorded one at or before it, the final one
    once the run ended, +inf from the divergence on (between two records too).
    Columns: the group keys, ``step_size`` (NaN: no admissible step), ``median``,
    ``diverged`` (its fraction diverged; with no admissible step, the least of any
    step) and ``iters``.

    >>> best_step_size(res, by=["objective", "optimizer"], budget=100)  # doctest: +SKIP
    """
    if not 0.0 <= max_diverged <= 1.0:
        raise ValueError(f"max_diverged: a fraction in [0, 1], not {max_diverged!r}")
    traj = _trajectories(data)
    keys = [b for b in (default_by(traj) if by is None else by) if b != "step_size"]
    frame = _at_budget(data, traj, keys, budget, value)

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        steps = g.groupby("step_size", sort=True).agg(
            median=("v", _median),
            diverged=("v", lambda v: float(np.isposinf(v).mean())),
            iters=("hit", _median),
        )
        ok = steps[(steps["diverged"] <= max_diverged) & np.isfinite(steps["median"])]
        if ok.empty:
            return pd.DataFrame(
                {"step_size": [np.nan], "median": [np.nan], "diverged": [steps["diverged"].min()]}
                | {"iters": [np.nan]}
            )
        ranked = ok.assign(score=ok["median"].clip(lower=floor), step=ok.index.to_numpy())
        best = ranked.sort_values(["score", "diverged", "iters", "step"], kind="stable").iloc[:1]
        out: pd.DataFrame = best[["median", "diverged", "iters"]].rename_axis("step_size")
        return out.reset_index()

    return _per_group(frame, keys, per_group, traj)


def _median(v: pd.Series) -> float:
    return float(column_quantiles(v.to_numpy(np.float64), [0.5])[0, 0])


def _at_budget(
    data: Data, traj: pd.DataFrame, keys: list[str], budget: int | None, value: str
) -> pd.DataFrame:
    """Per trajectory: its keys, step size, ``v`` (its value at ``budget``, +inf once diverged)
    and ``hit`` (the iterations it took to its target by then; never: +inf). A trajectory
    with no record at or before the budget (and still running) is left out."""
    hit = traj["iters_to_target"] if "iters_to_target" in traj else pd.Series(np.nan, traj.index)
    hits = hit.astype("Float64").fillna(np.inf).to_numpy(np.float64)
    if budget is None:
        out = _outcomes(traj, value).rename(columns={"final": "v"})
        return out.assign(hit=hits)
    # fixed_budget's value at k: +inf once diverged, even between two records
    known = traj if "iters_to_target" in traj else traj.assign(iters_to_target=hit)
    hist = history_upto(data, budget)
    at = values_after(data, known, hist, np.array([budget]), value, False)[:, 0]
    columns = list(dict.fromkeys([*_keys(traj), *keys, "step_size"]))
    frame = traj[columns].assign(v=at, hit=np.where(hits <= budget, hits, np.inf))
    known_at: pd.DataFrame = frame[~np.isnan(at)]  # no record at or before the budget
    return known_at


def at_best_step_size(
    data: Data,
    by: Sequence[str] | None = None,
    budget: int | None = None,
    value: str = "f",
    max_diverged: float = 0.0,
) -> pd.DataFrame:
    """The trajectories of each group at its best admissible step size (`best_step_size`).

    The rows of the trajectories frame whose step size is their group's best,
    with the group's ``median`` there. A group with no admissible step size has
    no rows: a comparison never shows a diverging step as a group's best
    (`best_step_size` lists such a group with step size NaN). Groups,
    ``budget``, ``value`` and ``max_diverged`` as in `best_step_size`.

    >>> tuned = at_best_step_size(res, by=["objective", "optimizer"])  # doctest: +SKIP
    >>> convergence((tuned, res.history(["trajectory", "iter", "f"])))  # doctest: +SKIP
    """
    traj = _trajectories(data)
    keys = [b for b in (default_by(traj) if by is None else by) if b != "step_size"]
    best = best_step_size(data, keys, budget, value, max_diverged)
    steps = traj["step_size"].to_numpy(np.float64)
    if keys:
        # per trajectory, its group's row of `best` (NaN keys match NaN: an objective
        # parameter the other objectives lack)
        at = pd.MultiIndex.from_frame(best[keys]).get_indexer(pd.MultiIndex.from_frame(traj[keys]))
    else:
        at = np.zeros(len(traj), np.intp)
    chosen = best["step_size"].to_numpy(np.float64)[at]
    keep = (at >= 0) & (steps == chosen)
    out: pd.DataFrame = traj.assign(median=best["median"].to_numpy(np.float64)[at])[keep]
    return out
