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

Every figure stays readable whatever the sweep's size (`_compared`): with
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
import html
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from matplotlib.figure import Figure

from adagrad_lab.analysis import frames as analysis
from adagrad_lab.catalog import OBJECTIVES
from adagrad_lab.plots import figures as plots
from adagrad_lab.store import parquet as storage
from adagrad_lab.store import rundir
from adagrad_lab.store.results import Results, load
from adagrad_lab.sweep import schedule

Array = np.ndarray[Any, Any]
TRAJECTORY_LIMIT = 1_000_000  # trajectories read in full; above, a deterministic sample
SAMPLED_SEEDS = 10_000  # above the limit: the first SAMPLED_SEEDS seeds of each grid point
# the trajectory columns the report uses (not the lists x0, x_final: 10 M of them are GBs)
COLUMNS = [
    "trajectory",
    "seed",
    "step_size",
    "eps",
    "initial_accumulator",
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
MAX_STEP_CURVES = 8  # one group: curves for at most this many (evenly spread) step sizes
MAX_GROUPS = 8  # curves per panel: the groups with the best median final f beyond it
SUMMARY_ROWS = 40  # a summary table of more rows is folded (HTML <details>) on the page
INDEX = "index.html"


def write_report(paths: str | Path | Sequence[str | Path], out_dir: str | Path) -> Path:
    """Write the report of ``paths`` (run or multirun directories) into ``out_dir``.

    Returns the path of ``index.html``. Raises `storage.RunDataError` for a path
    that is not a run.
    """
    total = _trajectory_count(paths)
    sampled = total > TRAJECTORY_LIMIT
    res = load(paths, columns=COLUMNS, seeds_per_point=SAMPLED_SEEDS if sampled else None)
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
    chosen = _compared(traj, facet)
    per_panel = ", one panel per objective" if facet else ""
    if hist is not None:
        curves = analysis.convergence((chosen.trajectories, hist), by=chosen.by)
        save(
            plots.convergence(
                curves,
                hue=chosen.hue,
                facet=facet,
                logx=True,
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
                    ", each solver at its best step size on the objective (lowest median final f)"
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
    index.write_text(_page(res, figures, _summary(traj), used, notes), encoding="utf-8")
    return index


@dataclass(frozen=True)
class _Comparison:
    """What the convergence and runtime figures draw: which trajectories, which curves."""

    trajectories: pd.DataFrame  # the trajectories drawn
    by: list[str]  # the group keys of the analysis frames (facet and hue)
    hue: list[str]  # the keys of the curves within a panel
    groups: pd.DataFrame | None  # the hue values kept (None: all)
    title: str  # appended to a figure's title: ", each at its best step size"
    caption: str  # appended to its caption on the page
    dropped: str  # appended to a caption when groups were left out


def _compared(traj: pd.DataFrame, facet: str | None) -> _Comparison:
    """The curves of the convergence and runtime figures of a report.

    Several groups (optimizers, or any other coordinate that differs between
    jobs or grid points, beyond ``facet``): one curve per group, each at its
    best step size per panel (`analysis.at_best_step_size`: lowest median final
    f, ties to the smaller step). One group with several step sizes: one curve
    per step size, at most `MAX_STEP_CURVES` evenly spread ones. More than
    `MAX_GROUPS` groups: the `MAX_GROUPS` with the best median final f (by
    their mean rank over the panels).
    """
    keys = [k for k in analysis.default_by(traj) if k not in ("step_size", facet)]
    hue = _distinguishing(traj, keys, facet) or (["optimizer"] if "optimizer" in traj else [])
    panel = [facet] if facet else []
    steps: Array = (
        np.sort(traj["step_size"].dropna().unique()) if "step_size" in traj else np.zeros(0)
    )
    n_groups = len(traj[hue].drop_duplicates()) if hue else 1
    if len(steps) > 1 and n_groups == 1:
        kept = steps
        if len(steps) > MAX_STEP_CURVES:
            at = np.unique(np.linspace(0, len(steps) - 1, MAX_STEP_CURVES).round().astype(int))
            kept = steps[at]
        chosen = traj[traj["step_size"].isin(kept)]
        which = ", ".join(f"{v:g}" for v in kept)
        thinned = len(kept) < len(steps)
        return _Comparison(
            chosen,
            [*panel, *hue, "step_size"],
            ["step_size"],
            None,
            f", {len(kept)} of {len(steps)} step sizes (evenly spread)" if thinned else "",
            (
                f"; one curve per step size, {len(kept)} of the {len(steps)} (evenly spread "
                f"on the sorted step sizes): {which}"
                if thinned
                else "; one curve per step size"
            ),
            "",
        )
    tuned = len(steps) > 1
    chosen = analysis.at_best_step_size(traj, by=[*panel, *hue]) if tuned else traj
    groups, dropped = None, ""
    if n_groups > MAX_GROUPS:
        groups = _best_groups(traj, panel, hue)
        chosen = _keep_groups(chosen, groups)
        dropped = (
            f"; only the {MAX_GROUPS} of the {n_groups} groups with the lowest median final f "
            "(mean rank over the panels) are drawn"
        )
    return _Comparison(
        chosen,
        [*panel, *hue],
        hue,
        groups,
        ", each at its best step size" if tuned else "",
        (
            "; one curve per group, each at its best step size in that panel (the lowest "
            "median final f, ties to the smaller step: the table 'Best step size per group')"
            if tuned
            else ""
        )
        + dropped,
        dropped,
    )


def _distinguishing(traj: pd.DataFrame, keys: list[str], facet: str | None) -> list[str]:
    """The ``keys`` that tell groups apart within a panel; one the others determine is left
    out (``eps`` when each optimizer has its own, ``objective.log10_condition`` per objective).
    """
    chosen: list[str] = []
    panel = [facet] if facet else []
    distinct = len(traj[panel].drop_duplicates()) if panel else 1
    for key in keys:
        n = len(traj[[*panel, *chosen, key]].drop_duplicates())
        if n > distinct:
            chosen, distinct = [*chosen, key], n
    return chosen


def _best_groups(traj: pd.DataFrame, panel: list[str], hue: list[str]) -> pd.DataFrame:
    """The `MAX_GROUPS` values of ``hue`` with the best mean rank of their best median final f
    over the panels (a group missing from a panel ranks last there)."""
    best = analysis.best_step_size(traj, by=[*panel, *hue])
    median = best["median"].astype(np.float64).fillna(np.inf)
    if panel:
        rank = median.groupby([best[p] for p in panel], observed=True, dropna=False).rank("min")
        n_panels = len(best[panel].drop_duplicates())
    else:
        rank, n_panels = median.rank(method="min"), 1
    per_group = rank.groupby([best[h] for h in hue], observed=True, dropna=False, sort=True)
    total = per_group.agg(["sum", "count"])
    score = (total["sum"] + (float(rank.max()) + 1) * (n_panels - total["count"])) / n_panels
    kept = score.sort_values(kind="stable").index[:MAX_GROUPS]
    return kept.to_frame(index=False)


def _keep_groups(frame: pd.DataFrame, groups: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of ``frame`` whose values of the columns of ``groups`` are one of its rows."""
    if groups is None:
        return frame
    keys = list(groups.columns)
    index = pd.MultiIndex.from_frame(groups[keys])
    return frame[index.get_indexer(pd.MultiIndex.from_frame(frame[keys])) >= 0]


def _size(frame: pd.DataFrame) -> tuple[float, float]:
    """A figure tall enough for a legend of one line per group of ``frame``."""
    keys = [c for c in frame.columns if c not in plots._VALUES and not c.startswith("q")]
    groups = len(frame[keys].drop_duplicates()) if keys else 1
    return plots.FIGSIZE[0] + 1.5, max(plots.FIGSIZE[1], 1.2 + 0.32 * groups)


def _hue(table: pd.DataFrame, facet: str | None) -> list[str]:
    """The group keys of a sensitivity ``table`` that tell its curves apart within a panel.

    A key is left out when the others already determine it (``eps`` is AdaGrad's
    only, ``objective.log10_condition`` the ellipsoid's), so the legend reads
    "AdaGrad", not "AdaGrad, eps 1e-08, objective.log10_condition nan".
    """
    candidates = [
        str(c)
        for c in table.columns
        if c not in ("step_size", facet)
        and c not in plots._VALUES
        and not plots._QUANTILE.fullmatch(str(c))
    ]
    chosen: list[str] = []
    distinct = len(table[[facet]].drop_duplicates()) if facet else 1
    for key in candidates:
        n = len(table[[*([facet] if facet else []), *chosen, key]].drop_duplicates())
        if n > distinct:
            chosen, distinct = [*chosen, key], n
    return chosen or candidates[:1]


def _n(frame: pd.DataFrame, column: str) -> int:
    return int(frame[column].nunique()) if column in frame else 0


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
    total = 0
    for job in res.jobs:
        for run in res._runs[job.name]:
            total += sum(pq.read_metadata(f).num_rows for f in run.files[storage.HISTORY])
    return total


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


def _summary(traj: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per group and step size: n, fractions converged and diverged, medians; and those rows
    at each group's best step size (`analysis.best_step_size`)."""
    by = analysis.default_by(traj)
    keys = list(dict.fromkeys([*(b for b in by if b != "step_size"), "step_size"]))
    status = traj["status"].astype(str)
    frame = traj.assign(converged=status == "converged", diverged=status == "diverged")
    table = frame.groupby(keys, observed=True, sort=True, dropna=False).agg(
        n=("trajectory", "size"),
        converged=("converged", "mean"),
        diverged=("diverged", "mean"),
        median_f_final=("f_final", "median"),
        median_iters_to_target=("iters_to_target", "median"),
    )
    table = table.reset_index()
    if "step_size" not in traj:
        return table, table.iloc[:0]
    best = analysis.best_step_size(traj, by=[k for k in keys if k != "step_size"])
    # the summary's row at each group's best step size (none where every median diverged)
    best = best.drop(columns="median").merge(
        table, on=list(best.columns.drop("median")), how="left"
    )
    return table, best


def command(overrides: Sequence[str], multirun: bool = False) -> str:
    """The command line that runs ``overrides``: ``adagrad-lab [-m] KEY=VALUE ...``."""
    return " ".join(["adagrad-lab", *(["-m"] if multirun else []), *map(shlex.quote, overrides)])


def _commands(res: Results) -> list[str]:
    """The multirun's command (from its multirun.yaml) or each job's command."""
    out = []
    for parent in dict.fromkeys(p.parent for job in res.jobs for p in job.paths):
        yaml = parent / "multirun.yaml"
        if yaml.is_file():
            try:
                from omegaconf import OmegaConf

                task = OmegaConf.load(yaml).hydra.overrides.task
                out.append(command([str(t) for t in task], multirun=True))
            except Exception:  # an unreadable multirun.yaml: the jobs' commands below
                pass
    if not out:
        out = [command([str(o) for o in job.manifest.get("overrides") or []]) for job in res.jobs]
    return list(dict.fromkeys(out))


def _page(
    res: Results,
    figures: list[tuple[str, str]],
    summary: tuple[pd.DataFrame, pd.DataFrame],
    used: str,
    notes: list[str],
) -> str:
    e = html.escape
    table, best = summary
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>adagrad-lab report</title>',
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
        "img{max-width:100%}figure{margin:1em 0}</style></head><body>",
        "<h1>adagrad-lab report</h1>",
        "<h2>Command</h2>",
        *(f"<pre><code>{e(c)}</code></pre>" for c in _commands(res)),
        "<h2>Data</h2>",
        "<ul>",
        *(f"<li>{e(job.name)}: {e(', '.join(str(p) for p in job.paths))}</li>" for job in res.jobs),
        "</ul>",
        f"<p>Used: {e(used)}.</p>",
        *(f"<p>{e(n)}</p>" for n in notes),
        "<h2>Summary</h2>",
        '<div id="summary">',
        *_tables(table, best),
        "</div>",
        "<h2>Figures</h2>",
    ]
    for stem, caption in figures:
        parts.append(
            f'<figure><img src="{e(stem)}.png" alt="{e(caption)}">'
            f'<figcaption>{e(caption)} (<a href="{e(stem)}.svg">SVG</a>)</figcaption></figure>'
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _tables(table: pd.DataFrame, best: pd.DataFrame) -> list[str]:
    """The summary's HTML: each group at its best step size first when there are several step
    sizes; every (group, step size) row after it, folded away when there are many."""

    def html_table(frame: pd.DataFrame) -> str:
        return frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="-", border=0)

    several = "step_size" in table and table["step_size"].nunique() > 1
    if not several:
        return [html_table(table)]
    parts = [
        "<h3>Best step size per group (lowest median final f, ties to the smaller step)</h3>",
        html_table(best),
        "<h3>Every group and step size</h3>",
    ]
    if len(table) <= SUMMARY_ROWS:
        return [*parts, html_table(table)]
    return [
        *parts,
        f"<details><summary>{len(table)} rows (show)</summary>",
        html_table(table),
        "</details>",
    ]
