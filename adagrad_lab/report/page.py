"""A run's (or a multirun's) report as a folder: the figures that fit its data and index.html.

`write_report` loads the runs (`reading`: a deterministic sample of a very large
run, log-spaced iterations of a very large history), draws with `plots` from the
frames of `analysis`, and writes each figure once per format asked
(``report.format``: ``png``, the default, ``svg`` or ``both``) next to
``index.html``, which shows every figure, a summary table, the command that
produced the data and which data were used. Only what the page shows is drawn,
and each figure is rendered once per format.

Every figure stays readable whatever the sweep's size (`compare`): with
several objectives, one panel per objective; the convergence, runtime ECDF
and performance profile figures draw one curve per compared group (the
optimizer and any other coordinate that tells jobs or grid points apart),
each at its best step size (`analysis.at_best_step_size`), or, for a single
group, one curve per step size, at most `MAX_STEP_CURVES` of them; beyond
`MAX_GROUPS` groups, those with the lowest median final f. The captions and
titles say which.

Command line: ``adagrad-lab-report PATH [PATH...] [--out DIR] [--format png|svg|both]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from adagrad_lab import analysis, plots
from adagrad_lab.report import landscapes, learning, reading, render, statistics
from adagrad_lab.report.compare import _compared, _hue, _keep_groups, _n, _size
from adagrad_lab.report.html import _page, _summary
from adagrad_lab.sweep.report_keys import REPORT_FORMATS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

INDEX = "index.html"


# the files each figure is written as, per value of report.format
FORMATS = {"png": ("png",), "svg": ("svg",), "both": ("png", "svg")}


def write_report(
    paths: str | Path | Sequence[str | Path],
    out_dir: str | Path,
    max_diverged: float | None = None,
    figure_format: str | None = None,
) -> Path:
    """Write the report of ``paths`` (run or multirun directories) into ``out_dir``.

    ``max_diverged``: the largest fraction of diverged seeds at which a step size
    can be a group's best (None: the first run's ``report.max_diverged``, 0 by
    default); ``figure_format``: ``png``, ``svg`` or ``both`` (None: the first run's
    ``report.format``, png by default). Returns the path of ``index.html``. Raises
    `storage.RunDataError` for a path that is not a run, ValueError for another format.
    """
    res, total = reading.runs(paths)
    settings = res.jobs[0].config.get("report") or {}
    if max_diverged is None:
        max_diverged = float(settings.get("max_diverged", 0.0))
    figure_format = figure_format or str(settings.get("format", "png"))
    if figure_format not in FORMATS:
        allowed = ", ".join(REPORT_FORMATS)
        raise ValueError(f"report.format: must be one of {allowed} (got {figure_format!r})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    traj = res.trajectories
    hist, used = reading.history(res, total)
    shelf = render.Shelf(out, FORMATS[figure_format])
    save = shelf.save
    notes: list[str] = []

    # one panel per objective, else per data set (jobs that differ by objective.data alone)
    facet = next((c for c in ("objective", "objective.data") if _n(traj, c) > 1), None)
    chosen = _compared(traj, facet, max_diverged)
    what = plots.describe_run(traj, [job.config for job in res.jobs])
    word = plots.AXIS_LABELS.get(facet, facet) if facet else ""
    per_panel = f", one panel per {word}" if facet else ""
    value = learning.value_of(traj)  # f - f* for a learning problem
    f = "f - f*" if value == "gap" else "f"

    def curves_figure(
        frame: pd.DataFrame, value: str, title: str, logy: bool | None = None
    ) -> Figure:
        """Median curves of ``value`` per compared group, as the convergence figure draws."""
        return plots.convergence(
            frame,
            hue=chosen.hue,
            value=value,
            facet=facet,
            logx=True,
            logy=logy,
            scale_by=chosen.scale_by,
            figsize=None if facet else _size(frame),
            title=f"{title}{f' per {word}' if facet else ''}{chosen.title}",
            subtitle=what,
        )

    if hist is not None:

        def convergence() -> Figure:
            by = chosen.by_step
            curves = analysis.convergence((chosen.trajectories, hist), by=by, value=value)
            return curves_figure(curves, value, "Convergence")

        save(
            convergence,
            "convergence",
            f"Convergence: median {f} across seeds per iteration, 25-75% band"
            + per_panel
            + chosen.caption,
        )
        iters = sorted(int(i) for i in hist["iter"].unique())
        for extra in learning.extras(res):
            shown, label, caption = extra.drawn(traj)

            def extra_curves(
                extra: learning.Extra = extra, shown: str = shown, label: str = label
            ) -> Figure:
                drawn = learning.curves(
                    res, chosen.trajectories, iters, extra, chosen.by_step, shown
                )
                return curves_figure(drawn, label, extra.title, extra.logy)

            save(extra_curves, extra.column, caption + per_panel + chosen.caption)
    else:
        notes.append("No history (record.schedule=final): no convergence curves.")
    summary = _summary(traj, max_diverged)  # after the first figure is handed over
    if "step_size" in traj and traj["step_size"].nunique() > 1:

        def sensitivity() -> Figure:
            table = analysis.sensitivity(traj, value=value)
            hue = _hue(table, facet)
            table = _keep_groups(table, chosen.groups)
            figure = plots.sensitivity(table, hue=hue, value=value, facet=facet, subtitle=what)
            bars = statistics.median_intervals(summary[0], traj, value)
            plots.sensitivity_intervals(figure, _keep_groups(bars, chosen.groups), hue, facet=facet)
            return figure

        save(
            sensitivity,
            "sensitivity",
            f"Step-size sensitivity: median final {f} and the fraction diverged"
            + per_panel
            + statistics.bars_caption()
            + chosen.dropped,
        )
    art = None
    has_target = any(job.config["sweep"].get("target") is not None for job in res.jobs)
    if hist is not None and has_target:
        times = analysis.runtimes((chosen.trajectories, hist), by=chosen.by_step)

        def runtime_ecdf() -> Figure:
            ecdf = analysis.runtime_ecdf(times, by=chosen.by_step)
            return plots.runtime_ecdf(
                ecdf,
                hue=chosen.hue,
                targets=[float(t) for t in analysis.DEFAULT_TARGETS],
                facet=facet,
                figsize=None if facet else _size(ecdf),
                title=f"Runtime ECDF{' per objective' if facet else ''}{chosen.title}",
                subtitle=what,
            )

        save(
            runtime_ecdf,
            "runtime_ecdf",
            "Runtime ECDF over the targets 1e2..1e-8 on f - f*" + per_panel + chosen.caption,
        )
        art = statistics.runtime_table(res, (chosen.trajectories, hist), times, chosen.by_step)
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
                    subtitle=what,
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
    if hist is not None and has_target and statistics.problem_keys(traj):
        statistics.across_problems(traj, hist, chosen.hue, max_diverged, save, what)
    landscapes.draw(res, save, notes)
    shelf.finish()
    index = out / INDEX
    page = _page(
        res, shelf.figures, summary, used, notes, max_diverged, shelf.formats, what, art,
        learning.datasets(res),
    )  # fmt: skip
    index.write_text(page, encoding="utf-8")
    return index
