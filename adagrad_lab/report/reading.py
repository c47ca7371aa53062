"""What a report reads of its runs: every trajectory up to `TRAJECTORY_LIMIT`, else a
deterministic sample (the first `SAMPLED_SEEDS` seeds of each grid point); the history's
columns the figures use, at log-spaced iterations when it holds more than `HISTORY_LIMIT`
rows. Each function also says, in words for the page, what was read."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from adagrad_lab.store import parquet as storage
from adagrad_lab.store import rundir
from adagrad_lab.store.results import Results, load
from adagrad_lab.sweep import schedule

TRAJECTORY_LIMIT = 1_000_000  # trajectories read in full; above, a deterministic sample


SAMPLED_SEEDS = 10_000  # above the limit: the first SAMPLED_SEEDS seeds of each grid point


# the trajectory columns the report uses besides the grid's, which `load` always reads
# (not the lists x0, x_final: 10 M of them are GBs)
COLUMNS = [
    "trajectory",
    "seed",
    "optimizer",
    "objective",
    "dim",
    "f_final",
    "f_best",
    "iters_to_target",
    "status",
    "diverged_at",
    "f_star",
]


HISTORY_LIMIT = 2_000_000  # history rows read in full; above, only log-spaced iterations


SAMPLED_ITERS = 60  # recorded iterations read (log-spaced) from a history above the limit


def runs(paths: str | Path | Sequence[str | Path]) -> tuple[Results, int | None]:
    """The runs under ``paths``, sampled above `TRAJECTORY_LIMIT`; and their trajectory count
    when sampled (None when every trajectory was read)."""
    total = trajectory_count(paths)
    sampled = total > TRAJECTORY_LIMIT
    res = load(paths, columns=COLUMNS, seeds_per_point=SAMPLED_SEEDS if sampled else None)
    return res, total if sampled else None


def trajectory_count(paths: str | Path | Sequence[str | Path]) -> int:
    """Trajectories the runs under ``paths`` hold, from their manifests (nothing else read)."""
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    total = 0
    for item in items:
        for run in rundir.runs_under(Path(item)):
            with contextlib.suppress(storage.RunDataError, OSError, ValueError):
                total += int(storage.read_manifest(run).get("n_trajectories") or 0)
    return total


def history(res: Results, total: int | None = None) -> tuple[pd.DataFrame | None, str]:
    """The history columns the figures need, sampled above `HISTORY_LIMIT`; and what was read.

    ``total``: the runs' trajectories when ``res`` holds a sample of them."""
    rows = _history_rows(res)
    if total is not None and total > 0:
        rows = rows * len(res.trajectories) // total  # the sample's share
    if rows == 0:
        return None, "trajectories only (no history recorded)"
    columns = ["trajectory", "iter", "f"]
    which = (
        f"all {len(res.trajectories)} trajectories"
        if total is None
        else (
            f"a deterministic sample of {len(res.trajectories)} of the {total} trajectories "
            f"(more than {TRAJECTORY_LIMIT}): the first {SAMPLED_SEEDS} seeds of each grid "
            "point, the same start points at every step size; every figure and the summary "
            "are computed from that sample"
        )
    )
    if rows <= HISTORY_LIMIT:
        hist = res.history(columns)
        return hist, f"{which}, every recorded iteration"
    n_iter = max(int(job.config["sweep"]["n_iter"]) for job in res.jobs)
    wanted, recorded = _sampled_iterations(res, n_iter)
    if len(wanted) >= recorded:  # the jobs recorded no more iterations than would be read
        hist = res.history(columns)
        return hist, (
            f"{which}, every recorded iteration ({recorded} of 0..{n_iter}: their history has "
            f"{rows} rows, more than {HISTORY_LIMIT}, but no more iterations than a sample "
            f"of {SAMPLED_ITERS} would read)"
        )
    hist = res.history(columns, filters=[("iter", "in", wanted)])
    return hist, (
        f"{which}; their history has {rows} rows (more than "
        f"{HISTORY_LIMIT}), so only {len(wanted)} log-spaced iterations of the {recorded} "
        f"recorded in 0..{n_iter} were read (convergence curves between them and runtimes "
        "are at those iterations)"
    )


def _sampled_iterations(res: Results, n_iter: int) -> tuple[list[int], int]:
    """About `SAMPLED_ITERS` of the iterations the jobs recorded, log-spaced: all of them when
    they are fewer, else the first recorded at or after each of log-spaced 1..n_iter, with 0
    and the last; and how many iterations the jobs recorded."""
    recorded = np.unique(
        np.concatenate(
            [
                schedule.record_iterations(
                    str(rec.get("schedule", "every")),
                    int(job.config["sweep"]["n_iter"]),
                    int(rec.get("every") or 1),
                    int(rec.get("points_per_decade") or 10),
                )
                for job in res.jobs
                for rec in [job.config.get("record") or {}]
            ]
        )
    )
    wanted = recorded
    if len(recorded) > SAMPLED_ITERS:
        marks = np.geomspace(1, max(n_iter, 1), SAMPLED_ITERS)
        at = np.minimum(np.searchsorted(recorded, marks), len(recorded) - 1)
        wanted = np.unique([recorded[0], *recorded[at], recorded[-1]])
    return [int(i) for i in wanted], len(recorded)


def _history_rows(res: Results) -> int:
    """Rows of the history files of every job, from the Parquet footers."""
    return sum(storage.row_count(res.files(job.name, storage.HISTORY)) for job in res.jobs)
