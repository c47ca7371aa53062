"""The project's jit options in one place, and `lit`, a constant in the working precision."""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload


def jit(fn=None, **options):
    """`numba.njit` with `cache=True` and no error model surprises (IEEE division: x/0 = inf)."""
    options.setdefault("cache", True)
    options.setdefault("error_model", "numpy")
    if fn is None:
        return lambda f: njit(**options)(f)
    return njit(**options)(fn)


def lit(x, value):
    """``value`` as a number of ``x``'s float type.

    Jitted code writes constants as ``lit(x, 2.0)`` so a float32 kernel stays in
    float32 (a bare ``2.0`` is float64 and would promote every product); in
    float64 it is the plain constant, so the default arithmetic is unchanged.
    """
    return np.asarray(value, dtype=np.asarray(x).dtype)[()]


@overload(lit, inline="always")
def _lit(x, value):
    if x == types.float32:
        return lambda x, value: np.float32(value)
    return lambda x, value: np.float64(value)
