"""Adam (Kingma and Ba, 2015), as torch.optim.Adam computes it; the max of the second
moment is selected, not branched (see `momentum`)."""

from __future__ import annotations

import math

from numba import njit

from adagrad_lab.catalog.optimizers.parts import lerp
from adagrad_lab.catalog.records import (
    coordinatewise,
    eps,
    flag,
    nonnegative,
    step_size,
    weight_decay,
)
from adagrad_lab.jit.tools import lit

STEP_SIZE, BETA1, BETA2, EPS, WEIGHT_DECAY, AMSGRAD = range(6)  # hyperparameter rows
EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ = range(3)  # state rows
STEP, ROOT_CORRECTION = range(2)  # coefficient rows: lr / (1 - beta1^t), (1 - beta2^t)^0.5


@njit(inline="always")
def prepare(C, hp, k):
    """Each bias correction a pow() as torch computes it (a Python float raised to the
    float step count). Lanes that share their betas with the lane before (a grid's seeds
    do) reuse its powers: two pows per block, not per lane."""
    one = lit(C[0, 0], 1.0)
    t = k + 1.0
    b1 = b2 = -one  # no beta is negative: the first lane computes its powers
    p1 = p2 = 1.0
    for j in range(C.shape[1]):
        if hp[BETA1, j] != b1 or hp[BETA2, j] != b2:
            b1, b2 = hp[BETA1, j], hp[BETA2, j]
            p1 = float(one - math.pow(b1, t))
            p2 = math.pow(float(one - math.pow(b2, t)), 0.5)
        C[STEP, j] = hp[STEP_SIZE, j] / p1
        C[ROOT_CORRECTION, j] = p2


@njit(inline="always")
def elem(xi, g, S, i, j, hp, C, k):
    gw = g + hp[WEIGHT_DECAY, j] * xi
    m = lerp(S[EXP_AVG, i, j], gw, lit(xi, 1.0) - hp[BETA1, j])
    v = S[EXP_AVG_SQ, i, j] * hp[BETA2, j] + (lit(xi, 1.0) - hp[BETA2, j]) * gw * gw
    S[EXP_AVG, i, j] = m
    S[EXP_AVG_SQ, i, j] = v
    vmax = max(S[MAX_EXP_AVG_SQ, i, j], v)
    amsgrad = hp[AMSGRAD, j] != 0
    S[MAX_EXP_AVG_SQ, i, j] = vmax if amsgrad else S[MAX_EXP_AVG_SQ, i, j]
    denom = math.sqrt(vmax if amsgrad else v) / C[ROOT_CORRECTION, j] + hp[EPS, j]
    return xi + (-C[STEP, j] * m) / denom


RECORD = coordinatewise(
    "adam",
    (
        step_size(0.001),
        nonnegative("beta1", 0.9, "first-moment decay", below=1.0),
        nonnegative("beta2", 0.999, "second-moment decay", below=1.0),
        eps(1e-8, "to the root"),
        weight_decay(),
        flag("amsgrad", "use the running maximum of the second moment"),
    ),
    elem,
    prepare=prepare,
    n_state=3,
    n_coef=2,
    formula=(
        "g += weight_decay*x; m = lerp(m, g, 1-beta1); v = beta2*v + (1-beta2)*g*g;"
        " amsgrad: v = vmax = max(vmax, v); x += (-step_size/(1-beta1^t) * m)"
        " / (sqrt(v)/(1-beta2^t)^0.5 + eps)"
    ),
    display="Adam",
    summary="torch.optim.Adam",
    reference="Kingma and Ba (2015); torch.optim.Adam",
)
