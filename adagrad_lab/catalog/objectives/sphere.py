"""The tutorial's bowl, f(x) = sum x_i^2, minimum 0 at the origin."""

from __future__ import annotations

from adagrad_lab.catalog.objectives.parts import separable
from adagrad_lab.catalog.records import Objective, zero, zeros
from adagrad_lab.jit.tools import jit, lit, square


@jit(inline="always")
def term(xi, w):
    return square(xi), xi * lit(xi, 2.0)


@jit(inline="always")
def evaluate(x, g, f, p):
    separable(term, 0.0, x, g, f, p)


RECORD = Objective(
    "sphere",
    evaluate,
    (-1.0, 1.0),
    zero,
    zeros,
    summary="sum x_i^2 (the tutorial's bowl)",
    term=term,
)
