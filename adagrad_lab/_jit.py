"""The project's jit options in one place, and the small numeric tools its kernels share:
`lit` (a constant in the working precision), `square` (x*x without the slow path of
an underflow) and the floating-point control word (for flushing subnormals)."""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast
from typing import overload as typing_overload

import numpy as np
from numba import njit, types
from numba.extending import intrinsic, overload

if TYPE_CHECKING:
    from llvmlite import ir
    from numba.core.base import BaseContext
    from numba.core.dispatcher import Dispatcher
    from numba.core.typing.context import Context
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


# Numba stamps a cached function with the hash of its own source file only, so a
# kernel would keep running stale code after an edit to a helper it inlines. The
# locators below stamp this package's functions with the hash of every module the
# kernels are built from.
KERNEL_SOURCES = (
    "_jit.py",
    "kernel.py",
    "kernel_steps.py",
    "objectives_math.py",
    "optimizers_math.py",
    "registry.py",
    "columns.py",
)
_HERE = Path(__file__).resolve().parent


class _PackageStamp:
    def get_source_stamp(self) -> bytes:
        digest = hashlib.sha256()
        for name in KERNEL_SOURCES:
            digest.update((_HERE / name).read_bytes())
        return digest.digest()

    @classmethod
    def from_function(cls, py_func: Callable[..., object], py_file: str) -> object:
        if Path(py_file).resolve().parent != _HERE:
            return None
        # a mixin: the Numba locator it is combined with (below) defines from_function
        return super().from_function(py_func, py_file)  # type: ignore[misc]


def _install_locators() -> None:
    try:
        from numba.core import caching
    except ImportError:  # pragma: no cover - a Numba without the module: default stamps
        return
    names = ("UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator")
    bases: list[type] = [b for b in (getattr(caching, n, None) for n in names) if b is not None]
    impl = getattr(caching, "CacheImpl", None)
    if impl is None or len(bases) < len(names):  # pragma: no cover - other Numba layouts
        return
    ours = [type(f"Package{b.__name__}", (_PackageStamp, b), {}) for b in bases]
    if not any(issubclass(c, _PackageStamp) for c in impl._locator_classes):
        impl._locator_classes[:0] = ours


_install_locators()


# Flushing subnormals (opt-in) sets two bits of the x86 control word MXCSR: flush-to-zero
# for results and denormals-are-zero for inputs. The word is per thread, so the kernel
# sets it in each parallel task and restores it there. Elsewhere the intrinsics are no-ops.
FLUSH_SUBNORMALS_BITS = 0x8040
CAN_FLUSH_SUBNORMALS = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")


def _mxcsr_call(builder: ir.IRBuilder, name: str, slot: ir.Value) -> None:
    from llvmlite import ir

    ptr = ir.IntType(8).as_pointer()
    fn = builder.module.declare_intrinsic(name, fnty=ir.FunctionType(ir.VoidType(), [ptr]))
    builder.call(fn, [builder.bitcast(slot, ptr)])


@intrinsic
def get_fp_control(typingctx: Context) -> tuple[Signature, _Codegen]:
    """The calling thread's floating-point control word (MXCSR); 0 off x86."""

    def codegen(
        context: BaseContext, builder: ir.IRBuilder, signature: Signature, args: list[ir.Value]
    ) -> ir.Value:
        from llvmlite import ir

        if not CAN_FLUSH_SUBNORMALS:
            return ir.Constant(ir.IntType(32), 0)
        slot = builder.alloca(ir.IntType(32))
        _mxcsr_call(builder, "llvm.x86.sse.stmxcsr", slot)
        return builder.load(slot)

    return types.uint32(), codegen


@intrinsic
def set_fp_control(typingctx: Context, value: types.Type) -> tuple[Signature, _Codegen]:
    """Load ``value`` into the calling thread's floating-point control word; a no-op off x86."""

    def codegen(
        context: BaseContext, builder: ir.IRBuilder, signature: Signature, args: list[ir.Value]
    ) -> ir.Value:
        from llvmlite import ir

        if CAN_FLUSH_SUBNORMALS:
            slot = builder.alloca(ir.IntType(32))
            builder.store(args[0], slot)
            _mxcsr_call(builder, "llvm.x86.sse.ldmxcsr", slot)
        return context.get_dummy_value()  # type: ignore[no-untyped-call]  # Numba's, untyped

    return types.void(types.uint32), codegen
