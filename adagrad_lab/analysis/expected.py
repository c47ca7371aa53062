"""COCO's expected running time (aRT) per target, beside the median runtime: what a restart
strategy pays, on average, to reach a target once.

aRT (Hansen et al., "COCO: performance assessment", 2022; Auger and Hansen 2005's ERT) is
the number of iterations summed over all trajectories, each successful one's runtime to
the target and each unsuccessful one's whole run, divided by the number of successes.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd

from adagrad_lab.analysis.checks import _choice, _columns, _data, _floats
from adagrad_lab.analysis.runtimes import DEFAULT_TARGETS, runtimes
from adagrad_lab.analysis.values import (
    INF,
    Array,
    Data,
    _diverged_at,
    _keys,
    _per_group,
    _trajectories,
    column_quantiles,
    default_by,
)
from adagrad_lab.store.results import Results


def run_lengths(
    data: Data, n_iter: int | None = None, stop_at_target: bool | None = None
) -> pd.Series:
    """The iterations each trajectory ran, in the order of the trajectories frame.

    A diverged trajectory ran to its ``diverged_at``; one that reached the run's
    target with ``sweep.stop_at_target`` to its ``iters_to_target``; every other
    one the run's ``sweep.n_iter``. Both settings come from the arguments where
    given, else from the frame's columns ``sweep.n_iter`` and
    ``sweep.stop_at_target``, else from each job's config (a `Results`). For
    ``(trajectories, history)`` without them, from the history: the schedule
    always records ``n_iter``, so a trajectory that neither diverged nor stopped
    ran to its last recorded iteration, or to its ``iters_to_target`` if that is
    later (it stopped there). A trajectories frame alone needs ``n_iter``.

    >>> run_lengths(traj, n_iter=1000)  # doctest: +SKIP
    """
    _data(data, history=False)
    traj = _trajectories(data)
    budget = _setting(data, traj, "n_iter", n_iter)
    stops = _setting(data, traj, "stop_at_target", stop_at_target)
    hit = traj["iters_to_target"].astype("Float64").fillna(INF).to_numpy(np.float64)
    converged = (traj["status"] == "converged").to_numpy(bool) if "status" in traj else hit < INF
    if budget is None and isinstance(data, tuple):
        last = _last_recorded(traj, data[1])
        length = np.where(converged & np.isfinite(hit), np.fmax(last, hit), last)
    elif budget is None:
        raise ValueError("n_iter: the run length is unknown: pass n_iter (the run's sweep.n_iter)")
    else:
        stops = np.zeros(len(traj), bool) if stops is None else stops.astype(bool)
        length = np.where(stops & converged & np.isfinite(hit), hit, budget.astype(np.float64))
    died = _diverged_at(traj)
    length = np.where(np.isfinite(died), died, length)
    if np.isnan(length).any():
        raise ValueError("data: a trajectory has no history rows; pass n_iter")
    return pd.Series(length.astype(np.int64), index=traj.index, name="run_length")


def expected_runtime(
    data: Data,
    targets: Sequence[float] | Array = DEFAULT_TARGETS,
    by: Sequence[str] | None = None,
    value: str = "auto",
    n_iter: int | None = None,
    stop_at_target: bool | None = None,
    times: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per group and target: COCO's aRT, the success rate and the median runtime.

    A trajectory succeeds at a target when its value (``value`` as in
    `runtimes`: the gap f - f* where f* is known) is <= target at a recorded
    iteration before any divergence; its runtime is the first such iteration
    (at the history's resolution). ``art`` is the sum of the successes'
    runtimes and the failures' `run_lengths`, divided by the successes; +inf
    where none succeeded. ``median_runtime`` counts a failure as +inf (so it is
    +inf once half fail), as `performance_ratios` does. Columns: the group
    keys, ``target``, ``n``, ``successes``, ``success`` (their fraction),
    ``evaluations`` (the sum), ``art``, ``median_runtime``. ``n_iter`` and
    ``stop_at_target`` as in `run_lengths`. ``times``: the `runtimes` frame of the same
    trajectories, ``by`` and ``value`` where one is at hand (a report's ECDF), so the
    history is not searched again; its targets are then the ones used.

    >>> expected_runtime(res, targets=[1e-2, 1e-6], by=["optimizer", "step_size"])  # doctest: +SKIP
    """
    _data(data, history=True)
    _choice(value, "value", ("f", "gap", "auto"))
    targets = _floats(targets, "targets")
    traj = _trajectories(data)
    by = default_by(traj) if by is None else _columns(traj, by, "by")
    keys = _keys(traj)
    lengths = traj[keys].assign(run_length=run_lengths(data, n_iter, stop_at_target).to_numpy())
    if times is None:
        times = runtimes(data, targets, by, value)
    else:
        _columns(times, [*keys, *by, "target", "runtime"], "times")
    hits = times.merge(lengths, on=keys, how="left")
    frame = traj[list(dict.fromkeys([*keys, *by]))]

    def per_group(g: pd.DataFrame) -> pd.DataFrame:
        r = g["runtime"].to_numpy(np.float64)
        ok = np.isfinite(r)
        spent = np.where(ok, r, g["run_length"].to_numpy(np.float64))
        t = g["target"].to_numpy(np.float64)
        rows = []
        for target in np.unique(t):
            mine = t == target
            wins, total = int(ok[mine].sum()), float(spent[mine].sum())
            median = column_quantiles(np.where(ok[mine], r[mine], INF), [0.5])[0, 0]
            rows.append(
                {"target": target, "n": int(mine.sum()), "successes": wins}
                | {"success": wins / mine.sum(), "evaluations": total}
                | {"art": total / wins if wins else INF, "median_runtime": median}
            )
        return pd.DataFrame(rows)

    out = _per_group(hits, by, per_group, frame)
    ordered: pd.DataFrame = out.sort_values([*by, "target"], ascending=[True] * len(by) + [False])
    return ordered.reset_index(drop=True)


def _last_recorded(traj: pd.DataFrame, hist: pd.DataFrame) -> Array:
    """Each trajectory's last recorded iteration (NaN: none)."""
    keys = _keys(hist)
    last = hist.groupby(keys, observed=True)["iter"].max().rename("_last").reset_index()
    at: Array = traj[keys].merge(last, on=keys, how="left")["_last"].to_numpy(np.float64)
    return at


def _setting(data: Data, traj: pd.DataFrame, name: str, given: object) -> Array | None:
    """``sweep.<name>`` per trajectory: the argument, the frame's column, or each job's config."""
    if given is not None:
        if name == "n_iter" and (
            isinstance(given, bool) or not isinstance(given, numbers.Integral) or given < 0
        ):
            raise ValueError(f"n_iter: a non-negative integer, not {given!r}")
        if name == "stop_at_target" and not isinstance(given, bool | np.bool_):
            raise ValueError(f"stop_at_target: True or False, not {given!r}")
        return np.full(len(traj), given)
    column = f"sweep.{name}"
    if column in traj.columns:
        values: Array = traj[column].to_numpy()
        return values
    if isinstance(data, Results) and data.jobs:
        per_job = {job.name: job.config["sweep"][name] for job in data.jobs}
        return traj["job"].astype(str).map(per_job).to_numpy()
    return None
