"""The optimizers' jitted math, one group of functions per rule in the registry.

Every function is inlined into the kernel and works on one block of lanes:
``hp`` is the block's (rows, b) hyperparameter array, rows in the record's
order; ``S`` the (state rows, d, b) state; ``C`` the (n_coef, b) per-lane
coefficients of the current update; ``k`` the update's index (x_k -> x_{k+1};
libraries that count steps from 1 have t = k + 1).

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

import math

import numpy as np
from numba import njit

from ._jit import JitFn, lit, square

FULL_MAX_DIM = 32  # adagrad_full: a d x d eigendecomposition per lane per step
JACOBI_SWEEPS = 64  # enough for any symmetric matrix of that size to converge


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


# -- the tutorial's AdaGrad and gradient descent (rows: step_size, eps, initial_accumulator)


@njit(inline="always")
def adagrad_elem(xi, g, S, i, j, hp, C, k):
    """The tutorial's order: s += g*g; alpha = step / (eps + sqrt(s)); x -= alpha * g."""
    s = S[0, i, j] + square(g)
    S[0, i, j] = s
    return xi - (hp[0, j] / (hp[1, j] + math.sqrt(s))) * g


@njit(inline="always")
def gd_elem(xi, g, S, i, j, hp, C, k):
    return xi - hp[0, j] * g


# -- torch.optim.Adagrad (rows: step_size, eps, initial_accumulator, lr_decay, weight_decay)


@njit(inline="always")
def torch_adagrad_prepare(C, hp, k):
    """clr = lr / (1 + (t - 1) * lr_decay)."""
    for j in range(C.shape[1]):
        C[0, j] = hp[0, j] / (lit(C[0, 0], 1.0) + k * hp[3, j])


@njit(inline="always")
def torch_adagrad_elem(xi, g, S, i, j, hp, C, k):
    """g += weight_decay * x; s += g*g; x += (-clr * g) / (sqrt(s) + eps)  (addcdiv)."""
    gw = g + hp[4, j] * xi
    s = S[0, i, j] + square(gw)
    S[0, i, j] = s
    return xi + (-C[0, j] * gw) / (math.sqrt(s) + hp[1, j])


# -- optax.adagrad (rows: step_size, eps, initial_accumulator)


@njit(inline="always")
def optax_adagrad_elem(xi, g, S, i, j, hp, C, k):
    """s += g*g; u = (s > 0 ? 1 / sqrt(s + eps) : 0) * g; x += -lr * u."""
    s = square(g) + S[0, i, j]
    S[0, i, j] = s
    inv = lit(xi, 1.0) / math.sqrt(s + hp[1, j]) if s > 0 else lit(xi, 0.0)
    return xi + (-hp[0, j]) * (inv * g)


# -- keras.optimizers.Adagrad (rows: step_size, eps, initial_accumulator, weight_decay)


@njit(inline="always")
def keras_adagrad_elem(xi, g, S, i, j, hp, C, k):
    """Keras keeps the learning rate in a float32 variable: lr = float32(step_size);
    x -= (x * wd) * lr (decoupled, with g taken before); s += g*g; x -= (lr * g) / sqrt(s + eps).
    """
    lr = lit(xi, float(np.float32(hp[0, j])))
    xd = xi - (xi * hp[3, j]) * lr
    s = S[0, i, j] + square(g)
    S[0, i, j] = s
    return xd - (lr * g) / math.sqrt(s + hp[1, j])


# -- Duchi, Hazan and Singer's variants


@njit(inline="always")
def prox_elem(xi, g, S, i, j, hp, C, k):
    """TensorFlow's ProximalAdagrad (rows: step_size, initial_accumulator, l1, l2):
    s += g*g; a = lr * (1 / sqrt(s)) (its rsqrt); v = x - g*a;
    x = sign(v) * max(|v| - a*l1, 0) / (1 + l2*a)  (without l1: v / (1 + l2*a))."""
    s = S[0, i, j] + square(g)
    S[0, i, j] = s
    a = hp[0, j] * (lit(xi, 1.0) / math.sqrt(s))
    v = xi - g * a
    shrunk = max(abs(v) - a * hp[2, j], lit(xi, 0.0))
    signed = math.copysign(shrunk, v) if v != 0 else lit(xi, 0.0)
    return (signed if hp[2, j] > 0 else v) / (lit(xi, 1.0) + hp[3, j] * a)


