"""Fixed-target runtimes: the first recorded iteration at which each trajectory reaches
each target, their empirical CDF, and performance ratios and profiles (Dolan and More)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from adagrad_lab.analysis.positions import _rows
from adagrad_lab.analysis.values import (
    INF,
    Array,
    Data,
    _history,
    _is,
    _keys,
    _per_group,
    _problem_keys,
    _restore,
    _trajectories,
    column_quantiles,
    default_by,
)

DEFAULT_TARGETS = 10.0 ** np.arange(2, -9, -1)


def runtimes(
    data: Data,
    targets: Sequence[float] | Array = DEFAULT_TARGETS,
    by: Sequence[str] | None = None,
    value: str = "auto",
) -> pd.DataFrame:
    """Fixed-target runtimes: per trajectory and target, the first recorded iteration reaching it.

    A target is reached when the value is <= target; ``value="auto"`` uses the
    gap f - f* where the objective's minimum is known and f otherwise. The
    ``runtime`` is NaN where the target is never reached (a diverged
    trajectory reaches nothing after its divergence). Columns: ``job`` (when
    present), ``trajectory``, the group keys, ``target``, ``runtime``.

    >>> runtimes(res, targets=[1e-2, 1e-6])  # doctest: +SKIP
    """
    traj, hist = _trajectories(data), _history(data, ["trajectory", "iter", "f"])
    by = default_by(traj) if by is None else list(by)
    rows = _rows(traj, hist, value)
    frame = traj[list(dict.fromkeys([*_keys(hist), *by]))].reset_index(drop=True)
    iters = rows.iters.astype(np.float64)
    out = []
    for target in targets:
        first = np.full(len(traj), INF)
        reached = rows.v <= target
        np.minimum.at(first, rows.at[reached], iters[reached])
        runtime = np.where(np.isinf(first), np.nan, first)
        out.append(frame.assign(target=float(target), runtime=runtime))
    result: pd.DataFrame = pd.concat(out, ignore_index=True)
    return result


def runtime_ecdf(
    data: Data,
    by: Sequence[str] | None = None,
    iters: Sequence[int] | None = None,
    targets: Sequence[float] | Array = DEFAULT_TARGETS,
    value: str = "auto",
) -> pd.DataFrame:
    """The runtime ECDF (as COCO draws it): per group, the fraction of (trajectory, target)
    pairs solved by each iteration; unreached pairs count in the denominator.

    ``data`` is a `runtimes` frame, or what `runtimes` takes (then with
    ``targets`` and ``value``). The iterations are ``iters``, or 0 and every
    distinct runtime of the frame (one grid for all groups). Columns: the group
    keys, ``iter``, ``fraction``.

    >>> runtime_ecdf(runtimes(res, targets=[1e-2, 1e-4, 1e-6]), by=["optimizer"])  # doctest: +SKIP
    """
    frame = _runtimes_frame(data, targets, value)
    by = default_by(frame) if by is None else list(by)
    every = frame["runtime"].to_numpy(np.float64)
    grid = np.unique([0.0, *every[np.isfinite(every)]]) if iters is None else np.asarray(iters)

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        r = g["runtime"].to_numpy(np.float64)
        solved = (r[:, None] <= grid[None, :]).sum(axis=0)
        return pd.DataFrame({"iter": grid, "fraction": solved / len(r)})

    return _per_group(frame, by, per_group, frame)


def performance_ratios(
    data: Data,
    problem: Sequence[str] | None = None,
    solver: Sequence[str] | None = None,
    targets: Sequence[float] | Array = DEFAULT_TARGETS,
    value: str = "auto",
) -> pd.DataFrame:
    """Dolan-Moré performance ratios: per problem and solver, the cost and its ratio to the best.

    The cost is the median runtime over the solver's trajectories on the
    problem, +inf where that median is not reached (or the solver did not run
    the problem). The ratio is cost / best cost of the problem: 1 for the best,
    +inf for a cost of +inf. A problem defaults to (objective, dim, the other
    ``objective.*`` columns, target); a solver to ``optimizer`` and the other
    varying coordinates. ``data`` is a `runtimes` frame or what `runtimes` takes.
    Columns: the problem keys, the solver keys, ``cost``, ``ratio``.

    >>> performance_ratios(res, solver=["optimizer", "step_size"], targets=[1e-6])  # doctest: +SKIP
    """
    frame = _runtimes_frame(data, targets, value)
    problem = _problem_keys(frame) if problem is None else list(problem)
    solver = [c for c in default_by(frame) if c not in problem] if solver is None else solver
    cost = frame.groupby([*problem, *solver], observed=True, dropna=False)["runtime"].agg(
        lambda r: column_quantiles(r.fillna(INF).to_numpy(np.float64), [0.5])[0, 0]
    )
    levels = list(range(len(problem), len(problem) + len(solver)))
    table = cost.unstack(levels).fillna(INF)  # a solver that did not run a problem: +inf
    costs = table.to_numpy(np.float64)
    best = costs.min(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isinf(costs), INF, np.where(costs == best, 1.0, costs / best))
    ratios = pd.DataFrame(ratio, index=table.index, columns=table.columns)
    long = pd.concat(
        {
            "cost": table.stack(list(range(len(solver)))),
            "ratio": ratios.stack(list(range(len(solver)))),
        },
        axis=1,
    ).reset_index()
    return _restore(long, frame, [*problem, *solver])


def performance_profile(
    data: Data,
    problem: Sequence[str] | None = None,
    solver: Sequence[str] | None = None,
    taus: Sequence[float] | None = None,
    targets: Sequence[float] | Array = DEFAULT_TARGETS,
    value: str = "auto",
) -> pd.DataFrame:
    """Dolan-Moré performance profiles: per solver, the fraction of problems within factor tau.

    ``rho_s(tau) = |{p : ratio(p, s) <= tau}| / |problems|`` for each tau of
    ``taus`` (default: 1 and every finite ratio), one curve per solver. Takes
    what `performance_ratios` takes, or its frame. Columns: the solver keys,
    ``tau``, ``fraction``.

    >>> performance_profile(res, solver=["optimizer"], targets=[1e-6])  # doctest: +SKIP
    """
    ratios = (
        data if _is(data, "ratio") else performance_ratios(data, problem, solver, targets, value)
    )
    assert isinstance(ratios, pd.DataFrame)
    if solver is None:
        problem = _problem_keys(ratios) if problem is None else list(problem)
        solver = [c for c in default_by(ratios) if c not in problem]
    r = ratios["ratio"].to_numpy(np.float64)
    grid = np.unique([1.0, *r[np.isfinite(r)]]) if taus is None else np.asarray(taus, np.float64)

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        mine = g["ratio"].to_numpy(np.float64)
        within = (mine[:, None] <= grid[None, :]).sum(axis=0)
        return pd.DataFrame({"tau": grid, "fraction": within / len(mine)})

    return _per_group(ratios, list(solver), per_group, ratios)


def _runtimes_frame(data: Data, targets: Sequence[float] | Array, value: str) -> pd.DataFrame:
    if _is(data, "runtime"):
        assert isinstance(data, pd.DataFrame)
        return data
    return runtimes(data, targets, value=value)
