"""Figures from the frames of `adagrad_lab.analysis.frames`: matplotlib Figures, layout only.

By family: `curves` (convergence, sensitivity), `heatmap`, `runtimes` (runtime
ECDF, performance profile) and `landscape` (2-D contours and surfaces); `style`,
`scales` and `labels` hold what they share.

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

from adagrad_lab.plots.curves import convergence, sensitivity
from adagrad_lab.plots.heatmap import heatmap
from adagrad_lab.plots.labels import (
    AXIS_LABELS,
    OPTIMIZER_LABELS,
    QUANTILE_COLUMN,
    VALUE_COLUMNS,
    VALUE_LABELS,
)
from adagrad_lab.plots.landscape import contour, paths_from_history, surface
from adagrad_lab.plots.runtimes import performance_profile, runtime_ecdf
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
    LINE_WIDTH,
    LINESTYLES,
    MARKERS,
    OKABE_ITO,
    TICK_SIZE,
    TITLE_SIZE,
)

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
    "LINE_WIDTH",
    "MARKERS",
    "OKABE_ITO",
    "OPTIMIZER_LABELS",
    "QUANTILE_COLUMN",
    "TICK_SIZE",
    "TITLE_SIZE",
    "VALUE_COLUMNS",
    "VALUE_LABELS",
    "contour",
    "convergence",
    "heatmap",
    "paths_from_history",
    "performance_profile",
    "runtime_ecdf",
    "sensitivity",
    "surface",
]
