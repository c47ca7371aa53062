"""optax.adagrad, in Optax's operation order: s += g*g;
u = (s > 0 ? 1 / sqrt(s + eps) : 0) * g; x += -lr * u."""

from __future__ import annotations

import math

from numba import njit

from adagrad_lab.catalog.optimizers.parts import fill_state
from adagrad_lab.catalog.records import coordinatewise, eps, initial_accumulator, step_size
from adagrad_lab.jit.tools import lit, square

STEP_SIZE, EPS, INITIAL_ACCUMULATOR = range(3)  # hyperparameter rows
SUM_SQUARES = 0  # state row


@njit(inline="always")
def elem(xi, g, S, i, j, hp, C, k):
    s = square(g) + S[SUM_SQUARES, i, j]
    S[SUM_SQUARES, i, j] = s
    inv = lit(xi, 1.0) / math.sqrt(s + hp[EPS, j]) if s > 0 else lit(xi, 0.0)
    return xi + (-hp[STEP_SIZE, j]) * (inv * g)


RECORD = coordinatewise(
    "adagrad_optax",
    (step_size(0.1), eps(1e-7, "to s, inside the root"), initial_accumulator(0.1)),
    elem,
    init=fill_state(SUM_SQUARES, INITIAL_ACCUMULATOR),
    n_state=1,
    formula="s += g*g; x += -step_size * ((s > 0 ? 1/sqrt(s + eps) : 0) * g)",
    display="AdaGrad (Optax)",
    summary="optax.adagrad",
    reference="optax.adagrad (scale_by_rss, then scale by -learning_rate)",
)
