"""2-D objectives: filled contours with the iterates' paths, and the 3-D surface, drawn from
a `Landscape` (the values on a grid that a run writes, or `adagrad_lab.landscape` computes):
nothing here evaluates an objective."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import LogFormatterSciNotation, NullFormatter

from adagrad_lab.plots.labels import _require
from adagrad_lab.plots.style import (
    FLOOR,
    GREY,
    LABEL_SIZE,
    OKABE_ITO,
    TICK_SIZE,
    TITLE_SIZE,
    Array,
    _cmap,
    _diverged_handle,
    _figure,
    _labels,
    _legend,
)
from adagrad_lab.store.landscape import Landscape


def contour(
    landscape: Landscape,
    paths: Sequence[Array] | Array | None = None,
    *,
    labels: Sequence[str] | None = None,
    log: bool = True,
    levels: int = 24,
    figsize: tuple[float, float] = (6.0, 6.2),
    title: str | None = None,
) -> Figure:
    """Filled contours of a 2-D objective, with trajectories as connected dots.

    ``landscape``: the objective's values on a grid (`Landscape`: what a run wrote
    into its ``landscape.npz``, or ``adagrad_lab.landscape(name)``), drawn as
    f(x) - f* on log-spaced levels (``log=False``: linear), so the valleys show;
    an axis the landscape marks as squeezed (an ill-conditioned objective) is
    drawn on a symmetric-log scale whose linear core holds the level sets. Every
    known global minimizer is marked with a plus. ``paths``: one ``(k, 2)`` array
    of iterates or a list of them (one per seed; `paths_from_history` builds them
    from a history with points), each drawn as dots joined by a line, its start
    circled and its end starred; rows that are not finite (after a divergence)
    break the line and the last finite point gets an X, labelled "diverged". The
    view is the landscape's box.

    >>> import numpy as np, adagrad_lab as al  # doctest: +SKIP
    >>> path = np.array([[-4.0, 4.0], [-2.0, 3.0], [0.5, 2.9], [1.0, 3.0]])  # doctest: +SKIP
    >>> contour(al.landscape("booth"), paths=[path]).savefig("booth.png")  # doctest: +SKIP
    """
    (x_lo, x_hi), (y_lo, y_hi) = landscape.bounds
    known = np.isfinite(landscape.f_star)
    f_star = landscape.f_star if known else float(np.nanmin(landscape.f))
    z = landscape.f - f_star
    fig = _figure(figsize)
    ax = fig.add_subplot()
    edges, norm = _levels(z, log, levels)
    if isinstance(norm, LogNorm):
        z = np.clip(z, edges[0], None)
    filled = ax.contourf(landscape.x, landscape.y, z, levels=edges, norm=norm, cmap=_cmap())
    ax.contour(
        landscape.x,
        landscape.y,
        z,
        levels=edges[::3],
        norm=norm,
        colors="black",
        linewidths=0.4,
        alpha=0.35,
    )
    reference = f"f* = {f_star:.6g}" if known else f"f* unknown: min f on the grid {f_star:.6g}"
    _colorbar(
        fig, ax, filled, norm, edges, f"f(x) - f*{' (log scale)' if log else ''},  {reference}"
    )
    minima = landscape.minima
    handles: list[Artist] = []
    if len(minima):
        (mark,) = ax.plot(
            minima[:, 0],
            minima[:, 1],
            marker="P",
            markersize=11,
            color="white",
            markeredgecolor="black",
            linestyle="none",
            label="minimum x*" if len(minima) == 1 else f"the {len(minima)} global minima x*",
            gid="minimum",
        )
        handles.append(mark)
    handles += _paths(ax, _as_paths(paths), labels)
    _scales(ax, landscape)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    square = max(x_hi - x_lo, y_hi - y_lo) <= 4 * min(x_hi - x_lo, y_hi - y_lo)
    if square and not landscape.conditioned:
        ax.set_aspect("equal", adjustable="box")
    _labels(ax, "$x_1$", "$x_2$", title or landscape.objective or None, grid=False)
    _legend(ax, handles, None, below=True)
    return fig


def surface(
    landscape: Landscape,
    *,
    log: bool = False,
    floor: float = FLOOR,
    figsize: tuple[float, float] = (6.4, 5.2),
    title: str | None = None,
) -> Figure:
    """The 3-D surface of a 2-D objective (the tutorial's bowl) from its ``landscape``.

    The height is f(x), or ``log10(max(f(x) - f*, floor))`` with ``log=True`` (3-D
    axes draw log scales badly, so the values are transformed and the axis says
    so). The coordinates are drawn as they are, on linear axes.

    >>> surface(al.landscape("sphere", bounds=(-1.0, 1.0))).savefig("bowl.png")  # doctest: +SKIP
    """
    xs, ys = np.meshgrid(landscape.x, landscape.y)
    f = landscape.f
    f_star = landscape.f_star if np.isfinite(landscape.f_star) else float(np.nanmin(f))
    z = np.log10(np.maximum(f - f_star, floor)) if log else f
    fig = _figure(figsize)
    # "3d" is registered by matplotlib itself; mpl_toolkits has no type marker: Any
    ax: Any = fig.add_subplot(projection="3d")
    ax.plot_surface(xs, ys, z, cmap=_cmap(), linewidth=0, antialiased=True, rcount=60, ccount=60)
    ax.set_xlabel("$x_1$", fontsize=LABEL_SIZE)
    ax.set_ylabel("$x_2$", fontsize=LABEL_SIZE)
    ax.set_zlabel("log10(f(x) - f*)" if log else "f(x)", fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=TICK_SIZE - 1)
    ax.set_title(title or landscape.objective, fontsize=TITLE_SIZE)
    return fig


def _levels(z: Array, log: bool, levels: int) -> tuple[Array, Normalize]:
    """The filled contours' edges and colour norm: log-spaced over twelve decades below the
    top (or down to the smallest positive value), else evenly spaced."""
    top = float(np.nanmax(z))
    if log and top > 0:
        positive = z[z > 0]
        bottom = max(float(positive.min()) if positive.size else top * 1e-12, top * 1e-12)
        return np.geomspace(bottom, top, levels + 1), LogNorm(bottom, top)
    low = float(np.nanmin(z))
    edges = np.linspace(low, top if top > low else top + 1, levels + 1)
    return edges, Normalize(float(edges[0]), float(edges[-1]))


def _colorbar(
    fig: Figure, ax: Axes, filled: Any, norm: Normalize, edges: Array, label: str
) -> None:
    colorbar = fig.colorbar(filled, ax=ax)
    if isinstance(norm, LogNorm):
        decades = 10.0 ** np.arange(np.ceil(np.log10(edges[0])), np.floor(np.log10(edges[-1])) + 1)
        if decades.size >= 2:
            colorbar.set_ticks(decades.tolist())
            colorbar.ax.yaxis.set_major_formatter(LogFormatterSciNotation())
            colorbar.ax.yaxis.set_minor_formatter(NullFormatter())
    colorbar.set_label(label, fontsize=LABEL_SIZE)
    colorbar.ax.tick_params(labelsize=TICK_SIZE)


def _scales(ax: Axes, landscape: Landscape) -> None:
    """A symmetric-log scale on each axis the landscape marks as squeezed."""
    lx, ly = landscape.linthresh
    if lx > 0:
        ax.set_xscale("symlog", linthresh=lx, linscale=1.0)
    if ly > 0:
        ax.set_yscale("symlog", linthresh=ly, linscale=1.0)


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
