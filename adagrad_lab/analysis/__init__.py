"""Pandas views of stored runs: convergence curves, step-size sensitivity, best step sizes,
runtimes to target, ECDFs and performance profiles. Reads what the store wrote; never
calls the kernel.

`frames` (curves, sensitivity, best step sizes) and `runtimes` (fixed-target
runtimes, ECDFs, profiles) build on `values` (each trajectory's value per iteration)."""

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
    "DEFAULT_TARGETS",
    "FLOOR",
    "INF",
    "NOT_COORDINATES",
    "QUANTILES",
    "at_best_step_size",
    "best_step_size",
    "column_quantiles",
    "convergence",
    "default_by",
    "performance_profile",
    "performance_ratios",
    "runtime_ecdf",
    "runtimes",
    "sensitivity",
]
