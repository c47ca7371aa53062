"""The project's jit options in one place: every kernel is compiled with the on-disk cache on."""

from __future__ import annotations

from numba import njit


def jit(fn=None, **options):
    """`numba.njit` with `cache=True` and no error model surprises (IEEE division: x/0 = inf)."""
    options.setdefault("cache", True)
    options.setdefault("error_model", "numpy")
    if fn is None:
        return lambda f: njit(**options)(f)
    return njit(**options)(fn)
