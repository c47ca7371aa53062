"""torch.optim.Adagrad, in PyTorch's operation order (its single-tensor path):
g += weight_decay * x; s += g*g; clr = lr / (1 + (t - 1) * lr_decay);
x += (-clr * g) / (sqrt(s) + eps) (addcdiv)."""

from __future__ import annotations

import math

from numba import njit

from adagrad_lab.catalog.optimizers.parts import fill_state
from adagrad_lab.catalog.records import (
    coordinatewise,
    eps,
    initial_accumulator,
    nonnegative,
    step_size,
    weight_decay,
)
from adagrad_lab.jit.tools import lit, square

STEP_SIZE, EPS, INITIAL_ACCUMULATOR, LR_DECAY, WEIGHT_DECAY = range(5)  # hyperparameter rows
SUM_SQUARES = 0  # state row
CLR = 0  # coefficient row: the decayed step size of this update


@njit(inline="always")
def prepare(C, hp, k):
    for j in range(C.shape[1]):
        C[CLR, j] = hp[STEP_SIZE, j] / (lit(C[0, 0], 1.0) + k * hp[LR_DECAY, j])


@njit(inline="always")
def elem(xi, g, S, i, j, hp, C, k):
    gw = g + hp[WEIGHT_DECAY, j] * xi
    s = S[SUM_SQUARES, i, j] + square(gw)
    S[SUM_SQUARES, i, j] = s
    return xi + (-C[CLR, j] * gw) / (math.sqrt(s) + hp[EPS, j])


RECORD = coordinatewise(
    "adagrad_torch",
    (
        step_size(0.01),
        eps(1e-10, "to sqrt(s), outside the root"),
        initial_accumulator(0.0),
        nonnegative("lr_decay", 0.0, "step_size / (1 + (t - 1) * lr_decay) at step t"),
        weight_decay(),
    ),
    elem,
    init=fill_state(SUM_SQUARES, INITIAL_ACCUMULATOR),
    prepare=prepare,
    n_state=1,
    n_coef=1,
    formula=(
        "g += weight_decay*x; s += g*g; clr = step_size / (1 + (t-1)*lr_decay);"
        " x += (-clr*g) / (sqrt(s) + eps)"
    ),
    display="AdaGrad (PyTorch)",
    summary="torch.optim.Adagrad",
    reference="torch.optim.Adagrad (PyTorch 2)",
)
