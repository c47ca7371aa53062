"""Pandas views of stored runs: convergence curves, step-size sensitivity, best step sizes,
runtimes to target, ECDFs and performance profiles. Reads what the store wrote; never
calls the kernel."""

from adagrad_lab.analysis.frames import (
    DEFAULT_TARGETS,
    INF,
    NOT_COORDINATES,
    QUANTILES,
    at_best_step_size,
    best_step_size,
    column_quantiles,
    convergence,
    default_by,
    performance_profile,
    performance_ratios,
    runtime_ecdf,
    runtimes,
    sensitivity,
)

__all__ = [
    "DEFAULT_TARGETS",
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
