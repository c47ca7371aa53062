"""What the built-in objectives' jitted functions share.

Every block evaluator has the signature ``fn(x, g, f, p)``: ``x`` is a (d, B)
block of points with coordinates contiguous across the B trajectories, ``g``
(d, B) receives the gradients, ``f`` (B,) the values, and ``p`` holds
precomputed parameters (the ellipsoid's weights). The loop over the block is
innermost so the compiler can vectorize across trajectories. Sums run over
the coordinates in index order, the order a plain Python loop would use.
Constants are written ``lit(x, c)`` so the same code runs in float32.

Coordinate-separable objectives, f = f0 + sum_i term(x_i, w_i), also have a
``term`` returning (f_i, g_i): the kernel fuses it with the update in one
pass; their block evaluator loops over the same term, so both paths give
the same bits.
"""

from __future__ import annotations

import math

from adagrad_lab.jit.tools import jit, lit

TWO_PI = 2.0 * math.pi


@jit(inline="always")
def no_constant(d):
    return 0.0


@jit(inline="always")
def separable(term, f0, x, g, f, p):
    """The block evaluator of f = f0 + sum_i term(x_i, w_i), w_i = p[min(i, len(p) - 1)]."""
    d, b = x.shape
    last = p.shape[0] - 1
    for j in range(b):
        f[j] = f0
    for i in range(d):
        w = lit(x[0, 0], p[min(i, last)])
        for j in range(b):
            fi, gi = term(x[i, j], w)
            f[j] += fi
            g[i, j] = gi
