"""The batch kernel: many AdaGrad (or gradient descent) trajectories advanced in parallel.

Arrays in, arrays out; numpy and numba only. The public entry point is
`advance`, which checks nothing: callers (the runner) hand it validated,
correctly shaped float64 arrays. Trajectories are processed in blocks of
``block`` lanes whose coordinates sit contiguous across the block, so each
arithmetic step is a vector operation over trajectories; blocks are spread
over threads with one ``prange`` and every block writes only its own rows,
so results do not depend on the thread count or the block size.
"""

from __future__ import annotations

import math
import types

import numpy as np
from numba import njit, prange

from .objectives_math import evaluate_builtin as evaluate

RULE_ADAGRAD = 0
RULE_GD = 1

# rows of the per-trajectory hyperparameter matrix
HP_STEP_SIZE = 0
HP_EPS = 1
HP_INITIAL_ACCUMULATOR = 2
N_HP = 3


def _advance(
    code,
    params,
    x0,
    hp,
    rule,
    n_iter,
    rec_iters,
    rec_points,
    target,
    has_target,
    stop_at_target,
    block,
    x_final,
    f_final,
    f_best,
    hit_at,
    died_at,
    last_iter,
    h_f,
    h_gn,
    h_x,
):
    n, d = x0.shape
    n_rec = rec_iters.shape[0]
    n_blocks = (n + block - 1) // block
    for bi in prange(n_blocks):
        j0 = bi * block
        b = min(block, n - j0)
        X = np.empty((d, b))
        G = np.empty((d, b))
        S = np.empty((d, b))
        F = np.empty(b)
        FB = np.full(b, np.inf)
        HIT = np.full(b, -1, dtype=np.int64)
        LIVE = np.ones(b, dtype=np.int64)
        BF = np.empty((REC_BUFFER, b))
        BG = np.empty((REC_BUFFER, b))
        BX = np.empty((REC_BUFFER if rec_points else 0, d, b))
        step = hp[HP_STEP_SIZE, j0 : j0 + b]
        eps = hp[HP_EPS, j0 : j0 + b]
        for i in range(d):
            for j in range(b):
                X[i, j] = x0[j0 + j, i]
                S[i, j] = hp[HP_INITIAL_ACCUMULATOR, j0 + j]
        for j in range(b):
            died_at[j0 + j] = -1
        n_live = b
        r = 0
        for k in range(n_iter + 1):
            evaluate(code, X, G, F, params)
            if r < n_rec and rec_iters[r] == k:
                _buffer_record(X, G, F, r % REC_BUFFER, rec_points, BF, BG, BX)
                r += 1
                if r % REC_BUFFER == 0:
                    _flush(BF, BG, BX, j0, r, REC_BUFFER, rec_points, h_f, h_gn, h_x)
            n_bad, n_hit = _scan(F, FB, HIT, LIVE, k, target, has_target)
            if n_bad > 0 or (stop_at_target and n_hit > 0) or k == n_iter:
                n_live = _retire(
                    X,
                    F,
                    FB,
                    HIT,
                    LIVE,
                    k,
                    n_iter,
                    n_live,
                    j0,
                    stop_at_target,
                    x_final,
                    f_final,
                    f_best,
                    hit_at,
                    died_at,
                    last_iter,
                )
            if n_live == 0 or k == n_iter:
                break
            if rule == RULE_ADAGRAD:
                _adagrad_step(X, G, S, step, eps)
            else:
                _gd_step(X, G, step)
        if r % REC_BUFFER != 0:
            _flush(BF, BG, BX, j0, r, r % REC_BUFFER, rec_points, h_f, h_gn, h_x)


REC_BUFFER = 32  # recorded iterations held per block before a flush to the output rows


@njit(inline="always")
def _adagrad_step(X, G, S, step, eps):
    d, b = X.shape
    for i in range(d):
        for j in range(b):
            g = G[i, j]
            s = S[i, j] + g * g
            S[i, j] = s
            alpha = step[j] / (eps[j] + math.sqrt(s))
            X[i, j] = X[i, j] - alpha * g


@njit(inline="always")
def _gd_step(X, G, step):
    d, b = X.shape
    for i in range(d):
        for j in range(b):
            X[i, j] = X[i, j] - step[j] * G[i, j]


@njit(inline="always")
def _buffer_record(X, G, F, rr, rec_points, BF, BG, BX):
    """Store iteration values in the block's buffer, contiguous across lanes."""
    d, b = X.shape
    for j in range(b):
        BF[rr, j] = F[j]
        BG[rr, j] = 0.0
    for i in range(d):
        for j in range(b):
            BG[rr, j] += G[i, j] * G[i, j]
    for j in range(b):
        BG[rr, j] = math.sqrt(BG[rr, j])
    if rec_points:
        for i in range(d):
            for j in range(b):
                BX[rr, i, j] = X[i, j]


@njit(inline="always")
def _flush(BF, BG, BX, j0, r, m, rec_points, h_f, h_gn, h_x):
    """Copy the last m buffered records (ending at record r) into each lane's output row."""
    b = BF.shape[1]
    r0 = r - m
    for j in range(b):
        for rr in range(m):
            h_f[j0 + j, r0 + rr] = BF[rr, j]
            h_gn[j0 + j, r0 + rr] = BG[rr, j]
    if rec_points:
        d = BX.shape[1]
        for j in range(b):
            for rr in range(m):
                for i in range(d):
                    h_x[j0 + j, r0 + rr, i] = BX[rr, i, j]


