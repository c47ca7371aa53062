"""Full-matrix AdaGrad (Duchi, Hazan and Singer, 2011): G_t += g g^T;
x -= step * (eps I + G_t^(1/2))^-1 g, through G_t = V diag(lam) V^T (cyclic Jacobi).

While G_t is singular (initial_accumulator 0, fewer than d independent gradients),
its null-space eigenvalues are rounding noise that eps barely damps: trajectories
then depend on the eigensolver's last bits (any solver's), so comparisons across
implementations want initial_accumulator > 0."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from adagrad_lab.catalog.records import Optimizer, eps, initial_accumulator, step_size
from adagrad_lab.jit.tools import lit

STEP_SIZE, EPS, INITIAL_ACCUMULATOR = range(3)  # hyperparameter rows
# state: the d x d matrix G, row r at S[r, :, lane]
MAX_DIM = 32  # a d x d eigendecomposition per lane per step
JACOBI_SWEEPS = 64  # enough for any symmetric matrix of that size to converge


@njit(inline="always")
def init(S, X, hp):
    """G_0 = initial_accumulator * I."""
    n, d, b = S.shape
    for r in range(n):
        for c in range(d):
            for j in range(b):
                S[r, c, j] = hp[INITIAL_ACCUMULATOR, j] if r == c else lit(X[0, 0], 0.0)


@njit(inline="always")
def step(X, G, S, hp, C, k):
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
            y[m] = acc / (hp[EPS, j] + math.sqrt(max(A[m, m], lit(y[0], 0.0))))
        for r in range(d):
            acc = lit(y[0], 0.0)
            for m in range(d):
                acc += V[r, m] * y[m]
            X[r, j] = X[r, j] - hp[STEP_SIZE, j] * acc


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


RECORD = Optimizer(
    "adagrad_full",
    (
        step_size(0.1),
        eps(1e-8, "as eps*I to G^(1/2)"),
        initial_accumulator(0.0, "G = initial_accumulator * I at 0"),
    ),
    step,
    init=init,
    matrix_state=True,
    max_dim=MAX_DIM,
    formula="G += g g^T; x -= step_size * (eps*I + G^(1/2))^-1 g",
    display="AdaGrad (full matrix)",
    summary="full-matrix AdaGrad",
    reference="Duchi, Hazan and Singer (2011), full-matrix form",
)
