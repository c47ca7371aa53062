"""The project's jit options in one place, and the small numeric tools its kernels share:
`lit` (a constant in the working precision), `square` (x*x without the slow path of
an underflow) and the floating-point control word (for flushing subnormals)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast
from typing import overload as typing_overload

import numpy as np
from numba import njit, types
from numba.extending import overload

if TYPE_CHECKING:
    from llvmlite import ir
    from numba.core.base import BaseContext
    from numba.core.dispatcher import Dispatcher
    from numba.core.typing.templates import Signature

    # an intrinsic's code generator: (context, builder, signature, args) -> LLVM value
    _Codegen = Callable[[BaseContext, ir.IRBuilder, Signature, list[ir.Value]], ir.Value]

_F = TypeVar("_F", bound=Callable[..., object])
# A jitted function (a Numba dispatcher) as its callers see it: Numba types each call
# from its arguments.
JitFn = Callable[..., Any]
_Real = TypeVar("_Real", float, np.float32, np.float64)


@typing_overload
def jit(fn: _F, **options: Any) -> Dispatcher[_F]: ...
@typing_overload
def jit(fn: None = None, **options: Any) -> Callable[[_F], Dispatcher[_F]]: ...
def jit(fn: Callable[..., object] | None = None, **options: Any) -> Any:
    """`numba.njit` with `cache=True` and no error model surprises (IEEE division: x/0 = inf)."""
    options.setdefault("cache", True)
    options.setdefault("error_model", "numpy")
    if fn is None:
        return lambda f: njit(**options)(f)
    return njit(**options)(fn)


def lit(x: object, value: float) -> np.floating[Any]:
    """``value`` as a number of ``x``'s float type.

    Jitted code writes constants as ``lit(x, 2.0)`` so a float32 kernel stays in
    float32 (a bare ``2.0`` is float64 and would promote every product); in
    float64 it is the plain constant, so the default arithmetic is unchanged.
    """
    # a 0-d array indexed with () is its scalar (numpy's stubs say array)
    return cast("np.floating[Any]", np.asarray(value, dtype=np.asarray(x).dtype)[()])


# The @overload typing functions below stay unannotated: Numba requires an overload's
# parameters, annotations included, to equal its implementation's.
@overload(lit, inline="always")
def _lit(x, value):
    if x == types.float32:
        return lambda x, value: np.float32(value)
    return lambda x, value: np.float64(value)


# Below these magnitudes a square underflows to exactly zero (x*x < half the least
# subnormal), and the CPU takes a slow microcoded path to produce that zero.
_ZERO_SQUARE_BELOW: dict[types.Type, np.floating[Any]] = {
    types.float32: np.float32(2.0**-76),
    types.float64: np.float64(2.0**-538),
}


def square(x: _Real) -> _Real:
    """``x * x``, bit for bit; jitted, it skips the CPU's slow path when the square underflows.

    Converged trajectories hold coordinates far below 1e-154 whose squares
    underflow to zero; computing those zeros costs the kernel up to a third of
    its time. Squaring a zero instead gives the same +0.0, fast.
    """
    product: _Real = x * x  # numpy's stubs type a float32 product as Any
    return product


@overload(square)
def _square(x):
    below = _ZERO_SQUARE_BELOW.get(x, _ZERO_SQUARE_BELOW[types.float64])
    zero = below.dtype.type(0.0)

    def impl(x):
        xm = zero if abs(x) < below else x  # NaN stays NaN
        return xm * xm

    return impl
