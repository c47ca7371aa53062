"""The report's contours and surfaces: one per 2-D objective of the runs, drawn from the
landscape each run wrote (`store.landscape`) with a few of its trajectories' paths."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np

from adagrad_lab import plots
from adagrad_lab.report.render import Save
from adagrad_lab.store.landscape import LANDSCAPE, Landscape, read_landscape
from adagrad_lab.store.results import Job, Results

Array = np.ndarray[Any, Any]

N_PATHS = 5  # trajectories drawn on a contour


def draw(res: Results, save: Save, notes: list[str]) -> None:
    """Save a contour per 2-D objective of ``res`` (with paths where points were recorded)
    and its surface where it shows something (not for an ill-conditioned objective, whose
    surface is a flat sheet with one wall); say on the page what could not be drawn."""
    for job, found, points in _two_d(res, notes):
        name = found.objective or str(job.config["objective"]["name"])
        drawn = _paths(res, job.name) if points else []
        if not points:
            notes.append(f"{name}: contour without paths (record.points=false).")
        save(
            partial(plots.contour, found, paths=drawn or None, title=name),
            f"contour_{name}",
            f"Contour of {name}"
            + (" (the steep coordinate on a symmetric-log scale)" if found.conditioned else "")
            + (f" with {len(drawn)} trajectories" if drawn else ""),
        )
        if not found.conditioned:
            save(partial(plots.surface, found, title=name), f"surface_{name}", f"Surface of {name}")


def _two_d(res: Results, notes: list[str]) -> Iterator[tuple[Job, Landscape, bool]]:
    """(job, its landscape, points recorded) for each 2-D objective of the runs, the first
    job that recorded points where several ran it."""
    chosen: dict[str, tuple[Job, bool]] = {}
    for job in res.jobs:
        cfg = job.config
        name = str(cfg["objective"]["name"])
        if name == "custom" or cfg["objective"].get("dim") != 2:
            continue
        points = bool(cfg["record"].get("points")) and cfg["record"]["schedule"] != "final"
        if name not in chosen or (points and not chosen[name][1]):
            chosen[name] = (job, points)
    for name, (job, points) in chosen.items():
        found = read_landscape(job.paths[0])
        if found is None:
            notes.append(
                f"{name}: no contour, {job.paths[0]} has no {LANDSCAPE} (a run made before "
                "runs wrote one; adagrad-lab-rerun writes it)."
            )
            continue
        yield job, found, points


def _paths(res: Results, job_name: str) -> list[Array]:
    """Up to `N_PATHS` trajectories of ``job_name`` (the first seed, spread over step sizes)."""
    traj = res.trajectories
    mine = traj[traj["job"] == job_name]
    first = mine[mine["seed"] == mine["seed"].min()]
    take = np.unique(np.linspace(0, len(first) - 1, min(N_PATHS, len(first))).round().astype(int))
    ids = [int(t) for t in first["trajectory"].to_numpy()[take]]
    hist = res.history(["trajectory", "iter", "x"], filters=[("trajectory", "in", ids)])
    hist = hist[hist["job"] == job_name].drop(columns="job")
    return plots.paths_from_history(hist) if len(hist) else []
