"""keras.optimizers.Adagrad (Keras 3) with float64 variables, in its operation order, on the
backend `optimizer.backend` names. Every backend keeps the learning rate in a float32
variable (floatx): lr = float32(step_size); s += g*g; x -= (lr * g) / sqrt(s + eps), with
the decoupled weight decay applied first (g taken before). The backends differ in how the
settings reach float64 (measured with Keras 3.15; docs/optimizers.md):

* jax: initial_accumulator and weight_decay exactly; x -= (x * wd) * lr.
* tensorflow: ``tf.cast`` of a Python float goes through float32, so the accumulator
  starts at float32(initial_accumulator) and wd = float32(weight_decay).
* torch: x *= float32(1 - float32(wd) * float32(lr)), the factor computed in float32.

`kernel_values` does the roundings on the host; the torch backend's factor is a hidden
row that `elem` selects."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from numba import njit

from adagrad_lab.catalog.optimizers.parts import fill_state
from adagrad_lab.catalog.records import (
    Choice,
    coordinatewise,
    eps,
    initial_accumulator,
    step_size,
    weight_decay,
)
from adagrad_lab.jit.tools import lit, square

STEP_SIZE, EPS, INITIAL_ACCUMULATOR, WEIGHT_DECAY = range(4)  # hyperparameter rows
BY_FACTOR, DECAY_FACTOR = 4, 5  # hidden rows: 1 and the factor for the torch backend, else 0
SUM_SQUARES = 0  # state row

BACKEND = Choice(
    "backend",
    "tensorflow",
    {
        "jax": "initial_accumulator and weight_decay exactly",
        "tensorflow": "Keras's default backend: initial_accumulator and weight_decay "
        "rounded to float32 (tf.cast of a Python float)",
        "torch": "decay as x *= float32(1 - float32(weight_decay) * lr)",
    },
    "the Keras backend whose float64 arithmetic is reproduced",
)


@njit(inline="always")
def elem(xi, g, S, i, j, hp, C, k):
    lr = lit(xi, float(np.float32(hp[STEP_SIZE, j])))
    by_difference = xi - (xi * hp[WEIGHT_DECAY, j]) * lr
    by_factor = xi * hp[DECAY_FACTOR, j]
    xd = by_factor if hp[BY_FACTOR, j] != 0 else by_difference
    s = S[SUM_SQUARES, i, j] + square(g)
    S[SUM_SQUARES, i, j] = s
    return xd - (lr * g) / math.sqrt(s + hp[EPS, j])


def through_float32(values: np.ndarray) -> np.ndarray:
    rounded: np.ndarray = values.astype(np.float32).astype(np.float64)
    return rounded


def kernel_values(hp: np.ndarray, choices: Mapping[str, str]) -> np.ndarray:
    """The hyperparameter rows as the chosen backend computes with them (see the module)."""
    backend = choices.get(BACKEND.name, BACKEND.default)
    out = hp.copy()
    out[BY_FACTOR] = out[DECAY_FACTOR] = 0.0
    if backend == "tensorflow":
        out[INITIAL_ACCUMULATOR] = through_float32(hp[INITIAL_ACCUMULATOR])
        out[WEIGHT_DECAY] = through_float32(hp[WEIGHT_DECAY])
    elif backend == "torch":
        lr = hp[STEP_SIZE].astype(np.float32)
        factor = np.float32(1.0) - hp[WEIGHT_DECAY].astype(np.float32) * lr
        out[DECAY_FACTOR] = factor.astype(np.float64)
        out[BY_FACTOR] = 1.0
    return out


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
    display="AdaGrad (Keras)",
    summary="keras.optimizers.Adagrad (Keras 3)",
    reference="keras.optimizers.Adagrad (Keras 3, float64 variables, on its backends)",
    choices=(BACKEND,),
    kernel_values=kernel_values,
    hidden_rows=2,
)
