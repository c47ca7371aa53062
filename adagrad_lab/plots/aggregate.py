"""Figures of the statistics across problems and budgets: the runtime ECDF aggregated over
problems, its area under the curve in the legend, and the fixed-budget view."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from adagrad_lab import analysis
from adagrad_lab.plots.intervals import (
    _curves,
    _interval_handle,
    _legend_title,
    interval_band,
)
from adagrad_lab.plots.labels import VALUE_LABELS, _band, _hue_keys, _quantile_columns, _require
from adagrad_lab.plots.scales import _mark_inf, _spans_decade, _value_range
from adagrad_lab.plots.style import (
    FIGSIZE,
    FLOOR,
    GREY,
    LEGEND_SIZE,
    LINE_WIDTH,
    _figure,
    _headline,
    _labels,
    _legend,
)

ECDF_COLUMNS = frozenset({"iter", "fraction", "pairs"})

BUDGET_COLUMNS = frozenset({"budget", "n"})


def aggregated_ecdf(
    frame: pd.DataFrame,
    areas: pd.DataFrame | None = None,
    hue: str | Sequence[str] | None = None,
    *,
    targets: Sequence[float] | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
) -> Figure:
    """The runtime ECDF over problems: one step curve per solver, its area in the legend.

    ``frame`` is `analysis.aggregated_ecdf`'s (or `analysis.runtime_ecdf`'s);
    ``areas`` `analysis.ecdf_area`'s of it (default: computed over the frame's
    whole range, which the legend's title states). The x axis is logarithmic at
    iteration + 1 (gradient evaluations, COCO's axis). ``targets``, when given,
    are written on the figure with the number of (problem, target) pairs.
    ``subtitle``: a line under the title (`labels.describe_run`'s). Artists: "ecdf"
    (the curves), "note" (the targets).

    >>> ecdf = analysis.aggregated_ecdf(res, by=["optimizer"])  # doctest: +SKIP
    >>> aggregated_ecdf(ecdf, targets=analysis.DEFAULT_TARGETS).savefig("ecdf.pdf")
    ... # doctest: +SKIP
    """
    _require(frame, ["iter", "fraction"], "analysis.aggregated_ecdf")
    keys = _hue_keys(frame, hue, set(ECDF_COLUMNS))
    if areas is None:
        areas = analysis.ecdf_area(frame, by=keys)
    _require(areas, [*keys, "auc", "lower", "upper"], "analysis.ecdf_area")
    fig = _figure(figsize or FIGSIZE)
    ax = fig.subplots()
    right = (float(frame["iter"].max()) + 1.0) * 1.25
    lines: list[Artist] = []
    for label, rows, style in _curves(frame, keys, "iter"):
        auc = _area(areas, keys, rows)
        x = rows["iter"].to_numpy(np.float64) + 1.0
        y = rows["fraction"].to_numpy(np.float64)
        # a fraction stays at its last value for every larger x: drawn to the right edge
        (line,) = ax.plot(
            np.append(x, right), np.append(y, y[-1]), drawstyle="steps-post",
            color=style["color"], linestyle=style["linestyle"], linewidth=LINE_WIDTH,
            label=f"{label} (AUC {auc:.2f})", gid="ecdf",
        )  # fmt: skip
        lines.append(line)
    ax.set_xscale("log")
    ax.set_xlim(1.0, right)
    ax.set_ylim(-0.02, 1.02)
    pairs = int(frame["pairs"].iloc[0]) if "pairs" in frame.columns else None
    if targets is not None or pairs is not None:
        ax.text(
            0.02, 0.97, _note(targets, pairs), transform=ax.transAxes, va="top",
            fontsize=LEGEND_SIZE, color=GREY, gid="note",
        )  # fmt: skip
    lo, hi = int(areas["lower"].iloc[0]), int(areas["upper"].iloc[0])
    heading = _legend_title(frame, keys)
    span = f"AUC: log axis, iterations {lo}-{hi}"
    _labels(
        ax,
        "iteration + 1 (gradient evaluations)",
        "fraction of (problem, target) pairs solved",
        None,
    )
    _legend(ax, lines, f"{heading}\n{span}" if heading else span)
    _headline(fig, ax, title, subtitle, False)
    return fig


def fixed_budget(
    frame: pd.DataFrame,
    hue: str | Sequence[str] | None = None,
    *,
    value: str = "auto",
    logy: bool | None = None,
    floor: float = FLOOR,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
) -> Figure:
    """The fixed-budget view: the median value reached after k iterations, one line per group,
    with bars from its lowest to its highest quantile.

    ``frame`` is `analysis.fixed_budget`'s (the group keys, ``budget``, ``n``,
    ``q<quantile>``); ``value`` names the y axis as it was computed ("auto":
    f - f*). Log axes where the data span a decade; 0 at ``floor``, +inf as
    X markers at a ceiling. The bars of neighbouring groups are set slightly
    apart on the x axis so they do not hide each other. ``subtitle`` as in
    `aggregated_ecdf`. Artists: "median",
    "ci" (the bars), "diverged", "floor", "ceiling".

    >>> fixed_budget(analysis.fixed_budget(res, budgets=[10, 100, 1000]))  # doctest: +SKIP
    """
    _require(frame, ["budget", "q0.5"], "analysis.fixed_budget")
    quantiles = _quantile_columns(frame, "")
    low, high = _band(quantiles)
    keys = _hue_keys(frame, hue, set(BUDGET_COLUMNS))
    curves = _curves(frame, keys, "budget")
    shown = [c for c in (low, "q0.5", high) if c]
    r = _value_range(frame[shown].to_numpy(np.float64), floor, logy)
    budgets = frame["budget"].to_numpy(np.float64)
    logx = bool((budgets > 0).all() and _spans_decade(budgets))
    fig = _figure(figsize or FIGSIZE)
    ax = fig.subplots()
    entries: list[Artist] = []
    for i, (label, rows, style) in enumerate(curves):
        x = _dodged(rows["budget"].to_numpy(np.float64), i, len(curves), logx)
        median = rows["q0.5"].to_numpy(np.float64)
        (line,) = ax.plot(
            x, r.y(median), color=style["color"], linestyle=style["linestyle"],
            marker=style["marker"], linewidth=LINE_WIDTH, label=label, gid="median",
        )  # fmt: skip
        entries.append(line)
        if low:
            interval_band(ax, x, rows[low], rows[high], color=style["color"], kind="bars", clip=r.y)
        _mark_inf(ax, x, median, r, style["color"], first_only=False)
    if low:
        entries.append(_interval_handle(_bars_label(low, high), "bars"))
    entries += r.decorate(ax)
    if logx:
        ax.set_xscale("log")
        ax.set_xlim(budgets.min() / 1.6, budgets.max() * 1.6)
    label = VALUE_LABELS.get(value, value)
    _labels(ax, "budget k (iterations)", f"{label} after k iterations", None)
    _legend(ax, entries, _legend_title(frame, keys))
    _headline(fig, ax, title, subtitle, False)
    return fig


def _area(areas: pd.DataFrame, keys: list[str], rows: pd.DataFrame) -> float:
    """The ``auc`` of the curve ``rows`` (its row of ``areas``)."""
    mine = areas
    for k in keys:
        value = rows[k].iloc[0]
        mine = mine[mine[k].isna()] if pd.isna(value) else mine[mine[k] == value]
    if len(mine) != 1:
        raise ValueError("areas: one row per curve expected (analysis.ecdf_area of the frame)")
    return float(mine["auc"].iloc[0])


def _note(targets: Sequence[float] | None, pairs: int | None) -> str:
    lines = []
    if targets is not None:
        ts = sorted({float(t) for t in targets}, reverse=True)
        shown = ", ".join(f"{t:g}" for t in ts) if len(ts) <= 4 else f"{ts[0]:g} ... {ts[-1]:g}"
        lines.append(f"targets {shown} ({len(ts)})")
    if pairs is not None:
        lines.append(f"{pairs} (problem, target) pairs, weighted equally")
    return "\n".join(lines)


def _bars_label(low: str, high: str) -> str:
    """ "25-75% of seeds" for the bars from the column q0.25 to q0.75."""
    q = [100 * float(c[1:]) for c in (low, high)]
    return f"{q[0]:g}-{q[1]:g}% of seeds"


def _dodged(x: np.ndarray, i: int, n: int, log: bool) -> np.ndarray:
    """``x`` moved a little for curve ``i`` of ``n``: all within a fifth of a decade on a
    log axis (2% of the range on a linear one)."""
    offset = (i - (n - 1) / 2) * min(0.04, 0.2 / max(n - 1, 1))
    return x * 10**offset if log else x + 0.1 * offset * (np.ptp(x) or 1.0)
