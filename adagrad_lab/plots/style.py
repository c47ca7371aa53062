"""The house style of every figure: palette, sizes, figure and legend making, panel layout."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from adagrad_lab import analysis
from adagrad_lab.plots.labels import _named

Array = np.ndarray[Any, Any]


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


# default floor of log value axes, values <= FLOOR drawn at it: where the analysis ties them
FLOOR = analysis.FLOOR


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


def _luminance(rgba: tuple[float, float, float, float]) -> float:
    r, g, b, _ = rgba
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
