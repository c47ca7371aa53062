"""What the benchmark runs: the kernel's arithmetic (`Mode`), the workloads and their inputs,
and `kernel_call`, the one place the benchmark calls the kernel.

Everything the benchmark knows about the kernel's calling convention lives
here: `kernel_call` is the only call of `kernel.advance` (the timed runs, the
warm-up, the agreement check and the end-to-end child process all go through
it), and `Inputs` is the only reader and `builtin_inputs` the only writer of
the hyperparameter rows, which both find by name in the optimizer's registry
record (its hyperparameters' order is the matrix's row order). The rule and
objective codes appear only in `kernel_call`, and the registry (objectives:
box, parameters, code; optimizers: hyperparameters, defaults, dimension limit,
code) is read only in this module.

The optimizer axis (``--optimizers``): a built-in workload runs any rule of the
registry with its record's default hyperparameters, except the step size: the
workload's own for the adaptive rules, and for the rules whose stability
depends on the gradient's scale (gd, momentum: ``Workload.stable_steps``) a
step size chosen per workload so that no trajectory diverges (a diverged lane stops
early, which would make its timing unfair):

    W1, W3  sphere, Hessian 2I:            gd 0.1  (x *= 0.8 a step), momentum 0.01
    W2      ellipsoid, Hessian up to 2e6:  gd 1e-7 (needs < 1e-6),    momentum 1e-8
    W4      rosenbrock from [-2, 2]^2:     gd 1e-4,                   momentum 1e-5

momentum's is gd's over 10, so its effective step size step / (1 - 0.9) is gd's.
adagrad_full runs only where d <= its limit (`misfit`). Config-built workloads
(`plans`) carry their checked plan, whose settings `kernel_call` passes on as
the runner does; their optimizer is the plan's.

This module imports nothing the package ``adagrad_lab`` does not already
import, so the end-to-end child that times "import + first trajectory"
through it measures the library, not the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from adagrad_lab.catalog import OBJECTIVES, OPTIMIZERS
from adagrad_lab.jit.arithmetic import Arithmetic
from adagrad_lab.kernel.driver import N_HP, advance
from adagrad_lab.sweep.grid import default_block

if TYPE_CHECKING:
    from adagrad_lab.kernel.custom import CustomKernels
    from adagrad_lab.sweep.plan import Plan

OPTIMIZER_NAMES = tuple(OPTIMIZERS)  # every rule of the registry, in its order
DEFAULT_OPTIMIZER = "adagrad"
MIN_TRAJECTORIES = 64
PRECISIONS = ("float64", "float32")

Outputs = dict[str, np.ndarray]  # a run's output arrays by key (x_final, f_final, h_f...)


@dataclass(frozen=True)
class Mode(Arithmetic):
    """The kernel's arithmetic (an `Arithmetic`), with what the benchmark prints of it."""

    def fast(self) -> bool:
        """Whether this mode is exempt from bitwise agreement."""
        return self.fastmath or self.precision != "float64" or self.flush_subnormals

    def label(self) -> str:
        """'default (float64)', or the fast settings joined, e.g. 'fastmath + float32'."""
        if not self.fast():
            return "default (float64)"
        flags = ["fastmath"] * self.fastmath + ["flush_subnormals"] * self.flush_subnormals
        return " + ".join([*flags, self.precision])

    def overrides(self) -> list[str]:
        """The run.* overrides that select this mode in the adagrad-lab command."""
        out = ["run.fastmath=true"] * self.fastmath
        out += [f"run.precision={self.precision}"] * (self.precision != "float64")
        return out + ["run.flush_subnormals=true"] * self.flush_subnormals


DEFAULT_MODE = Mode()


