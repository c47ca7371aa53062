"""The ellipsoid in rotated axes, f(x) = sum w_i (Qx)_i^2 with w_i = 10^(c*i/(d-1)) and Q a
random orthogonal matrix drawn from ``objective.instance`` (COCO's instances): the same
condition number as the axis-aligned ellipsoid, but its axes are not the coordinates, so a
diagonal preconditioner (AdaGrad's) cannot undo it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from adagrad_lab.catalog.objectives.ellipsoid import weights
from adagrad_lab.catalog.records import Objective, zero, zeros
from adagrad_lab.jit.tools import jit, lit


def rotation(dim: int, instance: int) -> np.ndarray:
    """A random orthogonal d x d matrix (Haar-distributed): the Q of a QR factorization of a
    standard normal matrix drawn from (instance, dim), its columns' signs fixed by R's
    diagonal; instance 0 is the identity (the axis-aligned ellipsoid)."""
    if instance == 0:
        return np.eye(dim)
    q, r = np.linalg.qr(np.random.default_rng([instance, dim]).standard_normal((dim, dim)))
    fixed: np.ndarray = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    return fixed


def parameters(dim: int, settings: Mapping[str, Any]) -> np.ndarray:
    """[w (d), Q (d x d, row-major)]: the weights, then the rotation."""
    q = rotation(dim, int(settings["instance"]))
    return np.concatenate([weights(dim, settings["log10_condition"]), q.ravel()])


@jit(inline="always")
def evaluate(x, g, f, p):
    d, b = x.shape
    z = np.empty(b, x.dtype)
    for j in range(b):
        f[j] = 0.0
    for i in range(d):
        for j in range(b):
            g[i, j] = 0.0
    for r in range(d):  # z = (Qx)_r over the block; f += w_r z^2; g += Q_r^T 2 w_r z
        w = lit(x[0, 0], p[r])
        for j in range(b):
            z[j] = 0.0
        for c in range(d):
            q = lit(x[0, 0], p[d + r * d + c])
            for j in range(b):
                z[j] += q * x[c, j]
        for j in range(b):
            f[j] += w * (z[j] * z[j])
            z[j] = lit(x[0, 0], 2.0) * w * z[j]
        for c in range(d):
            q = lit(x[0, 0], p[d + r * d + c])
            for j in range(b):
                g[c, j] += q * z[j]


RECORD = Objective(
    "rotated_ellipsoid",
    evaluate,
    (-1.0, 1.0),
    zero,
    zeros,
    summary="sum 10^(c*i/(d-1)) (Qx)_i^2, Q a random rotation (objective.instance)",
    settings={"log10_condition": 6.0, "instance": 1},
    parameters=parameters,
)
