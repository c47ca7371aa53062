"""Figures from the frames of `adagrad_lab.analysis.frames`: matplotlib Figures, layout only.

By family: `curves` (convergence, sensitivity), `heatmap`, `runtimes` (runtime
ECDF, performance profile), `landscape` (2-D contours and surfaces), `aggregate`
(the ECDF over problems with its area, the fixed-budget view) and `intervals`
(bootstrap intervals as bands or bars); `style`, `scales` and `labels` hold what
they share.

Every function takes the frame an `adagrad_lab.analysis.frames` function returns (or
a 2-D objective's name) and returns a `matplotlib.figure.Figure` built
directly, never through pyplot: no global figure state, so it works headless
and in threads. Save it with ``fig.savefig("convergence.pdf")``; in a
notebook it displays as the cell's value. Nothing is computed here beyond
the layout: the quantiles, fractions and ratios are the frames'.

Conventions shared by the figures:

* Colours: curves of one numeric setting (a step size, a batch size, a
  sigma) take `SEQUENTIAL` colours, dark to light as the values grow;
  other curves the Okabe-Ito palette (`OKABE_ITO` but its faint yellow, safe
  for the common colour vision deficiencies), line styles cycling as well, so
  that no colour and line style pair repeats among 28 curves and curves stay
  apart in greyscale print. Every curve keeps 2:1 contrast against white.
  Heatmaps and contours use the "cividis" colour map.
* Labels: an optimizer by its display name (`display_name`: "AdaGrad",
  "Adam"), floats to 3 significant digits (more only where two would read
  alike). A curve drawn at one step size (each group at its best) says it in
  its legend entry: "AdaGrad (step 0.0316)". ``subtitle`` puts a line under a
  figure's title; `describe_run` writes what was run into one.
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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adagrad_lab.plots.aggregate import (
        aggregated_ecdf,
        fixed_budget,
    )
    from adagrad_lab.plots.curves import (
        convergence,
        sensitivity,
    )
    from adagrad_lab.plots.heatmap import (
        heatmap,
    )
    from adagrad_lab.plots.intervals import (
        bootstrap_intervals,
        interval_band,
        sensitivity_intervals,
    )
    from adagrad_lab.plots.labels import (
        AXIS_LABELS,
        OPTIMIZER_LABELS,
        QUANTILE_COLUMN,
        VALUE_COLUMNS,
        VALUE_LABELS,
        describe_run,
        describe_target,
        display_name,
    )
    from adagrad_lab.plots.landscape import (
        contour,
        paths_from_history,
        surface,
    )
    from adagrad_lab.plots.runtimes import (
        performance_profile,
        runtime_ecdf,
    )
    from adagrad_lab.plots.style import (
        BAND_ALPHA,
        CMAP,
        FACET_COLUMNS,
        FIGSIZE,
        FLOOR,
        GREY,
        HUGE,
        LABEL_SIZE,
        LEGEND_SIZE,
        LINE_COLOURS,
        LINE_WIDTH,
        LINESTYLES,
        MARKERS,
        OKABE_ITO,
        SEQUENTIAL,
        SEQUENTIAL_RANGE,
        SUBTITLE_SIZE,
        TICK_SIZE,
        TITLE_SIZE,
    )

# where each public name lives: a submodule is imported when one of its names is first
# used, so that the labels (a console summary's display names) come without matplotlib
_HOMES = {
    "aggregated_ecdf": "aggregate",
    "fixed_budget": "aggregate",
    "interval_band": "intervals",
    "bootstrap_intervals": "intervals",
    "sensitivity_intervals": "intervals",
    "convergence": "curves",
    "sensitivity": "curves",
    "heatmap": "heatmap",
    "AXIS_LABELS": "labels",
    "OPTIMIZER_LABELS": "labels",
    "QUANTILE_COLUMN": "labels",
    "VALUE_COLUMNS": "labels",
    "VALUE_LABELS": "labels",
    "describe_run": "labels",
    "describe_target": "labels",
    "display_name": "labels",
    "contour": "landscape",
    "paths_from_history": "landscape",
    "surface": "landscape",
    "performance_profile": "runtimes",
    "runtime_ecdf": "runtimes",
    "BAND_ALPHA": "style",
    "CMAP": "style",
    "FACET_COLUMNS": "style",
    "FIGSIZE": "style",
    "FLOOR": "style",
    "GREY": "style",
    "HUGE": "style",
    "LABEL_SIZE": "style",
    "LEGEND_SIZE": "style",
    "LINE_COLOURS": "style",
    "LINE_WIDTH": "style",
    "LINESTYLES": "style",
    "MARKERS": "style",
    "OKABE_ITO": "style",
    "SEQUENTIAL": "style",
    "SEQUENTIAL_RANGE": "style",
    "SUBTITLE_SIZE": "style",
    "TICK_SIZE": "style",
    "TITLE_SIZE": "style",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AXIS_LABELS",
    "BAND_ALPHA",
    "CMAP",
    "FACET_COLUMNS",
    "FIGSIZE",
    "FLOOR",
    "GREY",
    "HUGE",
    "LABEL_SIZE",
    "LEGEND_SIZE",
    "LINESTYLES",
    "LINE_COLOURS",
    "LINE_WIDTH",
    "MARKERS",
    "OKABE_ITO",
    "OPTIMIZER_LABELS",
    "QUANTILE_COLUMN",
    "SEQUENTIAL",
    "SEQUENTIAL_RANGE",
    "SUBTITLE_SIZE",
    "TICK_SIZE",
    "TITLE_SIZE",
    "VALUE_COLUMNS",
    "VALUE_LABELS",
    "aggregated_ecdf",
    "bootstrap_intervals",
    "contour",
    "convergence",
    "describe_run",
    "describe_target",
    "display_name",
    "fixed_budget",
    "heatmap",
    "interval_band",
    "paths_from_history",
    "performance_profile",
    "runtime_ecdf",
    "sensitivity",
    "sensitivity_intervals",
    "surface",
]