@dataclass(frozen=True)
class Workload:
    """One benchmark case: an objective, its size, and what is recorded.

    ``history``: f at every iteration (``grad_norm`` adds the gradient norm).
    ``mode``: the kernel's arithmetic; ``block``: trajectories per kernel block.
    A workload built from config overrides (`plans.plan_workload`) carries its
    checked ``plan``, which then decides the inputs, the recorded iterations
    and every kernel setting (its mode and block copy the plan's).
    """

    name: str
    objective: str
    dim: int
    n: int
    n_iter: int
    history: bool
    step_size: float
    log10_condition: float = 6.0
    grad_norm: bool = False
    optimizer: str = DEFAULT_OPTIMIZER
    # (rule, step size) for gd and momentum: stable on this workload (module docstring)
    stable_steps: tuple[tuple[str, float], ...] = ()
    mode: Mode = DEFAULT_MODE
    block: int | None = None  # None: the kernel's default for the dimension
    plan: Plan | None = field(default=None, compare=False)
    # compiled kernels of a custom objective
    kernel: CustomKernels | None = field(default=None, compare=False)

    def lanes(self) -> int:
        """Trajectories per kernel block: ``block``, else the kernel's default for ``dim``."""
        return self.block or default_block(self.dim)

    def scaled_n(self, scale: float) -> int:
        """Trajectories at this scale (at least MIN_TRAJECTORIES); a plan's size is its own."""
        if self.plan is not None:
            return self.n
        return max(MIN_TRAJECTORIES, round(self.n * scale))

    def fast(self) -> bool:
        """Whether the kernel runs in a fast mode (judged by error bounds, not bitwise)."""
        return self.mode.fast()

    def rec_iters(self) -> np.ndarray:
        """The iterations recorded: the plan's, every one (history), or none."""
        if self.plan is not None:
            return self.plan.output.record_iters
        return np.arange(self.n_iter + 1 if self.history else 0, dtype=np.int64)

    def rule_step_size(self) -> float:
        """The step size the optimizer runs with: for gd and momentum this workload's stable
        one (``stable_steps``), for every other rule the workload's own."""
        return dict(self.stable_steps).get(self.optimizer, self.step_size)

    def plain_adagrad(self) -> bool:
        """AdaGrad recording f (and the gradient norm) only, with no stop at the target:
        what the NumPy baseline and the peers compute."""
        p = self.plan
        return p is None or (
            p.problem.optimizer == "adagrad"
            and not (p.output.record_points or p.sweep.stop_at_target)
        )


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "W1",
            "sphere",
            2,
            131072,
            1000,
            True,
            0.1,
            stable_steps=(("gd", 0.1), ("momentum", 0.01)),
        ),
        Workload(
            "W2",
            "ellipsoid",
            100,
            4096,
            1000,
            True,
            0.1,
            log10_condition=6.0,
            stable_steps=(("gd", 1e-7), ("momentum", 1e-8)),
        ),
        Workload(
            "W3",
            "sphere",
            2,
            131072,
            1000,
            False,
            0.1,
            stable_steps=(("gd", 0.1), ("momentum", 0.01)),
        ),
        Workload(
            "W4",
            "rosenbrock",
            2,
            131072,
            1000,
            True,
            0.001,
            stable_steps=(("gd", 1e-4), ("momentum", 1e-5)),
        ),
    )
}


def hp_names(optimizer: str) -> tuple[str, ...]:
    """The names of the optimizer's hyperparameter rows, in the matrix's row order."""
    return OPTIMIZERS[optimizer].names


def hp_defaults(optimizer: str) -> dict[str, float]:
    """The optimizer's hyperparameters and their registry defaults (flags as 0.0 or 1.0)."""
    return {h.name: float(h.default) for h in OPTIMIZERS[optimizer].hyperparameters}


def misfit(optimizer: str, dim: int) -> str:
    """Why the rule cannot run in this dimension ('' when it can): adagrad_full's limit."""
    limit = OPTIMIZERS[optimizer].max_dim
    return f"d={dim} > its limit {limit}" if limit is not None and dim > limit else ""


