"""Least squares, f(w) = ||Xw - y||^2 / (2n) + l2/2 ||w'||^2: linear regression on data."""

from __future__ import annotations

from adagrad_lab.catalog.objectives.learning import learning_objective
from adagrad_lab.jit.tools import jit


@jit(inline="always")
def loss(z, y):
    """Half the squared residual and its derivative in z."""
    r = z - y
    return 0.5 * r * r, r


RECORD = learning_objective(
    "least_squares",
    loss,
    "||Xw - y||^2 / (2n) + l2/2 ||w||^2 on data (synthetic, sklearn:NAME, a file)",
)
