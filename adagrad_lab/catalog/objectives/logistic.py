"""Logistic regression, f(w) = mean log(1 + exp(-y a.w)) + l2/2 ||w'||^2, labels in {-1, +1}."""

from __future__ import annotations

import math

from adagrad_lab.catalog.objectives.learning import learning_objective
from adagrad_lab.jit.tools import jit


@jit(inline="always")
def loss(z, y):
    """log(1 + exp(-m)) at the margin m = y z, without overflow, and its derivative in z."""
    m = y * z
    value = math.log1p(math.exp(-m)) if m > 0 else -m + math.log1p(math.exp(m))
    return value, -y / (1.0 + math.exp(m))


RECORD = learning_objective(
    "logistic",
    loss,
    "mean log(1 + exp(-y a.w)) + l2/2 ||w||^2 on data, labels -1/+1",
    l2=1e-3,
)
