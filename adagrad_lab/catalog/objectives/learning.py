"""What the learning problems (least squares, logistic regression) share: the data layout
the kernel reads and the gradient oracle, full batch or sampled, with or without noise.

f(w) = mean_s loss(a_s . w, y_s) + l2/2 ||w'||^2, where w' leaves out the intercept.

The data arrive as two flat arrays shared by every trajectory of a chunk
(never copied per trajectory): ``p`` (floats: the matrix's values, dense
row-major or CSR, then the labels y) and ``ip`` (integers: the header below,
then for CSR the row pointers and the column indices). Each trajectory's own
seed, batch size, noise level and l2 weight are rows of the hyperparameter
matrix (`PROBLEM_ROWS`), so each may be an axis of the grid.

A sampled oracle (a batch smaller than the training set, or noise) draws its
numbers from `jit.counter` keyed by (seed, iteration, draw): the same seed
sees the same batches at every step size. Without replacement, a batch is B
distinct samples (a partial Fisher-Yates shuffle), summed in increasing
sample order, so a batch of all n samples gives the full-batch bits.
"""

from __future__ import annotations

import math

import numpy as np

from adagrad_lab.jit import counter
from adagrad_lab.jit.tools import JitFn, jit

# the integer header of ``ip``
SPARSE, N, D, NNZ, INTERCEPT, REPLACEMENT, NOISE_KIND = range(7)
HEADER = 7
NOISE_KINDS = ("none", "additive", "multiplicative")
# the problem's rows of the hyperparameter matrix, after the optimizers' N_HP rows
PROBLEM_ROWS = ("seed", "batch_size", "noise_sigma", "objective_l2")
SEED, BATCH, SIGMA, L2 = range(4)


@jit(inline="always")
def row_dot(p, ip, s, X, j):
    """a_s . x_j for sample ``s`` and lane ``j``, over the row's entries in column order."""
    total = 0.0 * X[0, j]
    if ip[SPARSE]:
        start, stop = ip[HEADER + s], ip[HEADER + s + 1]
        cols = HEADER + ip[N] + 1
        for e in range(start, stop):
            total += p[e] * X[ip[cols + e], j]
    else:
        d = ip[D]
        for i in range(d):
            total += p[s * d + i] * X[i, j]
    return total


@jit(inline="always")
def row_axpy(p, ip, s, c, G, j):
    """G[:, j] += c * a_s."""
    if ip[SPARSE]:
        start, stop = ip[HEADER + s], ip[HEADER + s + 1]
        cols = HEADER + ip[N] + 1
        for e in range(start, stop):
            G[ip[cols + e], j] += c * p[e]
    else:
        d = ip[D]
        for i in range(d):
            G[i, j] += c * p[s * d + i]


@jit(inline="always")
def penalty(X, G, j, l2, penalized):
    """Add l2 * w' to lane j's gradient; return l2/2 ||w'||^2."""
    total = 0.0 * X[0, j]
    for i in range(penalized):
        total += X[i, j] * X[i, j]
        G[i, j] += l2 * X[i, j]
    return 0.5 * l2 * total


@jit(inline="always")
def batch_of(ip, seed, k, size, perm, out):
    """Sample indices of lane's batch at iteration ``k`` into ``out[:size]``, sorted when
    drawn without replacement (``perm``: the identity, restored on return)."""
    n = ip[N]
    key = counter.stream(seed, counter.BATCH, k)
    if ip[REPLACEMENT]:
        for t in range(size):
            out[t] = counter.below(key, t, n)
        return
    for t in range(size):
        pick = t + counter.below(key, t, n - t)
        perm[t], perm[pick] = perm[pick], perm[t]
        out[t] = perm[t]
    for t in range(size - 1, -1, -1):  # undo the swaps, last first
        pick = t + counter.below(key, t, n - t)
        perm[t], perm[pick] = perm[pick], perm[t]
    out[:size].sort()


