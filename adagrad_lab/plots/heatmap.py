"""A heatmap of a value over two swept settings, +inf cells hatched."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.colors import Colormap, LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from adagrad_lab import analysis
from adagrad_lab.plots.labels import (
    AXIS_LABELS,
    _column_label,
    _digits,
    _hue_keys,
    _require,
    _tick,
)
from adagrad_lab.plots.scales import _spans_decade
from adagrad_lab.plots.style import (
    FLOOR,
    GREY,
    LABEL_SIZE,
    LEGEND_SIZE,
    TICK_SIZE,
    _cmap,
    _figure,
    _headline,
    _labels,
    _luminance,
)


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
    subtitle: str | None = None,
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
    every other (third...) tick is labelled, floats to 3 significant digits.
    ``subtitle``: a line under the title, e.g. `labels.describe_run`'s.

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
        digits = _digits(pd.Series(values))
        axis.set_ticks(list(at), [_tick(key, values[i], digits) for i in at])
    if nx > 6:
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlim(-0.5, nx - 0.5)
    ax.set_ylim(-0.5, ny - 0.5)
    colorbar = fig.colorbar(mesh, ax=ax, extend="min" if clipped else "neither")
    colorbar.set_label(_column_label(column, value), fontsize=LABEL_SIZE)
    colorbar.ax.tick_params(labelsize=TICK_SIZE)
    _labels(ax, AXIS_LABELS.get(x, x), AXIS_LABELS.get(y, y), None, grid=False)
    _headline(fig, ax, title, subtitle, faceted=False)
    if handles:  # below the axes and their tick labels, however long
        fig.legend(
            handles=handles,
            fontsize=LEGEND_SIZE,
            loc="outside lower center",
            ncols=len(handles),
            frameon=False,
        )
    return fig
