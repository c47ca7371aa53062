"""f* and x* of a learning problem, by a high-accuracy solve on the training set.

Least squares in closed form (the normal equations with the l2 term; with no
penalty, `numpy.linalg.lstsq`'s minimum-norm solution); logistic regression by
Newton's method with a backtracking line search to a gradient norm below
`GRADIENT_TOLERANCE`. The intercept, when there is one (the last
coordinate), is not penalized, as in the kernel.
"""

from __future__ import annotations

import numpy as np

from adagrad_lab.data.matrix import Array, Matrix, as_dense

GRADIENT_TOLERANCE = 1e-10
MAX_NEWTON = 200
SOLVE_LIMIT = 50_000_000  # entries of the dense training matrix a solve may form


def penalized(d: int, intercept: bool) -> Array:
    """1 for each penalized coordinate, 0 for the intercept."""
    mask = np.ones(d)
    if intercept:
        mask[-1] = 0.0
    return mask


def least_squares_value(a: Array, y: Array, w: Array, l2: float, mask: Array) -> float:
    r = a @ w - y
    return float(0.5 * np.mean(r * r) + 0.5 * l2 * np.sum(mask * w * w))


def logistic_value(a: Array, y: Array, w: Array, l2: float, mask: Array) -> float:
    return float(np.mean(np.logaddexp(0.0, -y * (a @ w))) + 0.5 * l2 * np.sum(mask * w * w))


def solve(kind: str, features: Matrix, y: Array, l2: float, intercept: bool) -> tuple[float, Array]:
    """(f*, x*) of ``kind`` ("least_squares" or "logistic"); (nan, nan) when too large to
    solve densely or when logistic regression without a penalty has no finite minimizer."""
    n, d = features.shape
    if n * d > SOLVE_LIMIT:
        return float("nan"), np.full(d, np.nan)
    a = as_dense(features)
    mask = penalized(d, intercept)
    if kind == "least_squares":
        return _least_squares(a, y, l2, mask)
    return _logistic(a, y, l2, mask)


def _least_squares(a: Array, y: Array, l2: float, mask: Array) -> tuple[float, Array]:
    n = len(y)
    if l2 > 0:
        w = np.linalg.solve(a.T @ a / n + l2 * np.diag(mask), a.T @ y / n)
    else:
        w = np.linalg.lstsq(a, y, rcond=None)[0]
    return least_squares_value(a, y, w, l2, mask), w


def _logistic(a: Array, y: Array, l2: float, mask: Array) -> tuple[float, Array]:
    n, d = a.shape
    w = np.zeros(d)
    value = logistic_value(a, y, w, l2, mask)
    for _ in range(MAX_NEWTON):
        m = y * (a @ w)
        s = 0.5 * (1.0 - np.tanh(0.5 * m))  # sigmoid(-m), without overflow
        grad = -(a.T @ (y * s)) / n + l2 * mask * w
        if np.linalg.norm(grad) < GRADIENT_TOLERANCE:
            return value, w
        hess = (a.T * (s * (1.0 - s))) @ a / n + l2 * np.diag(mask)
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        t = 1.0
        while t > 1e-12:
            trial = logistic_value(a, y, w - t * step, l2, mask)
            if trial <= value - 1e-4 * t * float(grad @ step) or trial <= value:
                break
            t *= 0.5
        w, value = w - t * step, trial
    return float("nan"), np.full(d, np.nan)
