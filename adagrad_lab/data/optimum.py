"""f* and x* of a learning problem, by a high-accuracy solve on the training set.

Least squares: the normal equations with the l2 term (dense, up to `DENSE_LIMIT`
features; above, conjugate gradients on them to a relative residual of 1e-14);
with no penalty, `numpy.linalg.lstsq`'s minimum-norm solution (dense). Logistic
regression: Newton's method with a backtracking line search to a gradient norm
below `GRADIENT_TOLERANCE` (or until a step no longer lowers f, where rounding
floors the gradient higher: `FLOOR_TOLERANCE`), each Newton step solved exactly up to `DENSE_LIMIT`
features, above by conjugate gradients on Hessian-vector products (a product
costs two passes over the data: nnz for a sparse matrix, never a d x d matrix).
The intercept, when there is one (the last coordinate), is not penalized, as in
the kernel.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from adagrad_lab.data.matrix import Array, Csr, Matrix, as_dense

GRADIENT_TOLERANCE = 1e-10
# where badly scaled features (raw wine: up to 1,680) leave a gradient that rounding keeps
# above GRADIENT_TOLERANCE, a Newton step that no longer lowers f ends the solve below this
FLOOR_TOLERANCE = 1e-6
MAX_NEWTON = 100
MAX_CG = 2_000
DENSE_LIMIT = 500  # features up to which the solves factor a dense d x d matrix
LSTSQ_LIMIT = 50_000_000  # entries of the matrix lstsq may take (no penalty)

Product = Callable[[Array], Array]


def penalized(d: int, intercept: bool) -> Array:
    """1 for each penalized coordinate, 0 for the intercept."""
    mask = np.ones(d)
    if intercept:
        mask[-1] = 0.0
    return mask


def products(a: Matrix) -> tuple[Product, Product]:
    """(v -> A v, u -> A^T u) for a dense or CSR matrix."""
    if not isinstance(a, Csr):
        return (lambda v: a @ v), (lambda u: a.T @ u)
    n, d = a.shape
    rows = np.repeat(np.arange(n), np.diff(a.indptr))

    def times(v: Array) -> Array:
        out: Array = np.bincount(rows, a.values * v[a.indices], minlength=n)
        return out

    def transposed(u: Array) -> Array:
        out: Array = np.bincount(a.indices, a.values * u[rows], minlength=d)
        return out

    return times, transposed


def least_squares_value(a: Matrix, y: Array, w: Array, l2: float, mask: Array) -> float:
    r = products(a)[0](w) - y
    return float(0.5 * np.mean(r * r) + 0.5 * l2 * np.sum(mask * w * w))


def logistic_value(a: Matrix, y: Array, w: Array, l2: float, mask: Array) -> float:
    z = products(a)[0](w)
    return float(np.mean(np.logaddexp(0.0, -y * z)) + 0.5 * l2 * np.sum(mask * w * w))


def solve(kind: str, features: Matrix, y: Array, l2: float, intercept: bool) -> tuple[float, Array]:
    """(f*, x*) of ``kind`` ("least_squares" or "logistic"); (nan, nan) where no finite
    minimizer is found (logistic regression without a penalty on separable data) or an
    unpenalized least-squares problem is too large for a dense lstsq."""
    d = features.shape[1]
    mask = penalized(d, intercept)
    if kind == "least_squares":
        return _least_squares(features, y, l2, mask)
    return _logistic(features, y, l2, mask)


def _least_squares(a: Matrix, y: Array, l2: float, mask: Array) -> tuple[float, Array]:
    n, d = a.shape
    if l2 == 0:
        if n * d > LSTSQ_LIMIT:
            return float("nan"), np.full(d, np.nan)
        w = np.linalg.lstsq(as_dense(a), y, rcond=None)[0]
    elif d <= DENSE_LIMIT:
        dense = as_dense(a)
        w = np.linalg.solve(dense.T @ dense / n + l2 * np.diag(mask), dense.T @ y / n)
    else:
        times, transposed = products(a)
        w = _cg(lambda v: transposed(times(v)) / n + l2 * mask * v, transposed(y) / n, 1e-14)
    return least_squares_value(a, y, w, l2, mask), w


def _logistic(a: Matrix, y: Array, l2: float, mask: Array) -> tuple[float, Array]:
    n, d = a.shape
    times, transposed = products(a)
    w = np.zeros(d)
    value = logistic_value(a, y, w, l2, mask)
    for _ in range(MAX_NEWTON):
        m = y * times(w)
        s = 0.5 * (1.0 - np.tanh(0.5 * m))  # sigmoid(-m), without overflow
        grad = -transposed(y * s) / n + l2 * mask * w
        norm = float(np.linalg.norm(grad))
        if norm < GRADIENT_TOLERANCE:
            return value, w
        curvature = s * (1.0 - s) / n
        if d <= DENSE_LIMIT:  # exact, and robust to badly scaled features (raw wine)
            dense = as_dense(a)
            hess = (dense.T * curvature) @ dense + np.diag(l2 * mask)
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        else:
            step = _cg(_hessian(times, transposed, curvature, l2 * mask), grad, 1e-12)
        t, trial = 1.0, value
        while t > 1e-12:
            trial = logistic_value(a, y, w - t * step, l2, mask)
            if trial <= value - 1e-4 * t * float(grad @ step) or trial <= value:
                break
            t *= 0.5
        if trial >= value and norm < FLOOR_TOLERANCE:
            return value, w  # rounding, not the method, stops the gradient here
        w, value = w - t * step, trial
    return float("nan"), np.full(d, np.nan)


def _hessian(times: Product, transposed: Product, curvature: Array, ridge: Array) -> Product:
    """v -> (A^T diag(curvature) A + diag(ridge)) v."""
    return lambda v: transposed(curvature * times(v)) + ridge * v


def _cg(product: Product, b: Array, tolerance: float) -> Array:
    """x with product(x) = b (a symmetric positive definite operator), by conjugate
    gradients to a residual below ``tolerance`` times |b| (or MAX_CG steps)."""
    x = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rr = float(r @ r)
    goal = (tolerance * float(np.linalg.norm(b))) ** 2
    for _ in range(MAX_CG):
        if rr <= goal:
            break
        q = product(p)
        alpha = rr / float(p @ q)
        x += alpha * p
        r -= alpha * q
        rr, previous = float(r @ r), rr
        p = r + (rr / previous) * p
    return x
