"""Himmelblau's function (2-D): four global minima of value 0."""

from __future__ import annotations

from adagrad_lab.catalog.records import Objective, point, zero
from adagrad_lab.jit.tools import jit, lit

# the four global minima (f = 0); the record's x_min is the first
MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.283185991286170),
    (3.584428340330492, -1.848126526964404),
)


@jit(inline="always")
def evaluate(x, g, f, p):
    b = x.shape[1]
    for j in range(b):
        u = x[0, j]
        v = x[1, j]
        two = lit(u, 2.0)
        four = lit(u, 4.0)
        a = u * u + v - lit(u, 11.0)
        c = u + v * v - lit(u, 7.0)
        f[j] = a * a + c * c
        g[0, j] = four * u * a + two * c
        g[1, j] = two * a + four * v * c


RECORD = Objective(
    "himmelblau",
    evaluate,
    (-5.0, 5.0),
    zero,
    point(*MINIMA[0]),
    dims=(2, 2),
    summary="2-D, four minima of value 0, one at (3, 2)",
    minima=MINIMA,
)
