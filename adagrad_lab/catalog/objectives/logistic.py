"""Logistic regression, f(w) = mean log(1 + exp(-y a.w)) + l2/2 ||w'||^2, labels in {-1, +1}."""

from __future__ import annotations

import math

from adagrad_lab.catalog.objectives.learning import learning_objective
from adagrad_lab.jit.tools import jit, lit


@jit(inline="always")
def loss(z, y):
    """log(1 + exp(-m)) at the margin m = y z, without overflow, and its derivative in z.

    The textbook's log1p(exp(-m)) for m > 0, -m + log1p(exp(m)) otherwise, written without
    a branch (one select; a margin's sign is a coin flip the branch predictor loses): the
    same roundings, as adding +0.0 to a log1p >= 0 changes no bit.
    """
    m = y * z
    tail = -m if m <= 0 else lit(m, 0.0)
    return math.log1p(math.exp(-abs(m))) + tail, -y / (1.0 + math.exp(m))


RECORD = learning_objective(
    "logistic",
    loss,
    "mean log(1 + exp(-y a.w)) + l2/2 ||w||^2 on data, labels -1/+1",
    l2=1e-3,
)
