"""The registry: every built-in objective and optimizer, one record each, the only place
that knows them.

A record holds what the program needs about its entry: the jitted functions
the kernel is specialized with, the hyperparameters with their defaults,
bounds and hyperparameter-matrix rows (their order in the record), the
dimension rule, the default box, and the known minimum. Validation, the grid,
the summary and the kernel's dispatch read these records; a record's kernel
code is its position here. Adding an objective is a record below plus its
jitted function in `objectives_math`; adding an optimizer, a record plus its
jitted functions in `optimizers_math`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import objectives_math as om
from . import optimizers_math as om_opt
from ._jit import JitFn

STYBLINSKI_TANG_ARGMIN = -2.903534027771178


@dataclass(frozen=True)
class Hyperparameter:
    """One optimizer hyperparameter: its default and the range of values allowed
    (``minimum`` and an exclusive ``below``), or a flag (``boolean``: true or false)."""

    name: str
    default: float
    minimum: float = 0.0
    minimum_allowed: bool = False  # whether ``minimum`` itself is allowed (>=) or not (>)
    summary: str = ""
    below: float | None = None  # values must be < below
    boolean: bool = False

    def accepts(self, value: float) -> bool:
        if self.boolean:
            return value in (0, 1)
        if self.below is not None and not value < self.below:
            return False
        return value >= self.minimum if self.minimum_allowed else value > self.minimum

    @property
    def rule(self) -> str:
        if self.boolean:
            return "true or false"
        low = f"{'>=' if self.minimum_allowed else '>'} {self.minimum:g}"
        return low if self.below is None else f"{low} and < {self.below:g}"


# A check across an optimizer's hyperparameters: given every value of each (its grid
# axes), the key and message of the first violation, or None.
Constraint = Callable[[Mapping[str, Sequence[float]]], "tuple[str, str] | None"]


@dataclass(frozen=True)
class Optimizer:
    """An update rule: its hyperparameters (their order is the row order of the kernel's
    hyperparameter matrix) and its jitted functions (see `optimizers_math`).

    A coordinate-wise rule has ``elem``, which the kernel fuses with a separable
    objective's gradient; a rule that couples coordinates (one accumulator per
    lane, a matrix) has only ``step``. State: ``n_state`` arrays of the point's
    shape, plus d more for a ``matrix_state`` (a d x d matrix per lane).
    """

    name: str
    hyperparameters: tuple[Hyperparameter, ...]
    step: JitFn
    elem: JitFn | None = None
    init: JitFn = om_opt.no_init
    prepare: JitFn = om_opt.no_prepare
    n_state: int = 0
    matrix_state: bool = False
    n_coef: int = 0  # per-lane coefficients `prepare` computes for each update
    max_dim: int | None = None
    constraint: Constraint | None = None
    formula: str = ""
    summary: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hyperparameters)

    @property
    def code(self) -> int:
        return list(OPTIMIZERS).index(self.name)

    def violation(self, axes: Mapping[str, Sequence[float]]) -> tuple[str, str] | None:
        """The first hyperparameter combination this rule refuses, as (key, message)."""
        return None if self.constraint is None else self.constraint(axes)


def coordinatewise(
    name: str, hyperparameters: tuple[Hyperparameter, ...], elem: JitFn, **rest: Any
) -> Optimizer:
    """A rule that updates each coordinate on its own: its block step is made from ``elem``."""
    return Optimizer(name, hyperparameters, om_opt.block_step(elem), elem, **rest)


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


def _hp(name: str, default: float, summary: str, **bounds: Any) -> Hyperparameter:
    return Hyperparameter(name, default, summary=summary, **bounds)


def _step(default: float) -> Hyperparameter:
    return _hp("step_size", default, "step size (learning rate)")


def _eps(default: float, where: str) -> Hyperparameter:
    return _hp("eps", default, f"added {where}")


def _nonnegative(name: str, default: float, summary: str, **bounds: Any) -> Hyperparameter:
    return _hp(name, default, summary, minimum_allowed=True, **bounds)


def _flag(name: str, summary: str) -> Hyperparameter:
    return Hyperparameter(name, False, summary=summary, boolean=True)


STEP_SIZE = _step(0.1)
INITIAL_ACCUMULATOR = _nonnegative("initial_accumulator", 0.0, "s at iteration 0")
LR_DECAY = _nonnegative("lr_decay", 0.0, "step_size / (1 + (t - 1) * lr_decay) at step t")
WEIGHT_DECAY = _nonnegative("weight_decay", 0.0, "weight_decay * x added to the gradient")


def _nesterov_needs_momentum(axes: Mapping[str, Sequence[float]]) -> tuple[str, str] | None:
    if 1 not in axes["nesterov"]:
        return None
    if 0 in axes["momentum"] or any(v != 0 for v in axes["dampening"]):
        return (
            "optimizer.nesterov",
            "Nesterov momentum needs momentum > 0 and dampening 0 (as torch.optim.SGD);"
            " sweep nesterov apart from those values",
        )
    return None


OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in (
        coordinatewise(
            "adagrad",
            (
                STEP_SIZE,
                _eps(1e-8, "to sqrt(s), outside the root"),
                INITIAL_ACCUMULATOR,
            ),
            om_opt.adagrad_elem,
            init=om_opt.fill_state(0, 2),
            n_state=1,
            formula="s += g*g; x -= step_size / (eps + sqrt(s)) * g",
            summary="the tutorial's AdaGrad",
        ),
        coordinatewise(
            "gd",
            (STEP_SIZE,),
            om_opt.gd_elem,
            formula="x -= step_size * g",
            summary="gradient descent",
        ),
        coordinatewise(
            "adagrad_torch",
            (
                _step(0.01),
                _eps(1e-10, "to sqrt(s), outside the root"),
                INITIAL_ACCUMULATOR,
                LR_DECAY,
                WEIGHT_DECAY,
            ),
            om_opt.torch_adagrad_elem,
            init=om_opt.fill_state(0, 2),
            prepare=om_opt.torch_adagrad_prepare,
            n_state=1,
            n_coef=1,
            formula=(
                "g += weight_decay*x; s += g*g; clr = step_size / (1 + (t-1)*lr_decay);"
                " x += (-clr*g) / (sqrt(s) + eps)"
            ),
            summary="torch.optim.Adagrad",
        ),
        coordinatewise(
            "adagrad_optax",
            (
                _step(0.1),
                _eps(1e-7, "to s, inside the root"),
                _nonnegative("initial_accumulator", 0.1, "s at iteration 0"),
            ),
            om_opt.optax_adagrad_elem,
            init=om_opt.fill_state(0, 2),
            n_state=1,
            formula="s += g*g; x += -step_size * ((s > 0 ? 1/sqrt(s + eps) : 0) * g)",
            summary="optax.adagrad",
        ),
        coordinatewise(
            "adagrad_keras",
            (
                _step(0.001),
                _eps(1e-7, "to s, inside the root"),
                _nonnegative("initial_accumulator", 0.1, "s at iteration 0"),
                _nonnegative("weight_decay", 0.0, "decoupled: x -= x * weight_decay * step_size"),
            ),
            om_opt.keras_adagrad_elem,
            init=om_opt.fill_state(0, 2),
            n_state=1,
            formula=(
                "lr = float32(step_size); x -= (x*weight_decay)*lr; s += g*g;"
                " x -= (lr*g) / sqrt(s + eps)"
            ),
            summary="keras.optimizers.Adagrad (Keras 3)",
        ),
        coordinatewise(
            "adagrad_prox",
            (
                STEP_SIZE,
                _hp("initial_accumulator", 0.1, "s at iteration 0 (> 0: no eps)"),
                _nonnegative("l1", 0.0, "l1 penalty weight"),
                _nonnegative("l2", 0.0, "l2 penalty weight"),
            ),
            om_opt.prox_elem,
            init=om_opt.fill_state(0, 1),
            n_state=1,
            formula=(
                "s += g*g; a = step_size * (1/sqrt(s)); v = x - g*a;"
                " x = sign(v) max(abs(v) - a*l1, 0) / (1 + l2*a)"
            ),
            summary="composite mirror descent (TensorFlow's ProximalAdagrad)",
        ),
        coordinatewise(
            "adagrad_rda",
            (
                STEP_SIZE,
                _eps(1e-8, "to sqrt(s), outside the root"),
                _nonnegative("l1", 0.0, "l1 penalty weight"),
            ),
            om_opt.rda_elem,
            init=om_opt.rda_init,
            n_state=3,
            formula=(
                "z += g; s += g*g; h = eps + sqrt(s); u = x_1 - step_size*z/h;"
                " x = sign(u) max(abs(u) - step_size*t*l1/h, 0)"
            ),
            summary="regularized dual averaging with l1",
        ),
        Optimizer(
            "adagrad_norm",
            (
                STEP_SIZE,
                _eps(1e-8, "to sqrt(b2), outside the root"),
                _nonnegative("initial_accumulator", 0.0, "b2 at iteration 0"),
            ),
            om_opt.norm_step,
            init=om_opt.fill_state(0, 2),
            n_state=1,
            n_coef=1,
            formula="b2 += g_i^2 for i = 1..d in turn; x -= step_size / (eps + sqrt(b2)) * g",
            summary="AdaGrad-Norm: one accumulator per trajectory",
        ),
        Optimizer(
            "adagrad_full",
            (
                STEP_SIZE,
                _eps(1e-8, "as eps*I to G^(1/2)"),
                _nonnegative("initial_accumulator", 0.0, "G = initial_accumulator * I at 0"),
            ),
            om_opt.full_step,
            init=om_opt.full_init,
            matrix_state=True,
            max_dim=om_opt.FULL_MAX_DIM,
            formula="G += g g^T; x -= step_size * (eps*I + G^(1/2))^-1 g",
            summary="full-matrix AdaGrad",
        ),
        coordinatewise(
            "momentum",
            (
                _step(0.01),
                _nonnegative("momentum", 0.9, "momentum factor"),
                _nonnegative("dampening", 0.0, "dampening of the gradient in the buffer"),
                WEIGHT_DECAY,
                _flag("nesterov", "Nesterov momentum"),
            ),
            om_opt.momentum_elem,
            n_state=1,
            constraint=_nesterov_needs_momentum,
            formula=(
                "g += weight_decay*x; b = g (t=1) or momentum*b + (1-dampening)*g;"
                " x += -step_size * (nesterov ? g + momentum*b : b)"
            ),
            summary="heavy ball / Nesterov (torch.optim.SGD)",
        ),
        coordinatewise(
            "rmsprop",
            (
                _step(0.01),
                _nonnegative("alpha", 0.99, "smoothing constant of the square average"),
                _eps(1e-8, "to the root"),
                WEIGHT_DECAY,
                _nonnegative("momentum", 0.0, "momentum factor"),
                _flag("centered", "divide by the centred (variance) estimate"),
            ),
            om_opt.rmsprop_elem,
            n_state=3,
            formula=(
                "g += weight_decay*x; v = alpha*v + (1-alpha)*g*g; centered: m = lerp(m, g,"
                " 1-alpha), avg = sqrt(v - m*m) + eps, else avg = sqrt(v) + eps;"
                " momentum > 0: b = momentum*b + g/avg, x += -step_size*b;"
                " else x += (-step_size*g) / avg"
            ),
            summary="torch.optim.RMSprop",
        ),
        coordinatewise(
            "adam",
            (
                _step(0.001),
                _nonnegative("beta1", 0.9, "first-moment decay", below=1.0),
                _nonnegative("beta2", 0.999, "second-moment decay", below=1.0),
                _eps(1e-8, "to the root"),
                WEIGHT_DECAY,
                _flag("amsgrad", "use the running maximum of the second moment"),
            ),
            om_opt.adam_elem,
            prepare=om_opt.adam_prepare,
            n_state=3,
            n_coef=2,
            formula=(
                "g += weight_decay*x; m = lerp(m, g, 1-beta1); v = beta2*v + (1-beta2)*g*g;"
                " amsgrad: v = vmax = max(vmax, v); x += (-step_size/(1-beta1^t) * m)"
                " / (sqrt(v)/(1-beta2^t)^0.5 + eps)"
            ),
            summary="torch.optim.Adam",
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
