"""Figures from the frames of `adagrad_lab.analysis.frames`: matplotlib Figures, layout only.

Every function takes the frame an `adagrad_lab.analysis.frames` function returns (or
a 2-D objective's name) and returns a `matplotlib.figure.Figure` built
directly, never through pyplot: no global figure state, so it works headless
and in threads. Save it with ``fig.savefig("convergence.pdf")``; in a
notebook it displays as the cell's value. Nothing is computed here beyond
the layout: the quantiles, fractions and ratios are the frames'.

Conventions shared by the figures:

* Colours: the Okabe-Ito palette (`OKABE_ITO`, safe for the common colour
  vision deficiencies), line styles cycling as well, so curves stay apart in
  greyscale print. Heatmaps and contours use the "cividis" colour map.
* Log scales where the data span a decade or more (``logx``/``logy`` force
  one either way); the step size axis is logarithmic whenever the step sizes
  span a decade.
* Values of exactly 0 on a log axis: every value ``<= floor`` (default
  `FLOOR`, 1e-16; negatives too when a log axis is forced) is drawn at the
  floor, and the floor is marked by a dashed grey line labelled
  "<= floor" in the legend. Nothing is dropped.
* Values of +inf (a median over seeds most of which diverged): drawn at a
  ceiling above the finite data, marked by a dotted grey line labelled
  "+inf (diverged)", with an X marker in the group's colour where a median
  first becomes +inf. A heatmap hatches its +inf cells. Finite values above
  `HUGE` (1e200, a trajectory about to overflow) are drawn at it on log axes.
* Artists carry a ``gid`` for tests and post-editing: "median" (one line per
  group), "band", "diverged" (the X markers, the hatched cells), "floor",
  "ceiling", "diverged_fraction", "ecdf", "profile", "path", "start", "end",
  "minimum".

>>> from adagrad_lab import analysis, plots  # doctest: +SKIP
>>> fig = plots.convergence(analysis.convergence(res, by=["step_size"]))  # doctest: +SKIP
>>> fig.savefig("convergence.pdf")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap, LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import LogFormatterSciNotation, NullFormatter

from adagrad_lab.analysis import frames as analysis
from adagrad_lab.catalog import OBJECTIVES, Objective

Array = np.ndarray[Any, Any]
Hue = str | Sequence[str] | None
Bounds = tuple[float, float] | tuple[tuple[float, float], tuple[float, float]]

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion,
# reddish purple, sky blue, black, yellow (last: it is faint on white paper)
OKABE_ITO = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#000000",
    "#F0E442",
)
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "*", "h")
GREY = "#555555"
CMAP = "cividis"  # sequential, readable with a colour vision deficiency and in greyscale
FLOOR = 1e-16  # default floor of log value axes: values <= FLOOR are drawn at it
# log value axes end near HUGE: finite values above it (a trajectory about to overflow) are
# drawn at it, since matplotlib's log ticks overflow near the float maximum
HUGE = 1e200

FIGSIZE = (7.6, 4.4)  # the legend goes to the right of the axes
FACET_COLUMNS = 3  # panels to a row of a faceted figure
LABEL_SIZE = 12.0
TICK_SIZE = 10.5
LEGEND_SIZE = 9.5
TITLE_SIZE = 12.5
LINE_WIDTH = 2.0
BAND_ALPHA = 0.18

OPTIMIZER_LABELS = {"adagrad": "AdaGrad", "gd": "gradient descent"}
AXIS_LABELS = {
    "step_size": "step size",
    "eps": "eps (added to sqrt(s))",
    "initial_accumulator": "initial accumulator s0",
    "optimizer": "optimizer",
    "objective": "objective",
    "dim": "dimension",
    "target": "target",
    "objective.bounds": "start box",
}
VALUE_LABELS = {"f": "f(x)", "gap": "f(x) - f*", "auto": "f(x) - f*"}

# columns of the analysis frames that are values, not group keys
_VALUES = frozenset({"iter", "n", "converged", "diverged", "fraction", "tau", "cost", "ratio"})
_QUANTILE = re.compile(r"(?:(final|best)_)?q([0-9.eE+-]+)")


# -- convergence and sensitivity ------------------------------------------------------------


def convergence(
    frame: pd.DataFrame,
    hue: Hue = None,
    *,
    value: str = "f",
    floor: float = FLOOR,
    logx: bool = False,
    logy: bool | None = None,
    band: tuple[str, str] | None = None,
    facet: str | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Figure:
    """The median across seeds per iteration, one line per group, with its quantile band.

    ``frame`` is `analysis.convergence`'s: the group keys, ``iter``, ``n`` and
    ``q<quantile>`` columns (``q0.5`` is drawn; the band runs from the lowest to
    the highest other quantile, e.g. ``q0.25`` to ``q0.75``, or ``band``
    names the two columns). ``hue`` names the group keys to draw a line per
    (default: every key column of the frame but ``facet``; the keys taking one
    value are left out of the labels). ``value`` is what the frame holds, for
    the label: "f" gives "f(x)", "gap" "f(x) - f*". The value axis is
    logarithmic when the data span a decade (``logy`` forces it), with values
    ``<= floor`` drawn at the floor; +inf (diverged) is drawn at a ceiling
    above the data, an X marking where a median first becomes +inf.
    ``logx=True`` gives log-log, with x = iteration + 1 so that iteration 0
    has a place. ``facet`` (e.g. "objective") draws one panel per value of that
    key (`FACET_COLUMNS` to a row), on the same axes limits, with one legend
    below them, a line's colour the same in every panel. ``figsize`` defaults
    to `FIGSIZE`, or 4.2 inches wide and 3.6 high per panel with ``facet``.

    >>> curves = analysis.convergence(res, by=["step_size"], value="gap")  # doctest: +SKIP
    >>> convergence(curves, hue="step_size", value="gap").savefig("curves.png")  # doctest: +SKIP
    """
    _require(frame, ["iter", "q0.5"], "analysis.convergence")
    quantiles = _quantile_columns(frame, "")
    lo, hi = band if band is not None else _band(quantiles)
    panels = _panels(frame, facet)
    keys = [k for k in _hue_keys(frame, hue) if k != facet]
    shown = [k for k in keys if frame[k].nunique(dropna=False) > 1] or keys
    legend_title = AXIS_LABELS.get(shown[0], shown[0]) if len(shown) == 1 else None
    labels = _labelled(frame, shown)
    drawn = [c for c in ("q0.5", lo, hi) if c]
    r = _value_range(frame[drawn].to_numpy(np.float64), floor, logy)
    every_x = frame["iter"].to_numpy(np.float64) + (1.0 if logx else 0.0)

    fig = _figure(figsize or (FIGSIZE if facet is None else _facet_size(len(panels))))
    axes = _panel_axes(fig, len(panels))
    handles: dict[str, Artist] = {}
    marks: dict[str, Artist] = {}
    diverged = False
    for i, (ax, (panel, part)) in enumerate(zip(axes, panels, strict=True)):
        for label, g in _label_groups(part, shown, "iter"):
            style = _style(labels.index(label))
            x = g["iter"].to_numpy(np.float64) + (1.0 if logx else 0.0)
            median = g["q0.5"].to_numpy(np.float64)
            if lo and hi:
                _fill_band(ax, x, g[lo], g[hi], r, style["color"])
            (line,) = ax.plot(
                x,
                r.y(median),
                color=style["color"],
                linestyle=style["linestyle"],
                linewidth=LINE_WIDTH,
                label=label,
                gid="median",
            )
            handles.setdefault(label, line)
            diverged |= _mark_inf(ax, x, median, r, style["color"], first_only=True)
        for mark in r.decorate(ax):
            marks.setdefault(str(mark.get_label()), mark)
        if logx:
            ax.set_xscale("log")
        _limits(ax, every_x, logx)
        first, last = _panel_edges(i, len(panels))
        _labels(
            ax,
            ("iteration + 1" if logx else "iteration") if last else None,
            f"{VALUE_LABELS.get(value, value)} (median{' and band' if lo and hi else ''})"
            if first
            else None,
            panel if facet is not None else title,
        )
    legend = [handles[label] for label in labels if label in handles]
    if lo and hi:
        legend.append(_band_handle(lo, hi))
    if diverged:
        legend.append(_diverged_handle("median diverged"))
    legend += marks.values()
    _place_legend(fig, axes, legend, legend_title, facet is not None, title)
    return fig


def sensitivity(
    frames: pd.DataFrame | Sequence[pd.DataFrame],
    hue: Hue = None,
    *,
    which: str = "final",
    value: str = "f",
    floor: float = FLOOR,
    logx: bool | None = None,
    logy: bool | None = None,
    facet: str | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Figure:
    """The median final f against the step size, one curve per optimizer, with the diverged share.

    The tutorial's question, whether AdaGrad is far less sensitive to the step
    size than gradient descent, reads off this figure: a flat curve over
    decades of step sizes against a valley that ends in divergence. ``frames``
    is `analysis.sensitivity`'s frame, or several (e.g. one per run), stacked:
    the group keys, ``step_size``, ``<which>_q<quantile>`` columns,
    ``converged``, ``diverged``. The top axes draw ``<which>_q0.5`` with the
    band between the lowest and highest other quantiles (``which`` is "final"
    or "best"), step sizes on a log axis when they span a decade; the bottom
    axes the fraction of trajectories that diverged at each step size. A
    median of +inf (most seeds diverged) is drawn at the ceiling with an X,
    values ``<= floor`` at the floor, as in `convergence`. ``hue``: the group
    keys to draw a curve per (default: every key column but ``step_size`` and
    ``facet``). ``facet`` (e.g. "objective") draws one column of panels per
    value of that key, sharing both axes and one legend below them, a curve's
    colour the same in every panel (`FACET_COLUMNS` panels to a row). ``figsize``
    defaults to 7.6 x 5.6 inches, 4.2 inches wide and 4.6 high per panel with ``facet``.

    >>> table = analysis.sensitivity(res, by=["optimizer"])  # doctest: +SKIP
    >>> sensitivity(table).savefig("sensitivity.pdf")  # doctest: +SKIP
    >>> table = analysis.sensitivity(res, by=["objective", "optimizer"])  # doctest: +SKIP
    >>> sensitivity(table, facet="objective").savefig("by_objective.png")  # doctest: +SKIP
    """
    frame = frames if isinstance(frames, pd.DataFrame) else pd.concat(frames, ignore_index=True)
    median = f"{which}_q0.5"
    _require(frame, ["step_size", median, "diverged"], "analysis.sensitivity")
    if facet is not None and facet not in frame.columns:
        raise ValueError(f"facet: the frame has no column {facet}")
    lo, hi = _band(_quantile_columns(frame, which))
    keys = [k for k in _hue_keys(frame, hue) if k not in ("step_size", facet)]
    panels: list[tuple[str | None, pd.DataFrame]] = (
        [(None, frame)]
        if facet is None
        else [
            (_named(facet, v), g)
            for v, g in frame.groupby(facet, observed=True, dropna=False, sort=True)
        ]
    )
    shown = [k for k in keys if frame[k].nunique(dropna=False) > 1] or keys
    legend_title = AXIS_LABELS.get(shown[0], shown[0]) if len(shown) == 1 else None
    labels = _labelled(frame, shown)
    r = _value_range(frame[[c for c in (median, lo, hi) if c]].to_numpy(np.float64), floor, logy)
    steps = frame["step_size"].to_numpy(np.float64)
    log_steps = _spans_decade(steps) if logx is None else logx

    n = len(panels)
    columns = min(n, FACET_COLUMNS)
    rows = -(-n // columns)  # `FACET_COLUMNS` panels to a row, each a pair of axes
    size = figsize or ((7.6, 5.6) if facet is None else (0.6 + 4.2 * columns, 1.0 + 4.6 * rows))
    fig = _figure(size)
    axes = np.asarray(
        fig.subplots(2 * rows, columns, sharey="row", height_ratios=[3, 1] * rows, squeeze=False)
    )
    for k in range(n, rows * columns):  # the empty places of the last row
        fig.delaxes(axes[2 * (k // columns), k % columns])
        fig.delaxes(axes[2 * (k // columns) + 1, k % columns])
    handles: dict[str, Artist] = {}
    marks: dict[str, Artist] = {}
    diverged = False
    for j, (panel, part) in enumerate(panels):
        row, column = 2 * (j // columns), j % columns
        top, bottom = cast(Axes, axes[row, column]), cast(Axes, axes[row + 1, column])
        for label, g in _label_groups(part, shown, "step_size"):
            style = _style(labels.index(label))
            x = g["step_size"].to_numpy(np.float64)
            y = g[median].to_numpy(np.float64)
            if lo and hi:
                _fill_band(top, x, g[lo], g[hi], r, style["color"])
            (line,) = top.plot(
                x,
                r.y(y),
                color=style["color"],
                linestyle=style["linestyle"],
                marker=style["marker"],
                markersize=6,
                linewidth=LINE_WIDTH,
                label=label,
                gid="median",
            )
            handles.setdefault(label, line)
            diverged |= _mark_inf(top, x, y, r, style["color"], first_only=False)
            bottom.plot(
                x,
                g["diverged"].to_numpy(np.float64),
                color=style["color"],
                linestyle=style["linestyle"],
                marker=style["marker"],
                markersize=5,
                linewidth=LINE_WIDTH * 0.75,
                gid="diverged_fraction",
            )
        for mark in r.decorate(top):
            marks.setdefault(str(mark.get_label()), mark)
        for ax in (top, bottom):
            if log_steps:
                ax.set_xscale("log")
            _limits(ax, steps, log_steps)
        top.tick_params(labelbottom=False)
        _labels(
            top,
            None,
            f"median {which} {VALUE_LABELS.get(value, value)}" if column == 0 else None,
            panel if facet is not None else title,
        )
        bottom.set_ylim(-0.05, 1.05)
        bottom.set_yticks([0.0, 0.5, 1.0])
        _labels(bottom, "step size", "diverged" if column == 0 else None, None)
    legend = [handles[label] for label in labels if label in handles]
    if lo and hi:
        legend.append(_band_handle(lo, hi))
    if diverged:
        legend.append(_diverged_handle("median diverged"))
    legend += marks.values()
    _place_legend(fig, [cast(Axes, axes[0, 0])], legend, legend_title, facet is not None, title)
    return fig


def heatmap(
    frame: pd.DataFrame,
    x: str = "step_size",
    y: str = "eps",
    column: str = "final_q0.5",
    *,
    value: str = "f",
    floor: float = FLOOR,
    log: bool | None = None,
    annotate: bool | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Figure:
    """A heatmap of the median final f over two swept hyperparameters, a colour bar beside it.

    ``frame`` is `analysis.sensitivity`'s frame with ``x`` and ``y`` among its
    keys (``column`` is drawn, default the median final value), or a
    trajectories frame, which goes through ``analysis.sensitivity(frame,
    value=value)`` first (grouped by its swept coordinates, ``x`` and ``y``
    among them). Each (x, y) cell must have one row: filter the frame to one
    optimizer, objective... first. The cells are in
    the order of the sorted values, the colour scale logarithmic when the
    values span a decade (``log`` forces it); cells ``<= floor`` take the
    colour under the scale (the colour bar's extension below) with a dotted
    hatch and a legend entry, the scale spanning the values above; +inf
    cells are hatched and labelled "diverged", missing cells left blank.
    ``annotate`` writes each cell's value (default: up to 144 cells, each wide
    enough for its text). ``figsize`` defaults to 6.4 x 4.8 inches, wider and
    taller for many cells (at most 14 x 10); beyond 12 columns or rows, only
    every other (third...) tick is labelled.

    >>> adagrad = res.trajectories.query("optimizer == 'adagrad'")  # doctest: +SKIP
    >>> heatmap(adagrad, x="step_size", y="eps").savefig("heatmap.png")  # doctest: +SKIP
    """
    if column not in frame.columns and "f_final" in frame.columns:
        # every swept key: a cell pooling two optimizers (or objectives) is refused below
        keys = dict.fromkeys([*analysis.default_by(frame), x, y])
        by = [c for c in keys if c != "step_size"]
        frame = analysis.sensitivity(frame, by=by, value=value)
    _require(frame, [x, y, column], "analysis.sensitivity")
    if frame.duplicated([x, y]).any():
        others = [c for c in _hue_keys(frame, None) if c not in (x, y, "step_size")]
        raise ValueError(
            f"heatmap: more than one row per ({x}, {y}) cell; filter the frame first"
            + (f" (it has the keys {', '.join(others)})" if others else "")
        )
    table = frame.pivot(index=y, columns=x, values=column).sort_index().sort_index(axis=1)
    z = table.to_numpy(np.float64)
    if z.size == 0:
        raise ValueError("heatmap: the frame has no rows")
    finite = z[np.isfinite(z)]
    use_log = (
        (finite.size > 0 and finite.min() >= 0 and _spans_decade(finite[finite > floor]))
        if log is None
        else log
    )
    at_floor = use_log & np.isfinite(z) & (z <= floor)
    clipped = bool(at_floor.any())
    shown = np.where(np.isfinite(z), np.maximum(z, floor) if use_log else z, np.nan)
    cmap: Colormap = _cmap()
    # the colours span the values above the floor; the floor's cells take the colour below
    # the scale (the colour bar's "min" extension) and a dotted hatch
    above = shown[np.isfinite(shown) & ~at_floor]
    vmin = float(above.min()) if above.size else floor
    vmax = float(above.max()) if above.size else floor * 10
    if vmax <= vmin:
        vmin, vmax = (vmin / 10, vmax * 10) if use_log else (vmin - 1, vmax + 1)
    norm: Normalize = LogNorm(vmin, vmax) if use_log else Normalize(vmin, vmax)

    ny, nx = z.shape
    size = figsize or (min(14.0, max(6.4, 2.4 + 0.6 * nx)), min(10.0, max(4.8, 1.8 + 0.4 * ny)))
    fig = _figure(size)
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(
        np.arange(nx + 1) - 0.5,
        np.arange(ny + 1) - 0.5,
        np.ma.masked_invalid(shown),
        cmap=cmap,
        norm=norm,
        shading="flat",
    )
    handles: list[Artist] = []
    for j, i in zip(*np.nonzero(np.isposinf(z)), strict=True):
        ax.add_patch(
            Rectangle(
                (i - 0.5, j - 0.5),
                1.0,
                1.0,
                facecolor="white",
                edgecolor=GREY,
                hatch="///",
                linewidth=0,
                gid="diverged",
            )
        )
    for j, i in zip(*np.nonzero(at_floor), strict=True):
        ax.add_patch(
            Rectangle(
                (i - 0.5, j - 0.5),
                1.0,
                1.0,
                facecolor="none",
                edgecolor="white",
                hatch="..",
                linewidth=0,
                gid="floor",
            )
        )
    if np.isposinf(z).any():
        handles.append(
            Patch(facecolor="white", edgecolor=GREY, hatch="///", label="+inf (diverged)")
        )
    if clipped:
        under = cmap(-1.0)  # norm < 0: the colour under the scale
        handles.append(
            Patch(facecolor=under, edgecolor="white", hatch="..", label=f"<= {floor:g} (floor)")
        )
    roomy = (size[0] - 2.4) / nx >= 0.7 and (size[1] - 1.8) / ny >= 0.25
    if annotate if annotate is not None else (nx * ny <= 144 and roomy):
        for j in range(ny):
            for i in range(nx):
                v = z[j, i]
                text = "diverged" if np.isposinf(v) else "n/a" if np.isnan(v) else f"{v:.2g}"
                light = not np.isfinite(v) or _luminance(cmap(norm(shown[j, i]))) > 0.5
                ax.text(
                    i,
                    j,
                    text,
                    ha="center",
                    va="center",
                    fontsize=9.0,
                    color="black" if light else "white",
                    # on the dotted floor cells, a plate of the cell's colour under the text
                    bbox={"facecolor": cmap(-1.0), "edgecolor": "none", "pad": 3.0}
                    if at_floor[j, i]
                    else None,
                )
    for axis, key, values in ((ax.xaxis, x, table.columns), (ax.yaxis, y, table.index)):
        every = -(-len(values) // 12)  # at most 12 tick labels
        at = range(0, len(values), every)
        axis.set_ticks(list(at), [_tick(key, values[i]) for i in at])
    if nx > 6:
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlim(-0.5, nx - 0.5)
    ax.set_ylim(-0.5, ny - 0.5)
    colorbar = fig.colorbar(mesh, ax=ax, extend="min" if clipped else "neither")
    colorbar.set_label(_column_label(column, value), fontsize=LABEL_SIZE)
    colorbar.ax.tick_params(labelsize=TICK_SIZE)
    _labels(ax, AXIS_LABELS.get(x, x), AXIS_LABELS.get(y, y), title, grid=False)
    if handles:  # below the axes and their tick labels, however long
        fig.legend(
            handles=handles,
            fontsize=LEGEND_SIZE,
            loc="outside lower center",
            ncols=len(handles),
            frameon=False,
        )
    return fig


# -- fixed-target runtimes and performance profiles -----------------------------------------


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


# -- 2-D objectives -------------------------------------------------------------------------


def contour(
    objective: str,
    bounds: Bounds | None = None,
    paths: Sequence[Array] | Array | None = None,
    params: Array | None = None,
    *,
    labels: Sequence[str] | None = None,
    log: bool = True,
    levels: int = 24,
    resolution: int = 201,
    figsize: tuple[float, float] = (6.0, 6.2),
    title: str | None = None,
) -> Figure:
    """Filled contours of a built-in objective in 2-D, with trajectories as connected dots.

    ``objective`` names one of `OBJECTIVES` (it must allow d = 2); ``bounds``
    is ``(lo, hi)`` for both coordinates or ``((x1_lo, x1_hi), (x2_lo,
    x2_hi))`` (default: the objective's box); ``params`` its parameter vector
    (default ``OBJECTIVES[name].params(2)``). The objective is evaluated on a
    ``resolution`` x ``resolution`` grid by its own block evaluator, and drawn
    as f(x) - f* on a log colour scale (``log=False``: linear), so the
    valleys show. ``paths``: one ``(k, 2)`` array of iterates or a list of
    them (one per seed; `paths_from_history` builds them from a history with
    points), each drawn as dots joined by a line, its start circled and its end
    starred; rows that are not finite (after a divergence) break the line and
    the last finite point gets an X, labelled "diverged". The known minimum
    is marked with a plus. The view is ``bounds``: widen them to see iterates
    that leave the box.

    >>> import numpy as np  # doctest: +SKIP
    >>> path = np.array([[-4.0, 4.0], [-2.0, 3.0], [0.5, 2.9], [1.0, 3.0]])  # doctest: +SKIP
    >>> contour("booth", paths=[path]).savefig("booth.png")  # doctest: +SKIP
    """
    spec = _objective(objective)
    (x_lo, x_hi), (y_lo, y_hi) = _bounds(bounds, spec.bounds)
    xs, ys, f = _grid(objective, (x_lo, x_hi), (y_lo, y_hi), resolution, params)
    f_star = float(spec.f_min(2))
    z = f - f_star
    fig = _figure(figsize)
    ax = fig.add_subplot()
    cmap = _cmap()
    top = float(np.nanmax(z))
    if log and top > 0:
        positive = z[z > 0]
        bottom = max(float(positive.min()) if positive.size else top * 1e-12, top * 1e-12)
        z = np.clip(z, bottom, None)
        edges = np.geomspace(bottom, top, levels + 1)
        norm: Normalize = LogNorm(bottom, top)
    else:
        edges = np.linspace(float(np.nanmin(z)), top if top > np.nanmin(z) else top + 1, levels + 1)
        norm = Normalize(float(edges[0]), float(edges[-1]))
    filled = ax.contourf(xs, ys, z, levels=edges, norm=norm, cmap=cmap)
    ax.contour(xs, ys, z, levels=edges[::3], norm=norm, colors="black", linewidths=0.4, alpha=0.35)
    colorbar = fig.colorbar(filled, ax=ax)
    if isinstance(norm, LogNorm):
        decades = 10.0 ** np.arange(np.ceil(np.log10(edges[0])), np.floor(np.log10(edges[-1])) + 1)
        if decades.size >= 2:
            colorbar.set_ticks(decades.tolist())
            colorbar.ax.yaxis.set_major_formatter(LogFormatterSciNotation())
            colorbar.ax.yaxis.set_minor_formatter(NullFormatter())
    colorbar.set_label(
        f"f(x) - f*{' (log scale)' if log else ''},  f* = {f_star:.6g}", fontsize=LABEL_SIZE
    )
    colorbar.ax.tick_params(labelsize=TICK_SIZE)
    handles: list[Artist] = []
    minimum = np.asarray(spec.x_min(2), np.float64)
    (mark,) = ax.plot(
        [minimum[0]],
        [minimum[1]],
        marker="P",
        markersize=11,
        color="white",
        markeredgecolor="black",
        linestyle="none",
        label="minimum x*",
        gid="minimum",
    )
    handles.append(mark)
    handles += _paths(ax, _as_paths(paths), labels)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    if max(x_hi - x_lo, y_hi - y_lo) <= 4 * min(x_hi - x_lo, y_hi - y_lo):
        ax.set_aspect("equal", adjustable="box")
    _labels(ax, "$x_1$", "$x_2$", title or objective, grid=False)
    _legend(ax, handles, None, below=True)
    return fig


def surface(
    objective: str,
    bounds: Bounds | None = None,
    params: Array | None = None,
    *,
    log: bool = False,
    floor: float = FLOOR,
    resolution: int = 81,
    figsize: tuple[float, float] = (6.4, 5.2),
    title: str | None = None,
) -> Figure:
    """The 3-D surface of a built-in objective in 2-D (the tutorial's bowl).

    ``objective``, ``bounds`` and ``params`` as in `contour`. The height is f(x),
    or ``log10(max(f(x) - f*, floor))`` with ``log=True`` (3-D axes draw log
    scales badly, so the values are transformed and the axis says so).

    >>> surface("sphere", bounds=(-1.0, 1.0)).savefig("bowl.png")  # doctest: +SKIP
    """
    spec = _objective(objective)
    x_range, y_range = _bounds(bounds, spec.bounds)
    xs, ys, f = _grid(objective, x_range, y_range, resolution, params)
    z = np.log10(np.maximum(f - spec.f_min(2), floor)) if log else f
    fig = _figure(figsize)
    # "3d" is registered by matplotlib itself; mpl_toolkits has no type marker: Any
    ax: Any = fig.add_subplot(projection="3d")
    ax.plot_surface(xs, ys, z, cmap=_cmap(), linewidth=0, antialiased=True, rcount=60, ccount=60)
    ax.set_xlabel("$x_1$", fontsize=LABEL_SIZE)
    ax.set_ylabel("$x_2$", fontsize=LABEL_SIZE)
    ax.set_zlabel("log10(f(x) - f*)" if log else "f(x)", fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=TICK_SIZE - 1)
    ax.set_title(title or objective, fontsize=TITLE_SIZE)
    return fig


def paths_from_history(history: pd.DataFrame) -> list[Array]:
    """One ``(k, 2)`` array of iterates per trajectory from a history with its ``x`` column.

    The history must have been recorded with points (``x``: one array per
    row); rows are ordered by iteration, trajectories by (job, trajectory).

    >>> paths = paths_from_history(res.history(["trajectory", "iter", "x"]))  # doctest: +SKIP
    >>> contour("himmelblau", paths=paths)  # doctest: +SKIP
    """
    _require(history, ["iter", "x"], "a history with points (x)")
    keys = [k for k in ("job", "trajectory") if k in history.columns]
    ordered = history.sort_values([*keys, "iter"])
    groups = ordered.groupby(keys, observed=True, sort=True) if keys else [((), ordered)]
    return [np.stack([np.asarray(p, np.float64) for p in g["x"]]) for _, g in groups]


# -- helpers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Range:
    """Where values go on a value axis: the floor and the ceiling for 0 and +inf."""

    log: bool
    floor: float
    ceiling: float
    bottom: float
    top: float
    clipped: bool  # some value is drawn at the floor
    diverged: bool  # some value is +inf

    def y(self, values: Array) -> Array:
        out = np.array(values, np.float64)
        if self.log:
            out[out <= self.floor] = self.floor
            out[np.isfinite(out) & (out > HUGE)] = HUGE
        out[np.isposinf(out)] = self.ceiling
        out[np.isneginf(out)] = self.bottom
        return out

    def decorate(self, ax: Axes) -> list[Artist]:
        """Scale and limits; the floor and ceiling lines, returned for the legend."""
        if self.log:
            ax.set_yscale("log")
        ax.set_ylim(self.bottom, self.top)
        marks: list[Artist] = []
        if self.clipped:
            marks.append(
                ax.axhline(
                    self.floor,
                    color=GREY,
                    linestyle="--",
                    linewidth=1.2,
                    label=f"<= {self.floor:g} (floor)",
                    gid="floor",
                )
            )
        if self.diverged:
            marks.append(
                ax.axhline(
                    self.ceiling,
                    color=GREY,
                    linestyle=":",
                    linewidth=1.4,
                    label="+inf (diverged)",
                    gid="ceiling",
                )
            )
        return marks


def _value_range(values: Array, floor: float, log: bool | None) -> _Range:
    v = np.asarray(values, np.float64).ravel()
    v = v[~np.isnan(v)]
    finite = v[np.isfinite(v)]
    diverged = bool(np.isposinf(v).any())
    positive = finite[finite > floor]
    if log is None:
        log = finite.size > 0 and finite.min() >= 0 and _spans_decade(positive)
    if log:
        clipped = bool((finite <= floor).any())
        low = float(positive.min()) if positive.size else floor
        high = float(positive.max()) if positive.size else max(floor * 100, 1.0)
        low, high = min(low, HUGE), min(high, HUGE)
        low = min(low, floor) if clipped else low
        ceiling = high * 10
        return _Range(
            True, floor, ceiling, low / 3, (ceiling if diverged else high) * 3, clipped, diverged
        )
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 1.0
    span = high - low or abs(high) or 1.0
    ceiling = high + 0.15 * span
    top = (ceiling if diverged else high) + 0.06 * span
    return _Range(False, floor, ceiling, low - 0.06 * span, top, False, diverged)


def _spans_decade(values: Array) -> bool:
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    return v.size > 0 and float(v.max()) >= 10 * float(v.min())


def _fill_band(ax: Axes, x: Array, low: pd.Series, high: pd.Series, r: _Range, color: str) -> None:
    """The quantile band between ``low`` and ``high``, floor and ceiling applied."""
    ax.fill_between(
        x,
        r.y(low.to_numpy(np.float64)),
        r.y(high.to_numpy(np.float64)),
        color=color,
        alpha=BAND_ALPHA,
        linewidth=0,
        gid="band",
    )


def _mark_inf(ax: Axes, x: Array, values: Array, r: _Range, color: str, first_only: bool) -> bool:
    """An X at the ceiling where ``values`` is +inf (only where it first becomes so, with
    ``first_only``: a curve over iterations stays diverged); whether there is one."""
    inf = np.isposinf(values)
    if not inf.any():
        return False
    at = x[[int(np.argmax(inf))]] if first_only else x[inf]
    ax.scatter(
        at,
        np.full(len(at), r.ceiling),
        marker="X",
        s=90,
        color=color,
        edgecolors="black",
        linewidths=0.8,
        zorder=4,
        clip_on=False,
        gid="diverged",
    )
    return True


def _panels(frame: pd.DataFrame, facet: str | None) -> list[tuple[str | None, pd.DataFrame]]:
    """(title, rows) per value of ``facet`` in sorted order; the whole frame without one."""
    if facet is None:
        return [(None, frame)]
    if facet not in frame.columns:
        raise ValueError(f"facet: the frame has no column {facet}")
    return [
        (_named(facet, v), g)
        for v, g in frame.groupby(facet, observed=True, dropna=False, sort=True)
    ]


def _facet_size(n: int, height: float = 3.6) -> tuple[float, float]:
    """A figure of ``n`` panels, `FACET_COLUMNS` to a row, with room for a legend below."""
    columns = min(n, FACET_COLUMNS)
    rows = -(-n // columns)
    return 0.6 + 4.2 * columns, 1.6 + height * rows


def _panel_axes(fig: Figure, n: int) -> list[Axes]:
    """``n`` axes, `FACET_COLUMNS` to a row (one axes for ``n == 1``)."""
    columns = min(n, FACET_COLUMNS)
    grid = np.asarray(fig.subplots(-(-n // columns), columns, squeeze=False)).ravel()
    for ax in grid[n:]:
        fig.delaxes(ax)
    return [cast(Axes, ax) for ax in grid[:n]]


def _panel_edges(i: int, n: int) -> tuple[bool, bool]:
    """Whether panel ``i`` of ``n`` starts a row (y label) and has none below it (x label)."""
    columns = min(n, FACET_COLUMNS)
    return i % columns == 0, i + columns >= n


def _place_legend(
    fig: Figure,
    axes: list[Axes],
    handles: list[Artist],
    title: str | None,
    below: bool,
    suptitle: str | None,
) -> None:
    """Right of the single axes, or one legend for the figure below its panels."""
    if not below:
        _legend(axes[0], handles, title)
        return
    if suptitle:
        fig.suptitle(suptitle, fontsize=TITLE_SIZE)
    width = fig.get_figwidth()
    fig.legend(
        handles=handles,
        title=title,
        loc="outside lower center",
        ncols=max(1, min(len(handles), int(width // 3.1))),
        fontsize=LEGEND_SIZE,
        title_fontsize=LEGEND_SIZE,
        frameon=False,
    )


def _figure(figsize: tuple[float, float]) -> Figure:
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)  # its own canvas: draw() and savefig work with no pyplot backend
    return fig


def _cmap() -> Colormap:
    import matplotlib as mpl

    return mpl.colormaps[CMAP]


def _style(i: int) -> dict[str, str]:
    return {
        "color": OKABE_ITO[i % len(OKABE_ITO)],
        "linestyle": LINESTYLES[i % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
    }


def _labels(ax: Axes, x: str | None, y: str | None, title: str | None, grid: bool = True) -> None:
    if x is not None:
        ax.set_xlabel(x, fontsize=LABEL_SIZE)
    if y is not None:
        ax.set_ylabel(y, fontsize=LABEL_SIZE)
    if title:
        ax.set_title(title, fontsize=TITLE_SIZE)
    ax.tick_params(labelsize=TICK_SIZE)
    if grid:
        ax.grid(True, which="major", linewidth=0.6, alpha=0.35)


def _legend(ax: Axes, handles: list[Artist], title: str | None, below: bool = False) -> None:
    """The legend outside the axes (right, or below): it never hides a curve."""
    where: dict[str, Any] = (
        {"loc": "upper center", "bbox_to_anchor": (0.5, -0.14), "ncols": 3}
        if below
        else {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0)}
    )
    ax.legend(
        handles=handles,
        title=title,
        fontsize=LEGEND_SIZE,
        title_fontsize=LEGEND_SIZE,
        frameon=False,
        **where,
    )


def _band_handle(lo: str, hi: str) -> Patch:
    """ "25-75% of seeds" for the band between the columns q0.25 and q0.75 (or final_q...)."""
    q = [100 * float(c.rsplit("q", 1)[1]) for c in (lo, hi)]
    label = f"{q[0]:g}-{q[1]:g}% of seeds"
    return Patch(color=GREY, alpha=BAND_ALPHA * 1.5, linewidth=0, label=label)


def _diverged_handle(label: str) -> Line2D:
    return Line2D(
        [],
        [],
        marker="X",
        markersize=9,
        color=GREY,
        markeredgecolor="black",
        linestyle="none",
        label=label,
    )


def _limits(ax: Axes, x: Array, log: bool) -> None:
    """x limits that matplotlib cannot get wrong: a single value, or log with values <= 0."""
    v = np.asarray(x, np.float64)
    v = v[np.isfinite(v) & ((v > 0) if log else True)]
    if v.size == 0:
        return
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        ax.set_xlim(lo / 2, hi * 2) if log else ax.set_xlim(lo - 1, hi + 1)
    elif log:
        ax.set_xlim(lo / 1.25, hi * 1.25)


def _require(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame lacks {', '.join(missing)}: expected {source}'s frame")
    if frame.empty:
        raise ValueError("the frame has no rows")


def _quantile_columns(frame: pd.DataFrame, which: str) -> dict[float, str]:
    """``{quantile: column}`` of the ``q<q>`` (``which=""``) or ``<which>_q<q>`` columns."""
    out: dict[float, str] = {}
    for c in frame.columns:
        m = _QUANTILE.fullmatch(str(c))
        if m and (m.group(1) or "") == which:
            try:
                out[float(m.group(2))] = str(c)
            except ValueError:
                continue
    return out


def _band(quantiles: dict[float, str]) -> tuple[str, str]:
    """The lowest and highest quantile columns around the median, "" where there are none."""
    below = [q for q in quantiles if q < 0.5]
    above = [q for q in quantiles if q > 0.5]
    if not below or not above:
        return "", ""
    return quantiles[min(below)], quantiles[max(above)]


def _hue_keys(frame: pd.DataFrame, hue: Hue) -> list[str]:
    if hue is None:
        return [
            str(c) for c in frame.columns if c not in _VALUES and not _QUANTILE.fullmatch(str(c))
        ]
    keys = [hue] if isinstance(hue, str) else list(hue)
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise ValueError(f"hue: the frame has no column {', '.join(missing)}")
    return keys


def _label_groups(frame: pd.DataFrame, shown: list[str], x: str) -> list[tuple[str, pd.DataFrame]]:
    """(label, rows sorted by ``x``) per group of exactly the keys ``shown``."""
    if not shown:
        groups: list[tuple[str, pd.DataFrame]] = [("all", frame)]
    else:
        groups = [
            (_label(shown, key if isinstance(key, tuple) else (key,)), g)
            for key, g in frame.groupby(shown, observed=True, dropna=False, sort=True)
        ]
    for label, g in groups:
        if g[x].duplicated().any():
            raise ValueError(
                f"group {label!r} has more than one row per {x}: name every group key in hue "
                "or filter the frame"
            )
    return [(label, g.sort_values(x)) for label, g in groups]


def _labelled(frame: pd.DataFrame, shown: list[str]) -> list[str]:
    """The labels of the groups of ``frame`` by the keys ``shown``, in sorted key order."""
    if not shown:
        return ["all"]
    keys = frame[shown].drop_duplicates().sort_values(shown)
    return [_label(shown, tuple(row)) for row in keys.itertuples(index=False, name=None)]


def _label(shown: list[str], values: tuple[Any, ...]) -> str:
    if len(shown) == 1:
        return _format(shown[0], values[0])
    return ", ".join(_named(k, v) for k, v in zip(shown, values, strict=True))


def _format(key: str, value: object) -> str:
    if key == "optimizer":
        return OPTIMIZER_LABELS.get(str(value), str(value))
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    if isinstance(value, tuple | list | np.ndarray):  # e.g. bounds: "[-1, 1]"
        return "[" + ", ".join(_format(key, v) for v in value) + "]"
    return str(value)


def _tick(key: str, value: object) -> str:
    """A short tick label: 3 significant digits for a float."""
    if isinstance(value, float | np.floating):
        return f"{value:.3g}"
    return _format(key, value)


def _named(key: str, value: object) -> str:
    if key == "optimizer":
        return _format(key, value)
    return f"{AXIS_LABELS.get(key, key)} {_format(key, value)}"


def _column_label(column: str, value: str) -> str:
    m = _QUANTILE.fullmatch(column)
    if not m:
        return column
    stat = "median" if float(m.group(2)) == 0.5 else f"{m.group(2)} quantile of"
    return f"{stat} {m.group(1) or ''} {VALUE_LABELS.get(value, value)}".replace("  ", " ")


def _luminance(rgba: tuple[float, float, float, float]) -> float:
    r, g, b, _ = rgba
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _objective(name: str) -> Objective:
    if name not in OBJECTIVES:
        raise ValueError(f"objective: {name!r} is not one of {', '.join(OBJECTIVES)}")
    spec = OBJECTIVES[name]
    smallest, largest = spec.dims
    if smallest > 2 or (largest is not None and largest < 2):
        raise ValueError(f"objective: {name} is not defined in 2-D")
    return spec


def _bounds(
    bounds: Bounds | None, default: tuple[float, float]
) -> tuple[tuple[float, float], tuple[float, float]]:
    b = np.asarray(default if bounds is None else bounds, np.float64)
    if b.shape == (2,):
        b = np.stack([b, b])
    if b.shape != (2, 2) or not np.isfinite(b).all() or (b[:, 1] <= b[:, 0]).any():
        raise ValueError(f"bounds: (lo, hi) or ((x1_lo, x1_hi), (x2_lo, x2_hi)), got {bounds!r}")
    return (float(b[0, 0]), float(b[0, 1])), (float(b[1, 0]), float(b[1, 1]))


def _grid(
    name: str,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    resolution: int,
    params: Array | None,
) -> tuple[Array, Array, Array]:
    """The objective on a grid, by its jitted block evaluator: (X, Y, F), each (n, n)."""
    spec = OBJECTIVES[name]
    xs, ys = np.meshgrid(np.linspace(*x_range, resolution), np.linspace(*y_range, resolution))
    block = np.ascontiguousarray(np.stack([xs.ravel(), ys.ravel()]))
    grad = np.empty_like(block)
    f = np.empty(block.shape[1])
    p = spec.params(2) if params is None else np.ascontiguousarray(params, np.float64)
    spec.evaluate(block, grad, f, p)
    return xs, ys, f.reshape(xs.shape)


def _as_paths(paths: Sequence[Array] | Array | None) -> list[Array]:
    if paths is None:
        return []
    if isinstance(paths, np.ndarray) and paths.ndim == 2:
        paths = [paths]
    out = [np.asarray(p, np.float64) for p in paths]
    for p in out:
        if p.ndim != 2 or p.shape[1] != 2 or len(p) == 0:
            raise ValueError(f"paths: each path is a (k, 2) array of iterates, got {p.shape}")
    return out


def _paths(ax: Axes, paths: list[Array], labels: Sequence[str] | None) -> list[Artist]:
    """Each path as connected dots, its start, its end, its divergence; legend handles."""
    if labels is not None and len(labels) != len(paths):
        raise ValueError(f"labels: {len(labels)} for {len(paths)} paths")
    handles: list[Artist] = []
    ends = {"start": False, "end": False, "diverged": False}
    for i, p in enumerate(paths):
        color = OKABE_ITO[i % len(OKABE_ITO)]
        ok: Array = np.all(np.isfinite(p), axis=1, keepdims=False)
        shown = np.where(ok[:, None], p, np.nan)  # a row past a divergence breaks the line
        label = labels[i] if labels is not None else (f"path {i + 1}" if len(paths) > 1 else "path")
        (line,) = ax.plot(
            shown[:, 0],
            shown[:, 1],
            color=color,
            marker="o",
            markersize=3.5,
            linewidth=1.4,
            label=label,
            gid="path",
        )
        if labels is not None or len(paths) <= 8:
            handles.append(line)
        if not ok.any():
            continue
        finite = np.flatnonzero(ok)
        start, end = finite[0], finite[-1]
        ax.plot(
            [p[start, 0]],
            [p[start, 1]],
            marker="o",
            markersize=10,
            markerfacecolor="none",
            markeredgecolor="black",
            markeredgewidth=1.6,
            linestyle="none",
            gid="start",
        )
        ends["start"] = True
        if not ok.all():
            first_bad = int(np.argmin(ok))
            last = finite[finite < first_bad][-1] if (finite < first_bad).any() else end
            ax.plot(
                [p[last, 0]],
                [p[last, 1]],
                marker="X",
                markersize=11,
                color=color,
                markeredgecolor="black",
                linestyle="none",
                gid="diverged",
            )
            ends["diverged"] = True
        else:
            ax.plot(
                [p[end, 0]],
                [p[end, 1]],
                marker="*",
                markersize=14,
                color=color,
                markeredgecolor="black",
                linestyle="none",
                gid="end",
            )
            ends["end"] = True
    if ends["start"]:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                markersize=10,
                markerfacecolor="none",
                markeredgecolor="black",
                linestyle="none",
                label="start",
            )
        )
    if ends["end"]:
        handles.append(
            Line2D(
                [],
                [],
                marker="*",
                markersize=14,
                color=GREY,
                markeredgecolor="black",
                linestyle="none",
                label="end",
            )
        )
    if ends["diverged"]:
        handles.append(_diverged_handle("diverged (last finite point)"))
    return handles
