"""Test functions in block form: value and gradient of B points at once.

Every function here has the signature ``fn(x, g, f, p)``: ``x`` is a (d, B)
block of points with coordinates contiguous across the B trajectories, ``g``
(d, B) receives the gradients, ``f`` (B,) the values, and ``p`` holds
precomputed parameters (the ellipsoid's weights). The loop over the block is
innermost so the compiler can vectorize across trajectories. Sums run over
the coordinates in index order, the order a plain Python loop would use.
Constants are written ``lit(x, c)`` so the same code runs in float32.
"""

from __future__ import annotations

import math

from ._jit import jit, lit, square

TWO_PI = 2.0 * math.pi

# Coordinate-separable objectives, f = f0 + sum_i term(x_i, w_i): each term returns
# (f_i, g_i). The kernel fuses them with the update in one pass; the block functions
# below loop over the same terms, so both paths give the same bits.


@jit(inline="always")
def sphere_term(xi, w):
    return square(xi), xi * lit(xi, 2.0)


@jit(inline="always")
def ellipsoid_term(xi, w):
    return w * square(xi), (lit(xi, 2.0) * w) * xi


@jit(inline="always")
def rastrigin_term(xi, w):
    t = lit(xi, TWO_PI) * xi
    f = square(xi) - lit(xi, 10.0) * math.cos(t)
    return f, lit(xi, 2.0) * xi + lit(xi, 10.0) * lit(xi, TWO_PI) * math.sin(t)


@jit(inline="always")
def styblinski_tang_term(xi, w):
    x2 = square(xi)
    f = lit(xi, 0.5) * (x2 * x2 - lit(xi, 16.0) * x2 + lit(xi, 5.0) * xi)
    return f, lit(xi, 2.0) * x2 * xi - lit(xi, 16.0) * xi + lit(xi, 2.5)


@jit(inline="always")
def no_constant(d):
    return 0.0


@jit(inline="always")
def rastrigin_constant(d):
    return 10.0 * d


@jit(inline="always")
def _separable(term, f0, x, g, f, p):
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


@jit(inline="always")
def sphere(x, g, f, p):
    _separable(sphere_term, 0.0, x, g, f, p)


@jit(inline="always")
def ellipsoid(x, g, f, p):
    _separable(ellipsoid_term, 0.0, x, g, f, p)


@jit(inline="always")
def rastrigin(x, g, f, p):
    _separable(rastrigin_term, 10.0 * x.shape[0], x, g, f, p)


@jit(inline="always")
def styblinski_tang(x, g, f, p):
    _separable(styblinski_tang_term, 0.0, x, g, f, p)


@jit(inline="always")
def rosenbrock(x, g, f, p):
    d, b = x.shape
    for j in range(b):
        f[j] = 0.0
        g[0, j] = 0.0
    for i in range(d - 1):
        for j in range(b):
            xi = x[i, j]
            r = x[i + 1, j] - square(xi)
            q = lit(xi, 1.0) - xi
            f[j] += lit(xi, 100.0) * (r * r) + q * q
            g[i, j] += lit(xi, -400.0) * xi * r - lit(xi, 2.0) * q
            g[i + 1, j] = lit(xi, 200.0) * r


@jit(inline="always")
def ackley(x, g, f, p):
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


@jit(inline="always")
def beale(x, g, f, p):
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


@jit(inline="always")
def booth(x, g, f, p):
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


@jit(inline="always")
def himmelblau(x, g, f, p):
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
