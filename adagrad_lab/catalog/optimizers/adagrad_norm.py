"""AdaGrad-Norm (Ward, Wu and Bottou, 2019): one accumulator per trajectory,
b2 += g_i^2 for i = 1..d in turn; x -= step_size / (eps + sqrt(b2)) * g."""

from __future__ import annotations

import math

from numba import njit

from adagrad_lab.catalog.optimizers.parts import fill_state
from adagrad_lab.catalog.records import Optimizer, eps, initial_accumulator, step_size
from adagrad_lab.jit.tools import square

STEP_SIZE, EPS, INITIAL_ACCUMULATOR = range(3)  # hyperparameter rows
SUM_SQUARES = 0  # state row; the lane's accumulator is its coordinate 0
FACTOR = 0  # coefficient row: step_size / (eps + sqrt(b2)) of this update


@njit(inline="always")
def step(X, G, S, hp, C, k):
    """Every loop runs across lanes (vectorized), coordinates outermost."""
    d, b = X.shape
    for i in range(d):
        for j in range(b):
            S[SUM_SQUARES, 0, j] += square(G[i, j])
    for j in range(b):
        C[FACTOR, j] = hp[STEP_SIZE, j] / (hp[EPS, j] + math.sqrt(S[SUM_SQUARES, 0, j]))
    for i in range(d):
        for j in range(b):
            X[i, j] = X[i, j] - C[FACTOR, j] * G[i, j]


RECORD = Optimizer(
    "adagrad_norm",
    (
        step_size(0.1),
        eps(1e-8, "to sqrt(b2), outside the root"),
        initial_accumulator(0.0, "b2 at iteration 0"),
    ),
    step,
    init=fill_state(SUM_SQUARES, INITIAL_ACCUMULATOR),
    n_state=1,
    n_coef=1,
    formula="b2 += g_i^2 for i = 1..d in turn; x -= step_size / (eps + sqrt(b2)) * g",
    display="AdaGrad-Norm",
    summary="AdaGrad-Norm: one accumulator per trajectory",
    reference="Ward, Wu and Bottou (2019)",
)
