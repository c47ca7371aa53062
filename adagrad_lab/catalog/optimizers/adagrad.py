"""The tutorial's AdaGrad (Duchi, Hazan and Singer, 2011, diagonal form), in the tutorial's
operation order: s += g*g; alpha = step_size / (eps + sqrt(s)); x -= alpha * g."""

from __future__ import annotations

import math

from numba import njit

from adagrad_lab.catalog.optimizers.parts import fill_state
from adagrad_lab.catalog.records import coordinatewise, eps, initial_accumulator, step_size
from adagrad_lab.jit.tools import square

STEP_SIZE, EPS, INITIAL_ACCUMULATOR = range(3)  # rows of the hyperparameter matrix
SUM_SQUARES = 0  # state row: s, the sum of squared gradients


@njit(inline="always")
def elem(xi, g, S, i, j, hp, C, k):
    s = S[SUM_SQUARES, i, j] + square(g)
    S[SUM_SQUARES, i, j] = s
    return xi - (hp[STEP_SIZE, j] / (hp[EPS, j] + math.sqrt(s))) * g


RECORD = coordinatewise(
    "adagrad",
    (step_size(0.1), eps(1e-8, "to sqrt(s), outside the root"), initial_accumulator(0.0)),
    elem,
    init=fill_state(SUM_SQUARES, INITIAL_ACCUMULATOR),
    n_state=1,
    formula="s += g*g; x -= step_size / (eps + sqrt(s)) * g",
    display="AdaGrad",
    summary="the tutorial's AdaGrad",
    reference="Duchi, Hazan and Singer (2011); the tutorial's loop",
)
