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

import numpy as np
import pandas as pd

from adagrad_lab.analysis.values import (
    QUANTILES,
    Data,
    _history,
    _keys,
    _name,
    _outcomes,
    _per_group,
    _trajectories,
    _values,
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
    h = _values(traj, hist, value, by)

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        wide = g.pivot(index=_keys(g), columns="iter", values="v").ffill(axis=1)
        qs = column_quantiles(wide.to_numpy(dtype=np.float64), quantiles)
        out = pd.DataFrame({"iter": wide.columns.to_numpy(), "n": wide.notna().sum().to_numpy()})
        return out.assign(**{_name(q): qs[i] for i, q in enumerate(quantiles)})

    return _per_group(h, by, per_group, traj)


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
    data: Data, by: Sequence[str] | None = None, budget: int | None = None, value: str = "f"
) -> pd.DataFrame:
    """Per group, the step size with the lowest median f at iteration ``budget`` (None: final).

    The value at the budget is the last recorded one at or before it (a
    diverged trajectory's +inf). Ties go to the smallest step size; a group
    where every median is +inf gets step size NaN. Columns: the group keys,
    ``step_size``, ``median``.

    >>> best_step_size(res, by=["objective", "optimizer"], budget=100)  # doctest: +SKIP
    """
    traj = _trajectories(data)
    keys = [b for b in (default_by(traj) if by is None else by) if b != "step_size"]
    if budget is None:
        frame = _outcomes(traj, value).rename(columns={"final": "v"})
    else:
        hist = _history(data, ["trajectory", "iter", "f"], [("iter", "<=", budget)])
        h = _values(traj, hist, value, [*keys, "step_size"])
        frame = h.sort_values("iter").groupby(_keys(h), observed=True).tail(1)

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        medians = g.groupby("step_size")["v"].agg(
            lambda v: column_quantiles(v.to_numpy(), [0.5])[0, 0]
        )
        finite = medians[np.isfinite(medians.to_numpy(np.float64))]
        if finite.empty:
            return pd.DataFrame({"step_size": [np.nan], "median": [medians.min()]})
        best = finite.to_numpy(np.float64).argmin()  # first of the lowest: the smallest step
        return pd.DataFrame({"step_size": [finite.index[best]], "median": [finite.iloc[best]]})

    return _per_group(frame, keys, per_group, traj)


def at_best_step_size(
    data: Data, by: Sequence[str] | None = None, budget: int | None = None, value: str = "f"
) -> pd.DataFrame:
    """The trajectories of each group at its best step size (`best_step_size`), and no others.

    The rows of the trajectories frame whose step size is their group's best,
    with the group's ``median`` there. A group where every median is +inf
    (`best_step_size` gives NaN) keeps its smallest step size, so no group
    drops out of a comparison. Groups, ``budget`` and ``value`` as in
    `best_step_size`.

    >>> tuned = at_best_step_size(res, by=["objective", "optimizer"])  # doctest: +SKIP
    >>> convergence((tuned, res.history(["trajectory", "iter", "f"])))  # doctest: +SKIP
    """
    traj = _trajectories(data)
    keys = [b for b in (default_by(traj) if by is None else by) if b != "step_size"]
    best = best_step_size(data, keys, budget, value)
    steps = traj["step_size"].to_numpy(np.float64)
    if keys:
        # per trajectory, its group's row of `best` (NaN keys match NaN: an objective
        # parameter the other objectives lack), and its group's smallest step size
        at = pd.MultiIndex.from_frame(best[keys]).get_indexer(pd.MultiIndex.from_frame(traj[keys]))
        smallest = traj.groupby(keys, observed=True, dropna=False)["step_size"].transform("min")
    else:
        at, smallest = np.zeros(len(traj), np.intp), pd.Series(np.nanmin(steps), traj.index)
    chosen = best["step_size"].to_numpy(np.float64)[at]
    chosen = np.where(np.isnan(chosen), smallest.to_numpy(np.float64), chosen)
    keep = (at >= 0) & (steps == chosen)
    out: pd.DataFrame = traj.assign(median=best["median"].to_numpy(np.float64)[at])[keep]
    return out
