"""Fixed-target runtimes: their empirical CDF and the performance profile."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from adagrad_lab.plots.labels import AXIS_LABELS, Hue, _hue_keys, _label_groups, _labelled, _require
from adagrad_lab.plots.scales import _limits
from adagrad_lab.plots.style import (
    FIGSIZE,
    LINE_WIDTH,
    _facet_size,
    _figure,
    _labels,
    _panel_axes,
    _panel_edges,
    _panels,
    _place_legend,
    _style,
)


def runtime_ecdf(
    frame: pd.DataFrame,
    hue: Hue = None,
    *,
    facet: str | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Figure:
    """The runtime ECDF: fraction of (trajectory, target) pairs solved by each iteration.

    ``frame`` is `analysis.runtime_ecdf`'s (the group keys, ``iter``,
    ``fraction``); one step curve per group (``hue`` as in `convergence`).
    The x axis is logarithmic, at iteration + 1 (the number of gradient
    evaluations, COCO's x axis) so that iteration 0 has a place. Pairs never
    solved keep the curve below 1: its height at the right is the share solved.

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
    )


def performance_profile(
    frame: pd.DataFrame,
    hue: Hue = None,
    *,
    facet: str | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
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
) -> Figure:
    panels = _panels(frame, facet)
    keys = [k for k in _hue_keys(frame, hue) if k != facet]
    shown = [k for k in keys if frame[k].nunique(dropna=False) > 1] or keys
    legend_title = AXIS_LABELS.get(shown[0], shown[0]) if len(shown) == 1 else None
    labels = _labelled(frame, shown)
    fig = _figure(figsize or (FIGSIZE if facet is None else _facet_size(len(panels))))
    axes = _panel_axes(fig, len(panels))
    handles: dict[str, Artist] = {}
    xs = frame[x].to_numpy(np.float64) + shift
    right = float(np.nanmax(xs[np.isfinite(xs)])) * 1.25 if np.isfinite(xs).any() else 1.0
    for i, (ax, (panel, part)) in enumerate(zip(axes, panels, strict=True)):
        for label, g in _label_groups(part, shown, x):
            style = _style(labels.index(label))
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
            handles.setdefault(label, line)
        ax.set_xscale("log", base=base)
        _limits(ax, xs, True)
        ax.set_ylim(-0.02, 1.02)
        first, last = _panel_edges(i, len(panels))
        _labels(
            ax,
            xlabel if last else None,
            ylabel if first else None,
            panel if facet is not None else title,
        )
    legend = [handles[label] for label in labels if label in handles]
    _place_legend(fig, axes, legend, legend_title, facet is not None, title)
    return fig
