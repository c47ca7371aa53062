"""Ackley's function: a nearly flat outer region around one deep hole at the origin."""

from __future__ import annotations

import math

from adagrad_lab.catalog.objectives.parts import TWO_PI
from adagrad_lab.catalog.records import Objective, zero, zeros
from adagrad_lab.jit.tools import jit, lit, square


@jit(inline="always")
def evaluate(x, g, f, p):
    d, b = x.shape
    for j in range(b):
        sq = lit(x[0, j], 0.0)
        cs = lit(x[0, j], 0.0)
        for i in range(d):
            xi = x[i, j]
            sq += square(xi)
            cs += math.cos(lit(xi, TWO_PI) * xi)
        n = lit(sq, d)
        r = math.sqrt(sq / n)
        e1 = math.exp(lit(r, -0.2) * r)
        e2 = math.exp(cs / n)
        f[j] = lit(r, -20.0) * e1 - e2 + lit(r, 20.0) + lit(r, math.e)
        c1 = lit(r, 4.0) * e1 / (n * r) if r > 0.0 else lit(r, 0.0)
        c2 = lit(r, TWO_PI) * e2 / n
        for i in range(d):
            xi = x[i, j]
            g[i, j] = c1 * xi + c2 * math.sin(lit(xi, TWO_PI) * xi)


RECORD = Objective("ackley", evaluate, (-32.768, 32.768), zero, zeros, summary="Ackley's function")
