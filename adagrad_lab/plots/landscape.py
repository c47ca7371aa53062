"""2-D objectives: filled contours with the iterates' paths, and the 3-D surface."""

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

from adagrad_lab.catalog import OBJECTIVES, Objective
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

Bounds = tuple[float, float] | tuple[tuple[float, float], tuple[float, float]]


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
