"""What every NumPy baseline rule shares: its work arrays and the check that a branch on a
hyperparameter is taken the same way on every trajectory."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .workloads import Inputs

Array = np.ndarray


def flag(inputs: Inputs, name: str, test: Callable[[Array], Array]) -> bool:
    """``test`` of the hyperparameter ``name``, which must be the same on every trajectory."""
    hit = test(inputs.row(name))
    if hit.all() != hit.any():
        raise ValueError(f"NumPy baseline: {name} must take the same branch on every trajectory")
    return bool(hit.all())


class NumpyRule:
    """One run's state and work arrays for an update rule on (d, N) blocks.

    ``T`` (d, N) is where `run_numpy` writes g*g before `step` (if ``squares``)
    and for the gradient norm; `step` may overwrite it. ``bound``: None when
    the outputs equal the kernel's bit for bit, else the largest relative error
    of f allowed against the kernel.
    """

    squares = False
    bound: float | None = None

    def __init__(self, inputs: Inputs, X: Array) -> None:
        d, n = X.shape
        self.T = np.empty((d, n))
        self.W = np.empty((d, n))
        self.step_size = inputs.step_size

    def step(self, X: Array, G: Array, k: int) -> None:
        """x_k -> x_{k+1} in place, G the gradient at x_k (and T = g*g if ``squares``)."""
        raise NotImplementedError
