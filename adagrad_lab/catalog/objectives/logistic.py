"""Logistic regression, f(w) = mean log(1 + exp(-y a.w)) + l2/2 ||w'||^2, labels in {-1, +1}."""

from __future__ import annotations

import math

from adagrad_lab.catalog.objectives.learning import (
    SETTINGS,
    make_data_evaluate,
    make_data_value,
    no_block,
    unknown,
    unknown_point,
)
from adagrad_lab.catalog.records import Objective
from adagrad_lab.jit.tools import jit


@jit(inline="always")
def loss(z, y):
    """log(1 + exp(-m)) at the margin m = y z, without overflow, and its derivative in z."""
    m = y * z
    value = math.log1p(math.exp(-m)) if m > 0 else -m + math.log1p(math.exp(m))
    return value, -y / (1.0 + math.exp(m))


RECORD = Objective(
    "logistic",
    no_block,
    (-1.0, 1.0),
    unknown,
    unknown_point,
    summary="mean log(1 + exp(-y a.w)) + l2/2 ||w||^2 on data, labels -1/+1",
    settings={**SETTINGS, "l2": 1e-3},
    evaluate_data=make_data_evaluate(loss),
    value_data=make_data_value(loss),
)
