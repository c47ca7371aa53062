"""Convergence curves and step-size sensitivity, medians over seeds with quartile bands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from adagrad_lab.plots.labels import (
    VALUE_LABELS,
    Hue,
    _band,
    _groups,
    _label_groups,
    _quantile_columns,
    _require,
)
from adagrad_lab.plots.legends import _Legend
from adagrad_lab.plots.scales import (
    _fill_band,
    _limits,
    _mark_inf,
    _scaled_range,
    _spans_decade,
    _value_range,
)
from adagrad_lab.plots.style import (
    FACET_COLUMNS,
    FIGSIZE,
    FLOOR,
    LINE_WIDTH,
    Entry,
    _band_handle,
    _curve_style,
    _diverged_handle,
    _facet_size,
    _figure,
    _labels,
    _panel_axes,
    _panel_edges,
    _panels,
    _place_legend,
)


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
    scale_by: pd.DataFrame | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
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
    ``scale_by`` (rows of key values, e.g. the step sizes where no seed
    diverged) limits the value axis to those curves' data: the others are drawn
    clipped into it, so one diverging curve cannot squeeze the rest flat.
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
    groups = _groups(frame, hue, [facet] if facet else [], [facet] if facet else [])
    drawn = [c for c in ("q0.5", lo, hi) if c]
    values = frame[drawn].to_numpy(np.float64)
    if scale_by is None:
        r = _value_range(values, floor, logy)
    else:
        r = _scaled_range(
            values, _rows_of(frame, scale_by)[drawn].to_numpy(np.float64), floor, logy
        )
    every_x = frame["iter"].to_numpy(np.float64) + (1.0 if logx else 0.0)

    fig = _figure(figsize or (FIGSIZE if facet is None else _facet_size(len(panels))))
    axes = _panel_axes(fig, len(panels))
    legend = _Legend(groups)
    bands: dict[str, str] = {}
    marks: dict[str, Artist] = {}
    diverged = False
    for i, (ax, (panel, part)) in enumerate(zip(axes, panels, strict=True)):
        for label, g in _label_groups(part, groups, "iter"):
            style = _curve_style(groups, label)
            x = g["iter"].to_numpy(np.float64) + (1.0 if logx else 0.0)
            median = g["q0.5"].to_numpy(np.float64)
            if lo and hi:
                _fill_band(ax, x, g[lo], g[hi], r, style["color"])
                bands[label] = style["color"]
            (line,) = ax.plot(
                x,
                r.y(median),
                color=style["color"],
                linestyle=style["linestyle"],
                linewidth=LINE_WIDTH,
                label=label,
                gid="median",
            )
            legend.add(ax, label, line, g)
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
            panel,
        )
    entries = legend.entries()
    if lo and hi:
        band_handle = _band_handle(lo, hi, [bands[k] for k in groups.labels if k in bands])
        entries.append((band_handle, str(band_handle[0].get_label())))
    if diverged:
        entries.append(_entry(_diverged_handle("median diverged")))
    entries += [_entry(m) for m in marks.values()]
    _place_legend(fig, axes, entries, groups.title, facet is not None, title, subtitle)
    return fig


DIVERGED_LABEL = "fraction diverged"  # the y label of a diverged fraction


def _entry(artist: Artist) -> Entry:
    return artist, str(artist.get_label())


def _rows_of(frame: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` whose values of the columns of ``keys`` are one of its rows."""
    columns = list(keys.columns)
    index = pd.MultiIndex.from_frame(keys[columns])
    return frame[index.get_indexer(pd.MultiIndex.from_frame(frame[columns])) >= 0]


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
    subtitle: str | None = None,
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
    panels = _panels(frame, facet)
    groups = _groups(frame, hue, ["step_size", *([facet] if facet else [])], [])
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
    legend = _Legend(groups)
    bands: dict[str, str] = {}
    marks: dict[str, Artist] = {}
    diverged = False
    for j, (panel, part) in enumerate(panels):
        row, column = 2 * (j // columns), j % columns
        top, bottom = cast(Axes, axes[row, column]), cast(Axes, axes[row + 1, column])
        for label, g in _label_groups(part, groups, "step_size"):
            style = _curve_style(groups, label)
            x = g["step_size"].to_numpy(np.float64)
            y = g[median].to_numpy(np.float64)
            if lo and hi:
                _fill_band(top, x, g[lo], g[hi], r, style["color"])
                bands[label] = style["color"]
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
            legend.add(top, label, line, g)
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
            panel,
        )
        bottom.set_ylim(-0.05, 1.05)
        bottom.set_yticks([0.0, 0.5, 1.0])
        _labels(bottom, "step size", DIVERGED_LABEL if column == 0 else None, None)
    entries = legend.entries()
    if lo and hi:
        band_handle = _band_handle(lo, hi, [bands[k] for k in groups.labels if k in bands])
        entries.append((band_handle, str(band_handle[0].get_label())))
    if diverged:
        entries.append(_entry(_diverged_handle("median diverged")))
    entries += [_entry(m) for m in marks.values()]
    top_left = [cast(Axes, axes[0, 0])]
    _place_legend(fig, top_left, entries, groups.title, facet is not None, title, subtitle)
    return fig
