"""Bootstrap intervals drawn where a comparison is made: a band or bars around a median or a
fraction (`analysis.bootstrap_median`, `analysis.bootstrap_fraction`), and the curves'
shared grouping and colours for the statistics figures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from adagrad_lab.plots.labels import (
    AXIS_LABELS,
    _format,
    _groups,
    _hue_keys,
    _label_groups,
    _named,
    _require,
)
from adagrad_lab.plots.scales import _limits, _mark_inf, _spans_decade, _value_range
from adagrad_lab.plots.style import (
    BAND_ALPHA,
    FIGSIZE,
    FLOOR,
    GREY,
    LINE_WIDTH,
    _figure,
    _labels,
    _legend,
    _panels,
    _sequential,
    _style,
)

Array = np.ndarray[Any, Any]

Values = Sequence[float] | Array | pd.Series  # one number per x

KINDS = ("band", "bars")

INTERVAL_COLUMNS = frozenset({"n", "median", "converged", "diverged", "lower", "upper", "level"})


def interval_band(
    ax: Axes,
    x: Values,
    lower: Values,
    upper: Values,
    *,
    color: str = GREY,
    kind: str = "band",
    clip: Callable[[Array], Array] | None = None,
) -> Artist:
    """Draw the intervals ``[lower, upper]`` at ``x`` on ``ax``: a shaded band (``kind="band"``,
    for a curve over a numeric x) or vertical bars (``"bars"``, for separate points).

    ``clip`` maps values to where the axis draws them (a log axis's floor for
    0, its ceiling for +inf); without it, values are drawn as they are. The
    artist has the gid "ci". For the sensitivity figure: the band of
    `analysis.bootstrap_median` around each step size's median.

    >>> ci = analysis.bootstrap_median(res)  # doctest: +SKIP
    >>> interval_band(ax, ci["step_size"], ci["lower"], ci["upper"], color="C0")  # doctest: +SKIP
    """
    if kind not in KINDS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(map(repr, KINDS))}")
    xs, lo, hi = (np.asarray(a, np.float64) for a in (x, lower, upper))
    if not xs.ndim == lo.ndim == hi.ndim == 1 or not len(xs) == len(lo) == len(hi):
        raise ValueError("lower: x, lower and upper must be 1-D and of one length")
    if clip is not None:
        lo, hi = clip(lo), clip(hi)
    if kind == "band":
        return ax.fill_between(xs, lo, hi, color=color, alpha=BAND_ALPHA, linewidth=0, gid="ci")
    return ax.vlines(xs, lo, hi, colors=color, linewidth=LINE_WIDTH * 0.8, gid="ci")


def bootstrap_intervals(
    frame: pd.DataFrame,
    x: str = "step_size",
    hue: str | Sequence[str] | None = None,
    *,
    kind: str = "band",
    logy: bool | None = None,
    floor: float = FLOOR,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Medians or fractions against ``x``, one curve per group, with their bootstrap intervals.

    ``frame`` is `analysis.bootstrap_median`'s (a log value axis where the
    medians span a decade: 0 at ``floor``, +inf as X markers at a ceiling) or
    `analysis.bootstrap_fraction`'s (a linear axis from 0 to 1). ``hue``: the
    keys that tell curves apart (default: every key but ``x``). ``kind`` as in
    `interval_band`. Artists: "median" or "fraction" (the curves), "ci".

    >>> bootstrap_intervals(analysis.bootstrap_fraction(res, outcome="diverged")).savefig("div.pdf")
    ... # doctest: +SKIP
    """
    y = next((c for c in ("median", "converged", "diverged") if c in frame.columns), "median")
    _require(frame, [x, y, "lower", "upper"], "analysis.bootstrap_median or bootstrap_fraction")
    keys = _hue_keys(frame, hue, {x, *INTERVAL_COLUMNS})
    curves = _curves(frame, keys, x)
    fig = _figure(figsize or FIGSIZE)
    ax = fig.subplots()
    every = frame[[y, "lower", "upper"]].to_numpy(np.float64)
    r = _value_range(every, floor, logy) if y == "median" else None
    entries: list[Artist] = []
    for label, rows, style in curves:
        xs = rows[x].to_numpy(np.float64)
        centre = rows[y].to_numpy(np.float64)
        shown = centre if r is None else r.y(centre)
        (line,) = ax.plot(
            xs, shown, color=style["color"], linestyle=style["linestyle"],
            marker=style["marker"], linewidth=LINE_WIDTH, label=label,
            gid="median" if y == "median" else "fraction",
        )  # fmt: skip
        entries.append(line)
        interval_band(
            ax, xs, rows["lower"], rows["upper"], color=style["color"], kind=kind,
            clip=None if r is None else r.y,
        )  # fmt: skip
        if r is not None:
            _mark_inf(ax, xs, centre, r, style["color"], first_only=False)
    level = float(frame["level"].iloc[0]) if "level" in frame.columns else None
    entries.append(_interval_handle(_interval_label(level), kind))
    if r is not None:
        entries += r.decorate(ax)
    else:
        ax.set_ylim(-0.02, 1.02)
    xv = frame[x].to_numpy(np.float64)
    logx = bool((xv > 0).all() and _spans_decade(xv))
    if logx:
        ax.set_xscale("log")
    _limits(ax, xv, logx)
    ylabel = "median final f" if y == "median" else f"fraction {y}"
    _labels(ax, AXIS_LABELS.get(x, x), ylabel, title)
    _legend(ax, entries, _legend_title(frame, keys))
    return fig


