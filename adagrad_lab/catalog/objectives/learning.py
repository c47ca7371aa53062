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
import types
from typing import Any

import numpy as np

from adagrad_lab.catalog.objectives import full_batch
from adagrad_lab.catalog.records import Objective
from adagrad_lab.jit import counter
from adagrad_lab.jit.tools import JitFn, jit

# the integer header of ``ip``
SPARSE, N, D, NNZ, INTERCEPT, REPLACEMENT, NOISE_KIND = range(7)
# where x* (one per l2 value, d each) and f* start in ``p``; the history slots of the
# cumulative regret and of f at the Polyak average (-1: not recorded)
XSTAR, FSTAR, REGRET_SLOT, AVERAGE_SLOT = range(7, 11)
HEADER = 11
NOISE_KINDS = ("none", "additive", "multiplicative")
# the problem's rows of the hyperparameter matrix, after the optimizers' N_HP rows
PROBLEM_ROWS = ("seed", "batch_size", "noise_sigma", "objective_l2", "optimum")
SEED, BATCH, SIGMA, L2, OPTIMUM = range(5)  # optimum: which x* and f* (the l2 value's)


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


@jit
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


# The problem's per-sample loss(z, y) -> (loss, d loss / d z), bound by `_bound` into a copy
# of each template below (None here: the templates only run bound).
loss: Any = None


def _evaluate_data(X, G, F, R, p, ip, PB, k, full):
    """The block evaluator of mean_s loss(a_s . w, y_s) + l2/2 ||w'||^2 (a template).

    ``loss(z, y)`` returns (loss, d loss / d z). ``full``: F must hold the
    training objective (a recorded or final iteration); otherwise a sampled
    lane's F is its batch's value. With the regret recorded, R receives
    f_k(x_k) - f_k(x*) on the iteration's sampled objective f_k. Returns whether
    F is the training objective in every lane (what the kernel may compare with
    the target).
    """
    d, b = X.shape
    n = ip[N]
    y0 = ip[NNZ]
    penalized = d - ip[INTERCEPT]
    sampled = False
    for j in range(b):
        sampled = sampled or _draws(ip, PB[BATCH, j], n) or PB[SIGMA, j] > 0.0
    regret = ip[REGRET_SLOT] >= 0
    if not sampled:
        _full_batch(loss, X, G, F, p, ip, y0, n)
        for j in range(b):
            F[j] += penalty(X, G, j, PB[L2, j], penalized)
            if regret:
                R[j] = F[j] - p[ip[FSTAR] + np.int64(PB[OPTIMUM, j])]
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
            value = _lane(loss, X, G, j, p, ip, y0, picks, size)
            if PB[SIGMA, j] > 0.0:
                _noise(G, j, ip[NOISE_KIND], np.int64(PB[SEED, j]), k, PB[SIGMA, j])
            pen = penalty(X, G, j, PB[L2, j], penalized)
            F[j] = value + pen
            if regret:
                R[j] = F[j] - _at_optimum(loss, p, ip, PB, j, y0, picks, size, drawn)
            if full and drawn:
                F[j] = _lane_value(loss, X, j, p, ip, y0, n) + pen
    for j in range(b):
        finite = math.isfinite(F[j])
        for i in range(d):
            finite = finite and math.isfinite(X[i, j])
        F[j] = F[j] if finite else np.nan
    return full or not sampled


@jit(inline="always")
def _at_optimum(loss, p, ip, PB, j, y0, picks, size, drawn):
    """Lane j's sampled objective at x* (its batch ``picks[:size]``), or f* for the full batch."""
    o = np.int64(PB[OPTIMUM, j])
    if not drawn:
        return p[ip[FSTAR] + o]
    d = ip[D]
    base = ip[XSTAR] + o * d
    total = 0.0
    for t in range(size):
        s = picks[t]
        z = 0.0
        if ip[SPARSE]:
            cols = HEADER + ip[N] + 1
            for e in range(ip[HEADER + s], ip[HEADER + s + 1]):
                z += p[e] * p[base + ip[cols + e]]
        else:
            for i in range(d):
                z += p[s * d + i] * p[base + i]
        value, _ = loss(z, p[y0 + s])
        total += value
    squares = 0.0
    for i in range(d - ip[INTERCEPT]):
        squares += p[base + i] * p[base + i]
    return total / size + 0.5 * PB[L2, j] * squares


def _value_data(X, F, p, ip, PB):
    """The training objective of every lane of a block (no gradient): f at the Polyak average."""
    d, b = X.shape
    for j in range(b):
        total = _lane_value(loss, X, j, p, ip, ip[NNZ], ip[N])
        squares = 0.0 * X[0, j]
        for i in range(d - ip[INTERCEPT]):
            squares += X[i, j] * X[i, j]
        finite = math.isfinite(total)
        for i in range(d):
            finite = finite and math.isfinite(X[i, j])
        F[j] = total + 0.5 * PB[L2, j] * squares if finite else np.nan


