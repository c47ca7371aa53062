"""Kernels for a user's own objective: its per-point function adapted to the block form,
and the kernel variants that evaluate it, one per optimizer (never cached on disk)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

import numpy as np
from numba import njit

from adagrad_lab.catalog import OPTIMIZERS
from adagrad_lab.jit.tools import JitFn
from adagrad_lab.kernel.driver import specialize

if TYPE_CHECKING:
    from adagrad_lab.catalog.custom import ValueAndGrad


class CustomKernels:
    """Kernels for a user's block evaluator, one per optimizer, compiled on first use.

    Not cached on disk: Numba cannot key a cache on a user's function.
    """

    def __init__(self, evaluate_custom: JitFn, fastmath: bool = False) -> None:
        self.evaluate = evaluate_custom
        self.fastmath = fastmath
        self._kernels: dict[str, JitFn] = {}

    def __call__(self, optimizer: str) -> JitFn:
        if optimizer not in self._kernels:
            name = f"_advance_custom_{optimizer}"
            self._kernels[optimizer] = specialize(
                name, self.evaluate, OPTIMIZERS[optimizer], None, self.fastmath, cache=False
            )
        return self._kernels[optimizer]


def compile_custom(evaluate_custom: JitFn, fastmath: bool = False) -> CustomKernels:
    """Kernels that evaluate a user's block evaluator instead of a built-in."""
    return CustomKernels(evaluate_custom, fastmath)


def block_evaluator(value_and_grad: ValueAndGrad) -> JitFn:
    """Adapt a user's per-point ``value_and_grad(x, grad) -> f`` to the kernel's block form.

    ``x`` is a 1-D float64 point, ``grad`` a 1-D array to fill; the returned
    value is forced to NaN when the point is not finite, so divergence is
    detected from the value alone, as with the built-ins.
    """
    # cast: numba's stubs take a callable passed to njit for a signature
    jitted = value_and_grad if hasattr(value_and_grad, "py_func") else njit(value_and_grad)
    fn = cast("ValueAndGrad", jitted)

    @njit
    def evaluate_custom(x, g, f, p):
        d, b = x.shape
        xi = np.empty(d, x.dtype)
        gi = np.empty(d, x.dtype)
        for j in range(b):
            finite = True
            for i in range(d):
                xi[i] = x[i, j]
                finite = finite and math.isfinite(xi[i])
            value = fn(xi, gi)
            f[j] = value if finite else np.nan
            for i in range(d):
                g[i, j] = gi[i]

    evaluator: JitFn = evaluate_custom  # Numba's stubs type a bare @njit as Any
    return evaluator
