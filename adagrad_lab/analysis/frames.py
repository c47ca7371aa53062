"""Aggregations over loaded results: frames for the plots and tables, pandas only.

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

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from adagrad_lab.catalog import OBJECTIVES
from adagrad_lab.store.results import Results

Data = Results | pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]
Array = np.ndarray[Any, Any]  # float64

# trajectory columns that identify or describe an outcome: never a group key by default
NOT_COORDINATES = frozenset(
    {"job", "trajectory", "seed", "x0", "x_final", "f_final", "f_best", "iters_to_target"}
    | {"status", "diverged_at", "target", "runtime", "iter", "f", "grad_norm", "x", "v"}
    | {"n", "cost", "ratio", "tau", "fraction", "median"}
)
QUANTILES = (0.25, 0.5, 0.75)
DEFAULT_TARGETS = 10.0 ** np.arange(2, -9, -1)
INF = float("inf")


def default_by(frame: pd.DataFrame) -> list[str]:
    """``optimizer`` and every coordinate column of ``frame`` with more than one value.

    >>> default_by(pd.DataFrame({"optimizer": ["gd"] * 2, "step_size": [0.1, 1.0], "seed": [0, 1]}))
    ['optimizer', 'step_size']
    """
    first = [c for c in ("optimizer", "objective", "dim") if c in frame.columns]
    rest = [c for c in frame.columns if c not in NOT_COORDINATES and c not in first]
    return [c for c in first + rest if c == "optimizer" or frame[c].nunique(dropna=False) > 1]


def column_quantiles(values: Array, qs: Sequence[float]) -> Array:
    """Linear-interpolation quantiles down the columns of ``values``, infinities understood.

    NaN is missing; a quantile between two equal values (two +inf included) is
    that value, between a finite value and +inf it is +inf. Returns
    ``(len(qs), columns)``.

    >>> column_quantiles(np.array([[1.0], [2.0], [np.inf], [np.inf], [np.inf]]), [0.25, 0.5])
    array([[ 2.],
           [inf]])
    """
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    ordered = np.sort(values, axis=0)  # NaN last
    n = (~np.isnan(values)).sum(axis=0)
    cols = np.arange(values.shape[1])
    out = np.full((len(qs), values.shape[1]), np.nan)
    for i, q in enumerate(qs):
        pos = q * np.maximum(n - 1, 0)
        lo, hi = np.floor(pos).astype(np.intp), np.ceil(pos).astype(np.intp)
        a, b = ordered[lo, cols], ordered[hi, cols]
        with np.errstate(invalid="ignore"):
            between = a + (b - a) * (pos - lo)
        out[i] = np.where(n == 0, np.nan, np.where((a == b) | (lo == hi), a, between))
    return out


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
    h = _values(traj, hist, value, by)
    keys = _keys(h)
    frame = traj[list(dict.fromkeys([*keys, *by]))]
    out = []
    for target in targets:
        hit = h.loc[h["v"] <= target].groupby(keys, observed=True)["iter"].min()
        reached = frame.merge(hit.rename("runtime").reset_index(), on=keys, how="left")
        out.append(reached.assign(target=float(target)))
    result: pd.DataFrame = pd.concat(out, ignore_index=True)
    result["runtime"] = result["runtime"].astype(np.float64)
    return result[[*frame.columns, "target", "runtime"]]


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


# -- helpers --------------------------------------------------------------------------------


def _name(q: float) -> str:
    return f"q{q:g}"


def _is(data: Data, column: str) -> bool:
    return isinstance(data, pd.DataFrame) and column in data.columns


def _trajectories(data: Data) -> pd.DataFrame:
    if isinstance(data, Results):
        return data.trajectories
    return data if isinstance(data, pd.DataFrame) else data[0]


def _history(data: Data, columns: list[str], filters: list[Any] | None = None) -> pd.DataFrame:
    """The history columns asked for (with ``job`` when there is one), filters pushed down."""
    if isinstance(data, Results):
        return data.history(columns, filters)
    if isinstance(data, pd.DataFrame):
        raise ValueError("this needs the history: pass a Results or (trajectories, history)")
    hist = data[1]
    for column, op, bound in filters or []:
        assert op == "<="
        hist = hist[hist[column] <= bound]
    return hist


def _keys(frame: pd.DataFrame) -> list[str]:
    """What identifies a trajectory: (job, trajectory), or trajectory in a one-job frame."""
    return [k for k in ("job", "trajectory") if k in frame.columns]


def _optimum(traj: pd.DataFrame, value: str) -> Array:
    """f* per trajectory for ``value``: 0 for "f", the known minimum for "gap" and "auto"."""
    if value not in ("f", "gap", "auto"):
        raise ValueError(f"value: {value!r} is not one of 'f', 'gap', 'auto'")
    if value == "f" or (value == "auto" and "objective" not in traj):
        return np.zeros(len(traj))
    problems = traj[["objective", "dim"]].astype({"objective": str, "dim": int})
    known = {
        (name, dim): OBJECTIVES[name].f_min(dim) if name in OBJECTIVES else np.nan
        for name, dim in set(problems.itertuples(index=False, name=None))
    }
    fstar = np.array([known[p] for p in problems.itertuples(index=False, name=None)], np.float64)
    if value == "gap" and np.isnan(fstar).any():
        names = sorted({n for (n, _), v in known.items() if np.isnan(v)})
        raise ValueError(f"value='gap': the minimum of {', '.join(names)} is not known; use 'f'")
    return np.nan_to_num(fstar, nan=0.0)


def _diverged_at(traj: pd.DataFrame) -> Array:
    """The iteration each trajectory diverged at, +inf for none."""
    if "diverged_at" not in traj:
        return np.full(len(traj), INF)
    at: Array = traj["diverged_at"].astype("Float64").fillna(INF).to_numpy(np.float64)
    return at


def _values(traj: pd.DataFrame, hist: pd.DataFrame, value: str, by: Sequence[str]) -> pd.DataFrame:
    """History rows with the group keys and ``v``: f or the gap, +inf from divergence on."""
    keys = _keys(hist)
    t = traj[list(dict.fromkeys([*keys, *by]))].assign(
        _fstar=_optimum(traj, value), _died=_diverged_at(traj)
    )
    h = hist.merge(t, on=keys, how="inner")
    v = h["f"].to_numpy(np.float64) - h["_fstar"].to_numpy(np.float64)
    dead = np.isnan(v) | (h["iter"].to_numpy(np.float64) >= h["_died"].to_numpy(np.float64))
    return h.drop(columns=["_fstar", "_died"]).assign(v=np.where(dead, INF, v))


def _outcomes(traj: pd.DataFrame, value: str) -> pd.DataFrame:
    """Per trajectory: final and best value (final +inf when diverged), converged, diverged."""
    fstar = _optimum(traj, value)
    diverged = np.isfinite(_diverged_at(traj))
    if "status" in traj:
        diverged = diverged | (traj["status"] == "diverged").to_numpy(bool)
        converged = (traj["status"] == "converged").to_numpy(bool)
    else:
        converged = traj["iters_to_target"].notna().to_numpy(bool) & ~diverged
    final = traj["f_final"].to_numpy(np.float64) - fstar
    best = traj["f_best"].to_numpy(np.float64) - fstar
    return traj.assign(
        final=np.where(diverged | np.isnan(final), INF, final),
        best=np.where(np.isnan(best), INF, best),
        converged=converged,
        diverged=diverged,
    )


def _runtimes_frame(data: Data, targets: Sequence[float] | Array, value: str) -> pd.DataFrame:
    if _is(data, "runtime"):
        assert isinstance(data, pd.DataFrame)
        return data
    return runtimes(data, targets, value=value)


def _problem_keys(frame: pd.DataFrame) -> list[str]:
    keys = ["objective", "dim", *(c for c in frame.columns if c.startswith("objective.")), "target"]
    return [k for k in keys if k in frame.columns]


def _per_group(
    frame: pd.DataFrame,
    by: Sequence[str],
    fn: Callable[[pd.DataFrame], pd.DataFrame],
    source: pd.DataFrame,
) -> pd.DataFrame:
    """``fn`` on each group of ``frame`` by ``by``, the keys in front, their dtypes kept."""
    by = list(by)
    groups = frame.groupby(by, observed=True, dropna=False, sort=True) if by else [((), frame)]
    parts = []
    for key, g in groups:
        out = fn(g)
        values = key if isinstance(key, tuple) else (key,)
        for i, (name, v) in enumerate(zip(by, values, strict=True)):
            out.insert(i, name, [v] * len(out))
        parts.append(out)
    return _restore(pd.concat(parts, ignore_index=True), source, by)


def _restore(out: pd.DataFrame, source: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The key columns of ``out`` with the dtypes they have in ``source``."""
    for c in columns:
        if c in source.columns:
            out[c] = out[c].astype(source[c].dtype)
    return out
