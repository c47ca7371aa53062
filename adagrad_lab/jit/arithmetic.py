"""How the kernel does its arithmetic: one value, from the config to the kernel and the hash."""

from __future__ import annotations

from dataclasses import dataclass

PRECISIONS = ("float64", "float32")


# The LLVM fast-math flags of ``fastmath``: FMA contraction only. Measured side by side on
# W1-W4 (AMD EPYC, docs/performance.md), contraction alone is faster than the exact
# kernel (-17% to -31% where arithmetic-bound, level where store-bound); reassociation
# made it slower (+19% on W1), approximate reciprocals and functions gained nothing.
# Never nnan/ninf: divergence detection needs NaN and infinity to behave. Part of the
# config hash of a fastmath run, so a changed set is another config.
FASTMATH_FLAGS = ("contract",)


@dataclass(frozen=True)
class Arithmetic:
    """The arithmetic of a run. The default is the tutorial's, bit for bit; every other
    setting is opt-in, faster, and changes the last bits (so it is part of the config hash).

    ``precision``: float64, or float32 (twice the lanes per vector, ~1e-6 relative error).
    ``fastmath``: let the compiler contract multiply-adds to FMA (nothing else).
    ``flush_subnormals``: x86 flush-to-zero and denormals-are-zero while the kernel runs.
    """

    precision: str = "float64"
    fastmath: bool = False
    flush_subnormals: bool = False

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}")

    @property
    def exact(self) -> bool:
        """Whether this is the default, bit-faithful arithmetic."""
        return (self.precision, self.fastmath, self.flush_subnormals) == ("float64", False, False)


EXACT = Arithmetic()
