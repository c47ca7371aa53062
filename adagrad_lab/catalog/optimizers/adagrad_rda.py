"""Regularized dual averaging with l1 (Duchi, Hazan and Singer, 2011; Xiao, 2010). State:
z = sum g, s = sum g*g and x_1; with H = eps + sqrt(s), u = x_1 - step * z / H,
x = sign(u) * max(|u| - step * t * l1 / H, 0)."""

from __future__ import annotations

import math

from numba import njit

from adagrad_lab.catalog.records import coordinatewise, eps, nonnegative, step_size
from adagrad_lab.jit.tools import lit, square

STEP_SIZE, EPS, L1 = range(3)  # hyperparameter rows
SUM_GRADIENTS, SUM_SQUARES, START = range(3)  # state rows: z, s and x_1


@njit(inline="always")
def elem(xi, g, S, i, j, hp, C, k):
    z = S[SUM_GRADIENTS, i, j] + g
    s = S[SUM_SQUARES, i, j] + square(g)
    S[SUM_GRADIENTS, i, j] = z
    S[SUM_SQUARES, i, j] = s
    h = hp[EPS, j] + math.sqrt(s)
    u = S[START, i, j] - hp[STEP_SIZE, j] * z / h
    shrunk = max(abs(u) - hp[STEP_SIZE, j] * (k + 1) * hp[L1, j] / h, lit(xi, 0.0))
    return math.copysign(shrunk, u) if shrunk > 0 else lit(xi, 0.0)


@njit(inline="always")
def init(S, X, hp):
    """z = 0, s = 0, and the centre of the proximal term, x_1."""
    _, d, b = S.shape
    for i in range(d):
        for j in range(b):
            S[SUM_GRADIENTS, i, j] = lit(X[0, 0], 0.0)
            S[SUM_SQUARES, i, j] = lit(X[0, 0], 0.0)
            S[START, i, j] = X[i, j]


RECORD = coordinatewise(
    "adagrad_rda",
    (
        step_size(0.1),
        eps(1e-8, "to sqrt(s), outside the root"),
        nonnegative("l1", 0.0, "l1 penalty weight"),
    ),
    elem,
    init=init,
    n_state=3,
    formula=(
        "z += g; s += g*g; h = eps + sqrt(s); u = x_1 - step_size*z/h;"
        " x = sign(u) max(abs(u) - step_size*t*l1/h, 0)"
    ),
    display="AdaGrad (RDA)",
    summary="regularized dual averaging with l1",
    reference="Duchi, Hazan and Singer (2011), section 3; Xiao (2010)",
)
