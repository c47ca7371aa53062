"""Runtime ECDFs aggregated over problems, as COCO draws them, and the area under them.

COCO's bootstrapped ECDF over a suite (Hansen et al., "COCO: performance assessment",
2022) gives each (problem, target) pair the same weight, whatever the number of
trajectories run on it: a problem with 1,000 seeds counts as much as one with 10. Here a
problem is an objective, its dimension and its other ``objective.*`` settings, so the
jobs of a multirun over objectives and dimensions aggregate into one curve per solver.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from adagrad_lab.analysis.checks import _choice, _columns, _floats, _iterations
from adagrad_lab.analysis.runtimes import DEFAULT_TARGETS, runtimes
from adagrad_lab.analysis.values import (
    Array,
    Data,
    _is,
    _per_group,
    _problem_keys,
    default_by,
)


def aggregated_ecdf(
    data: Data,
    by: Sequence[str] | None = None,
    problem: Sequence[str] | None = None,
    iters: Sequence[int] | Array | None = None,
    targets: Sequence[float] | Array = DEFAULT_TARGETS,
    value: str = "auto",
) -> pd.DataFrame:
    """Per solver, the fraction of (problem, target) pairs solved by each iteration, each
    pair weighted equally.

    Within a pair the fraction is that of its trajectories whose runtime is at
    most the iteration (unreached: never); the solver's curve is the mean over
    every pair of the frame, a pair the solver did not run counting as
    unsolved. ``problem`` defaults to (objective, dim, the other ``objective.*``
    columns) present in the frame; ``by`` (the solver) to the varying
    coordinates that are not problem keys. ``data`` is a `runtimes` frame or
    what `runtimes` takes (then with ``targets`` and ``value``). The iterations
    are ``iters``, or 0 and every distinct runtime (one grid for all solvers:
    the curve is exact between them). Columns: the solver keys, ``iter``,
    ``fraction``, ``pairs`` (the pairs averaged over).

    >>> ecdf = aggregated_ecdf(res, by=["optimizer"], targets=[1e-2, 1e-4, 1e-6])  # doctest: +SKIP
    >>> ecdf_area(ecdf)  # doctest: +SKIP
    """
    if _is(data, "runtime"):
        assert isinstance(data, pd.DataFrame)
        frame = data
    else:
        _choice(value, "value", ("f", "gap", "auto"))
        frame = runtimes(data, _floats(targets, "targets"), value=value)
    if "target" not in frame.columns or frame.empty:
        raise ValueError("data: a runtimes frame needs rows and a target column")
    problem = (
        [k for k in _problem_keys(frame) if k != "target"]
        if problem is None
        else _columns(frame, problem, "problem")
    )
    pair = [*problem, "target"]
    solver = (
        [c for c in default_by(frame) if c not in pair] if by is None else _columns(frame, by, "by")
    )
    if overlap := [k for k in solver if k in pair]:
        raise ValueError(f"by: {', '.join(overlap)} is a problem key (problem={problem})")
    every = frame["runtime"].to_numpy(np.float64)
    grid = (
        np.unique([0.0, *every[np.isfinite(every)]])
        if iters is None
        else _iterations(iters, "iters").astype(np.float64)
    )
    pairs = len(frame[pair].drop_duplicates())
    # each trajectory's share of its solver's curve: 1 / (its pair's trajectories x pairs)
    size = frame.groupby([*solver, *pair], observed=True, dropna=False)["runtime"].transform("size")
    weighted = frame.assign(_w=1.0 / (size.to_numpy(np.float64) * pairs))

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        r = g["runtime"].to_numpy(np.float64)
        solved = np.isfinite(r)
        order = np.argsort(r[solved], kind="stable")
        cumulative = np.concatenate([[0.0], np.cumsum(g["_w"].to_numpy(np.float64)[solved][order])])
        at = np.searchsorted(r[solved][order], grid, side="right")
        return pd.DataFrame({"iter": grid, "fraction": cumulative[at], "pairs": pairs})

    out = _per_group(weighted, solver, per_group, frame)
    out["fraction"] = out["fraction"].clip(upper=1.0)  # the weights' rounding, never above 1
    return out


def ecdf_area(
    ecdf: pd.DataFrame,
    by: Sequence[str] | None = None,
    lower: int = 0,
    upper: int | None = None,
) -> pd.DataFrame:
    """The normalized area under each runtime ECDF on a log axis of iteration + 1.

    The ECDF is the step function through the frame's points (`aggregated_ecdf`'s
    or `runtime_ecdf`'s: ``iter``, ``fraction``; 0 before its first point, its
    last value after the last), integrated over ``log10(iter + 1)`` from
    ``lower`` to ``upper`` iterations (default: 0 to the largest ``iter`` of the
    frame, the same range for every group) and divided by the width of that
    range: 1 solves every pair at ``lower``, 0 none by ``upper``. Compare areas
    only over the same range. ``by`` defaults to every column but ``iter``,
    ``fraction`` and ``pairs``. Columns: the group keys, ``auc``, ``lower``,
    ``upper``.

    >>> ecdf_area(runtime_ecdf(res), upper=1000)  # doctest: +SKIP
    """
    if not isinstance(ecdf, pd.DataFrame) or not {"iter", "fraction"} <= set(ecdf.columns):
        raise ValueError("ecdf: a frame with iter and fraction columns (aggregated_ecdf's)")
    if ecdf.empty:
        raise ValueError("ecdf: the frame has no rows")
    rest = [c for c in ecdf.columns if c not in ("iter", "fraction", "pairs")]
    keys = rest if by is None else _columns(ecdf, by, "by")
    lo = int(_iterations([lower], "lower")[0])
    hi = int(ecdf["iter"].max()) if upper is None else int(_iterations([upper], "upper")[0])
    if hi <= lo:
        raise ValueError(f"upper: more iterations than lower ({lo}), not {hi}")
    left, right = np.log10(lo + 1.0), np.log10(hi + 1.0)

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        if g["iter"].duplicated().any():
            raise ValueError("by: a group has more than one row per iter: name every group key")
        g = g.sort_values("iter")
        x = np.log10(g["iter"].to_numpy(np.float64) + 1.0)
        f = g["fraction"].to_numpy(np.float64)
        start = np.clip(x, left, right)
        end = np.clip(np.append(x[1:], right), left, right)
        area = float((f * (end - start)).sum()) / (right - left)
        return pd.DataFrame({"auc": [area], "lower": [lo], "upper": [hi]})

    return _per_group(ecdf, keys, per_group, ecdf)
