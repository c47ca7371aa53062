"""The registry: every built-in objective and optimizer, one record each, the only place
that knows them.

A record holds what the program needs about its entry: the jitted functions
the kernel is specialized with, the hyperparameters with their defaults,
bounds and hyperparameter-matrix rows (their order in the record), the
dimension rule, the default box, and the known minimum. Validation, the grid,
the summary and the kernel's dispatch read these records; a record's kernel
code is its position here. Adding an objective is a record below plus its
jitted function in `objectives_math`; adding an optimizer, a record plus its
jitted steps in `kernel_steps`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from . import kernel_steps as steps
from . import objectives_math as om
from ._jit import JitFn

STYBLINSKI_TANG_ARGMIN = -2.903534027771178


@dataclass(frozen=True)
class Hyperparameter:
    """One optimizer hyperparameter: its default and the smallest value allowed."""

    name: str
    default: float
    minimum: float = 0.0
    minimum_allowed: bool = False  # whether ``minimum`` itself is allowed (>=) or not (>)
    summary: str = ""

    def accepts(self, value: float) -> bool:
        return value >= self.minimum if self.minimum_allowed else value > self.minimum

    @property
    def rule(self) -> str:
        return f"{'>=' if self.minimum_allowed else '>'} {self.minimum:g}"


@dataclass(frozen=True)
class Optimizer:
    """An update rule: hyperparameters (their order is the row order of the kernel's
    hyperparameter matrix) and its jitted forms (see `kernel_steps`)."""

    name: str
    hyperparameters: tuple[Hyperparameter, ...]
    n_state: int  # per-coordinate state arrays (AdaGrad's accumulator: 1)
    init: JitFn
    step: JitFn
    elem: JitFn
    formula: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hyperparameters)

    @property
    def code(self) -> int:
        return list(OPTIMIZERS).index(self.name)


@dataclass(frozen=True)
class Objective:
    """A built-in test function: its jitted block evaluator (and, when it is a sum of
    per-coordinate terms, the term and constant that let the kernel fuse it with the
    update), default box, dimension rule and known minimum."""

    name: str
    evaluate: JitFn
    bounds: tuple[float, float]
    f_min: Callable[[int], float]
    x_min: Callable[[int], np.ndarray]
    dims: tuple[int, int | None] = (1, None)  # (smallest, largest or None) allowed dimension
    summary: str = ""
    term: JitFn | None = None  # separable: f = constant(d) + sum_i term(x_i, w_i)
    constant: JitFn = om.no_constant
    settings: Mapping[str, float] = field(default_factory=dict)  # its config keys' defaults

    @property
    def code(self) -> int:
        return list(OBJECTIVES).index(self.name)

    @property
    def separable(self) -> bool:
        return self.term is not None

    def params(self, dim: int, log10_condition: float | None = None) -> np.ndarray:
        """The parameter vector the kernel reads (the ellipsoid's weights; empty otherwise)."""
        if self.name == "ellipsoid":
            c = self.settings["log10_condition"] if log10_condition is None else log10_condition
            return ellipsoid_weights(dim, c)
        return np.zeros(1)


def ellipsoid_weights(dim: int, log10_condition: float) -> np.ndarray:
    """w_i = 10^(c*i/(d-1)): condition number 10^c between the flattest and steepest axis."""
    if dim == 1:
        return np.ones(1)
    return 10.0 ** (log10_condition * np.arange(dim) / (dim - 1))


def _zeros(d: int) -> np.ndarray:
    return np.zeros(d)


def _const(value: float) -> Callable[[int], np.ndarray]:
    return lambda d: np.full(d, value)


def _point(*coords: float) -> Callable[[int], np.ndarray]:
    return lambda d: np.array(coords)


def _zero_min(d: int) -> float:
    return 0.0


def _styblinski_tang_min(d: int) -> float:
    a = STYBLINSKI_TANG_ARGMIN
    return 0.5 * d * (a**4 - 16 * a**2 + 5 * a)


STEP_SIZE = Hyperparameter("step_size", 0.1, summary="step size (learning rate)")

OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in (
        Optimizer(
            "adagrad",
            (
                STEP_SIZE,
                Hyperparameter("eps", 1e-8, summary="added to sqrt(s), outside the root"),
                Hyperparameter(
                    "initial_accumulator", 0.0, minimum_allowed=True, summary="s at iteration 0"
                ),
            ),
            n_state=1,
            init=steps.adagrad_init,
            step=steps.adagrad_step,
            elem=steps.adagrad_elem,
            formula="s += g*g; x -= step_size / (eps + sqrt(s)) * g",
        ),
        Optimizer(
            "gd",
            (STEP_SIZE,),
            n_state=0,
            init=steps.no_state,
            step=steps.gd_step,
            elem=steps.gd_elem,
            formula="x -= step_size * g",
        ),
    )
}

OBJECTIVES: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective(
            "sphere",
            om.sphere,
            (-1.0, 1.0),
            _zero_min,
            _zeros,
            summary="sum x_i^2 (the tutorial's bowl)",
            term=om.sphere_term,
        ),
        Objective(
            "ellipsoid",
            om.ellipsoid,
            (-1.0, 1.0),
            _zero_min,
            _zeros,
            summary="sum 10^(c*i/(d-1)) x_i^2, condition number 10^c",
            term=om.ellipsoid_term,
            settings={"log10_condition": 6.0},
        ),
        Objective(
            "rosenbrock",
            om.rosenbrock,
            (-2.0, 2.0),
            _zero_min,
            _const(1.0),
            dims=(2, None),
            summary="sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2",
        ),
        Objective(
            "rastrigin",
            om.rastrigin,
            (-5.12, 5.12),
            _zero_min,
            _zeros,
            summary="10 d + sum x_i^2 - 10 cos(2 pi x_i)",
            term=om.rastrigin_term,
            constant=om.rastrigin_constant,
        ),
        Objective(
            "ackley", om.ackley, (-32.768, 32.768), _zero_min, _zeros, summary="Ackley's function"
        ),
        Objective(
            "styblinski_tang",
            om.styblinski_tang,
            (-5.0, 5.0),
            _styblinski_tang_min,
            _const(STYBLINSKI_TANG_ARGMIN),
            summary="sum (x_i^4 - 16 x_i^2 + 5 x_i) / 2",
            term=om.styblinski_tang_term,
        ),
        Objective(
            "beale",
            om.beale,
            (-4.5, 4.5),
            _zero_min,
            _point(3.0, 0.5),
            dims=(2, 2),
            summary="2-D, minimum at (3, 0.5)",
        ),
        Objective(
            "booth",
            om.booth,
            (-10.0, 10.0),
            _zero_min,
            _point(1.0, 3.0),
            dims=(2, 2),
            summary="2-D, minimum at (1, 3)",
        ),
        Objective(
            "himmelblau",
            om.himmelblau,
            (-5.0, 5.0),
            _zero_min,
            _point(3.0, 2.0),
            dims=(2, 2),
            summary="2-D, four minima of value 0, one at (3, 2)",
        ),
    )
}

N_HP = max(len(o.hyperparameters) for o in OPTIMIZERS.values())  # rows of the hp matrix


def optimizer_by_code(code: int) -> Optimizer:
    return list(OPTIMIZERS.values())[code]


def objective_by_code(code: int) -> Objective:
    return list(OBJECTIVES.values())[code]
