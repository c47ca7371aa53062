"""Fixed-target runtimes: their empirical CDF and the performance profile."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from adagrad_lab.plots.labels import VALUE_LABELS, Hue, _groups, _label_groups, _require, _short
from adagrad_lab.plots.legends import _Legend
from adagrad_lab.plots.scales import _limits
from adagrad_lab.plots.style import (
    FIGSIZE,
    LINE_WIDTH,
    Entry,
    _curve_style,
    _facet_size,
    _figure,
    _labels,
    _panel_axes,
    _panel_edges,
    _panels,
    _place_legend,
)


def runtime_ecdf(
    frame: pd.DataFrame,
    hue: Hue = None,
    *,
    targets: Sequence[float] | None = None,
    value: str = "auto",
    facet: str | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
) -> Figure:
    """The runtime ECDF: fraction of (trajectory, target) pairs solved by each iteration.

    ``frame`` is `analysis.runtime_ecdf`'s (the group keys, ``iter``,
    ``fraction``); one step curve per group (``hue`` as in `convergence`).
    The x axis is logarithmic, at iteration + 1 (the number of gradient
    evaluations, COCO's x axis) so that iteration 0 has a place. Pairs never
    solved keep the curve below 1: its height at the right is the share solved.
    ``targets`` (those the frame was computed with, e.g.
    `analysis.DEFAULT_TARGETS`) are written in the legend, on ``value`` (as the
    frame's: "auto" or "gap" f(x) - f*, "f" f(x)). ``subtitle``: a line under the title, e.g.
    `labels.describe_run`'s.

    >>> ecdf = analysis.runtime_ecdf(analysis.runtimes(res), by=["optimizer"])  # doctest: +SKIP
    >>> runtime_ecdf(ecdf).savefig("ecdf.pdf")  # doctest: +SKIP
    """
    _require(frame, ["iter", "fraction"], "analysis.runtime_ecdf")
    return _steps(
        frame,
        hue,
        "iter",
        1.0,
        "iteration + 1 (gradient evaluations)",
        "fraction of (trajectory, target) pairs solved",
        "ecdf",
        10,
        facet,
        figsize,
        title,
        subtitle,
        [] if targets is None else [_targets_entry(targets, value)],
    )


def _targets_entry(targets: Sequence[float], value: str) -> Entry:
    """A legend line naming the targets: 'targets on f(x) - f*: 1e2, 1e1, ..., 1e-8 (11)'."""
    shown = [_short(float(t)) for t in targets]
    listed = ", ".join(shown) if len(shown) <= 4 else f"{shown[0]}, {shown[1]}, ..., {shown[-1]}"
    count = f" ({len(shown)})" if len(shown) > 4 else ""
    text = f"targets on {VALUE_LABELS.get(value, value)}: {listed}{count}"
    return Line2D([], [], linestyle="none", label=text, gid="targets"), text


def performance_profile(
    frame: pd.DataFrame,
    hue: Hue = None,
    *,
    facet: str | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
) -> Figure:
    """The Dolan-More performance profile: fraction of problems solved within a factor tau.

    ``frame`` is `analysis.performance_profile`'s (the solver keys, ``tau``,
    ``fraction``); one step curve per solver (``hue`` as in `convergence`), tau
    on a log2 axis. The height at tau = 1 is the share of problems where the
    solver is the fastest; problems no solver solves keep every curve below 1.
    ``facet`` draws one panel per value of that key, as in `convergence`.

    >>> profile = analysis.performance_profile(res, solver=["optimizer"])  # doctest: +SKIP
    >>> performance_profile(profile).savefig("profile.pdf")  # doctest: +SKIP
    """
    _require(frame, ["tau", "fraction"], "analysis.performance_profile")
    return _steps(
        frame,
        hue,
        "tau",
        0.0,
        "tau (cost / best cost on the problem)",
        "fraction of problems",
        "profile",
        2,
        facet,
        figsize,
        title,
        subtitle,
        [],
    )


def _steps(
    frame: pd.DataFrame,
    hue: Hue,
    x: str,
    shift: float,
    xlabel: str,
    ylabel: str,
    gid: str,
    base: int,
    facet: str | None,
    figsize: tuple[float, float] | None,
    title: str | None,
    subtitle: str | None,
    notes: list[Entry],
) -> Figure:
    panels = _panels(frame, facet)
    groups = _groups(frame, hue, [facet] if facet else [], [facet] if facet else [])
    fig = _figure(figsize or (FIGSIZE if facet is None else _facet_size(len(panels))))
    axes = _panel_axes(fig, len(panels))
    legend = _Legend(groups)
    xs = frame[x].to_numpy(np.float64) + shift
    right = float(np.nanmax(xs[np.isfinite(xs)])) * 1.25 if np.isfinite(xs).any() else 1.0
    for i, (ax, (panel, part)) in enumerate(zip(axes, panels, strict=True)):
        for label, g in _label_groups(part, groups, x):
            style = _curve_style(groups, label)
            fraction = g["fraction"].to_numpy(np.float64)
            # a fraction stays at its last value for every larger x: drawn to the right edge
            (line,) = ax.plot(
                np.append(g[x].to_numpy(np.float64) + shift, right),
                np.append(fraction, fraction[-1]),
                drawstyle="steps-post",
                color=style["color"],
                linestyle=style["linestyle"],
                linewidth=LINE_WIDTH,
                label=label,
                gid=gid,
            )
            legend.add(ax, label, line, g)
        ax.set_xscale("log", base=base)
        _limits(ax, xs, True)
        ax.set_ylim(-0.02, 1.02)
        first, last = _panel_edges(i, len(panels))
        _labels(
            ax,
            xlabel if last else None,
            ylabel if first else None,
            panel,
        )
    entries = [*legend.entries(), *notes]
    _place_legend(fig, axes, entries, groups.title, facet is not None, title, subtitle)
    return fig
