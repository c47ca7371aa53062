"""The per-block steps of the kernel: the fused pass, recording, bookkeeping. All inlined.

The optimizers' own steps are in `catalog.optimizers`.

Each function works on one block of lanes (trajectories) held as (d, B) arrays
with the B lanes contiguous, so its inner loop vectorizes across trajectories.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from adagrad_lab.jit.tools import JitFn, square


@njit(inline="always")
def record(X, GN, F, r, rec_gn, rec_points, hf_rows, hgn_rows, hx_rows):
    """Store record r straight into the block's output rows (views of h_f, h_gn, h_x).

    One store per lane per record, spread over the iterations so the output's cache
    misses overlap the arithmetic (a buffered, bursty flush stalls on them instead).
    """
    d, b = X.shape
    for j in range(b):
        hf_rows[j, r] = F[j]
    if rec_gn:
        for j in range(b):
            hgn_rows[j, r] = math.sqrt(GN[j])
    if rec_points:
        for j in range(b):
            for i in range(d):
                hx_rows[j, r, i] = X[i, j]


@njit(inline="always")
def grad_norm(G, GN):
    """Squared gradient norm of each lane, summed over coordinates in index order."""
    d, b = G.shape
    for j in range(b):
        GN[j] = 0.0
    for i in range(d):
        for j in range(b):
            GN[j] += square(G[i, j])


def make_fused_pass(term: JitFn, constant: JitFn, elem: JitFn) -> JitFn:
    """Value, gradient and update in one pass, for a coordinate-separable objective
    f = constant(d) + sum_i term(x_i, w_i) under the coordinate-wise optimizer whose
    per-element update is ``elem``.

    The pass writes f(x_k) to F, the squared gradient norm to GN when asked,
    and x_{k+1} to XN, leaving x_k in X for recording and for lanes that stop.
    """

    @njit(inline="always")
    def fused_pass(X, XN, S, F, GN, hp, C, k, params, want_gn):
        d, b = X.shape
        last_param = params.shape[0] - 1
        f0 = constant(d)
        for j in range(b):
            F[j] = f0
            GN[j] = 0.0
        for i in range(d):
            w = params[min(i, last_param)]  # params arrive in the working precision
            for j in range(b):
                xi = X[i, j]
                fi, g = term(xi, w)
                F[j] += fi
                XN[i, j] = elem(xi, g, S, i, j, hp, C, k)
                if want_gn:
                    GN[j] += square(g)

    return fused_pass


@njit(inline="always")
def scan(F, FB, HIT, LIVE, k, target, has_target, exact, FS):
    """Vectorizable pass over the lanes after evaluating iteration k.

    Updates each lane's best value and first target hit, and counts live lanes
    whose value just became non-finite (n_bad) or just reached the target
    (n_hit). Objectives return a non-finite value at a non-finite point, so
    the value alone tells divergence. Only an ``exact`` F (the objective, not a
    sampled batch's value) counts towards the best value and the target. A lane
    reaches the target when F - FS <= target: FS is its f* on a learning problem
    (the gap f - f*, as the history gives it) and 0 elsewhere (F - 0.0 is F).
    """
    b = F.shape[0]
    n_bad = 0
    n_hit = 0
    for j in range(b):
        fj = F[j]
        n_bad += LIVE[j] & ((fj - fj) != 0.0)
        FB[j] = fj if (exact and fj < FB[j] and fj > -np.inf) else FB[j]
    if has_target and exact:
        for j in range(b):
            if F[j] - FS[j] <= target and HIT[j] < 0:
                HIT[j] = k
                n_hit += 1
    return n_bad, n_hit


@njit(inline="always")
def retire(X, F, FB, HIT, LIVE, k, n_iter, n_live, j0, stop_at_target, finals):
    """Stop the live lanes that diverged or (optionally) reached the target at iteration k,
    or all live lanes at the last iteration, writing their final values into ``finals``
    (x_final, f_final, f_best, hit_at, died_at, last_iter)."""
    x_final, f_final, f_best, hit_at, died_at, last_iter = finals
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


@njit(inline="always")
def accumulate(X, XA, RS, RG, LIVE, k, slot_r, slot_a):
    """Add iteration k's regret and point to each live lane's sums (a running mean)."""
    d, b = X.shape
    for j in range(b):
        if LIVE[j] == 0:
            continue
        if slot_r >= 0:
            RG[j] += RS[j]
        if slot_a >= 0:
            for i in range(d):
                XA[i, j] += (X[i, j] - XA[i, j]) / (k + 1)


@njit(inline="always")
def record_extra(he_rows, r, RG, FA, slot_r, slot_a):
    """Store record r of the regret and of f at the average into their history slots."""
    for j in range(RG.shape[0]):
        if slot_r >= 0:
            he_rows[j, r, slot_r] = RG[j]
        if slot_a >= 0:
            he_rows[j, r, slot_a] = FA[j]
