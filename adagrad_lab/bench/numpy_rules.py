"""The NumPy baseline's update rules, one per optimizer of the registry, keyed by name.

Each is written the way the AdaGrad baseline always was (`baselines.run_numpy`
is the one loop that drives them): coordinates are rows of (d, N) arrays, the
hyperparameters (N,) rows that broadcast across them, every array allocated
once per run (in the rule's constructor), every step an in-place ufunc with
``out=``, per-trajectory coefficients (bias corrections, decayed step sizes)
computed once per step into (N,) buffers. Each step performs the operations
of the kernel's jitted function (`adagrad_lab.catalog.optimizers`, one module
per rule, whose records give the formulas and order) in the same order, so its outputs
equal the kernel's bit for bit; only ``adagrad_full`` cannot: it takes the
eigendecomposition from batched ``np.linalg.eigh`` (LAPACK), the kernel from
its own cyclic Jacobi, so it is judged by f's relative error against a bound
(`NumpyRule.bound`, on the final points).

A branch the kernel takes per trajectory on a hyperparameter (momentum != 0,
nesterov, centered, amsgrad, l1 > 0, a lerp weight below 0.5) is taken here
once for the run, so such a value must be the same on every trajectory (it
is on the benchmark's workloads: the registry's defaults); mixed values raise
ValueError. Whether the kernel squares the gradient itself (``squares``):
`run_numpy` then computes ``T = g*g`` once per iteration, shared with the
gradient norm.
"""

from __future__ import annotations

from .numpy_adagrad import (
    Adagrad,
    AdagradFull,
    AdagradKeras,
    AdagradNorm,
    AdagradOptax,
    AdagradProx,
    AdagradRda,
    AdagradTorch,
    Gd,
)
from .numpy_base import NumpyRule
from .numpy_moments import Adam, Momentum, Rmsprop

RULES: dict[str, type[NumpyRule]] = {
    "adagrad": Adagrad,
    "gd": Gd,
    "adagrad_torch": AdagradTorch,
    "adagrad_optax": AdagradOptax,
    "adagrad_keras": AdagradKeras,
    "adagrad_prox": AdagradProx,
    "adagrad_rda": AdagradRda,
    "adagrad_norm": AdagradNorm,
    "adagrad_full": AdagradFull,
    "momentum": Momentum,
    "rmsprop": Rmsprop,
    "adam": Adam,
}


def bound(optimizer: str) -> float | None:
    """None if the rule's baseline agrees with the kernel bit for bit, else the bound on
    the final points' scaled error (`agree.x_error`) it is judged by."""
    return RULES[optimizer].bound
