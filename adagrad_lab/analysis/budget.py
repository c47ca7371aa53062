"""The fixed-budget view: how far from the optimum each group is after k iterations.

Where a runtime ECDF fixes a target and measures the iterations, this fixes the iterations
(the budget) and measures the value reached, the other cut through the same curves
(Hansen et al., "COCO: performance assessment", 2022, sec. 2; IOHprofiler's fixed-budget
view).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from adagrad_lab.analysis.checks import _choice, _columns, _data, _iterations
from adagrad_lab.analysis.expected import run_lengths
from adagrad_lab.analysis.values import (
    INF,
    QUANTILES,
    Array,
    Data,
    _diverged_at,
    _history,
    _keys,
    _name,
    _optimum,
    _per_group,
    _trajectories,
    _values,
    column_quantiles,
    default_by,
)
from adagrad_lab.store.results import Results


def fixed_budget(
    data: Data,
    budgets: Sequence[int] | Array | None = None,
    by: Sequence[str] | None = None,
    value: str = "auto",
    quantiles: Sequence[float] = QUANTILES,
    best: bool = False,
) -> pd.DataFrame:
    """Per group and budget k: quantiles over trajectories of f - f* after k iterations.

    A trajectory's value at k is its value at its last recorded iteration at or
    before k (``best=True``: the least value recorded up to k, COCO's
    best-so-far); from the end of its run on (`run_lengths`: it ran to n_iter
    or stopped at its target) its final (best) value, exact whatever the
    schedule; +inf from its divergence on, in both modes, so a diverging
    setting is never credited with a point it passed. ``value`` as in
    `runtimes` (the gap where f* is known). ``budgets`` defaults to 1, 10,
    100, ... up to the largest recorded iteration, and that one. Groups as in
    `convergence`. Columns: the group keys, ``budget``, ``n``, ``q<quantile>``.

    >>> fixed_budget(res, budgets=[10, 100, 1000], by=["optimizer", "step_size"])  # doctest: +SKIP
    """
    _data(data, history=True)
    _choice(value, "value", ("f", "gap", "auto"))
    if not isinstance(best, bool | np.bool_):
        raise ValueError(f"best: True or False, not {best!r}")
    qs = list(quantiles)
    if not qs or not all(isinstance(q, float | int) and 0 <= q <= 1 for q in qs):
        raise ValueError(f"quantiles: numbers in [0, 1], not {quantiles!r}")
    traj = _trajectories(data)
    by = default_by(traj) if by is None else _columns(traj, by, "by")
    ks = None if budgets is None else _iterations(budgets, "budgets")
    hist = history_upto(data, None if ks is None else int(ks[-1]))
    if ks is None:
        top = int(hist["iter"].max())
        ks = np.unique([*(10 ** np.arange(len(str(top)))), top]).astype(np.int64)
    at = values_after(data, traj, hist, ks, value, best)
    frame = traj[list(dict.fromkeys([*_keys(traj), *by]))]
    wide = frame.assign(**{f"_k{i}": at[:, i] for i in range(len(ks))})

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        v = g[[f"_k{i}" for i in range(len(ks))]].to_numpy(np.float64)
        q = column_quantiles(v, qs)
        out = pd.DataFrame({"budget": ks, "n": (~np.isnan(v)).sum(axis=0)})
        return out.assign(**{_name(p): q[i] for i, p in enumerate(qs)})

    return _per_group(wide, by, per_group, frame)


def history_upto(data: Data, budget: int | None) -> pd.DataFrame:
    """The f history the values after ``budget`` iterations need: a `Results` reads only the
    rows up to it (its run lengths come from the config); frames keep every row, as their
    run lengths are read from the history."""
    upto = None if budget is None or not isinstance(data, Results) else [("iter", "<=", budget)]
    return _history(data, ["trajectory", "iter", "f"], upto)


def values_after(
    data: Data, traj: pd.DataFrame, hist: pd.DataFrame, ks: Array, value: str, best: bool
) -> Array:
    """(trajectories, budgets): each trajectory's value after each budget in ``ks``, by the
    rule of `fixed_budget`, from ``hist`` (`history_upto`'s)."""
    lengths = run_lengths(data if isinstance(data, Results) else (traj, hist))
    return _values_at(traj, hist, ks, value, best, lengths.to_numpy())


def _values_at(
    traj: pd.DataFrame, hist: pd.DataFrame, ks: Array, value: str, best: bool, length: Array
) -> Array:
    """(trajectories, budgets): each trajectory's value after each budget."""
    keys = _keys(traj)
    h = _values(traj, hist[hist["iter"] <= ks.max()], value, [])
    code = pd.MultiIndex.from_frame(traj[keys]).get_indexer(pd.MultiIndex.from_frame(h[keys]))
    # one sorted key per row, (trajectory, iter): the last row at or before (t, k) by bisection
    span = int(ks.max()) + 2
    rows = code.astype(np.int64) * span + h["iter"].to_numpy(np.int64)
    order = np.argsort(rows, kind="stable")
    rows, v = rows[order], h["v"].to_numpy(np.float64)[order]
    if best:
        v = pd.Series(v).groupby(code[order]).cummin().to_numpy(np.float64)
    mine = np.arange(len(traj), dtype=np.int64)[:, None]
    pos = np.searchsorted(rows, mine * span + ks[None, :], side="right") - 1
    found = (pos >= 0) & (rows[np.clip(pos, 0, None)] // span == mine)
    out = np.where(found, v[np.clip(pos, 0, None)], np.nan)
    end = traj["f_best" if best else "f_final"].to_numpy(np.float64) - _optimum(traj, value)
    out = np.where(ks[None, :] >= length[:, None], np.where(np.isnan(end), INF, end)[:, None], out)
    at: Array = np.where(ks[None, :] >= _diverged_at(traj)[:, None], INF, out)
    return at