@njit(inline="always")
def rda_elem(xi, g, S, i, j, hp, C, k):
    """Regularized dual averaging with l1 (rows: step_size, eps, l1); state z = sum g,
    s = sum g*g, x_1: with H = eps + sqrt(s), u = x_1 - step * z / H,
    x = sign(u) * max(|u| - step * t * l1 / H, 0)."""
    z = S[0, i, j] + g
    s = S[1, i, j] + square(g)
    S[0, i, j] = z
    S[1, i, j] = s
    h = hp[1, j] + math.sqrt(s)
    u = S[2, i, j] - hp[0, j] * z / h
    shrunk = max(abs(u) - hp[0, j] * (k + 1) * hp[2, j] / h, lit(xi, 0.0))
    return math.copysign(shrunk, u) if shrunk > 0 else lit(xi, 0.0)


@njit(inline="always")
def rda_init(S, X, hp):
    """z = 0, s = 0, and the centre of the proximal term, x_1."""
    _, d, b = S.shape
    for i in range(d):
        for j in range(b):
            S[0, i, j] = lit(X[0, 0], 0.0)
            S[1, i, j] = lit(X[0, 0], 0.0)
            S[2, i, j] = X[i, j]


@njit(inline="always")
def norm_step(X, G, S, hp, C, k):
    """AdaGrad-Norm (rows: step_size, eps, initial_accumulator): one accumulator per lane,
    b2 += g_i^2 for i = 0, 1, ... in turn; x -= step / (eps + sqrt(b2)) * g.

    The accumulator is S[0, 0, lane] and C[0, lane] holds the lane's factor, so every
    loop runs across lanes (vectorized), coordinates outermost."""
    d, b = X.shape
    for i in range(d):
        for j in range(b):
            S[0, 0, j] += square(G[i, j])
    for j in range(b):
        C[0, j] = hp[0, j] / (hp[1, j] + math.sqrt(S[0, 0, j]))
    for i in range(d):
        for j in range(b):
            X[i, j] = X[i, j] - C[0, j] * G[i, j]


@njit(inline="always")
def full_init(S, X, hp):
    """G_0 = initial_accumulator * I, stored as rows S[r, c, lane]."""
    n, d, b = S.shape
    for r in range(n):
        for c in range(d):
            for j in range(b):
                S[r, c, j] = hp[2, j] if r == c else lit(X[0, 0], 0.0)


@njit(inline="always")
def full_step(X, G, S, hp, C, k):
    """Full-matrix AdaGrad (rows: step_size, eps, initial_accumulator):
    G_t += g g^T; x -= step * (eps I + G_t^(1/2))^-1 g, through G_t = V diag(lam) V^T.

    While G_t is singular (initial_accumulator 0, fewer than d independent
    gradients), its null-space eigenvalues are rounding noise that eps barely
    damps: trajectories then depend on the eigensolver's last bits (any
    solver's), so comparisons across implementations want initial_accumulator > 0."""
    d, b = X.shape
    A = np.empty((d, d), X.dtype)
    V = np.empty((d, d), X.dtype)
    y = np.empty(d, X.dtype)
    for j in range(b):
        for r in range(d):
            for c in range(d):
                S[r, c, j] += G[r, j] * G[c, j]
                A[r, c] = S[r, c, j]
        jacobi_eigh(A, V)
        for m in range(d):
            acc = lit(y[0], 0.0)
            for r in range(d):
                acc += V[r, m] * G[r, j]
            y[m] = acc / (hp[1, j] + math.sqrt(max(A[m, m], lit(y[0], 0.0))))
        for r in range(d):
            acc = lit(y[0], 0.0)
            for m in range(d):
                acc += V[r, m] * y[m]
            X[r, j] = X[r, j] - hp[0, j] * acc


@njit(inline="always")
def jacobi_eigh(A, V):
    """Cyclic Jacobi: A (symmetric) becomes diag(eigenvalues), V the eigenvectors (columns)."""
    d = A.shape[0]
    for r in range(d):
        for c in range(d):
            V[r, c] = 1.0 if r == c else 0.0
    for _ in range(JACOBI_SWEEPS):
        off = 0.0
        scale = 0.0
        for r in range(d):
            scale += A[r, r] * A[r, r]
            for c in range(r + 1, d):
                off += A[r, c] * A[r, c]
        if not off > 1e-30 * scale:  # converged (or NaN: let it through, divergence is data)
            return
        for p in range(d - 1):
            for q in range(p + 1, d):
                if A[p, q] != 0.0:
                    _rotate(A, V, p, q)


@njit(inline="always")
def _rotate(A, V, p, q):
    """One Jacobi rotation zeroing A[p, q] (Golub and Van Loan, Algorithm 8.4.1)."""
    d = A.shape[0]
    tau = (A[q, q] - A[p, p]) / (2.0 * A[p, q])
    t = math.copysign(1.0, tau) / (abs(tau) + math.sqrt(1.0 + tau * tau))
    c = 1.0 / math.sqrt(1.0 + t * t)
    s = t * c
    for m in range(d):
        apm = A[p, m]
        aqm = A[q, m]
        A[p, m] = c * apm - s * aqm
        A[q, m] = s * apm + c * aqm
    for m in range(d):
        amp = A[m, p]
        amq = A[m, q]
        A[m, p] = c * amp - s * amq
        A[m, q] = s * amp + c * amq
    for m in range(d):
        vmp = V[m, p]
        vmq = V[m, q]
        V[m, p] = c * vmp - s * vmq
        V[m, q] = s * vmp + c * vmq


