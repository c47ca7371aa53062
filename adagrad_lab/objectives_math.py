"""Test functions in block form: value and gradient of B points at once.

Every function here has the signature ``fn(x, g, f, p)``: ``x`` is a (d, B)
block of points with coordinates contiguous across the B trajectories, ``g``
(d, B) receives the gradients, ``f`` (B,) the values, and ``p`` holds
precomputed parameters (the ellipsoid's weights). The loop over the block is
innermost so the compiler can vectorize across trajectories. Sums run over
the coordinates in index order, the order a plain Python loop would use.
"""

from __future__ import annotations

import math

from ._jit import jit

TWO_PI = 2.0 * math.pi


@jit(inline="always")
def sphere(x, g, f, p):
    d, b = x.shape
    for j in range(b):
        f[j] = 0.0
    for i in range(d):
        for j in range(b):
            xi = x[i, j]
            f[j] += xi * xi
            g[i, j] = xi * 2.0


@jit(inline="always")
def ellipsoid(x, g, f, p):
    d, b = x.shape
    for j in range(b):
        f[j] = 0.0
    for i in range(d):
        w = p[i]
        for j in range(b):
            xi = x[i, j]
            f[j] += w * (xi * xi)
            g[i, j] = (2.0 * w) * xi


@jit(inline="always")
def rosenbrock(x, g, f, p):
    d, b = x.shape
    for j in range(b):
        f[j] = 0.0
        g[0, j] = 0.0
    for i in range(d - 1):
        for j in range(b):
            xi = x[i, j]
            r = x[i + 1, j] - xi * xi
            q = 1.0 - xi
            f[j] += 100.0 * (r * r) + q * q
            g[i, j] += -400.0 * xi * r - 2.0 * q
            g[i + 1, j] = 200.0 * r


@jit(inline="always")
def rastrigin(x, g, f, p):
    d, b = x.shape
    for j in range(b):
        f[j] = 10.0 * d
    for i in range(d):
        for j in range(b):
            xi = x[i, j]
            f[j] += xi * xi - 10.0 * math.cos(TWO_PI * xi)
            g[i, j] = 2.0 * xi + 10.0 * TWO_PI * math.sin(TWO_PI * xi)


@jit(inline="always")
def ackley(x, g, f, p):
    d, b = x.shape
    for j in range(b):
        sq = 0.0
        cs = 0.0
        for i in range(d):
            xi = x[i, j]
            sq += xi * xi
            cs += math.cos(TWO_PI * xi)
        r = math.sqrt(sq / d)
        e1 = math.exp(-0.2 * r)
        e2 = math.exp(cs / d)
        f[j] = -20.0 * e1 - e2 + 20.0 + math.e
        c1 = 4.0 * e1 / (d * r) if r > 0.0 else 0.0
        c2 = TWO_PI * e2 / d
        for i in range(d):
            xi = x[i, j]
            g[i, j] = c1 * xi + c2 * math.sin(TWO_PI * xi)


@jit(inline="always")
def styblinski_tang(x, g, f, p):
    d, b = x.shape
    for j in range(b):
        f[j] = 0.0
    for i in range(d):
        for j in range(b):
            xi = x[i, j]
            x2 = xi * xi
            f[j] += 0.5 * (x2 * x2 - 16.0 * x2 + 5.0 * xi)
            g[i, j] = 2.0 * x2 * xi - 16.0 * xi + 2.5


@jit(inline="always")
def beale(x, g, f, p):
    b = x.shape[1]
    for j in range(b):
        u = x[0, j]
        v = x[1, j]
        v2 = v * v
        v3 = v2 * v
        a1 = 1.5 - u + u * v
        a2 = 2.25 - u + u * v2
        a3 = 2.625 - u + u * v3
        f[j] = a1 * a1 + a2 * a2 + a3 * a3
        g[0, j] = 2.0 * (a1 * (v - 1.0) + a2 * (v2 - 1.0) + a3 * (v3 - 1.0))
        g[1, j] = 2.0 * u * (a1 + 2.0 * v * a2 + 3.0 * v2 * a3)


@jit(inline="always")
def booth(x, g, f, p):
    b = x.shape[1]
    for j in range(b):
        u = x[0, j]
        v = x[1, j]
        a = u + 2.0 * v - 7.0
        c = 2.0 * u + v - 5.0
        f[j] = a * a + c * c
        g[0, j] = 2.0 * a + 4.0 * c
        g[1, j] = 4.0 * a + 2.0 * c


@jit(inline="always")
def himmelblau(x, g, f, p):
    b = x.shape[1]
    for j in range(b):
        u = x[0, j]
        v = x[1, j]
        a = u * u + v - 11.0
        c = u + v * v - 7.0
        f[j] = a * a + c * c
        g[0, j] = 4.0 * u * a + 2.0 * c
        g[1, j] = 2.0 * a + 4.0 * v * c


BUILTIN_ORDER = (
    "sphere",
    "ellipsoid",
    "rosenbrock",
    "rastrigin",
    "ackley",
    "styblinski_tang",
    "beale",
    "booth",
    "himmelblau",
)


@jit(inline="always")
def evaluate_builtin(code, x, g, f, p):
    """Evaluate built-in objective number ``code`` (its index in BUILTIN_ORDER) on a block."""
    if code == 0:
        sphere(x, g, f, p)
    elif code == 1:
        ellipsoid(x, g, f, p)
    elif code == 2:
        rosenbrock(x, g, f, p)
    elif code == 3:
        rastrigin(x, g, f, p)
    elif code == 4:
        ackley(x, g, f, p)
    elif code == 5:
        styblinski_tang(x, g, f, p)
    elif code == 6:
        beale(x, g, f, p)
    elif code == 7:
        booth(x, g, f, p)
    else:
        himmelblau(x, g, f, p)


# Coordinate-separable objectives, f = f0 + sum_i term(x_i): the kernel fuses their
# gradient with the update in one pass. Each term returns (f_i, g_i) with the same
# arithmetic as the block functions above, so both paths give the same bits.
@jit(inline="always")
def sphere_term(xi, w):
    return xi * xi, xi * 2.0


@jit(inline="always")
def ellipsoid_term(xi, w):
    return w * (xi * xi), (2.0 * w) * xi


@jit(inline="always")
def rastrigin_term(xi, w):
    return xi * xi - 10.0 * math.cos(TWO_PI * xi), 2.0 * xi + 10.0 * TWO_PI * math.sin(TWO_PI * xi)


@jit(inline="always")
def styblinski_tang_term(xi, w):
    x2 = xi * xi
    return 0.5 * (x2 * x2 - 16.0 * x2 + 5.0 * xi), 2.0 * x2 * xi - 16.0 * xi + 2.5


SEPARABLE = tuple(
    BUILTIN_ORDER.index(n) for n in ("sphere", "ellipsoid", "rastrigin", "styblinski_tang")
)
