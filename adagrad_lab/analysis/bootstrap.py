"""Bootstrap confidence intervals on the medians and fractions the tables report: seeded,
so that a report recomputed from the same runs shows the same intervals.

The percentile bootstrap (Efron and Tibshirani, *An Introduction to the Bootstrap*, 1993,
ch. 13): resample a group's trajectories with replacement ``resamples`` times, compute the
statistic on each resample, and take the ``(1 - level) / 2`` and ``(1 + level) / 2``
quantiles of those. Draws come from ``numpy.random.default_rng(seed)``, made afresh for
every group: a group's interval does not depend on which other groups the frame holds, and
groups of the same size draw the same indices. A group's trajectories are put in seed order
first, so two step sizes that ran the same seeds resample the same start points (the
paired bootstrap of common random numbers).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from adagrad_lab.analysis.checks import (
    _choice,
    _columns,
    _count,
    _data,
    _open_fraction,
    _seed,
)
from adagrad_lab.analysis.values import (
    Array,
    Data,
    _outcomes,
    _per_group,
    _trajectories,
    column_quantiles,
    default_by,
)

DEFAULT_RESAMPLES = 1000  # between seeds an end moves by about 2% of the width (sd; 100 seeds)

DEFAULT_LEVEL = 0.95

STATISTICS = ("median", "mean")

# resampled values held at once (float64): bounds the memory of a group of many seeds
_BLOCK = 1 << 22


def bootstrap_interval(
    values: Sequence[float] | Array,
    statistic: str = "median",
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> tuple[float, float]:
    """The percentile bootstrap interval of the median (or mean) of ``values``.

    The indices of the ``resamples`` resamples are those of one call of
    ``numpy.random.default_rng(seed).integers(0, n, (resamples, n))`` (drawn in
    blocks of rows, the same numbers, so a group of many seeds stays in memory). +inf is a
    value like any other (a median over mostly diverged seeds is +inf, and so is
    its upper end); NaN is refused. Constant values give a zero-width interval.

    >>> bootstrap_interval([1.0, 1.0, 1.0])
    (1.0, 1.0)
    >>> lo, hi = bootstrap_interval([1.0, 2.0, 3.0, 4.0, 5.0], seed=1)
    >>> bool(1.0 <= lo <= 3.0 <= hi <= 5.0)
    True
    """
    _choice(statistic, "statistic", STATISTICS)
    resamples, level, seed = _settings(resamples, level, seed)
    try:
        v = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"values: a list of numbers, not {values!r}") from None
    if v.ndim != 1 or v.size == 0 or np.isnan(v).any():
        raise ValueError("values: a non-empty 1-D list of numbers, none NaN")
    lo, hi = _interval(v, statistic, resamples, level, seed)
    return lo, hi


def bootstrap_median(
    data: Data,
    by: Sequence[str] | None = None,
    value: str = "f",
    column: str = "final",
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> pd.DataFrame:
    """Per group, the median final (or best) f over trajectories and its bootstrap interval.

    Groups as in `sensitivity` (default: every swept setting, ``step_size``
    last), so the rows line up with its ``final_q0.5``; a diverged trajectory's
    final value is +inf. ``value`` is "f", "gap" or "auto" as there; ``column``
    "final" or "best". Columns: the group keys, ``n``, ``median``, ``lower``,
    ``upper`` (the ``level`` interval from ``resamples`` resamples drawn from
    ``seed``, see `bootstrap_interval`), ``level``.

    >>> bootstrap_median(res, resamples=2000, seed=1)  # doctest: +SKIP
    """
    column = _choice(column, "column", ("final", "best"))
    frame, keys = _prepared(data, by, value)
    resamples, level, seed = _settings(resamples, level, seed)

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        v = g[column].to_numpy(np.float64)
        lo, hi = _interval(v, "median", resamples, level, seed)
        median = float(column_quantiles(v, [0.5])[0, 0])
        row = {"n": [len(v)], "median": [median], "lower": [lo], "upper": [hi], "level": [level]}
        return pd.DataFrame(row)

    return _per_group(frame, keys, per_group, frame)


def bootstrap_fraction(
    data: Data,
    by: Sequence[str] | None = None,
    outcome: str = "converged",
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> pd.DataFrame:
    """Per group, the fraction of trajectories that converged (or diverged) and its bootstrap
    interval.

    Groups as in `bootstrap_median`. Columns: the group keys, ``n``, the
    ``outcome`` ("converged" or "diverged": the fraction, as `sensitivity`
    names it), ``lower``, ``upper``, ``level``. A fraction of exactly 0 or 1 has a
    zero-width interval: no resample can show what the sample never did (with
    n seeds and none diverged, the rule of three still allows up to 3/n).

    >>> bootstrap_fraction(res, outcome="diverged")  # doctest: +SKIP
    """
    outcome = _choice(outcome, "outcome", ("converged", "diverged"))
    frame, keys = _prepared(data, by, "f")
    resamples, level, seed = _settings(resamples, level, seed)

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        v = g[outcome].to_numpy(np.float64)
        lo, hi = _interval(v, "mean", resamples, level, seed)
        row = {"n": [len(v)], outcome: [v.mean()], "lower": [lo], "upper": [hi], "level": [level]}
        return pd.DataFrame(row)

    return _per_group(frame, keys, per_group, frame)


def bootstrap_outcomes(
    data: Data,
    by: Sequence[str] | None = None,
    value: str = "f",
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> pd.DataFrame:
    """Per group, the median final f and the fractions converged and diverged, each with its
    bootstrap interval, from one set of resamples per group.

    The numbers equal `bootstrap_median`'s and `bootstrap_fraction`'s with the same
    arguments (which draw the same indices for a group), for a third of the draws: what
    a summary table shows in one pass. Columns: the group keys, ``n``, then ``median``,
    ``converged`` and ``diverged``, each followed by its ``_lower`` and ``_upper``, and
    ``level``.

    >>> bootstrap_outcomes(res, seed=0)  # doctest: +SKIP
    """
    frame, keys = _prepared(data, by, value)
    resamples, level, seed = _settings(resamples, level, seed)
    # (the column named, the outcome resampled, the statistic)
    names = [("median", "final", "median"), ("converged", "converged", "mean")]
    names.append(("diverged", "diverged", "mean"))

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        columns = [g[c].to_numpy(np.float64) for _, c, _ in names]
        found = _intervals(columns, [s for _, _, s in names], resamples, level, seed)
        row: dict[str, list[float]] = {"n": [len(g)]}
        for (name, _, statistic), v, (lo, hi) in zip(names, columns, found, strict=True):
            centre = column_quantiles(v, [0.5])[0, 0] if statistic == "median" else v.mean()
            row |= {name: [float(centre)], f"{name}_lower": [lo], f"{name}_upper": [hi]}
        return pd.DataFrame(row | {"level": [level]})

    return _per_group(frame, keys, per_group, frame)


def _prepared(data: Data, by: Sequence[str] | None, value: str) -> tuple[pd.DataFrame, list[str]]:
    """The outcomes per trajectory in seed order, and the group keys (step size last)."""
    _data(data, history=False)
    _choice(value, "value", ("f", "gap", "auto"))
    traj = _trajectories(data)
    chosen = default_by(traj) if by is None else _columns(traj, by, "by")
    keys = [k for k in chosen if k != "step_size"]
    if "step_size" in traj.columns and (by is None or "step_size" in chosen):
        keys.append("step_size")
    order = [c for c in ("seed", "job", "trajectory") if c in traj.columns]
    frame = _outcomes(traj, value)
    return (frame.sort_values(order, kind="stable") if order else frame), keys


def _settings(resamples: int, level: float, seed: int) -> tuple[int, float, int]:
    return _count(resamples, "resamples"), _open_fraction(level, "level"), _seed(seed)


def _interval(
    v: Array, statistic: str, resamples: int, level: float, seed: int
) -> tuple[float, float]:
    """The percentile interval of ``statistic`` over ``resamples`` resamples of ``v``."""
    return _intervals([v], [statistic], resamples, level, seed)[0]


def _intervals(
    columns: Sequence[Array], statistics: Sequence[str], resamples: int, level: float, seed: int
) -> list[tuple[float, float]]:
    """The percentile interval of each ``statistics[i]`` of ``columns[i]`` (all of one length),
    every column resampled at the same indices: those `_interval` draws for one."""
    n = len(columns[0])
    rng = np.random.default_rng(seed)
    stats = np.empty((len(columns), resamples))
    rows = max(1, _BLOCK // n)
    # drawn in blocks of rows, the same stream as one (resamples, n) call: memory stays
    # bounded for a group of many seeds
    for start in range(0, resamples, rows):
        at = rng.integers(0, n, size=(min(rows, resamples - start), n))
        for i, (v, statistic) in enumerate(zip(columns, statistics, strict=True)):
            drawn = v[at]
            stats[i, start : start + rows] = (
                np.median(drawn, axis=1) if statistic == "median" else drawn.mean(axis=1)
            )
    alpha = (1.0 - level) / 2
    bounds = column_quantiles(stats.T, [alpha, 1.0 - alpha])
    return [(float(lo), float(hi)) for lo, hi in bounds.T]
