"""`advance`: the kernel as a library function, checked like one.

Every argument is validated (shapes, dtypes, known optimizer and objective,
finite hyperparameters within their bounds) and a bad one raises a
``ValueError`` naming it; then the private kernel runs. No Hydra, no files.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from adagrad_lab.catalog import (
    N_HP,
    OBJECTIVES,
    OPTIMIZERS,
    TEST_FUNCTIONS,
    Hyperparameter,
    Objective,
    Optimizer,
)
from adagrad_lab.catalog.custom import ValueAndGrad
from adagrad_lab.jit.arithmetic import Arithmetic
from adagrad_lab.jit.tools import JitFn
from adagrad_lab.kernel.custom import block_evaluator, compile_custom
from adagrad_lab.kernel.driver import advance as run_kernel
from adagrad_lab.sweep.grid import default_block
from adagrad_lab.sweep.schedule import MAX_N_ITER


class Result(NamedTuple):
    """What `advance` computed; field names are the Parquet columns' names.

    Per trajectory: ``x_final`` (n, d), ``f_final``, ``f_best``, ``iters_to_target``
    and ``diverged_at`` (-1 where the Parquet column is null: never), ``last_iter``
    (where it stopped). History: ``iter`` (the recorded iterations), and ``f``,
    ``grad_norm`` (n, len(iter)) and ``x`` (n, len(iter), d), NaN past ``last_iter``.
    """

    x_final: np.ndarray
    f_final: np.ndarray
    f_best: np.ndarray
    iters_to_target: np.ndarray
    diverged_at: np.ndarray
    last_iter: np.ndarray
    iter: np.ndarray
    f: np.ndarray
    grad_norm: np.ndarray
    x: np.ndarray


def advance(
    x0: ArrayLike,
    *,
    n_iter: int,
    optimizer: str = "adagrad",
    objective: str | ValueAndGrad = "sphere",
    hyperparameters: Mapping[str, ArrayLike] | None = None,
    choices: Mapping[str, str] | None = None,
    log10_condition: float | None = None,
    record: ArrayLike | None = None,
    record_points: bool = False,
    record_grad_norm: bool = True,
    target: float | None = None,
    stop_at_target: bool = False,
    arithmetic: Arithmetic | None = None,
    block: int | None = None,
) -> Result:
    """Advance every trajectory of ``x0`` (n points in d dimensions) by ``n_iter`` updates.

    ``optimizer`` and ``objective`` name registry records (`OPTIMIZERS`,
    `OBJECTIVES`); ``objective`` may also be a user's ``value_and_grad(x, grad)
    -> f``. ``hyperparameters`` maps the optimizer's hyperparameter names to a
    number or one value per trajectory (missing ones take their defaults);
    ``choices`` its conventions, e.g. ``{"backend": "jax"}`` for ``adagrad_keras``.
    ``record`` lists the iterations (0..n_iter) whose f, gradient norm and,
    with ``record_points``, x the history keeps.

    >>> import numpy as np, adagrad_lab as al
    >>> r = al.advance(np.array([[0.5, -0.5]]), n_iter=50, hyperparameters={"step_size": 0.1})
    >>> bool(r.f_final[0] < 0.5)
    True
    """
    x0 = _points(x0)
    n, d = x0.shape
    opt = _optimizer(optimizer)
    if opt.max_dim is not None and d > opt.max_dim:
        raise ValueError(f"x0: {opt.name} takes d <= {opt.max_dim} (got d={d})")
    obj, kernel = _objective(objective, d)
    hp = opt.kernel_values(_hyperparameters(hyperparameters, opt, n), _choices(choices, opt))
    n_iter = _count("n_iter", n_iter, 1, MAX_N_ITER)
    rec = _record(record, n_iter)
    arithmetic = _arithmetic(arithmetic)
    out = run_kernel(
        x0,
        hp,
        rule=opt.code,
        n_iter=n_iter,
        code=obj.code if obj is not None else -1,
        params=_params(obj, d, log10_condition),
        rec_iters=rec,
        rec_points=bool(record_points),
        rec_grad_norm=bool(record_grad_norm),
        target=_target(target, stop_at_target),
        stop_at_target=bool(stop_at_target),
        block=default_block(d) if block is None else _count("block", block, 1, 1 << 20),
        kernel=kernel if kernel is None else compile_custom(kernel, arithmetic.fastmath),
        arithmetic=arithmetic,
    )
    return _result(out, rec)


def _points(x0: ArrayLike) -> np.ndarray:
    try:
        x = np.asarray(x0, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("x0: must be an (n, d) array of numbers") from None
    if x.ndim != 2 or 0 in x.shape:
        raise ValueError(f"x0: must be an (n, d) array with n, d >= 1 (got shape {x.shape})")
    if not np.isfinite(x).all():
        raise ValueError("x0: every start point must be finite")
    return np.ascontiguousarray(x)


def _optimizer(name: object) -> Optimizer:
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"optimizer: one of {', '.join(OPTIMIZERS)} (got {name!r})")
    return OPTIMIZERS[name]


def _objective(objective: object, d: int) -> tuple[Objective | None, JitFn | None]:
    """The built-in record, or (None, the user's function as a block evaluator)."""
    if callable(objective):
        return None, block_evaluator(objective)
    if not isinstance(objective, str) or objective not in TEST_FUNCTIONS:
        if isinstance(objective, str) and objective in OBJECTIVES:
            raise ValueError(
                f"objective: {objective} learns from data: run it from a config "
                f"(adagrad-lab objective={objective} ...), or al.run_config"
            )
        allowed = ", ".join(TEST_FUNCTIONS)
        raise ValueError(f"objective: one of {allowed}, or a function (got {objective!r})")
    obj = OBJECTIVES[objective]
    low, high = obj.dims
    if d < low or (high is not None and d > high):
        raise ValueError(f"x0: {obj.name} needs d in {low}..{high or 'any'} (got d={d})")
    return obj, None


def _hyperparameters(values: Mapping[str, ArrayLike] | None, opt: Optimizer, n: int) -> np.ndarray:
    """The (rows, n) hyperparameter matrix in the optimizer's row order."""
    values = dict(values or {})
    unknown = sorted(set(values) - set(opt.names))
    if unknown:
        raise ValueError(
            f"hyperparameters: {unknown[0]!r} is not one of {opt.name}'s ({', '.join(opt.names)})"
        )
    hp = np.zeros((max(N_HP, len(opt.hyperparameters)), n))
    for row, h in enumerate(opt.hyperparameters):
        hp[row] = _hyperparameter(h, values.get(h.name, h.default), n)
    violation = opt.violation(
        {h.name: np.unique(hp[row]).tolist() for row, h in enumerate(opt.hyperparameters)}
    )
    if violation is not None:
        key, message = violation
        raise ValueError(f"{key.removeprefix('optimizer.')}: {message}")
    return hp


def _choices(values: Mapping[str, str] | None, opt: Optimizer) -> dict[str, str]:
    """The optimizer's choices, each given or its default."""
    values = dict(values or {})
    unknown = sorted(set(values) - {c.name for c in opt.choices})
    if unknown:
        names = ", ".join(c.name for c in opt.choices) or "none"
        raise ValueError(f"choices: {unknown[0]!r} is not one of {opt.name}'s ({names})")
    return opt.chosen(values)


def _hyperparameter(h: Hyperparameter, value: ArrayLike, n: int) -> np.ndarray:
    """One hyperparameter's row: a number (a flag: a bool) or n of them, checked."""
    kind = "a bool" if h.boolean else "a number"
    try:
        raw = np.asarray(value)
        if h.boolean != (raw.dtype == np.bool_):
            raise TypeError
        v = np.broadcast_to(raw.astype(np.float64), (n,))
    except (TypeError, ValueError):
        raise ValueError(f"{h.name}: {kind} or {n} of them, one per trajectory") from None
    if not np.isfinite(v).all():
        raise ValueError(f"{h.name}: must be finite")
    if not all(h.accepts(x) for x in np.unique(v)):
        raise ValueError(f"{h.name}: every value must be {h.rule}")
    return v


def _count(name: str, value: object, low: int, high: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise ValueError(f"{name}: must be an integer (got {value!r})")
    if not low <= int(value) <= high:
        raise ValueError(f"{name}: must be in {low}..{high} (got {value})")
    return int(value)


def _record(record: ArrayLike | None, n_iter: int) -> np.ndarray:
    if record is None:
        return np.zeros(0, np.int64)
    rec = np.asarray(record)
    if rec.ndim != 1 or (rec.size and rec.dtype.kind not in "iu"):
        raise ValueError("record: must be a 1-D list of integer iterations")
    rec = rec.astype(np.int64)
    if rec.size and (rec[0] < 0 or rec[-1] > n_iter or np.any(np.diff(rec) <= 0)):
        raise ValueError(f"record: iterations must be increasing, within 0..{n_iter}")
    return rec


def _params(obj: Objective | None, d: int, log10_condition: float | None) -> np.ndarray:
    if log10_condition is not None and (obj is None or "log10_condition" not in obj.settings):
        raise ValueError("log10_condition: only the ellipsoid has one")
    if obj is None:
        return np.zeros(1)
    c = log10_condition
    if c is not None and not (isinstance(c, numbers.Real) and 0.0 <= c <= 300.0):
        raise ValueError(f"log10_condition: must be a number in [0, 300] (got {c!r})")
    return obj.params(d, None if c is None else float(c))


def _target(target: float | None, stop_at_target: bool) -> float | None:
    if target is None:
        if stop_at_target:
            raise ValueError("stop_at_target: needs a target")
        return None
    if not isinstance(target, numbers.Real) or not math.isfinite(target):
        raise ValueError(f"target: must be a finite number or None (got {target!r})")
    return float(target)


def _arithmetic(arithmetic: object) -> Arithmetic:
    if arithmetic is None:
        return Arithmetic()
    if not isinstance(arithmetic, Arithmetic):
        raise ValueError("arithmetic: an adagrad_lab.Arithmetic value")
    return arithmetic


def _result(out: dict[str, np.ndarray], rec: np.ndarray) -> Result:
    """Name the kernel's arrays as the tables do, in float64, NaN past each trajectory's end."""
    past = rec[None, :] > out["last_iter"][:, None]
    f = out["h_f"].astype(np.float64)
    f[past] = np.nan
    gn = out["h_gn"].astype(np.float64)
    if gn.shape[1]:
        gn[past] = np.nan
    x = out["h_x"].astype(np.float64)
    if x.size:
        x[past] = np.nan
    return Result(
        x_final=out["x_final"].astype(np.float64),
        f_final=out["f_final"].astype(np.float64),
        f_best=out["f_best"].astype(np.float64),
        iters_to_target=out["hit_at"],
        diverged_at=out["died_at"],
        last_iter=out["last_iter"],
        iter=rec,
        f=f,
        grad_norm=gn,
        x=x,
    )
