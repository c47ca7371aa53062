"""Booth's function (2-D), a quadratic with minimum 0 at (1, 3)."""

from __future__ import annotations

from adagrad_lab.catalog.records import Objective, point, zero
from adagrad_lab.jit.tools import jit, lit


@jit(inline="always")
def evaluate(x, g, f, p):
    b = x.shape[1]
    for j in range(b):
        u = x[0, j]
        v = x[1, j]
        two = lit(u, 2.0)
        four = lit(u, 4.0)
        a = u + two * v - lit(u, 7.0)
        c = two * u + v - lit(u, 5.0)
        f[j] = a * a + c * c
        g[0, j] = two * a + four * c
        g[1, j] = four * a + two * c


RECORD = Objective(
    "booth",
    evaluate,
    (-10.0, 10.0),
    zero,
    point(1.0, 3.0),
    dims=(2, 2),
    summary="2-D, minimum at (1, 3)",
)
