"""What every analysis frame is computed from: the trajectories and history of a
`Results` (or frames), each trajectory's value at every recorded iteration (+inf from
its divergence on, f - f* where f* is known), its outcome and its group keys."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from adagrad_lab.store.results import Results

Data = Results | pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]


Array = np.ndarray[Any, Any]  # float64


# trajectory columns that identify or describe an outcome: never a group key by default
NOT_COORDINATES = frozenset(
    {"job", "trajectory", "seed", "x0", "x_final", "x_avg", "f_final", "f_best"}
    | {"iters_to_target"}
    | {"status", "diverged_at", "target", "runtime", "iter", "f", "grad_norm", "x", "v"}
    | {"n", "cost", "ratio", "tau", "fraction", "median", "f_star"}
)


QUANTILES = (0.25, 0.5, 0.75)


INF = float("inf")


FLOOR = 1e-16  # values at or below it count as solved: they tie (and plots draw them at it)


def default_by(frame: pd.DataFrame) -> list[str]:
    """``optimizer`` and every coordinate column of ``frame`` with more than one value, and
    ``job`` where jobs would otherwise pool (two runs that share every coordinate value).

    >>> default_by(pd.DataFrame({"optimizer": ["gd"] * 2, "step_size": [0.1, 1.0], "seed": [0, 1]}))
    ['optimizer', 'step_size']
    """
    first = [c for c in ("optimizer", "objective", "dim") if c in frame.columns]
    rest = [c for c in frame.columns if c not in NOT_COORDINATES and c not in first]
    by = [c for c in first + rest if c == "optimizer" or frame[c].nunique(dropna=False) > 1]
    if "job" in frame.columns and frame["job"].nunique() > 1 and _jobs_pool(frame, by):
        by.insert(len([c for c in by if c in first]), "job")
    return by


def _jobs_pool(frame: pd.DataFrame, by: list[str]) -> bool:
    """Whether two jobs of ``frame`` share a value of every ``by`` key (one group would hold
    trajectories of both)."""
    if not by:
        return True
    groups = frame.groupby(by, observed=True, dropna=False, sort=False)
    return bool((groups["job"].nunique(dropna=False) > 1).any())


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
    """f* per trajectory for ``value``: 0 for "f", the known minimum for "gap" and "auto".

    The known minimum is the ``f_star`` column the store loaded (the run recorded it);
    "auto" takes 0 where it is unknown, "gap" refuses."""
    if value not in ("f", "gap", "auto"):
        raise ValueError(f"value: {value!r} is not one of 'f', 'gap', 'auto'")
    if value == "f":
        return np.zeros(len(traj))
    fstar: Array = (
        traj["f_star"].to_numpy(np.float64, na_value=np.nan)
        if "f_star" in traj
        else np.full(len(traj), np.nan)
    )
    unknown = np.isnan(fstar)
    if value == "gap" and unknown.any():
        names = (
            sorted({str(n) for n in traj["objective"].to_numpy()[unknown]})
            if "objective" in traj
            else ["these trajectories"]
        )
        raise ValueError(f"value='gap': the minimum of {', '.join(names)} is not known; use 'f'")
    return np.where(unknown, 0.0, fstar)


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
