"""RMSprop, as torch.optim.RMSprop computes it. Both sides of each option are computed
and selected (see `momentum`): branches would cost the loop its vectorization."""

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

STEP_SIZE, ALPHA, EPS, WEIGHT_DECAY, MOMENTUM, CENTERED = range(6)  # hyperparameter rows
SQUARE_AVG, GRAD_AVG, BUFFER = range(3)  # state rows


@njit(inline="always")
def elem(xi, g, S, i, j, hp, C, k):
    alpha = hp[ALPHA, j]
    gw = g + hp[WEIGHT_DECAY, j] * xi
    sq = S[SQUARE_AVG, i, j] * alpha + (lit(xi, 1.0) - alpha) * gw * gw
    S[SQUARE_AVG, i, j] = sq
    centered = hp[CENTERED, j] != 0
    ga = lerp(S[GRAD_AVG, i, j], gw, lit(xi, 1.0) - alpha)
    S[GRAD_AVG, i, j] = ga if centered else S[GRAD_AVG, i, j]
    spread = sq + -lit(xi, 1.0) * ga * ga
    avg = math.sqrt(spread if centered else sq) + hp[EPS, j]
    heavy = hp[MOMENTUM, j] > 0
    buf = S[BUFFER, i, j] * hp[MOMENTUM, j] + gw / avg
    S[BUFFER, i, j] = buf if heavy else S[BUFFER, i, j]
    with_buf = xi + (-hp[STEP_SIZE, j]) * buf
    plain = xi + (-hp[STEP_SIZE, j] * gw) / avg
    return with_buf if heavy else plain


RECORD = coordinatewise(
    "rmsprop",
    (
        step_size(0.01),
        nonnegative("alpha", 0.99, "smoothing constant of the square average"),
        eps(1e-8, "to the root"),
        weight_decay(),
        nonnegative("momentum", 0.0, "momentum factor"),
        flag("centered", "divide by the centred (variance) estimate"),
    ),
    elem,
    n_state=3,
    formula=(
        "g += weight_decay*x; v = alpha*v + (1-alpha)*g*g; centered: m = lerp(m, g,"
        " 1-alpha), avg = sqrt(v - m*m) + eps, else avg = sqrt(v) + eps;"
        " momentum > 0: b = momentum*b + g/avg, x += -step_size*b;"
        " else x += (-step_size*g) / avg"
    ),
    display="RMSprop",
    summary="torch.optim.RMSprop",
    reference="Tieleman and Hinton (2012); torch.optim.RMSprop",
)
