"""What the optimizers' jitted functions share: the calling convention and the pieces
several rules are made of.

Every function is inlined into the kernel and works on one block of lanes:
``hp`` is the block's (rows, b) hyperparameter array, rows in the record's
order (each rule names its rows as constants); ``S`` the (state rows, d, b)
state; ``C`` the (n_coef, b) per-lane coefficients of the current update;
``k`` the update's index (x_k -> x_{k+1}; libraries that count steps from 1
have t = k + 1).

    init(S, X, hp)                  the state at iteration 0, from the start block X (d, b)
    prepare(C, hp, k)               per-lane coefficients of update k (bias corrections...)
    elem(xi, g, S, i, j, hp, C, k)  x_{k+1}[i] of lane j: the coordinate-wise rules, which
                                    the kernel fuses with a separable objective's gradient
    step(X, G, S, hp, C, k)         the whole block's update (`block_step` of elem, or its own)

Constants go through `lit` so a float32 kernel stays in float32. The library
presets follow their library's operation order, so they match it to the last
bits or close (the tests hold them to 1e-12 relative).
"""

from __future__ import annotations

from numba import njit

from adagrad_lab.jit.tools import JitFn, lit


def block_step(elem: JitFn) -> JitFn:
    """The block update of a coordinate-wise rule: ``elem`` at every coordinate of every lane."""

    @njit(inline="always")
    def step(X, G, S, hp, C, k):
        d, b = X.shape
        for i in range(d):
            for j in range(b):
                X[i, j] = elem(X[i, j], G[i, j], S, i, j, hp, C, k)

    return step


def fill_state(row: int, value_row: int) -> JitFn:
    """An init that sets state row ``row`` to hyperparameter ``value_row`` and the rest to 0."""

    @njit(inline="always")
    def init(S, X, hp):
        n, d, b = S.shape
        for r in range(n):
            for i in range(d):
                for j in range(b):
                    S[r, i, j] = hp[value_row, j] if r == row else lit(X[0, 0], 0.0)

    return init


@njit(inline="always")
def no_init(S, X, hp):
    n, d, b = S.shape
    for r in range(n):
        for i in range(d):
            for j in range(b):
                S[r, i, j] = lit(X[0, 0], 0.0)


@njit(inline="always")
def no_prepare(C, hp, k):
    pass


@njit(inline="always")
def lerp(start, end, weight):
    """torch.lerp: start + weight * (end - start), or end - (end - start) * (1 - weight)
    for weight >= 0.5 (both computed, one selected)."""
    low = start + weight * (end - start)
    high = end - (end - start) * (lit(start, 1.0) - weight)
    return low if weight < 0.5 else high
