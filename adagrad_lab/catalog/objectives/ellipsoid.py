"""The axis-aligned ellipsoid, f(x) = sum w_i x_i^2 with w_i = 10^(c*i/(d-1)): condition
number 10^c between its flattest and steepest axis, the problem AdaGrad's per-coordinate
steps are made for."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from adagrad_lab.catalog.objectives.parts import separable
from adagrad_lab.catalog.records import Objective, zero, zeros
from adagrad_lab.jit.tools import jit, lit, square


def weights(dim: int, log10_condition: float) -> np.ndarray:
    """w_i = 10^(c*i/(d-1)): condition number 10^c between the flattest and steepest axis."""
    if dim == 1:
        return np.ones(1)
    return 10.0 ** (log10_condition * np.arange(dim) / (dim - 1))


def parameters(dim: int, settings: Mapping[str, float]) -> np.ndarray:
    return weights(dim, settings["log10_condition"])


@jit(inline="always")
def term(xi, w):
    return w * square(xi), (lit(xi, 2.0) * w) * xi


@jit(inline="always")
def evaluate(x, g, f, p):
    separable(term, 0.0, x, g, f, p)


RECORD = Objective(
    "ellipsoid",
    evaluate,
    (-1.0, 1.0),
    zero,
    zeros,
    summary="sum 10^(c*i/(d-1)) x_i^2, condition number 10^c",
    term=term,
    settings={"log10_condition": 6.0},
    parameters=parameters,
)
