"""Beale's function (2-D), minimum 0 at (3, 0.5)."""

from __future__ import annotations

from adagrad_lab.catalog.records import Objective, point, zero
from adagrad_lab.jit.tools import jit, lit


@jit(inline="always")
def evaluate(x, g, f, p):
    b = x.shape[1]
    for j in range(b):
        u = x[0, j]
        v = x[1, j]
        one = lit(u, 1.0)
        two = lit(u, 2.0)
        v2 = v * v
        v3 = v2 * v
        a1 = lit(u, 1.5) - u + u * v
        a2 = lit(u, 2.25) - u + u * v2
        a3 = lit(u, 2.625) - u + u * v3
        f[j] = a1 * a1 + a2 * a2 + a3 * a3
        g[0, j] = two * (a1 * (v - one) + a2 * (v2 - one) + a3 * (v3 - one))
        g[1, j] = two * u * (a1 + two * v * a2 + lit(u, 3.0) * v2 * a3)


RECORD = Objective(
    "beale",
    evaluate,
    (-4.5, 4.5),
    zero,
    point(3.0, 0.5),
    dims=(2, 2),
    summary="2-D, minimum at (3, 0.5)",
)
