"""Heavy ball and Nesterov momentum, as torch.optim.SGD computes them: g += wd * x;
buf = g at t = 1, else buf = momentum * buf + (1 - dampening) * g;
d = g + momentum * buf (nesterov) or buf; x += -lr * d. Momentum 0 is plain SGD.

Every case is computed and then selected, and the buffer is stored unconditionally
(with momentum 0 it is never read): branches here cost the loop its vectorization
(4.7x slower on a 100-D ellipsoid)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from numba import njit

from adagrad_lab.catalog.records import coordinatewise, flag, nonnegative, step_size, weight_decay
from adagrad_lab.jit.tools import lit

STEP_SIZE, MOMENTUM, DAMPENING, WEIGHT_DECAY, NESTEROV = range(5)  # hyperparameter rows
BUFFER = 0  # state row


@njit(inline="always")
def elem(xi, g, S, i, j, hp, C, k):
    gw = g + hp[WEIGHT_DECAY, j] * xi
    mom = hp[MOMENTUM, j]
    later = S[BUFFER, i, j] * mom + (lit(xi, 1.0) - hp[DAMPENING, j]) * gw
    buf = gw if k == 0 else later
    S[BUFFER, i, j] = buf
    nesterov = gw + mom * buf
    step = nesterov if hp[NESTEROV, j] != 0 else buf
    step = step if mom != 0 else gw
    return xi + (-hp[STEP_SIZE, j]) * step


def nesterov_needs_momentum(axes: Mapping[str, Sequence[float]]) -> tuple[str, str] | None:
    """torch.optim.SGD's rule: Nesterov momentum needs momentum > 0 and no dampening."""
    if 1 not in axes["nesterov"]:
        return None
    if 0 in axes["momentum"] or any(v != 0 for v in axes["dampening"]):
        return (
            "optimizer.nesterov",
            "Nesterov momentum needs momentum > 0 and dampening 0 (as torch.optim.SGD);"
            " sweep nesterov apart from those values",
        )
    return None


RECORD = coordinatewise(
    "momentum",
    (
        step_size(0.01),
        nonnegative("momentum", 0.9, "momentum factor"),
        nonnegative("dampening", 0.0, "dampening of the gradient in the buffer"),
        weight_decay(),
        flag("nesterov", "Nesterov momentum"),
    ),
    elem,
    n_state=1,
    constraint=nesterov_needs_momentum,
    formula=(
        "g += weight_decay*x; b = g (t=1) or momentum*b + (1-dampening)*g;"
        " x += -step_size * (nesterov ? g + momentum*b : b)"
    ),
    display="SGD with momentum",
    summary="heavy ball / Nesterov (torch.optim.SGD)",
    reference="Polyak (1964); Sutskever et al. (2013); torch.optim.SGD",
)
