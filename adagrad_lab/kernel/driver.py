"""The batch kernel: many AdaGrad (or gradient descent) trajectories advanced in parallel.

Arrays in, arrays out; numpy and numba only. The public entry point is
`advance`, which checks nothing: callers (the runner) hand it validated,
correctly shaped float64 arrays. Trajectories are processed in blocks of
``block`` lanes whose coordinates sit contiguous across the block, so each
arithmetic step is a vector operation over trajectories; groups of
consecutive blocks (see `spread_stride`) are handed to threads as they come free
(`threads.run_groups`: the kernel is compiled serial and releases the GIL) and
every block writes only its own rows, so results do not depend on the thread
count, the block size or the order blocks run in.
"""

from __future__ import annotations

import functools
import math
import types
from collections.abc import Callable
from typing import Any, cast

import numba
import numpy as np
from numba import njit
from numpy.typing import DTypeLike

from adagrad_lab.catalog import (
    N_HP,
    OBJECTIVES,
    OPTIMIZERS,
    Objective,
    Optimizer,
    objective_by_code,
    optimizer_by_code,
)
from adagrad_lab.catalog.objectives.learning import (
    AVERAGE_SLOT,
    FSTAR,
    OPTIMUM,
    REGRET_SLOT,
    no_data,
    no_value,
)
from adagrad_lab.catalog.optimizers import adagrad
from adagrad_lab.jit import fp_control
from adagrad_lab.jit.arithmetic import EXACT, FASTMATH_FLAGS, Arithmetic
from adagrad_lab.jit.compile_once import compile_once
from adagrad_lab.jit.fp_control import FLUSH_SUBNORMALS_BITS
from adagrad_lab.jit.tools import JitFn
from adagrad_lab.kernel.steps import (
    accumulate,
    grad_norm,
    make_fused_pass,
    record,
    record_extra,
    retire,
    scan,
)
from adagrad_lab.kernel.threads import run_groups

SPHERE = OBJECTIVES["sphere"].code  # advance()'s default objective

# The floating-point control word intrinsics as the kernel calls them. Numba's stubs give
# an intrinsic the signature of its typing function (typingctx first, never returning);
# in jitted code it takes no typingctx and returns the word. Same objects, typed as used.
get_fp_control = cast("Callable[[], np.uint32]", fp_control.get_fp_control)
set_fp_control = cast("Callable[[np.uint32], None]", fp_control.set_fp_control)

GROUPS_PER_THREAD = 16  # groups of consecutive blocks each thread gets, spread over the grid

# the integer codes of `advance`: positions in the registry
RULE_ADAGRAD = OPTIMIZERS["adagrad"].code
RULE_GD = OPTIMIZERS["gd"].code
# AdaGrad's rows of the per-trajectory hyperparameter matrix (its record's order)
HP_STEP_SIZE, HP_EPS, HP_INITIAL_ACCUMULATOR = (
    OPTIMIZERS["adagrad"].names.index(n) for n in ("step_size", "eps", "initial_accumulator")
)
__all__ = ["N_HP", "RULE_ADAGRAD", "RULE_GD", "advance", "specialize"]

# Bound per variant by `specialize`: the objective's evaluator, whether it is fused with
# the update, the fused pass, the optimizer's functions and the sizes of its state and
# coefficients. None here (Any: _advance, which calls them, only runs with them bound).
evaluate: Any = None
evaluate_data: Any = None
value_data: Any = None
DATA = False
fused_pass: Any = None
init_state: Any = None
prepare: Any = None
update: Any = None
FUSED = False
N_STATE = 0
MATRIX_STATE = False
N_COEF = 0


@njit(cache=True)
def spread_stride(n: int) -> int:
    """A stride coprime to ``n`` near n / golden ratio: ``(it * stride) % n`` visits every
    group of blocks once, and any run of consecutive ``it`` spreads over all of them.

    In grid order neighbouring blocks share hyperparameters and so cost alike
    (small steps run every iteration, large ones diverge early): spread, every
    group mixes cheap and costly blocks and the threads finish together.
    Blocks stay together in groups: spread one by one, the history stores of
    W1 took half as long again (the writes lose their locality).
    """
    stride = max(1, int(n * 0.6180339887498949))
    while math.gcd(stride, n) > 1:
        stride += 1
    return stride