def make_data_evaluate(loss: JitFn) -> JitFn:
    """The block evaluator of mean_s loss(a_s . w, y_s) + l2/2 ||w'||^2.

    ``loss(z, y)`` returns (loss, d loss / d z). ``full``: F must hold the
    training objective (a recorded or final iteration); otherwise a sampled
    lane's F is its batch's value. Returns whether F is the training objective
    in every lane (what the kernel may compare with the target).
    """

    @jit(inline="always")
    def evaluate_data(X, G, F, p, ip, PB, k, full):
        d, b = X.shape
        n = ip[N]
        y0 = ip[NNZ]
        penalized = d - ip[INTERCEPT]
        sampled = False
        for j in range(b):
            sampled = sampled or _draws(ip, PB[BATCH, j], n) or PB[SIGMA, j] > 0.0
        if not sampled:
            _full_batch(loss, X, G, F, p, ip, y0, n)
        else:
            perm = np.arange(n)
            picks = np.empty(n, np.int64)
            for j in range(b):
                size = np.int64(PB[BATCH, j])
                drawn = _draws(ip, size, n)
                if drawn:
                    batch_of(ip, np.int64(PB[SEED, j]), k, size, perm, picks)
                else:
                    size = n
                    picks[:n] = perm
                F[j] = _lane(loss, X, G, j, p, ip, y0, picks, size)
                if PB[SIGMA, j] > 0.0:
                    _noise(G, j, ip[NOISE_KIND], np.int64(PB[SEED, j]), k, PB[SIGMA, j])
                if full and drawn:
                    F[j] = _lane_value(loss, X, j, p, ip, y0, n)
        for j in range(b):
            F[j] += penalty(X, G, j, PB[L2, j], penalized)
            finite = math.isfinite(F[j])
            for i in range(d):
                finite = finite and math.isfinite(X[i, j])
            F[j] = F[j] if finite else np.nan
        return full or not sampled

    return evaluate_data


@jit(inline="always")
def _draws(ip, size, n):
    """Whether a batch of ``size`` is drawn (0 or n without replacement: every sample)."""
    return size > 0 and (size < n or ip[REPLACEMENT] != 0)


@jit(inline="always")
def _full_batch(loss, X, G, F, p, ip, y0, n):
    """Every lane on the whole training set, vectorized across lanes (sample order)."""
    d, b = X.shape
    Z = np.empty(b, X.dtype)
    for j in range(b):
        F[j] = 0.0
        for i in range(d):
            G[i, j] = 0.0
    for s in range(n):
        for j in range(b):
            Z[j] = row_dot(p, ip, s, X, j)
        for j in range(b):
            value, slope = loss(Z[j], p[y0 + s])
            F[j] += value
            row_axpy(p, ip, s, slope, G, j)
    for j in range(b):
        F[j] = F[j] / n
        for i in range(d):
            G[i, j] = G[i, j] / n


@jit(inline="always")
def _lane(loss, X, G, j, p, ip, y0, picks, size):
    """Lane j's mean loss and gradient over the samples ``picks[:size]``, in that order."""
    d = X.shape[0]
    for i in range(d):
        G[i, j] = 0.0
    total = 0.0 * X[0, j]
    for t in range(size):
        s = picks[t]
        value, slope = loss(row_dot(p, ip, s, X, j), p[y0 + s])
        total += value
        row_axpy(p, ip, s, slope, G, j)
    for i in range(d):
        G[i, j] = G[i, j] / size
    return total / size


@jit(inline="always")
def _lane_value(loss, X, j, p, ip, y0, n):
    """Lane j's mean loss on the whole training set (no gradient)."""
    total = 0.0 * X[0, j]
    for s in range(n):
        value, _ = loss(row_dot(p, ip, s, X, j), p[y0 + s])
        total += value
    return total / n


@jit(inline="always")
def _noise(G, j, kind, seed, k, sigma):
    """Perturb lane j's gradient: + sigma z_i (additive) or * (1 + sigma z_i), z ~ N(0, 1)."""
    key = counter.stream(seed, counter.NOISE, k)
    for i in range(G.shape[0]):
        z = counter.normal(key, i)
        G[i, j] = G[i, j] + sigma * z if kind == 1 else G[i, j] * (1.0 + sigma * z)


@jit(inline="always")
def no_data(X, G, F, p, ip, PB, k, full):
    """The evaluator a test function's kernel is typed with and never runs."""
    return True


@jit(inline="always")
def no_block(x, g, f, p):
    """A learning problem's place in the test functions' signature: without its data and
    seeds there is nothing to evaluate, so every value is NaN."""
    for j in range(x.shape[1]):
        f[j] = np.nan


def unknown(d: int) -> float:
    """A learning problem's minimum depends on its data: the run solves for it."""
    return float("nan")


def unknown_point(d: int) -> np.ndarray:
    return np.full(d, np.nan)


# the config keys of a learning problem and their defaults (`sweep.schema.ObjectiveConfig`)
SETTINGS = {
    "data": "synthetic",
    "data_seed": 0,
    "n_samples": 1000,
    "n_features": 20,
    "density": 1.0,
    "noise": 0.1,
    "log10_condition": 0.0,
    "intercept": False,
    "standardize": False,
    "test_fraction": 0.2,
    "batch_size": None,
    "replacement": False,
    "l2": 0.0,
}
