"""Rastrigin's function, 10 d + sum x_i^2 - 10 cos(2 pi x_i): many local minima on a bowl."""

from __future__ import annotations

import math

from adagrad_lab.catalog.objectives.parts import TWO_PI, separable
from adagrad_lab.catalog.records import Objective, zero, zeros
from adagrad_lab.jit.tools import jit, lit, square


@jit(inline="always")
def term(xi, w):
    t = lit(xi, TWO_PI) * xi
    f = square(xi) - lit(xi, 10.0) * math.cos(t)
    return f, lit(xi, 2.0) * xi + lit(xi, 10.0) * lit(xi, TWO_PI) * math.sin(t)


@jit(inline="always")
def constant(d):
    return 10.0 * d


@jit(inline="always")
def evaluate(x, g, f, p):
    separable(term, 10.0 * x.shape[0], x, g, f, p)


RECORD = Objective(
    "rastrigin",
    evaluate,
    (-5.12, 5.12),
    zero,
    zeros,
    summary="10 d + sum x_i^2 - 10 cos(2 pi x_i)",
    term=term,
    constant=constant,
)
