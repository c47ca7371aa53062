"""The library of test functions: what each one is, its bounds, its known minimum.

The arithmetic lives in `objectives_math` (jitted, block form); this module
holds the facts the rest of the program needs to validate a config, draw
start points and judge results.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .objectives_math import BUILTIN_ORDER

STYBLINSKI_TANG_ARGMIN = -2.903534027771178


@dataclass(frozen=True)
class Objective:
    """A built-in test function: name, kernel code, default box, dimension rule, known minimum."""

    name: str
    bounds: tuple[float, float]
    f_min: Callable[[int], float]
    x_min: Callable[[int], np.ndarray]
    dims: tuple[int, int | None] = (1, None)  # (smallest, largest or None) allowed dimension
    summary: str = ""
    code: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", BUILTIN_ORDER.index(self.name))

    def params(self, dim: int, log10_condition: float = 6.0) -> np.ndarray:
        """The parameter vector the kernel reads (the ellipsoid's weights; empty otherwise)."""
        if self.name == "ellipsoid":
            return ellipsoid_weights(dim, log10_condition)
        return np.zeros(1)


def ellipsoid_weights(dim: int, log10_condition: float) -> np.ndarray:
    """w_i = 10^(c*i/(d-1)): condition number 10^c between the flattest and steepest axis."""
    if dim == 1:
        return np.ones(1)
    return 10.0 ** (log10_condition * np.arange(dim) / (dim - 1))


def _zeros(d: int) -> np.ndarray:
    return np.zeros(d)


def _const(value: float) -> Callable[[int], np.ndarray]:
    return lambda d: np.full(d, value)


def _zero_min(d: int) -> float:
    return 0.0


BUILTINS: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective(
            "sphere", (-1.0, 1.0), _zero_min, _zeros, summary="sum x_i^2 (the tutorial's bowl)"
        ),
        Objective(
            "ellipsoid",
            (-1.0, 1.0),
            _zero_min,
            _zeros,
            summary="sum 10^(c*i/(d-1)) x_i^2, condition number 10^c",
        ),
        Objective(
            "rosenbrock",
            (-2.0, 2.0),
            _zero_min,
            _const(1.0),
            dims=(2, None),
            summary="sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2",
        ),
        Objective(
            "rastrigin",
            (-5.12, 5.12),
            _zero_min,
            _zeros,
            summary="10 d + sum x_i^2 - 10 cos(2 pi x_i)",
        ),
        Objective("ackley", (-32.768, 32.768), _zero_min, _zeros, summary="Ackley's function"),
        Objective(
            "styblinski_tang",
            (-5.0, 5.0),
            lambda d: (
                0.5
                * d
                * (
                    STYBLINSKI_TANG_ARGMIN**4
                    - 16 * STYBLINSKI_TANG_ARGMIN**2
                    + 5 * STYBLINSKI_TANG_ARGMIN
                )
            ),
            _const(STYBLINSKI_TANG_ARGMIN),
            summary="sum (x_i^4 - 16 x_i^2 + 5 x_i) / 2",
        ),
        Objective(
            "beale",
            (-4.5, 4.5),
            _zero_min,
            lambda d: np.array([3.0, 0.5]),
            dims=(2, 2),
            summary="2-D, minimum at (3, 0.5)",
        ),
        Objective(
            "booth",
            (-10.0, 10.0),
            _zero_min,
            lambda d: np.array([1.0, 3.0]),
            dims=(2, 2),
            summary="2-D, minimum at (1, 3)",
        ),
        Objective(
            "himmelblau",
            (-5.0, 5.0),
            _zero_min,
            lambda d: np.array([3.0, 2.0]),
            dims=(2, 2),
            summary="2-D, four minima of value 0, one at (3, 2)",
        ),
    )
}


def load_user_function(target: str) -> Callable:
    """Import ``package.module.function`` and return the function (jitted or plain).

    The working directory is searched last, so a module next to where the
    command runs works without installing it.
    """
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    module_name, _, attr = target.rpartition(".")
    if not module_name:
        raise ValueError(f"'{target}' is not a dotted path like mypkg.mymod.my_fn")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ValueError(f"module '{module_name}' has no attribute '{attr}'") from None