@dataclass(frozen=True)
class Inputs:
    """Start points (N, d), hyperparameters (N_HP, N) and objective parameters of a workload;
    ``names``: the optimizer's hyperparameter names, one per row of ``hp`` from the first."""

    x0: np.ndarray
    hp: np.ndarray
    params: np.ndarray
    names: tuple[str, ...] = hp_names(DEFAULT_OPTIMIZER)

    def row(self, name: str) -> np.ndarray:
        """Each trajectory's value of the hyperparameter ``name`` (N,); KeyError if the
        optimizer has none of that name."""
        if name not in self.names:
            raise KeyError(f"no hyperparameter {name!r} among {self.names}")
        row: np.ndarray = self.hp[self.names.index(name)]
        return row

    @property
    def step_size(self) -> np.ndarray:
        """Each trajectory's step size (N,)."""
        return self.row("step_size")

    @property
    def eps(self) -> np.ndarray:
        """Each trajectory's eps (N,)."""
        return self.row("eps")

    @property
    def initial_accumulator(self) -> np.ndarray:
        """Each trajectory's initial accumulator (N,)."""
        return self.row("initial_accumulator")

    def rows(self, start: int, stop: int) -> Inputs:
        """Trajectories start..stop-1 (views; the parameters are shared)."""
        return Inputs(self.x0[start:stop], self.hp[:, start:stop], self.params, self.names)


def builtin_inputs(w: Workload, n: int) -> Inputs:
    """Start points uniform in the objective's default box from default_rng(0); every
    trajectory with the optimizer's registry defaults (AdaGrad's: eps 1e-8,
    initial accumulator 0; its default choices, e.g. Keras's backend) and
    `Workload.rule_step_size`, each hyperparameter in the row its record's order gives it."""
    low, high = OBJECTIVES[w.objective].bounds
    x0 = low + np.random.default_rng(0).random((n, w.dim)) * (high - low)
    names = hp_names(w.optimizer)
    values = hp_defaults(w.optimizer) | {"step_size": w.rule_step_size()}
    hp = np.zeros((N_HP, n))
    for name, value in values.items():
        hp[names.index(name)] = value
    rule = OPTIMIZERS[w.optimizer]
    params = OBJECTIVES[w.objective].params(w.dim, w.log10_condition)
    return Inputs(x0, rule.kernel_values(hp, rule.chosen({})), params, names)


def kernel_call(w: Workload, inputs: Inputs, out: Outputs | None = None) -> Outputs:
    """The kernel on ``inputs`` as ``w`` defines the run: the benchmark's only call of it.

    A built-in workload runs its optimizer (AdaGrad unless ``--optimizers`` says
    otherwise) on its objective, nothing recorded but f (and the gradient norm);
    a plan's workload passes the plan's rule,
    objective, records, target and custom kernel, as `runner.run_trajectories`
    does. ``out``: an earlier call's outputs, written again where shapes fit.
    """
    p = w.plan
    if p is None:
        rule, code = OPTIMIZERS[w.optimizer].code, OBJECTIVES[w.objective].code
        points, target, stop = False, None, False
    else:
        rule, code = p.problem.rule, p.problem.objective_code
        points, target, stop = p.output.record_points, p.sweep.target, p.sweep.stop_at_target
    iparams = None if p is None else p.problem.iparams  # a learning problem's data
    return advance(
        inputs.x0, inputs.hp, rule=rule, n_iter=w.n_iter, code=code, params=inputs.params,
        iparams=iparams,
        rec_iters=w.rec_iters(), rec_points=points, rec_grad_norm=w.grad_norm, target=target,
        stop_at_target=stop, block=w.lanes(), kernel=w.kernel, out=out,
        arithmetic=w.mode,
    )  # fmt: skip


def reuse(
    buffers: dict[int, Outputs] | None, n: int, call: Callable[[Outputs | None], Outputs]
) -> Outputs:
    """``call(out)`` with the outputs kept for length n (none kept: fresh ones), keeping its own."""
    if buffers is None:
        return call(None)
    buffers[n] = call(buffers.get(n))
    return buffers[n]
