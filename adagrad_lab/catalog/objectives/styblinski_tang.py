"""The Styblinski-Tang function, sum (x_i^4 - 16 x_i^2 + 5 x_i) / 2, minimum at
x_i = -2.9035... in every coordinate."""

from __future__ import annotations

from adagrad_lab.catalog.objectives.parts import separable
from adagrad_lab.catalog.records import Objective, everywhere
from adagrad_lab.jit.tools import jit, lit, square

ARGMIN = -2.903534027771178  # the root of 4x^3 - 32x + 5 = 0 at the global minimum


def f_min(d: int) -> float:
    a = ARGMIN
    return 0.5 * d * (a**4 - 16 * a**2 + 5 * a)


@jit(inline="always")
def term(xi, w):
    x2 = square(xi)
    f = lit(xi, 0.5) * (x2 * x2 - lit(xi, 16.0) * x2 + lit(xi, 5.0) * xi)
    return f, lit(xi, 2.0) * x2 * xi - lit(xi, 16.0) * xi + lit(xi, 2.5)


@jit(inline="always")
def evaluate(x, g, f, p):
    separable(term, 0.0, x, g, f, p)


RECORD = Objective(
    "styblinski_tang",
    evaluate,
    (-5.0, 5.0),
    f_min,
    everywhere(ARGMIN),
    summary="sum (x_i^4 - 16 x_i^2 + 5 x_i) / 2",
    term=term,
)
