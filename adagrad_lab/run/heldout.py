"""Held-out metrics of a learning problem at its recorded iterations (``record.test``):
the mean loss on the test rows and the error rate (misclassified share for logistic
regression, root mean squared error for least squares), from the recorded points."""

from __future__ import annotations

from typing import Any

import numpy as np

from adagrad_lab.data.matrix import Matrix, as_dense

Array = np.ndarray[Any, Any]
ROWS_AT_ONCE = 4096  # recorded points evaluated per matrix product (bounds the memory)


def heldout_columns(
    kind: str, test: Matrix, labels: Array, x_flat: Array, dim: int
) -> dict[str, Array]:
    """``test_loss`` and ``test_error`` for each history row's point (NaN at a non-finite one)."""
    points = np.asarray(x_flat, np.float64).reshape(-1, dim)
    a = as_dense(test)
    loss, error = np.empty(len(points)), np.empty(len(points))
    for start in range(0, len(points), ROWS_AT_ONCE):
        block = points[start : start + ROWS_AT_ONCE]
        with np.errstate(all="ignore"):
            z = block @ a.T
            if kind == "logistic":
                margin = labels[None, :] * z
                block_loss = np.logaddexp(0.0, -margin).mean(axis=1)
                block_error = (margin <= 0).mean(axis=1)
            else:
                squared = (z - labels[None, :]) ** 2
                block_loss = 0.5 * squared.mean(axis=1)
                block_error = np.sqrt(squared.mean(axis=1))
        bad = ~np.isfinite(block).all(axis=1)
        loss[start : start + len(block)] = np.where(bad, np.nan, block_loss)
        error[start : start + len(block)] = np.where(bad, np.nan, block_error)
    return {"test_loss": loss, "test_error": error}
