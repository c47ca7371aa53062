"""The floating-point control word (MXCSR) as jitted code reads and sets it, for the
opt-in flushing of subnormals."""

from __future__ import annotations

import platform
from collections.abc import Callable
from typing import TYPE_CHECKING

from numba import types
from numba.extending import intrinsic

if TYPE_CHECKING:
    from llvmlite import ir
    from numba.core.base import BaseContext
    from numba.core.typing.context import Context
    from numba.core.typing.templates import Signature

    # an intrinsic's code generator: (context, builder, signature, args) -> LLVM value
    _Codegen = Callable[[BaseContext, ir.IRBuilder, Signature, list[ir.Value]], ir.Value]


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
