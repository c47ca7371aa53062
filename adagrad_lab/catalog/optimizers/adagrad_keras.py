"""keras.optimizers.Adagrad (Keras 3), in its operation order. Keras keeps the learning
rate in a float32 variable: lr = float32(step_size); x -= (x * wd) * lr (decoupled, with
g taken before); s += g*g; x -= (lr * g) / sqrt(s + eps)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from adagrad_lab.catalog.optimizers.parts import fill_state
from adagrad_lab.catalog.records import (
    coordinatewise,
    eps,
    initial_accumulator,
    step_size,
    weight_decay,
)
from adagrad_lab.jit.tools import lit, square

STEP_SIZE, EPS, INITIAL_ACCUMULATOR, WEIGHT_DECAY = range(4)  # hyperparameter rows
SUM_SQUARES = 0  # state row


@njit(inline="always")
def elem(xi, g, S, i, j, hp, C, k):
    lr = lit(xi, float(np.float32(hp[STEP_SIZE, j])))
    xd = xi - (xi * hp[WEIGHT_DECAY, j]) * lr
    s = S[SUM_SQUARES, i, j] + square(g)
    S[SUM_SQUARES, i, j] = s
    return xd - (lr * g) / math.sqrt(s + hp[EPS, j])


RECORD = coordinatewise(
    "adagrad_keras",
    (
        step_size(0.001),
        eps(1e-7, "to s, inside the root"),
        initial_accumulator(0.1),
        weight_decay("decoupled: x -= x * weight_decay * step_size"),
    ),
    elem,
    init=fill_state(SUM_SQUARES, INITIAL_ACCUMULATOR),
    n_state=1,
    formula=(
        "lr = float32(step_size); x -= (x*weight_decay)*lr; s += g*g; x -= (lr*g) / sqrt(s + eps)"
    ),
    summary="keras.optimizers.Adagrad (Keras 3)",
    reference="keras.optimizers.Adagrad (Keras 3, JAX backend)",
)
