"""Gradient descent, the baseline the tutorial compares AdaGrad with: x -= step_size * g."""

from __future__ import annotations

from numba import njit

from adagrad_lab.catalog.records import coordinatewise, step_size

STEP_SIZE = 0  # the hyperparameter matrix's one row


@njit(inline="always")
def elem(xi, g, S, i, j, hp, C, k):
    return xi - hp[STEP_SIZE, j] * g


RECORD = coordinatewise(
    "gd",
    (step_size(0.1),),
    elem,
    formula="x -= step_size * g",
    display="gradient descent",
    summary="gradient descent",
    reference="Cauchy (1847)",
)