@njit(inline="always")
def _scan(F, FB, HIT, LIVE, k, target, has_target):
    """Vectorizable pass over the lanes after evaluating iteration k.

    Updates each lane's best value and first target hit, and counts live lanes
    whose value just became non-finite (n_bad) or just reached the target
    (n_hit). Objectives return a non-finite value at a non-finite point, so
    the value alone tells divergence.
    """
    b = F.shape[0]
    n_bad = 0
    n_hit = 0
    for j in range(b):
        fj = F[j]
        n_bad += LIVE[j] & ((fj - fj) != 0.0)
        FB[j] = fj if (fj < FB[j] and fj > -np.inf) else FB[j]
    if has_target:
        for j in range(b):
            if F[j] <= target and HIT[j] < 0:
                HIT[j] = k
                n_hit += 1
    return n_bad, n_hit


@njit(inline="always")
def _retire(
    X,
    F,
    FB,
    HIT,
    LIVE,
    k,
    n_iter,
    n_live,
    j0,
    stop_at_target,
    x_final,
    f_final,
    f_best,
    hit_at,
    died_at,
    last_iter,
):
    """Stop the live lanes that diverged or (optionally) reached the target at iteration k,
    or all live lanes at the last iteration, writing their final values."""
    d, b = X.shape
    for j in range(b):
        if LIVE[j] == 0:
            continue
        finite = math.isfinite(F[j])
        for i in range(d):
            finite = finite and math.isfinite(X[i, j])
        if not finite:
            died_at[j0 + j] = k
        elif not (k == n_iter or (stop_at_target and HIT[j] == k)):
            continue
        for i in range(d):
            x_final[j0 + j, i] = X[i, j]
        f_final[j0 + j] = F[j]
        f_best[j0 + j] = FB[j]
        hit_at[j0 + j] = HIT[j]
        last_iter[j0 + j] = k
        LIVE[j] = 0
        n_live -= 1
    return n_live


_JIT = {"parallel": True, "error_model": "numpy", "nogil": True}
_advance_builtin = njit(cache=True, **_JIT)(_advance)


def compile_custom(evaluate_custom) -> object:
    """A kernel that evaluates a user's block evaluator instead of the built-ins.

    The same source is compiled with ``evaluate`` bound to ``evaluate_custom``;
    it is not cached on disk (Numba cannot key a cache on a user's function).
    """
    fn = types.FunctionType(
        _advance.__code__, {**_advance.__globals__, "evaluate": evaluate_custom}, "_advance_custom"
    )
    return njit(**_JIT)(fn)


def advance(
    x0: np.ndarray,
    hp: np.ndarray,
    *,
    rule: int,
    n_iter: int,
    code: int = 0,
    params: np.ndarray | None = None,
    rec_iters: np.ndarray | None = None,
    rec_points: bool = False,
    target: float | None = None,
    stop_at_target: bool = False,
    block: int = 256,
    kernel=None,
) -> dict[str, np.ndarray]:
    """Run ``n_iter`` updates of every trajectory and return finals and the recorded history.

    ``x0`` is (N, d) start points, ``hp`` is (N_HP, N) hyperparameters per
    trajectory (step size, eps, initial accumulator), ``rec_iters`` the sorted
    iterations (0..n_iter) to record. History rows past a trajectory's
    ``last_iter`` are undefined and must be masked by the caller.
    """
    n, d = x0.shape
    rec = np.zeros(0, np.int64) if rec_iters is None else np.ascontiguousarray(rec_iters, np.int64)
    n_rec = rec.shape[0]
    out = {
        "x_final": np.empty((n, d)),
        "f_final": np.empty(n),
        "f_best": np.empty(n),
        "hit_at": np.empty(n, np.int64),
        "died_at": np.empty(n, np.int64),
        "last_iter": np.empty(n, np.int64),
        "h_f": np.empty((n, n_rec)),
        "h_gn": np.empty((n, n_rec)),
        "h_x": np.empty((n, n_rec, d) if rec_points else (0, 0, 0)),
    }
    run = _advance_builtin if kernel is None else kernel
    run(
        np.int64(code),
        np.zeros(1) if params is None else np.ascontiguousarray(params, np.float64),
        np.ascontiguousarray(x0, np.float64),
        np.ascontiguousarray(hp, np.float64),
        np.int64(rule),
        np.int64(n_iter),
        rec,
        bool(rec_points),
        np.float64(np.nan if target is None else target),
        target is not None,
        bool(stop_at_target),
        np.int64(block),
        out["x_final"],
        out["f_final"],
        out["f_best"],
        out["hit_at"],
        out["died_at"],
        out["last_iter"],
        out["h_f"],
        out["h_gn"],
        out["h_x"],
    )
    return out


def block_evaluator(value_and_grad) -> object:
    """Adapt a user's per-point ``value_and_grad(x, grad) -> f`` to the kernel's block form.

    ``x`` is a 1-D float64 point, ``grad`` a 1-D array to fill; the returned
    value is forced to NaN when the point is not finite, so divergence is
    detected from the value alone, as with the built-ins.
    """
    fn = value_and_grad if hasattr(value_and_grad, "py_func") else njit(value_and_grad)

    @njit
    def evaluate_custom(code, x, g, f, p):
        d, b = x.shape
        xi = np.empty(d)
        gi = np.empty(d)
        for j in range(b):
            finite = True
            for i in range(d):
                xi[i] = x[i, j]
                finite = finite and math.isfinite(xi[i])
            value = fn(xi, gi)
            f[j] = value if finite else np.nan
            for i in range(d):
                g[i, j] = gi[i]

    return evaluate_custom