def n_blocks(n: int, block: int) -> int:
    """Blocks the kernel cuts ``n`` trajectories into: the length of a progress array."""
    return -(-n // block)


def block_group(n: int, block: int) -> int:
    """Consecutive blocks run as one group: about GROUPS_PER_THREAD groups per thread."""
    n_blocks = -(-n // block)
    return max(1, n_blocks // (GROUPS_PER_THREAD * numba.get_num_threads()))


def _advance(
    params,
    iparams,
    x0,
    hp,
    n_iter,
    rec_iters,
    rec_points,
    target,
    has_target,
    stop_at_target,
    block,
    group,
    flush_subnormals,
    x_final,
    f_final,
    f_best,
    hit_at,
    died_at,
    last_iter,
    h_f,
    h_gn,
    h_x,
    h_e,
    x_avg,
    progress,
    lo,
    hi,
):
    n, d = x0.shape
    n_rec = rec_iters.shape[0]
    n_blocks = (n + block - 1) // block
    finals = (x_final, f_final, f_best, hit_at, died_at, last_iter)
    n_groups = (n_blocks + group - 1) // group
    stride = spread_stride(n_groups)
    for it in range(lo, hi):
        bi = ((it // group) * stride) % n_groups * group + it % group
        if bi >= n_blocks:
            continue
        control = get_fp_control()
        if flush_subnormals:
            set_fp_control(control | np.uint32(FLUSH_SUBNORMALS_BITS))
        j0 = bi * block
        b = min(block, n - j0)
        dt = x0.dtype
        X = np.empty((d, b), dt)
        XN = np.empty((d, b), dt)
        G = np.empty((d, b), dt)
        GN = np.empty(b, dt)
        S = np.empty((N_STATE + (d if MATRIX_STATE else 0), d, b), dt)
        C = np.empty((N_COEF, b), dt)
        # the block's hyperparameters as a local contiguous (rows, b) array: the steps read
        # HB[row, j] in their vectorized loops
        HB = np.empty((hp.shape[0], b), dt)
        for row in range(hp.shape[0]):
            for j in range(b):
                HB[row, j] = hp[row, j0 + j]
        F = np.empty(b, dt)
        FB = np.full(b, np.inf, dt)
        HIT = np.full(b, -1, dtype=np.int64)
        LIVE = np.ones(b, dtype=np.int64)
        rec_gn = h_gn.shape[1] > 0
        # the block's own output rows, as views: a record is one store per lane at
        # base + j * row stride, with no per-store index arithmetic
        hf_rows = h_f[j0 : j0 + b]
        hgn_rows = h_gn[j0 : j0 + b]
        hx_rows = h_x[j0 : j0 + b]
        # a learning problem's extra records: the regret so far, f at the Polyak average
        he_rows = h_e[j0 : j0 + b]
        slot_r, slot_a = iparams[REGRET_SLOT], iparams[AVERAGE_SLOT]
        if not DATA:
            slot_r = slot_a = -1
        XA = np.zeros((d, b) if slot_a >= 0 else (0, 0), dt)
        RS = np.zeros(b, dt)
        RG = np.zeros(b, dt)
        FA = np.empty(b, dt)
        # what the target is measured from: a learning problem's f* (its l2 value's; 0 if
        # unsolved or without an optimum row), so its target is on f - f*; 0 for a test
        # function, whose F - 0.0 is F
        FS = np.zeros(b, dt)
        if DATA and has_target and HB.shape[0] > N_HP + OPTIMUM:
            for j in range(b):
                fs = params[iparams[FSTAR] + np.int64(HB[N_HP + OPTIMUM, j])]
                FS[j] = fs if math.isfinite(fs) else 0.0
        for i in range(d):
            for j in range(b):
                X[i, j] = x0[j0 + j, i]
        init_state(S, X, HB)
        for j in range(b):
            died_at[j0 + j] = -1
        n_live = b
        r = 0
        for k in range(n_iter + 1):
            rec = r < n_rec and rec_iters[r] == k
            prepare(C, HB, k)
            exact = True  # F is the objective itself (not a sampled batch's value)
            if FUSED:
                fused_pass(X, XN, S, F, GN, HB, C, k, params, rec and rec_gn)
            else:
                if DATA:
                    want_f = rec or k == n_iter
                    exact = evaluate_data(X, G, F, RS, params, iparams, HB[N_HP:], k, want_f)
                    accumulate(X, XA, RS, RG, LIVE, k, slot_r, slot_a)
                    if rec and slot_a >= 0:
                        value_data(XA, FA, params, iparams, HB[N_HP:])
                else:
                    evaluate(X, G, F, params)
                if rec and rec_gn:
                    grad_norm(G, GN)
            if rec:
                record(X, GN, F, r, rec_gn, rec_points, hf_rows, hgn_rows, hx_rows)
                if DATA:
                    record_extra(he_rows, r, RG, FA, slot_r, slot_a)
                r += 1
            n_bad, n_hit = scan(F, FB, HIT, LIVE, k, target, has_target, exact, FS)
            if n_bad > 0 or (stop_at_target and n_hit > 0) or k == n_iter:
                n_live = retire(X, F, FB, HIT, LIVE, k, n_iter, n_live, j0, stop_at_target, finals)
            if n_live == 0 or k == n_iter:
                break
            if FUSED:
                X, XN = XN, X
            else:
                update(X, G, S, HB, C, k)
        if slot_a >= 0:
            for j in range(b):
                for i in range(d):
                    x_avg[j0 + j, i] = XA[i, j]
        if flush_subnormals:
            set_fp_control(control)
        # trajectories done, one slot per block: a thread polling the array (the kernel
        # releases the GIL) sums it for a progress bar; no two blocks share a slot
        progress[bi] = b


_JIT: dict[str, Any] = {"error_model": "numpy", "nogil": True}  # serial: threads.run_groups
FASTMATH = frozenset(FASTMATH_FLAGS)  # see arithmetic.FASTMATH_FLAGS


def specialize(
    name: str,
    evaluate_fn: JitFn,
    optimizer: Optimizer,
    objective: Objective | None,
    fastmath: bool,
    cache: bool = True,
) -> JitFn:
    """The kernel source compiled with one objective and one optimizer bound in.

    ``evaluate_fn`` is the objective's block evaluator; a separable built-in
    ``objective`` also gets the fused pass (value, gradient and update in one
    loop). The distinct ``name`` gives each cached variant its own index in
    Numba's cache, so a process compiles or loads only the variants it runs.
    """
    fused = objective is not None and objective.separable and optimizer.elem is not None
    source = objective if fused and objective is not None else OBJECTIVES["sphere"]
    term = source.term  # the sphere's when not fused: typed, never run
    assert term is not None  # the source is separable
    elem = optimizer.elem if optimizer.elem is not None else adagrad.elem
    learning = objective is not None and objective.evaluate_data is not None
    bound = {
        "evaluate": evaluate_fn,
        "DATA": learning,
        "evaluate_data": objective.evaluate_data if learning and objective else no_data,
        "value_data": objective.value_data if learning and objective else no_value,
        "FUSED": fused,
        "fused_pass": make_fused_pass(term, source.constant, elem),
        "init_state": optimizer.init,
        "prepare": optimizer.prepare,
        "update": optimizer.step,
        "N_STATE": optimizer.n_state,
        "MATRIX_STATE": optimizer.matrix_state,
        "N_COEF": optimizer.n_coef,
    }
    fn = types.FunctionType(_advance.__code__, {**_advance.__globals__, **bound}, name)
    fn.__qualname__ = name
    flags: dict[str, Any] = {"fastmath": set(FASTMATH)} if fastmath else {}
    kernel: JitFn = njit(cache=cache, **_JIT, **flags)(fn)
    return kernel


@functools.cache
def builtin_kernel(objective: str, optimizer: str, fastmath: bool) -> JitFn:
    """The cached kernel variant for a built-in objective and optimizer (made on first use)."""
    obj = OBJECTIVES[objective]
    name = f"_advance_{objective}_{optimizer}{'_fastmath' if fastmath else ''}"
    return specialize(name, obj.evaluate, OPTIMIZERS[optimizer], obj, fastmath)


def advance(
    x0: np.ndarray,
    hp: np.ndarray,
    *,
    rule: int,
    n_iter: int,
    code: int = SPHERE,
    params: np.ndarray | None = None,
    iparams: np.ndarray | None = None,
    rec_iters: np.ndarray | None = None,
    rec_points: bool = False,
    rec_grad_norm: bool = True,
    target: float | None = None,
    stop_at_target: bool = False,
    block: int = 64,
    kernel: Callable[[str], JitFn] | None = None,
    out: dict[str, np.ndarray] | None = None,
    arithmetic: Arithmetic = EXACT,
    progress: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Run ``n_iter`` updates of every trajectory and return finals and the recorded history.

    ``x0`` is (N, d) start points, ``hp`` is (N_HP, N) hyperparameters per
    trajectory (step size, eps, initial accumulator), ``rec_iters`` the sorted
    iterations (0..n_iter) to record; ``rec_points`` and ``rec_grad_norm``
    add the point and the gradient norm to each record. History rows past a
    trajectory's ``last_iter`` are undefined and must be masked by the caller.
    ``out``, the result of an earlier call, is reused where its arrays have
    the right shapes: a chunked run then touches its memory pages only once.
    ``arithmetic`` (`Arithmetic`, default the tutorial's) may opt in to: ``fastmath``,
    the variant with FMA contraction, faster, not bit-identical (a custom
    ``kernel`` carries its own flag); ``precision="float32"``, the arithmetic in single precision
    (twice the lanes per vector; opt-in): points, values and hyperparameters
    are rounded to float32 on the way in, and the results come back in float32.
    ``flush_subnormals`` (opt-in, x86) sets flush-to-zero and denormals-are-zero
    in each worker while it runs: results below the smallest normal number
    become zero instead of taking the CPU's slow subnormal path.
    ``progress``, an int64 array of at least `n_blocks(n, block)` zeros, receives each
    block's trajectory count as the block finishes (slot ``i`` for block ``i``): its sum,
    read from another thread while the kernel runs, is the number of trajectories done.
    """
    n, d = x0.shape
    dt = np.dtype(arithmetic.precision)
    slots = [-1, -1] if iparams is None else [int(iparams[REGRET_SLOT]), int(iparams[AVERAGE_SLOT])]
    n_extra, averaged = sum(s >= 0 for s in slots), slots[1] >= 0
    rec = np.zeros(0, np.int64) if rec_iters is None else np.ascontiguousarray(rec_iters, np.int64)
    n_rec = rec.shape[0]
    shapes: dict[str, tuple[tuple[int, ...], DTypeLike]] = {
        "x_final": ((n, d), dt),
        "f_final": ((n,), dt),
        "f_best": ((n,), dt),
        "hit_at": ((n,), np.int64),
        "died_at": ((n,), np.int64),
        "last_iter": ((n,), np.int64),
        "h_f": ((n, n_rec), dt),
        "h_gn": ((n, n_rec if rec_grad_norm else 0), dt),
        "h_x": ((n, n_rec, d) if rec_points else (0, 0, 0), dt),
        "h_e": ((n, n_rec, n_extra) if n_extra else (0, 0, 0), dt),
        "x_avg": ((n, d) if averaged else (0, d), dt),
    }
    old = out or {}
    out = {
        key: old[key] if key in old and old[key].shape == shape else np.empty(shape, dtype)
        for key, (shape, dtype) in shapes.items()
    }
    if progress is None:
        progress = np.zeros(n_blocks(n, block), np.int64)
    elif progress.dtype != np.int64 or progress.ndim != 1 or len(progress) < n_blocks(n, block):
        # the kernel stores without bounds checks: a short array would be written past its end
        raise ValueError(f"progress must be an int64 array of {n_blocks(n, block)} slots")
    optimizer = optimizer_by_code(rule).name
    if kernel is None:
        run = builtin_kernel(objective_by_code(code).name, optimizer, arithmetic.fastmath)
    else:
        run = kernel(optimizer)
    args = (
        np.zeros(1, dt) if params is None else np.ascontiguousarray(params, dt),
        np.zeros(1, np.int64) if iparams is None else np.ascontiguousarray(iparams, np.int64),
        np.ascontiguousarray(x0, dt),
        np.ascontiguousarray(hp, dt),
        np.int64(n_iter),
        rec,
        bool(rec_points),
        np.float64(np.nan if target is None else target),
        target is not None,
        bool(stop_at_target),
        np.int64(block),
        np.int64(group := block_group(n, block)),
        arithmetic.flush_subnormals,
        out["x_final"],
        out["f_final"],
        out["f_best"],
        out["hit_at"],
        out["died_at"],
        out["last_iter"],
        out["h_f"],
        out["h_gn"],
        out["h_x"],
        out["h_e"],
        out["x_avg"],
        progress,
    )
    if kernel is None:  # a cached variant: parallel processes compile it once
        compile_once(run, (*args, np.int64(0), np.int64(0)))
    run_groups(run, args, -(-n_blocks(n, block) // group), group, numba.get_num_threads())
    return out