# -- baselines, as torch.optim computes them


@njit(inline="always")
def momentum_elem(xi, g, S, i, j, hp, C, k):
    """torch.optim.SGD (rows: step_size, momentum, dampening, weight_decay, nesterov):
    g += wd * x; buf = g at t = 1, else buf = momentum * buf + (1 - dampening) * g;
    d = g + momentum * buf (nesterov) or buf; x += -lr * d. Momentum 0 is plain SGD.

    Every case is computed and then selected, and the buffer is stored unconditionally
    (with momentum 0 it is never read): branches here cost the loop its vectorization
    (4.7x slower on a 100-D ellipsoid)."""
    gw = g + hp[3, j] * xi
    mom = hp[1, j]
    later = S[0, i, j] * mom + (lit(xi, 1.0) - hp[2, j]) * gw
    buf = gw if k == 0 else later
    S[0, i, j] = buf
    nesterov = gw + mom * buf
    step = nesterov if hp[4, j] != 0 else buf
    step = step if mom != 0 else gw
    return xi + (-hp[0, j]) * step


@njit(inline="always")
def rmsprop_elem(xi, g, S, i, j, hp, C, k):
    """torch.optim.RMSprop (rows: step_size, alpha, eps, weight_decay, momentum, centered);
    state: square_avg, grad_avg, momentum buffer. Both sides of each option are
    computed and selected (see `momentum_elem`)."""
    alpha = hp[1, j]
    gw = g + hp[3, j] * xi
    sq = S[0, i, j] * alpha + (lit(xi, 1.0) - alpha) * gw * gw
    S[0, i, j] = sq
    centered = hp[5, j] != 0
    ga = _lerp(S[1, i, j], gw, lit(xi, 1.0) - alpha)
    S[1, i, j] = ga if centered else S[1, i, j]
    spread = sq + -lit(xi, 1.0) * ga * ga
    avg = math.sqrt(spread if centered else sq) + hp[2, j]
    heavy = hp[4, j] > 0
    buf = S[2, i, j] * hp[4, j] + gw / avg
    S[2, i, j] = buf if heavy else S[2, i, j]
    with_buf = xi + (-hp[0, j]) * buf
    plain = xi + (-hp[0, j] * gw) / avg
    return with_buf if heavy else plain


@njit(inline="always")
def adam_prepare(C, hp, k):
    """step = lr / (1 - beta1^t), and (1 - beta2^t)^0.5, each a pow() as torch computes it
    (a Python float raised to the float step count). Lanes that share their betas with
    the lane before (a grid's seeds do) reuse its powers: two pows per block, not per lane."""
    one = lit(C[0, 0], 1.0)
    t = k + 1.0
    b1 = b2 = -one  # no beta is negative: the first lane computes its powers
    p1 = p2 = 1.0
    for j in range(C.shape[1]):
        if hp[1, j] != b1 or hp[2, j] != b2:
            b1, b2 = hp[1, j], hp[2, j]
            p1 = float(one - math.pow(b1, t))
            p2 = math.pow(float(one - math.pow(b2, t)), 0.5)
        C[0, j] = hp[0, j] / p1
        C[1, j] = p2


@njit(inline="always")
def adam_elem(xi, g, S, i, j, hp, C, k):
    """torch.optim.Adam (rows: step_size, beta1, beta2, eps, weight_decay, amsgrad);
    state: exp_avg, exp_avg_sq, max_exp_avg_sq (selected, not branched: `momentum_elem`)."""
    gw = g + hp[4, j] * xi
    m = _lerp(S[0, i, j], gw, lit(xi, 1.0) - hp[1, j])
    v = S[1, i, j] * hp[2, j] + (lit(xi, 1.0) - hp[2, j]) * gw * gw
    S[0, i, j] = m
    S[1, i, j] = v
    vmax = max(S[2, i, j], v)
    amsgrad = hp[5, j] != 0
    S[2, i, j] = vmax if amsgrad else S[2, i, j]
    denom = math.sqrt(vmax if amsgrad else v) / C[1, j] + hp[3, j]
    return xi + (-C[0, j] * m) / denom


@njit(inline="always")
def _lerp(start, end, weight):
    """torch.lerp: start + weight * (end - start), or end - (end - start) * (1 - weight)
    for weight >= 0.5 (both computed, one selected)."""
    low = start + weight * (end - start)
    high = end - (end - start) * (lit(start, 1.0) - weight)
    return low if weight < 0.5 else high
