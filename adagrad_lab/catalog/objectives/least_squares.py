"""Least squares, f(w) = ||Xw - y||^2 / (2n) + l2/2 ||w'||^2: linear regression on data."""

from __future__ import annotations

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
    """Half the squared residual and its derivative in z."""
    r = z - y
    return 0.5 * r * r, r


RECORD = Objective(
    "least_squares",
    no_block,
    (-1.0, 1.0),
    unknown,
    unknown_point,
    summary="||Xw - y||^2 / (2n) + l2/2 ||w||^2 on data (synthetic, sklearn:NAME, a file)",
    settings=SETTINGS,
    evaluate_data=make_data_evaluate(loss),
    value_data=make_data_value(loss),
)
