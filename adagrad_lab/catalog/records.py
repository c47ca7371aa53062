"""The record types of the catalog: a hyperparameter, an optimizer, an objective.

A record holds what the program needs about its entry: the jitted functions
the kernel is specialized with, the hyperparameters with their defaults,
bounds and rows of the kernel's hyperparameter matrix (their order in the
record), the formula and the reference it follows; for an objective, the
dimension rule, the default box and the known minimum. Validation, the grid,
the summary, the kernel's dispatch and the generated documentation read them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adagrad_lab.catalog.objectives.parts import no_constant
from adagrad_lab.catalog.optimizers.parts import block_step, no_init, no_prepare
from adagrad_lab.jit.tools import JitFn


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


def hyperparameter(name: str, default: float, summary: str, **bounds: Any) -> Hyperparameter:
    """A positive hyperparameter (``> 0`` unless ``bounds`` say otherwise)."""
    return Hyperparameter(name, default, summary=summary, **bounds)


def nonnegative(name: str, default: float, summary: str, **bounds: Any) -> Hyperparameter:
    """A hyperparameter that may be 0."""
    return Hyperparameter(name, default, summary=summary, minimum_allowed=True, **bounds)


def flag(name: str, summary: str) -> Hyperparameter:
    """An on/off option (0 or 1 in the kernel's matrix)."""
    return Hyperparameter(name, False, summary=summary, boolean=True)


def step_size(default: float) -> Hyperparameter:
    return hyperparameter("step_size", default, "step size (learning rate)")


def eps(default: float, where: str) -> Hyperparameter:
    return hyperparameter("eps", default, f"added {where}")


def initial_accumulator(default: float, summary: str = "s at iteration 0") -> Hyperparameter:
    return nonnegative("initial_accumulator", default, summary)


def weight_decay(summary: str = "weight_decay * x added to the gradient") -> Hyperparameter:
    return nonnegative("weight_decay", 0.0, summary)


@dataclass(frozen=True)
class Choice:
    """An option of a rule that names one of a few conventions (a word, not a number): one
    value for the whole run, never an axis of the grid. ``meanings`` maps each value to
    what it computes, in the order the docs list them."""

    name: str
    default: str
    meanings: Mapping[str, str]
    summary: str = ""

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(self.meanings)

    def refusal(self, value: object) -> str | None:
        """What is wrong with ``value``, or None when it is one of the values."""
        if isinstance(value, str) and value in self.meanings:
            return None
        several = isinstance(value, (list, tuple))
        jobs = ",".join(self.values[:2])
        hint = f"; one for the whole run (several, as jobs: -m optimizer.{self.name}={jobs})"
        return f"must be one of {', '.join(self.values)}{hint if several else ''} (got {value!r})"


# The hyperparameter matrix the kernel reads, from the one the trajectories' values fill
# (the table's values) and the run's choices: where a library rounds or combines its
# settings before it computes, as `adagrad_keras`'s backends do.
KernelValues = Callable[[np.ndarray, Mapping[str, str]], np.ndarray]


def as_given(hp: np.ndarray, choices: Mapping[str, str]) -> np.ndarray:
    """The kernel reads the trajectories' own values."""
    return hp


# A check across an optimizer's hyperparameters: given every value of each (its grid
# axes), the key and message of the first violation, or None.
Constraint = Callable[[Mapping[str, Sequence[float]]], "tuple[str, str] | None"]


@dataclass(frozen=True)
class Optimizer:
    """An update rule: its hyperparameters (their order is the row order of the kernel's
    hyperparameter matrix) and its jitted functions (see `optimizers.parts`).

    A coordinate-wise rule has ``elem``, which the kernel fuses with a separable
    objective's gradient; a rule that couples coordinates (one accumulator per
    lane, a matrix) has only ``step``. State: ``n_state`` arrays of the point's
    shape, plus d more for a ``matrix_state`` (a d x d matrix per lane). ``choices``
    are its conventions (`Choice`); ``kernel_values`` turns the trajectories' values into
    what the kernel reads under them, filling ``hidden_rows`` more rows after the
    hyperparameters' own.
    """

    name: str
    hyperparameters: tuple[Hyperparameter, ...]
    step: JitFn
    elem: JitFn | None = None
    init: JitFn = no_init
    prepare: JitFn = no_prepare
    n_state: int = 0
    matrix_state: bool = False
    n_coef: int = 0  # per-lane coefficients `prepare` computes for each update
    max_dim: int | None = None
    constraint: Constraint | None = None
    formula: str = ""
    summary: str = ""
    reference: str = ""  # the paper or library whose operation order it follows
    display: str = ""  # its name in figures and summaries ("AdaGrad"); "" for ``name``
    choices: tuple[Choice, ...] = ()
    kernel_values: KernelValues = as_given
    hidden_rows: int = 0
    code: int = -1  # the kernel's integer code: its position in the catalog (set there)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hyperparameters)

    @property
    def n_rows(self) -> int:
        """Rows of the kernel's hyperparameter matrix this rule reads."""
        return len(self.hyperparameters) + self.hidden_rows

    def chosen(self, given: Mapping[str, object]) -> dict[str, str]:
        """Every choice's value, ``given`` or its default; ValueError naming a choice whose
        value is not one of its values."""
        out = {}
        for c in self.choices:
            value = given.get(c.name, c.default)
            refusal = c.refusal(value)
            if refusal is not None:
                raise ValueError(f"{c.name}: {refusal}")
            out[c.name] = str(value)
        return out

    def violation(self, axes: Mapping[str, Sequence[float]]) -> tuple[str, str] | None:
        """The first hyperparameter combination this rule refuses, as (key, message)."""
        return None if self.constraint is None else self.constraint(axes)


def coordinatewise(
    name: str, hyperparameters: tuple[Hyperparameter, ...], elem: JitFn, **rest: Any
) -> Optimizer:
    """A rule that updates each coordinate on its own: its block step is made from ``elem``."""
    return Optimizer(name, hyperparameters, block_step(elem), elem, **rest)


def no_parameters(dim: int, settings: Mapping[str, Any]) -> np.ndarray:
    return np.zeros(1)


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
    constant: JitFn = no_constant
    settings: Mapping[str, Any] = field(default_factory=dict)  # its config keys' defaults
    parameters: Callable[[int, Mapping[str, Any]], np.ndarray] = no_parameters
    # a learning problem's evaluator (`objectives.learning`): it reads data, a seed per
    # trajectory and the iteration; its data, not `params`, fix dim, f* and x*
    evaluate_data: JitFn | None = None
    value_data: JitFn | None = None  # its value alone (f at the Polyak average)
    # every global minimizer where there are several (x_min is one of them): on the contour
    minima: tuple[tuple[float, ...], ...] = ()
    code: int = -1  # the kernel's integer code: its position in the catalog (set there)

    @property
    def separable(self) -> bool:
        return self.term is not None

    @property
    def learning(self) -> bool:
        return self.evaluate_data is not None

    def params(
        self, dim: int, log10_condition: float | None = None, instance: int | None = None
    ) -> np.ndarray:
        """The parameter vector the kernel reads (the ellipsoid's weights; empty otherwise),
        from the record's settings, with ``log10_condition`` and ``instance`` in place of
        their defaults."""
        given: dict[str, Any] = (
            {} if log10_condition is None else {"log10_condition": log10_condition}
        )
        if instance is not None:
            given["instance"] = instance
        return self.parameters(dim, {**self.settings, **given})


def zeros(d: int) -> np.ndarray:
    return np.zeros(d)


def zero(d: int) -> float:
    return 0.0


def everywhere(value: float) -> Callable[[int], np.ndarray]:
    """The point (value, ..., value) in any dimension."""
    return lambda d: np.full(d, value)


def point(*coords: float) -> Callable[[int], np.ndarray]:
    """A fixed point (for an objective of one dimension)."""
    return lambda d: np.array(coords)
