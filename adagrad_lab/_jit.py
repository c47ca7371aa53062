"""The project's jit options in one place, and `lit`, a constant in the working precision."""

from __future__ import annotations

import hashlib
from pathlib import Path

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


# Numba stamps a cached function with the hash of its own source file only, so a
# kernel would keep running stale code after an edit to a helper it inlines. The
# locators below stamp this package's functions with the hash of every module the
# kernels are built from.
KERNEL_SOURCES = ("_jit.py", "kernel.py", "kernel_steps.py", "objectives_math.py", "columns.py")
_HERE = Path(__file__).resolve().parent


class _PackageStamp:
    def get_source_stamp(self) -> bytes:
        digest = hashlib.sha256()
        for name in KERNEL_SOURCES:
            digest.update((_HERE / name).read_bytes())
        return digest.digest()

    @classmethod
    def from_function(cls, py_func, py_file):
        if Path(py_file).resolve().parent != _HERE:
            return None
        return super().from_function(py_func, py_file)


def _install_locators() -> None:
    try:
        from numba.core import caching
    except ImportError:  # pragma: no cover - a Numba without the module: default stamps
        return
    bases = [getattr(caching, n, None) for n in ("UserProvidedCacheLocator", "InTreeCacheLocator")]
    bases.append(getattr(caching, "UserWideCacheLocator", None))
    impl = getattr(caching, "CacheImpl", None)
    if impl is None or None in bases:  # pragma: no cover - other Numba layouts
        return
    ours = [type(f"Package{b.__name__}", (_PackageStamp, b), {}) for b in bases]
    if not any(issubclass(c, _PackageStamp) for c in impl._locator_classes):
        impl._locator_classes[:0] = ours


_install_locators()