def sensitivity_intervals(
    fig: Figure,
    frame: pd.DataFrame,
    hue: str | Sequence[str] | None = None,
    *,
    facet: str | None = None,
    kind: str = "bars",
) -> list[Artist]:
    """Draw bootstrap intervals on a `curves.sensitivity` figure: around each median, and
    around each fraction diverged where ``frame`` has its interval.

    ``frame`` is `analysis.bootstrap_outcomes`'s (``median_lower``, ``median_upper``,
    and ``diverged_lower``, ``diverged_upper`` for the lower axes) or
    `analysis.bootstrap_median`'s (``lower``, ``upper``), grouped as the figure's
    frame was; ``hue`` and ``facet`` as the figure was drawn with, so that each
    group's interval lands on its curve, in its colour, clipped to the axes'
    value range (0 at the floor, +inf at the ceiling). ``kind`` as in
    `interval_band`; bars by default, apart from the figure's quartile bands.
    Returns the artists drawn (gid "ci").

    >>> fig = sensitivity(table, facet="objective")  # doctest: +SKIP
    >>> sensitivity_intervals(fig, analysis.bootstrap_outcomes(res), facet="objective")
    ... # doctest: +SKIP
    """
    low, high = ("median_lower", "median_upper") if "median_lower" in frame else ("lower", "upper")
    _require(frame, ["step_size", low, high], "analysis.bootstrap_outcomes")
    panels = _panels(frame, facet)
    groups = _groups(frame, hue, ["step_size", *([facet] if facet else [])], [])
    tops = _axes_with(fig, "median")
    bottoms = _axes_with(fig, "diverged_fraction")
    if len(tops) != len(panels) or len(bottoms) != len(panels):
        raise ValueError(f"fig: {len(panels)} panels expected (a sensitivity figure of the frame)")
    drawn: list[Artist] = []
    for top, bottom, (_, part) in zip(tops, bottoms, panels, strict=True):
        medians = [line for line in top.lines if line.get_gid() == "median"]
        fractions = [line for line in bottom.lines if line.get_gid() == "diverged_fraction"]
        labels = [str(line.get_label()) for line in medians]
        for label, rows in _label_groups(part, groups, "step_size"):
            if label not in labels:
                raise ValueError(f"fig: no curve {label!r}: draw it with the same hue and facet")
            at = labels.index(label)
            x = rows["step_size"]
            drawn.append(_clipped(top, x, rows[low], rows[high], medians[at], kind))
            if "diverged_lower" in rows:
                drawn.append(
                    _clipped(bottom, x, rows["diverged_lower"], rows["diverged_upper"],
                             fractions[at], kind)
                )  # fmt: skip
    return drawn


def _axes_with(fig: Figure, gid: str) -> list[Axes]:
    """The axes of ``fig`` that hold a line of ``gid``, in the figure's order (row by row)."""
    return [ax for ax in fig.axes if any(line.get_gid() == gid for line in ax.lines)]


def _clipped(ax: Axes, x: Values, lower: Values, upper: Values, line: Line2D, kind: str) -> Artist:
    """`interval_band` on ``ax`` in ``line``'s colour, clipped to the axes' value range, which
    it keeps."""
    bottom, top = ax.get_ylim()

    def clip(v: Array) -> Array:
        shown: Array = np.clip(np.nan_to_num(v, nan=bottom, posinf=top, neginf=bottom), bottom, top)
        return shown

    artist = interval_band(ax, x, lower, upper, color=str(line.get_color()), kind=kind, clip=clip)
    ax.set_ylim(bottom, top)
    return artist


def _interval_handle(label: str, kind: str) -> Artist:
    """The legend's swatch of an interval as it is drawn: a shaded patch or a bar."""
    if kind == "band":
        return Patch(color=GREY, alpha=BAND_ALPHA * 1.5, linewidth=0, label=label)
    return Line2D([], [], color=GREY, marker="|", markersize=12, linestyle="none", label=label)


def _interval_label(level: float | None) -> str:
    return "bootstrap interval" if level is None else f"{100 * level:g}% bootstrap interval"


def _curves(
    frame: pd.DataFrame, keys: list[str], x: str
) -> list[tuple[str, pd.DataFrame, dict[str, str]]]:
    """(label, rows sorted by ``x``, style) per curve. The keys that vary name a curve;
    the values of one numeric key take ranked sequential colours, others the palette."""
    shown = _shown(frame, keys) or keys  # one curve: named by all its keys
    groups = (
        [
            (k if isinstance(k, tuple) else (k,), g)
            for k, g in frame.groupby(shown, sort=True, dropna=False, observed=True)
        ]
        if shown
        else [((), frame)]
    )
    numeric = len(shown) == 1 and pd.api.types.is_numeric_dtype(frame[shown[0]])
    out = []
    for i, (values, g) in enumerate(groups):
        if g[x].duplicated().any():
            raise ValueError(f"hue: more than one row per {x} in a curve: name every group key")
        style = _sequential(i, len(groups)) if numeric else _style(i)
        out.append((_curve_label(shown, values), g.sort_values(x), style))
    return out


def _curve_label(shown: list[str], values: tuple[Any, ...]) -> str:
    if not shown:
        return "all"
    if len(shown) == 1:
        return _format(shown[0], values[0])
    return ", ".join(_named(k, v) for k, v in zip(shown, values, strict=True))


def _shown(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    """The keys that name the curves: those that vary."""
    return [k for k in keys if frame[k].nunique(dropna=False) > 1]


def _legend_title(frame: pd.DataFrame, keys: list[str]) -> str | None:
    """The legend's title: the one key that names the curves."""
    shown = _shown(frame, keys)
    return AXIS_LABELS.get(shown[0], shown[0]) if len(shown) == 1 else None
