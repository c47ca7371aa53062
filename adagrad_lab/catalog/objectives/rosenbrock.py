"""Rosenbrock's banana valley, sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2, minimum 0 at
(1, ..., 1)."""

from __future__ import annotations

from adagrad_lab.catalog.records import Objective, everywhere, zero
from adagrad_lab.jit.tools import jit, lit, square


@jit(inline="always")
def evaluate(x, g, f, p):
    d, b = x.shape
    for j in range(b):
        f[j] = 0.0
        g[0, j] = 0.0
    for i in range(d - 1):
        for j in range(b):
            xi = x[i, j]
            r = x[i + 1, j] - square(xi)
            q = lit(xi, 1.0) - xi
            f[j] += lit(xi, 100.0) * (r * r) + q * q
            g[i, j] += lit(xi, -400.0) * xi * r - lit(xi, 2.0) * q
            g[i + 1, j] = lit(xi, 200.0) * r


RECORD = Objective(
    "rosenbrock",
    evaluate,
    (-2.0, 2.0),
    zero,
    everywhere(1.0),
    dims=(2, None),
    summary="sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2",
)
