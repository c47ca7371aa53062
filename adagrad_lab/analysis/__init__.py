"""Pandas views of stored runs: convergence curves, step-size sensitivity, best step sizes,
runtimes to target, ECDFs and performance profiles. Reads what the store wrote; never
calls the kernel.

`frames` (curves, sensitivity, best step sizes) and `runtimes` (fixed-target
runtimes, ECDFs, profiles) build on `values` (each trajectory's value per iteration).
The statistics the field reports beside them: `bootstrap` (seeded confidence intervals
on medians and fractions), `expected` (COCO's aRT), `aggregate` (ECDFs over problems and
their area) and `budget` (the fixed-budget view)."""

from adagrad_lab.analysis.aggregate import aggregated_ecdf, ecdf_area
from adagrad_lab.analysis.bootstrap import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    bootstrap_fraction,
    bootstrap_interval,
    bootstrap_median,
    bootstrap_outcomes,
)
from adagrad_lab.analysis.budget import fixed_budget
from adagrad_lab.analysis.expected import expected_runtime, run_lengths
from adagrad_lab.analysis.frames import at_best_step_size, best_step_size, convergence, sensitivity
from adagrad_lab.analysis.runtimes import (
    DEFAULT_TARGETS,
    performance_profile,
    performance_ratios,
    runtime_ecdf,
    runtimes,
)
from adagrad_lab.analysis.values import (
    FLOOR,
    INF,
    NOT_COORDINATES,
    QUANTILES,
    column_quantiles,
    default_by,
)

__all__ = [
    "DEFAULT_LEVEL",
    "DEFAULT_RESAMPLES",
    "DEFAULT_TARGETS",
    "FLOOR",
    "INF",
    "NOT_COORDINATES",
    "QUANTILES",
    "aggregated_ecdf",
    "at_best_step_size",
    "best_step_size",
    "bootstrap_fraction",
    "bootstrap_interval",
    "bootstrap_median",
    "bootstrap_outcomes",
    "column_quantiles",
    "convergence",
    "default_by",
    "ecdf_area",
    "expected_runtime",
    "fixed_budget",
    "performance_profile",
    "performance_ratios",
    "run_lengths",
    "runtime_ecdf",
    "runtimes",
    "sensitivity",
]
