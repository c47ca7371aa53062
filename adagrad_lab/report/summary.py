"""What a run prints when it finishes, computed from the files it wrote."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from adagrad_lab.plots.labels import describe_target, display_name
from adagrad_lab.report.words import count
from adagrad_lab.store import parquet as storage


def echo_text(run_dir: Path, kind: str) -> str:
    """What a run prints for ``echo=kind``: the tutorial's lines or the summary."""
    if kind == "tutorial":
        return "\n".join(tutorial_lines(run_dir))
    return summary_text(run_dir)


def tutorial_lines(run_dir: Path) -> list[str]:
    """The tutorial's progress lines for every trajectory: '>k f([x y]) = f', 'Done!', final."""
    hist = storage.read_history(run_dir, columns=["trajectory", "iter", "f", "x"])
    traj = storage.read_trajectories(run_dir, columns=["trajectory", "x_final", "f_final"])
    lines: list[str] = []
    for t, rows in hist.groupby("trajectory", sort=True):
        for it, x, f in zip(rows["iter"], rows["x"], rows["f"], strict=True):
            if it > 0:
                lines.append(">%d f(%s) = %.5f" % (it - 1, np.asarray(x), f))  # noqa: UP031
        final = traj.loc[traj["trajectory"] == t].iloc[0]
        lines.append("Done!")
        lines.append("f(%s) = %f" % (np.asarray(final["x_final"]), final["f_final"]))  # noqa: UP031
    return lines


# what the summary reads besides the grid's columns: not the lists x0 and x_final (for
# 10 M trajectories, GBs in pandas)
SUMMARY_COLUMNS = ("trajectory", "status", "f_final", "iters_to_target", "f_star")


def _columns(run_dir: Path) -> tuple[list[str], list[str]]:
    """The columns the summary reads, and among them the grid's (every hyperparameter)."""
    names = storage.column_names(run_dir)
    if names is None:
        return list(SUMMARY_COLUMNS), []  # read_trajectories says there are no results
    grid = storage.grid_columns(names)
    return [c for c in names if c in SUMMARY_COLUMNS or c in grid], grid


def summary_table(run_dir: Path) -> pd.DataFrame:
    """Per combination of the swept settings (every grid column with more than one value,
    or the step size when none is swept): trajectories, shares converged and diverged,
    medians."""
    columns, grid = _columns(run_dir)
    df = storage.read_trajectories(run_dir, columns=columns)
    meta = storage.read_metadata(run_dir)
    swept = [k for k in grid if df[k].nunique(dropna=False) > 1] or grid[:1]
    status = df["status"].astype(str)
    df = df.assign(converged=status == "converged", diverged=status == "diverged")
    gap = {}  # a learning problem's solved f*: its distance too
    if "f_star" in df and df["f_star"].notna().any():
        df = df.assign(f_gap=df["f_final"] - df["f_star"])
        gap = {"median_f_minus_f_star": ("f_gap", "median")}
    table = df.groupby(swept, sort=True, dropna=False).agg(
        n=("trajectory", "size"),
        converged=("converged", "mean"),
        diverged=("diverged", "mean"),
        median_f_final=("f_final", "median"),
        **gap,
        median_iters_to_target=("iters_to_target", "median"),
    )
    if meta["config"]["sweep"]["target"] is None:
        table = table.drop(columns=["converged", "median_iters_to_target"])
    return table


def summary_text(run_dir: Path) -> str:
    """`summary_table` under a line saying what it summarizes; shares as percentages."""
    table = summary_table(run_dir)
    for share in ("converged", "diverged"):
        if share in table:
            table[share] = table[share].map("{:.1%}".format)
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
        return f"{summary_heading(run_dir)}\n{table.to_string()}"


def summary_heading(run_dir: Path) -> str:
    """'ellipsoid (dim 2), AdaGrad: 100 seeds, 1000 iterations, 1300 trajectories', the
    optimizer by its display name; a learning problem's adds what its target bounds
    ('; target f - f* <= 1e-8'), the gap its converged share and iterations count."""
    config = storage.read_metadata(run_dir)["config"]
    traj = storage.read_trajectories(run_dir, columns=["trajectory", "seed", "dim"])
    objective, optimizer = config["objective"], config["optimizer"]
    dim = int(traj["dim"].iloc[0]) if len(traj) else objective["dim"]
    data = f"{objective['data']}, " if objective.get("data") else ""  # a learning problem's
    target = config["sweep"].get("target")
    gap = (
        f"; {describe_target([objective['name']], [target])}" if data and target is not None else ""
    )
    return (
        f"{objective['name']} ({data}dim {dim}), {display_name(optimizer['name'])}: "
        f"{count(traj['seed'].nunique(), 'seed')}, "
        f"{count(config['sweep']['n_iter'], 'iteration')}, {count(len(traj), 'trajectory')}{gap}"
    )
