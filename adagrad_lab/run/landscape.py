"""What a run writes for the drawing layers, which never evaluate an objective themselves:
the known minimum f* (into the manifest) and, for a built-in 2-D objective, its values on a
grid over the start box (`store.landscape`), evaluated by the run's own kernel."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from adagrad_lab.catalog import OBJECTIVES
from adagrad_lab.kernel.driver import advance
from adagrad_lab.store.landscape import Landscape, write_landscape
from adagrad_lab.sweep.plan import Plan

Array = np.ndarray[Any, Any]

RESOLUTION = 201  # grid points per coordinate: the contour's level sets stay smooth


def known_minimum(plan: Plan) -> float | None:
    """f* of the run's objective: its record's for a test function in the run's dimension,
    the solved one of a learning problem with one l2 value (with several, each trajectory's
    is in its ``f_star`` column), None where unknown (a user's objective)."""
    optima = plan.problem.optima
    if optima:
        return float(next(iter(optima.values()))) if len(optima) == 1 else None
    if plan.problem.objective_code < 0:
        return None
    value = float(OBJECTIVES[plan.problem.objective].f_min(plan.problem.dim))
    return value if math.isfinite(value) else None


def minimizers(name: str) -> Array:
    """Every known global minimizer of the built-in 2-D objective ``name``, ``(k, 2)``."""
    spec = OBJECTIVES[name]
    return np.asarray(spec.minima or [spec.x_min(2)], np.float64).reshape(-1, 2)


def write(run_dir: Path, plan: Plan, hp: Array, block: int) -> Path | None:
    """Write the landscape of a run of a built-in 2-D test function into ``run_dir``; None
    for any other run (a learning problem's, a user's objective). ``hp``: one trajectory's
    column of the hyperparameter matrix.

    Each grid point is a trajectory of no update whose recorded f at iteration 0 is
    f(x): the kernel the run already loaded computes it, in the run's arithmetic.
    """
    problem = plan.problem
    if problem.dim != 2 or problem.objective_code < 0 or problem.iparams is not None:
        return None  # a user's objective, or a learning problem (its f depends on the data)

    def values(points: Array) -> Array:
        res = advance(
            np.ascontiguousarray(points, np.float64),
            np.ascontiguousarray(np.repeat(hp[:, :1], len(points), axis=1)),
            rule=problem.rule,
            n_iter=0,
            code=problem.objective_code,
            params=problem.params,
            rec_iters=np.zeros(1, np.int64),
            rec_points=plan.output.record_points,
            rec_grad_norm=plan.output.record_grad_norm,
            block=block,
            arithmetic=plan.arithmetic,
        )
        return np.asarray(res["h_f"][:, 0], np.float64)

    f_star = known_minimum(plan)
    box = np.array([problem.bounds, problem.bounds], np.float64)
    found = build(problem.objective, box, np.nan if f_star is None else f_star, values)
    return write_landscape(run_dir, found)


def build(
    name: str,
    box: Array,
    f_star: float,
    values: Callable[[Array], Array],
    resolution: int = RESOLUTION,
) -> Landscape:
    """The landscape of ``name`` over ``box`` (``[[x1_lo, x1_hi], [x2_lo, x2_hi]]``), ``values``
    mapping ``(n, 2)`` points to f. An axis along which the curvature at the minimizer is
    `SQUEEZED` times the other's gets a symmetric-log scale whose linear core holds the
    level set that spans the box along the flat axis; its grid points are spaced evenly on
    that scale, so the squeezed level sets are resolved."""
    minima = minimizers(name)
    linthresh = _linthresh(values, minima[0], box)
    x, y = (_axis(box[k, 0], box[k, 1], linthresh[k], resolution) for k in (0, 1))
    xs, ys = np.meshgrid(x, y)
    f = values(np.column_stack([xs.ravel(), ys.ravel()])).reshape(xs.shape)
    return Landscape(x, y, f, f_star, minima, name, linthresh)


SQUEEZED = 100.0  # a curvature ratio at the minimizer from which the steep axis is symlog


def _linthresh(values: Callable[[Array], Array], center: Array, box: Array) -> tuple[float, float]:
    """Per axis, 0 (linear) or the linear core's half-width of a symmetric-log axis."""
    h = 1e-4 * (box[:, 1] - box[:, 0])
    steps = np.array([[h[0], 0.0], [-h[0], 0.0], [0.0, h[1]], [0.0, -h[1]], [0.0, 0.0]])
    f = values(center + steps)
    curvature = np.array([f[0] + f[1] - 2 * f[4], f[2] + f[3] - 2 * f[4]]) / h**2
    out = [0.0, 0.0]
    if not (np.isfinite(curvature).all() and curvature.min() > 0):
        return (0.0, 0.0)
    flat, steep = int(np.argmin(curvature)), int(np.argmax(curvature))
    if curvature[steep] < SQUEEZED * curvature[flat]:
        return (0.0, 0.0)
    width = 0.5 * (box[flat, 1] - box[flat, 0])
    core = width * float(np.sqrt(curvature[flat] / curvature[steep]))
    if abs(center[steep]) < core and box[steep, 0] < -core and box[steep, 1] > core:
        out[steep] = core  # symlog is centred on 0: only where the minimizer is in its core
    return (out[0], out[1])


def _axis(lo: float, hi: float, linthresh: float, n: int) -> Array:
    """``n`` points from ``lo`` to ``hi``: evenly spaced, or evenly on the symmetric-log scale
    t(v) = v / c within the core |v| <= c, sign(v) (1 + log10(|v| / c)) beyond."""
    if linthresh <= 0:
        return np.linspace(lo, hi, n)
    c = linthresh

    def t(v: float) -> float:
        return float(np.sign(v) * (min(abs(v), c) / c + np.log10(max(abs(v), c) / c)))

    ts = np.linspace(t(lo), t(hi), n)
    core = np.abs(ts) <= 1
    out: Array = np.where(core, ts * c, np.sign(ts) * c * 10.0 ** (np.abs(ts) - 1))
    out[0], out[-1] = lo, hi
    return out


def evaluate(
    name: str,
    bounds: tuple[float, float] | tuple[tuple[float, float], tuple[float, float]] | None = None,
    resolution: int = RESOLUTION,
    log10_condition: float | None = None,
) -> Landscape:
    """The landscape of the built-in 2-D objective ``name`` for interactive use, through the
    catalog's jitted evaluator (`adagrad_lab.landscape`): ``bounds`` ``(lo, hi)`` for both
    coordinates or one pair each (default the objective's box); ``log10_condition`` the
    ellipsoid's (default its record's). The same grid a run writes for its report."""
    if name not in OBJECTIVES:
        raise ValueError(f"objective: {name!r} is not one of {', '.join(OBJECTIVES)}")
    spec = OBJECTIVES[name]
    smallest, largest = spec.dims
    if smallest > 2 or (largest is not None and largest < 2):
        raise ValueError(f"objective: {name} is not defined in 2-D")
    box = np.asarray(spec.bounds if bounds is None else bounds, np.float64)
    box = np.stack([box, box]) if box.shape == (2,) else box
    if box.shape != (2, 2) or not np.isfinite(box).all() or (box[:, 1] <= box[:, 0]).any():
        raise ValueError(f"bounds: (lo, hi) or ((x1_lo, x1_hi), (x2_lo, x2_hi)), got {bounds!r}")
    params = spec.params(2, log10_condition)

    def values(points: Array) -> Array:
        block = np.ascontiguousarray(np.asarray(points, np.float64).T)
        f = np.empty(block.shape[1])
        spec.evaluate(block, np.empty_like(block), f, params)
        return f

    return build(name, box, float(spec.f_min(2)), values, resolution)
