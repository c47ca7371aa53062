"""The house style of every figure: palette, sizes, figure and legend making, panel layout."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.mathtext import MathTextParser
from matplotlib.patches import Patch

from adagrad_lab import analysis
from adagrad_lab.plots.labels import _digits, _Groups, _named

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


# the curves' colours: Okabe-Ito but its yellow, each at least 2.2:1 against white
LINE_COLOURS = OKABE_ITO[:7]


LINESTYLES = ("-", "--", "-.", ":")


MARKERS = ("o", "s", "^", "D", "v", "P", "*", "h")


GREY = "#555555"


CMAP = "cividis"  # sequential, readable with a colour vision deficiency and in greyscale


# curves of a numeric setting (step size, batch size): this map's part from dark to light,
# ordered in lightness as the values are; it stops short of viridis' yellow, so that its
# lightest curve keeps 2:1 against white
SEQUENTIAL = "viridis"
SEQUENTIAL_RANGE = (0.0, 0.75)


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


SUBTITLE_SIZE = 10.0
AXIS_MARGIN = 1.1  # inches of a figure's width left of an axes: the y label and ticks


LINE_WIDTH = 2.0


BAND_ALPHA = 0.18


def _panels(frame: pd.DataFrame, facet: str | None) -> list[tuple[str | None, pd.DataFrame]]:
    """(title, rows) per value of ``facet`` in sorted order; the whole frame without one."""
    if facet is None:
        return [(None, frame)]
    if facet not in frame.columns:
        raise ValueError(f"facet: the frame has no column {facet}")
    digits = _digits(frame[facet])
    return [
        (_named(facet, v, digits), g)
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


Entry = tuple[Artist | tuple[Artist, ...], str]  # a legend entry: its handle, its text


# a tuple of patches is one swatch split into their colours (a band drawn in each curve's)
HANDLERS = {tuple: HandlerTuple(ndivide=None, pad=0.0)}


def _place_legend(
    fig: Figure,
    axes: list[Axes],
    entries: Sequence[Entry],
    title: str | None,
    below: bool,
    suptitle: str | None,
    subtitle: str | None = None,
) -> None:
    """Right of the single axes, or one legend for the figure below its panels; the
    figure's title and subtitle above."""
    if not below:
        _legend(axes[0], entries, title)
        _headline(fig, axes[0], suptitle, subtitle, below)
        return
    _headline(fig, axes[0], suptitle, subtitle, below)
    width = fig.get_figwidth()
    fig.legend(
        handles=[h for h, _ in entries],
        labels=[text for _, text in entries],
        title=title,
        loc="outside lower center",
        ncols=max(1, min(len(entries), int(width // 3.1))),
        fontsize=LEGEND_SIZE,
        title_fontsize=LEGEND_SIZE,
        frameon=False,
        handler_map=HANDLERS,
    )


def _headline(
    fig: Figure, ax: Axes, title: str | None, subtitle: str | None, faceted: bool
) -> None:
    """The title and, under it in smaller type, what was run (`labels.describe_run`),
    wrapped to the figure's width. One axes: the title on it, or, with a subtitle,
    the title above the figure and the subtitle on the axes; panels (whose titles
    name them): both above the figure."""
    if subtitle:
        room = fig.get_figwidth() if faceted else _room_above(fig, ax)
        chars = max(40, int(room * 72 / (0.55 * SUBTITLE_SIZE)))
        subtitle = textwrap.fill(subtitle, chars)
    if faceted:
        text = "\n".join(t for t in (title, subtitle) if t)
        if text:
            fig.suptitle(text, fontsize=TITLE_SIZE if title else SUBTITLE_SIZE)
    elif subtitle:
        if title:
            fig.suptitle(title, fontsize=TITLE_SIZE)
        ax.set_title(subtitle, fontsize=SUBTITLE_SIZE, color=GREY)
    elif title:
        ax.set_title(title, fontsize=TITLE_SIZE)


def _room_above(fig: Figure, ax: Axes) -> float:
    """The width in inches a title centred on ``ax`` can take without leaving the figure:
    the figure's, less a legend already placed right of the axes and the y axis' labels."""
    room = fig.get_figwidth() - AXIS_MARGIN
    legend = ax.get_legend()
    if legend is not None and legend.get_bbox_to_anchor().x0 > ax.bbox.x1 - 1.0:
        box = legend.get_window_extent(fig.canvas.get_renderer())  # type: ignore[attr-defined]
        room -= box.width / fig.dpi
    return max(room, 0.4 * fig.get_figwidth())


def _figure(figsize: tuple[float, float]) -> Figure:
    fig = Figure(figsize=figsize, layout="constrained")
    _Canvas(fig)  # its own canvas: draw() and savefig work with no pyplot backend
    return fig


# the mathtext parser of every figure's renderer (as RendererAgg makes its own)
MATHTEXT = MathTextParser("path")


class _Canvas(FigureCanvasAgg):
    """An Agg canvas whose renderers share `MATHTEXT`. matplotlib keeps parsed mathtext per
    parser, one per renderer, so each figure parsed its log axes' "10^k" labels again
    (about 5 ms each: a sixth of a report's drawing). Threads shared the grammar already."""

    def get_renderer(self) -> RendererAgg:
        renderer = cast(RendererAgg, super().get_renderer())  # type: ignore[no-untyped-call]
        renderer.mathtext_parser = MATHTEXT
        return renderer


def _fresh_mathtext() -> None:
    """In a forked child: parsed mathtext holds the parent's fonts, whose open files share
    their offsets with the parent's, so two processes drawing them read each other's
    glyphs (FreeType's "too many hints"). The child parses anew, with the fonts
    matplotlib reopens in every child."""
    global MATHTEXT
    MATHTEXT = MathTextParser("path")


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_mathtext)


def warm_up() -> None:
    """Build the mathtext grammar now, once per process (0.1 s): processes forked afterwards
    to render figures start with it."""
    MATHTEXT.parse(r"$\mathdefault{10^{0}}$", 90, FontProperties(size=TICK_SIZE))


def _cmap() -> Colormap:
    import matplotlib as mpl

    return mpl.colormaps[CMAP]


def _style(i: int) -> dict[str, str]:
    """Curve ``i``'s colour, line style and marker: no colour and line style pair twice
    among the first 28 curves (7 colours by 4 styles)."""
    n = len(LINE_COLOURS)
    return {
        "color": LINE_COLOURS[i % n],
        "linestyle": LINESTYLES[(i // n) % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
    }


def _sequential(i: int, n: int) -> dict[str, str]:
    """The ``i``-th of ``n`` ordered values of a numeric setting: a colour of `SEQUENTIAL`,
    from dark (the smallest) to light, evenly spaced by rank."""
    import matplotlib as mpl
    from matplotlib.colors import to_hex

    low, high = SEQUENTIAL_RANGE
    at = low + (high - low) * (i / (n - 1) if n > 1 else 0.0)
    return {
        "color": to_hex(mpl.colormaps[SEQUENTIAL](at)),
        "linestyle": LINESTYLES[i % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
    }


def _curve_style(groups: _Groups, label: str) -> dict[str, str]:
    """The style of the curve ``label``, the same in every panel: sequential colours for
    one numeric key, the palette otherwise."""
    i = groups.labels.index(label)
    return _sequential(i, len(groups.labels)) if groups.numeric else _style(i)


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


def _legend(
    ax: Axes, entries: Sequence[Entry | Artist], title: str | None, below: bool = False
) -> None:
    """The legend outside the axes (right, or below): it never hides a curve. An entry is
    (handle, text), or an artist with its own label."""
    where: dict[str, Any] = (
        {"loc": "upper center", "bbox_to_anchor": (0.5, -0.14), "ncols": 3}
        if below
        else {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0)}
    )
    pairs = [e if isinstance(e, tuple) else (e, str(e.get_label())) for e in entries]
    ax.legend(
        handles=[h for h, _ in pairs],
        labels=[text for _, text in pairs],
        title=title,
        fontsize=LEGEND_SIZE,
        title_fontsize=LEGEND_SIZE,
        frameon=False,
        handler_map=HANDLERS,
        **where,
    )


def _panel_steps(ax: Axes, entries: Sequence[Entry]) -> None:
    """A small legend inside a panel: each curve's step size there, where the figure's
    legend says "step per panel"."""
    if entries:
        ax.legend(
            handles=[h for h, _ in entries],
            labels=[text for _, text in entries],
            fontsize=LEGEND_SIZE - 1.5,
            loc="best",
            framealpha=0.8,
        )


def _band_handle(lo: str, hi: str, colours: Sequence[str]) -> tuple[Patch, ...]:
    """ "25-75% of seeds" for the bands between the columns q0.25 and q0.75 (or final_q...):
    one swatch split into the bands' colours, each as it is drawn."""
    q = [100 * float(c.rsplit("q", 1)[1]) for c in (lo, hi)]
    label = f"{q[0]:g}-{q[1]:g}% of seeds"
    return tuple(
        Patch(color=c, alpha=BAND_ALPHA, linewidth=0, label=label, gid="band")
        for c in dict.fromkeys(colours or [GREY])
    )


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