@jit(inline="always")
def _draws(ip, size, n):
    """Whether a batch of ``size`` is drawn (0 or n without replacement: every sample)."""
    return size > 0 and (size < n or ip[REPLACEMENT] != 0)


@jit(inline="always")
def _full_batch(loss, X, G, F, p, ip, y0, n):
    """Every lane on the whole training set, the lanes innermost (contiguous, vectorized):
    per sample, z = a_s . x and then G += slope * a_s, each summed in the order a lane
    alone would use, so the bits are the per-lane path's. Dense rows go `full_batch.GROUP`
    at a time (`full_batch`); sparse rows, and the dense rows left over, one by one."""
    d, b = X.shape
    Z = np.empty((full_batch.GROUP, b), X.dtype)
    S = np.empty((full_batch.GROUP, b), X.dtype)
    for j in range(b):
        F[j] = 0.0
    for i in range(d):
        for j in range(b):
            G[i, j] = 0.0
    sparse, cols = ip[SPARSE], HEADER + ip[N] + 1
    grouped = 0 if sparse else n - n % full_batch.GROUP
    for s in range(0, grouped, full_batch.GROUP):
        full_batch.dots(p, s * d, d, X, Z)
        _losses(loss, Z, S, F, p, y0, s, full_batch.GROUP)
        full_batch.axpys(p, s * d, d, S, G)
    for s in range(grouped, n):
        for j in range(b):
            Z[0, j] = 0.0
        start, stop = (ip[HEADER + s], ip[HEADER + s + 1]) if sparse else (s * d, s * d + d)
        for e in range(start, stop):
            v, c = p[e], ip[cols + e] if sparse else e - s * d
            for j in range(b):
                Z[0, j] += v * X[c, j]
        _losses(loss, Z, S, F, p, y0, s, 1)
        for e in range(start, stop):
            v, c = p[e], ip[cols + e] if sparse else e - s * d
            for j in range(b):
                G[c, j] += S[0, j] * v
    for j in range(b):
        F[j] = F[j] / n
    for i in range(d):
        for j in range(b):
            G[i, j] = G[i, j] / n


@jit(inline="always")
def _losses(loss, Z, S, F, p, y0, s, m):
    """Samples s .. s + m - 1 in order: F[j] += loss, S[q, j] = its slope at Z[q, j]."""
    for q in range(m):
        y = p[y0 + s + q]
        for j in range(Z.shape[1]):
            value, slope = loss(Z[q, j], y)
            F[j] += value
            S[q, j] = slope


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


@jit
def _noise(G, j, kind, seed, k, sigma):
    """Perturb lane j's gradient: + sigma z_i (additive) or * (1 + sigma z_i), z ~ N(0, 1)."""
    key = counter.stream(seed, counter.NOISE, k)
    for i in range(G.shape[0]):
        z = counter.normal(key, i)
        G[i, j] = G[i, j] + sigma * z if kind == 1 else G[i, j] * (1.0 + sigma * z)


@jit(inline="always")
def no_data(X, G, F, R, p, ip, PB, k, full):
    """The evaluator a test function's kernel is typed with and never runs."""
    return True


@jit(inline="always")
def no_value(X, F, p, ip, PB):
    """The value function a test function's kernel is typed with and never runs."""
    return None


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
    "instance": 0,
    "intercept": False,
    "standardize": False,
    "test_fraction": 0.2,
    "batch_size": None,
    "replacement": False,
    "l2": 0.0,
}


def _bound(template: Any, name: str, loss: JitFn) -> JitFn:
    """``template`` jitted with ``loss`` as its global, under a name of its own.

    Not a closure: Numba keys a closure's cache entry by its pickled cells, which for a
    jitted ``loss`` differ in every process, so each process would compile it again.
    Called, not inlined, by the kernel: one compile per loss, whatever the optimizer.
    """
    fn = types.FunctionType(template.__code__, {**template.__globals__, "loss": loss}, name)
    fn.__qualname__ = name
    return jit(inline="never")(fn)


def learning_objective(name: str, loss: JitFn, summary: str, **settings: Any) -> Objective:
    """The record of a learning problem whose per-sample loss is ``loss(z, y)``; ``settings``
    replace `SETTINGS`' defaults (logistic regression's l2)."""
    return Objective(
        name,
        no_block,
        (-1.0, 1.0),
        unknown,
        unknown_point,
        summary=summary,
        settings={**SETTINGS, **settings},
        evaluate_data=_bound(_evaluate_data, f"evaluate_data_{name}", loss),
        value_data=_bound(_value_data, f"value_data_{name}", loss),
    )
