"""What the benchmark runs: the kernel's arithmetic (`Mode`), the workloads and their inputs,
and `kernel_call`, the one place the benchmark calls the kernel.

Everything the benchmark knows about the kernel's calling convention lives
here: `kernel_call` is the only call of `kernel.advance` (the timed runs, the
warm-up, the agreement check and the end-to-end child process all go through
it), and `Inputs` is the only reader and `builtin_inputs` the only writer of
the hyperparameter rows (``HP_*``). The rule and objective codes appear only in
`kernel_call`, and the registry's objectives (box, parameters, code) are read
only in this module. Config-built workloads (`plans`) carry their checked
plan, whose settings `kernel_call` passes on as the runner does.

This module imports nothing the package ``adagrad_lab`` does not already
import, so the end-to-end child that times "import + first trajectory"
through it measures the library, not the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..arithmetic import Arithmetic
from ..kernel import HP_EPS, HP_INITIAL_ACCUMULATOR, HP_STEP_SIZE, N_HP, RULE_ADAGRAD, advance
from ..registry import OBJECTIVES

if TYPE_CHECKING:
    from ..kernel import CustomKernels
    from ..validate import Plan

EPS = 1e-8
INITIAL_ACCUMULATOR = 0.0
MIN_TRAJECTORIES = 64
BUILTIN_BLOCK = 64  # trajectories per kernel block for W1-W4 (the kernel's default)
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
    mode: Mode = DEFAULT_MODE
    block: int = BUILTIN_BLOCK
    plan: Plan | None = field(default=None, compare=False)
    # compiled kernels of a custom objective
    kernel: CustomKernels | None = field(default=None, compare=False)

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
        Workload("W1", "sphere", 2, 131072, 1000, True, 0.1),
        Workload("W2", "ellipsoid", 100, 4096, 1000, True, 0.1, log10_condition=6.0),
        Workload("W3", "sphere", 2, 131072, 1000, False, 0.1),
        Workload("W4", "rosenbrock", 2, 131072, 1000, True, 0.001),
    )
}


@dataclass(frozen=True)
class Inputs:
    """Start points (N, d), hyperparameters (N_HP, N) and objective parameters of a workload."""

    x0: np.ndarray
    hp: np.ndarray
    params: np.ndarray

    @property
    def step_size(self) -> np.ndarray:
        """Each trajectory's step size (N,)."""
        row: np.ndarray = self.hp[HP_STEP_SIZE]
        return row

    @property
    def eps(self) -> np.ndarray:
        """Each trajectory's eps (N,)."""
        row: np.ndarray = self.hp[HP_EPS]
        return row

    @property
    def initial_accumulator(self) -> np.ndarray:
        """Each trajectory's initial accumulator (N,)."""
        row: np.ndarray = self.hp[HP_INITIAL_ACCUMULATOR]
        return row

    def rows(self, start: int, stop: int) -> Inputs:
        """Trajectories start..stop-1 (views; the parameters are shared)."""
        return Inputs(self.x0[start:stop], self.hp[:, start:stop], self.params)


def builtin_inputs(w: Workload, n: int) -> Inputs:
    """Start points uniform in the objective's default box from default_rng(0); every
    trajectory with the workload's step size, EPS and INITIAL_ACCUMULATOR."""
    low, high = OBJECTIVES[w.objective].bounds
    x0 = low + np.random.default_rng(0).random((n, w.dim)) * (high - low)
    hp = np.zeros((N_HP, n))
    hp[HP_STEP_SIZE] = w.step_size
    hp[HP_EPS] = EPS
    hp[HP_INITIAL_ACCUMULATOR] = INITIAL_ACCUMULATOR
    params = OBJECTIVES[w.objective].params(w.dim, w.log10_condition)
    return Inputs(x0, hp, params)


def kernel_call(w: Workload, inputs: Inputs, out: Outputs | None = None) -> Outputs:
    """The kernel on ``inputs`` as ``w`` defines the run: the benchmark's only call of it.

    A built-in workload runs AdaGrad on its objective, nothing recorded but f
    (and the gradient norm); a plan's workload passes the plan's rule,
    objective, records, target and custom kernel, as `runner.run_trajectories`
    does. ``out``: an earlier call's outputs, written again where shapes fit.
    """
    p = w.plan
    if p is None:
        rule, code = RULE_ADAGRAD, OBJECTIVES[w.objective].code
        points, target, stop = False, None, False
    else:
        rule, code = p.problem.rule, p.problem.objective_code
        points, target, stop = p.output.record_points, p.sweep.target, p.sweep.stop_at_target
    return advance(
        inputs.x0, inputs.hp, rule=rule, n_iter=w.n_iter, code=code, params=inputs.params,
        rec_iters=w.rec_iters(), rec_points=points, rec_grad_norm=w.grad_norm, target=target,
        stop_at_target=stop, block=w.block, kernel=w.kernel, out=out,
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
