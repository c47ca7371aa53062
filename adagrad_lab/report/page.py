"""A run's (or a multirun's) report as a folder: the figures that fit its data and index.html.

`write_report` loads the runs with `load`, draws with `plots` from the frames
of `analysis`, and writes each figure as PNG and SVG next to ``index.html``,
which shows every figure, a summary table, the command that produced the data
and which data were used. Only the trajectory columns it uses are read (`COLUMNS`).
Runs of more than `TRAJECTORY_LIMIT` trajectories are reported from a
deterministic sample, the first `SAMPLED_SEEDS` seeds of each grid point
(`load(..., seeds_per_point=...)`: contiguous index ranges, so Parquet skips the
rest); the history is read with column selection only, and when the history
to read holds more than `HISTORY_LIMIT` rows, only log-spaced iterations are
read (a pushed-down filter). The page says which was done.

Every figure stays readable whatever the sweep's size (`compare`): with
several objectives, one panel per objective; the convergence, runtime ECDF
and performance profile figures draw one curve per compared group (the
optimizer and any other coordinate that tells jobs or grid points apart),
each at its best step size (`analysis.at_best_step_size`), or, for a single
group, one curve per step size, at most `MAX_STEP_CURVES` of them; beyond
`MAX_GROUPS` groups, those with the lowest median final f. The captions and
titles say which.

Command line: ``adagrad-lab-report PATH [PATH...] [--out DIR]``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from adagrad_lab import analysis, plots
from adagrad_lab.catalog import OBJECTIVES
from adagrad_lab.report.compare import _compared, _hue, _keep_groups, _n, _size
from adagrad_lab.report.html import _page, _summary
from adagrad_lab.store import parquet as storage
from adagrad_lab.store import rundir
from adagrad_lab.store.results import Results, load
from adagrad_lab.sweep import schedule

Array = np.ndarray[Any, Any]


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
]


HISTORY_LIMIT = 2_000_000  # history rows read in full; above, only log-spaced iterations


SAMPLED_ITERS = 60  # recorded iterations read (log-spaced) from a history above the limit


N_PATHS = 5  # trajectories drawn on a contour


INDEX = "index.html"


def write_report(
    paths: str | Path | Sequence[str | Path],
    out_dir: str | Path,
    max_diverged: float | None = None,
) -> Path:
    """Write the report of ``paths`` (run or multirun directories) into ``out_dir``.

    ``max_diverged``: the largest fraction of diverged seeds at which a step size
    can be a group's best (None: the first run's ``report.max_diverged``, 0 by
    default). Returns the path of ``index.html``. Raises `storage.RunDataError`
    for a path that is not a run.
    """
    total = _trajectory_count(paths)
    sampled = total > TRAJECTORY_LIMIT
    res = load(paths, columns=COLUMNS, seeds_per_point=SAMPLED_SEEDS if sampled else None)
    if max_diverged is None:
        max_diverged = float(res.jobs[0].config.get("report", {}).get("max_diverged", 0.0))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    traj = res.trajectories
    hist, used = _history(res, total if sampled else None)
    figures: list[tuple[str, str]] = []  # (file stem, caption)
    notes: list[str] = []

    def save(fig: Figure, stem: str, caption: str) -> None:
        fig.savefig(out / f"{stem}.png", dpi=90)
        fig.savefig(out / f"{stem}.svg")
        figures.append((stem, caption))

    facet = "objective" if _n(traj, "objective") > 1 else None
    chosen = _compared(traj, facet, max_diverged)
    per_panel = ", one panel per objective" if facet else ""
    if hist is not None:
        curves = analysis.convergence((chosen.trajectories, hist), by=chosen.by)
        save(
            plots.convergence(
                curves,
                hue=chosen.hue,
                facet=facet,
                logx=True,
                scale_by=chosen.scale_by,
                figsize=None if facet else _size(curves),
                title=f"Convergence{' per objective' if facet else ''}{chosen.title}",
            ),
            "convergence",
            "Convergence: median f across seeds per iteration, 25-75% band"
            + per_panel
            + chosen.caption,
        )
    else:
        notes.append("No history (record.schedule=final): no convergence curves.")
    if "step_size" in traj and traj["step_size"].nunique() > 1:
        table = analysis.sensitivity(traj)
        hue = _hue(table, facet)
        table = _keep_groups(table, chosen.groups)
        save(
            plots.sensitivity(table, hue=hue, facet=facet),
            "sensitivity",
            "Step-size sensitivity: median final f and the fraction diverged"
            + per_panel
            + chosen.dropped,
        )
    has_target = any(job.config["sweep"].get("target") is not None for job in res.jobs)
    if hist is not None and has_target:
        times = analysis.runtimes((chosen.trajectories, hist), by=chosen.by)
        ecdf = analysis.runtime_ecdf(times, by=chosen.by)
        save(
            plots.runtime_ecdf(
                ecdf,
                hue=chosen.hue,
                facet=facet,
                figsize=None if facet else _size(ecdf),
                title=f"Runtime ECDF{' per objective' if facet else ''}{chosen.title}",
            ),
            "runtime_ecdf",
            "Runtime ECDF over the targets 1e2..1e-8 on f - f*" + per_panel + chosen.caption,
        )
    if hist is not None and len(res.jobs) > 1 and _n(traj, "objective") > 1:
        try:
            # a problem: an objective (its dimension, parameters, start box) and a target
            problem = [
                c
                for c in (
                    "objective",
                    "dim",
                    *(str(c) for c in traj if str(c).startswith("objective.")),
                )
                if _n(traj, c) > 1
            ]
            solver = [h for h in chosen.hue if h not in problem] or chosen.hue or ["optimizer"]
            problem = [c for c in problem if c not in solver]
            profile = analysis.performance_profile(
                analysis.runtimes((chosen.trajectories, hist), by=[*problem, *solver]),
                problem=[*problem, "target"],
                solver=solver,
            )
            save(
                plots.performance_profile(
                    profile,
                    hue=solver,
                    figsize=_size(profile),
                    title=f"Performance profile{chosen.title}",
                ),
                "performance_profile",
                "Performance profile: a problem is one ("
                + ", ".join(plots.AXIS_LABELS.get(p, p) for p in [*problem, "target"])
                + "), targets 1e2..1e-8 on f - f*; a solver's cost is its median iterations "
                "to reach the target"
                + (
                    ", each solver at its best step size on the objective (see 'Best step "
                    "size per group')"
                    if chosen.title
                    else ""
                )
                + chosen.dropped,
            )
        except (ValueError, KeyError) as exc:  # e.g. no solver coordinate to compare
            notes.append(f"No performance profile: {exc}")
    for name, bounds, points, job_name in _two_d(res):
        drawn = _paths(res, job_name) if points else []
        if not points:
            notes.append(f"{name}: contour without paths (record.points=false).")
        save(
            plots.contour(name, bounds=bounds, paths=drawn or None),
            f"contour_{name}",
            f"Contour of {name}" + (f" with {len(drawn)} trajectories" if drawn else ""),
        )
        save(plots.surface(name, bounds=bounds), f"surface_{name}", f"Surface of {name}")
    index = out / INDEX
    summary = _summary(traj, max_diverged)
    index.write_text(_page(res, figures, summary, used, notes, max_diverged), encoding="utf-8")
    return index


def _trajectory_count(paths: str | Path | Sequence[str | Path]) -> int:
    """Trajectories the runs under ``paths`` hold, from their manifests (nothing else read)."""
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    total = 0
    for item in items:
        for run in rundir.runs_under(Path(item)):
            with contextlib.suppress(storage.RunDataError, OSError, ValueError):
                total += int(storage.read_manifest(run).get("n_trajectories") or 0)
    return total


def _history(res: Results, total: int | None = None) -> tuple[pd.DataFrame | None, str]:
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


def _two_d(res: Results) -> list[tuple[str, Any, bool, str]]:
    """(objective, bounds, points recorded, job) for each 2-D built-in objective of the runs."""
    out: dict[str, tuple[str, Any, bool, str]] = {}
    for job in res.jobs:
        cfg = job.config
        name = cfg["objective"]["name"]
        if name not in OBJECTIVES or name == "custom" or int(cfg["objective"]["dim"]) != 2:
            continue
        bounds = cfg["objective"].get("bounds")
        points = bool(cfg["record"].get("points")) and cfg["record"]["schedule"] != "final"
        if name not in out or (points and not out[name][2]):
            out[name] = (name, tuple(bounds) if bounds else None, points, job.name)
    return list(out.values())


def _paths(res: Results, job_name: str) -> list[np.ndarray[Any, Any]]:
    """Up to `N_PATHS` trajectories of ``job_name`` (the first seed, spread over step sizes)."""
    traj = res.trajectories
    mine = traj[traj["job"] == job_name]
    first = mine[mine["seed"] == mine["seed"].min()]
    take = np.unique(np.linspace(0, len(first) - 1, min(N_PATHS, len(first))).round().astype(int))
    ids = [int(t) for t in first["trajectory"].to_numpy()[take]]
    hist = res.history(["trajectory", "iter", "x"], filters=[("trajectory", "in", ids)])
    hist = hist[hist["job"] == job_name].drop(columns="job")
    return plots.paths_from_history(hist) if len(hist) else []
