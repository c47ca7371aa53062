"""Composite mirror descent with l1 and l2 (Duchi, Hazan and Singer, 2011), as TensorFlow's
ProximalAdagrad computes it: s += g*g; a = lr * (1 / sqrt(s)) (its rsqrt); v = x - g*a;
x = sign(v) * max(|v| - a*l1, 0) / (1 + l2*a) (without l1: v / (1 + l2*a))."""

from __future__ import annotations

import math

from numba import njit

from adagrad_lab.catalog.optimizers.parts import fill_state
from adagrad_lab.catalog.records import coordinatewise, hyperparameter, nonnegative, step_size
from adagrad_lab.jit.tools import lit, square

STEP_SIZE, INITIAL_ACCUMULATOR, L1, L2 = range(4)  # hyperparameter rows
SUM_SQUARES = 0  # state row


@njit(inline="always")
def elem(xi, g, S, i, j, hp, C, k):
    s = S[SUM_SQUARES, i, j] + square(g)
    S[SUM_SQUARES, i, j] = s
    a = hp[STEP_SIZE, j] * (lit(xi, 1.0) / math.sqrt(s))
    v = xi - g * a
    shrunk = max(abs(v) - a * hp[L1, j], lit(xi, 0.0))
    signed = math.copysign(shrunk, v) if v != 0 else lit(xi, 0.0)
    return (signed if hp[L1, j] > 0 else v) / (lit(xi, 1.0) + hp[L2, j] * a)


RECORD = coordinatewise(
    "adagrad_prox",
    (
        step_size(0.1),
        hyperparameter("initial_accumulator", 0.1, "s at iteration 0 (> 0: no eps)"),
        nonnegative("l1", 0.0, "l1 penalty weight"),
        nonnegative("l2", 0.0, "l2 penalty weight"),
    ),
    elem,
    init=fill_state(SUM_SQUARES, INITIAL_ACCUMULATOR),
    n_state=1,
    formula=(
        "s += g*g; a = step_size * (1/sqrt(s)); v = x - g*a;"
        " x = sign(v) max(abs(v) - a*l1, 0) / (1 + l2*a)"
    ),
    display="AdaGrad (proximal)",
    summary="composite mirror descent (TensorFlow's ProximalAdagrad)",
    reference="Duchi, Hazan and Singer (2011); tf.compat.v1.train.ProximalAdagradOptimizer",
)
