"""Workloads from the project's own config: ``--workload-overrides`` and ``--end-to-end``.

Hydra overrides are composed into the packaged config and checked by
`validate.make_plan`; the workload then runs what ``adagrad-lab OVERRIDES``
would run (this shard of it): the grid rows of `runner.make_grid` (computed
before any timing, so only the kernel is timed), in the runner's chunks
(`sizes.chunk_size`) and blocks, with the plan's settings passed to the kernel
by `workloads.kernel_call`; a custom objective's kernel is compiled by the
runner's own `runner.compile_kernel`.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import asdict, replace

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra

from adagrad_lab.run.runner import compile_kernel, make_grid
from adagrad_lab.sweep.grid import default_block
from adagrad_lab.sweep.plan import Plan
from adagrad_lab.sweep.schema import register
from adagrad_lab.sweep.sizes import chunk_size
from adagrad_lab.sweep.validate import make_plan

from .workloads import Inputs, Mode, Workload, hp_names


def plan_from_overrides(overrides: Sequence[str]) -> Plan:
    """Compose the packaged config with Hydra overrides and check it (raises on bad input)."""
    register()
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="adagrad_lab.conf", version_base="1.3"):
        cfg = compose(config_name="config", overrides=list(overrides))
    return make_plan(cfg)


def plan_workload(name: str, overrides: Sequence[str]) -> Workload:
    """A workload that runs what `adagrad-lab OVERRIDES` would run (this shard of it)."""
    plan = plan_from_overrides(overrides)
    start, stop = plan.shard_range
    problem, sweep, arithmetic = plan.problem, plan.sweep, plan.arithmetic
    return Workload(
        name, problem.objective, problem.dim, stop - start, sweep.n_iter,
        len(plan.output.record_iters) > 0, sweep.axes["step_size"][0],
        grad_norm=plan.output.record_grad_norm, optimizer=problem.optimizer,
        mode=Mode(**asdict(arithmetic)),
        block=plan.execution.block or default_block(problem.dim), plan=plan,
    )  # fmt: skip


def with_grad_norm(text: str, grad_norm: bool) -> list[str]:
    """Split an overrides string; add record.grad_norm=<flag> unless it sets it itself."""
    overrides = shlex.split(text)
    if not any(o.lstrip("+~").startswith("record.grad_norm=") for o in overrides):
        overrides.append(f"record.grad_norm={str(grad_norm).lower()}")
    return overrides


def plan_inputs(plan: Plan, n: int) -> Inputs:
    """The first n grid rows of the plan's shard."""
    start = plan.shard_range[0]
    part = make_grid(plan).slice(start, start + n)
    return Inputs(part["x0"], part["hp"], plan.problem.params, hp_names(plan.problem.optimizer))


def plan_warm_up(w: Workload) -> tuple[Workload, float]:
    """The runner's own `compile_kernel` (a custom objective's kernel is kept in the workload)."""
    plan = _plan(w)
    kernel, seconds = compile_kernel(plan, make_grid(plan))
    return replace(w, kernel=kernel), seconds


def plan_chunk_size(w: Workload) -> int:
    """Trajectories per kernel call: the runner's chunk size for the plan."""
    return chunk_size(_plan(w), w.lanes())


def _plan(w: Workload) -> Plan:
    """The plan of a workload built from config (the only kind the functions above take)."""
    assert w.plan is not None, f"workload {w.name} has no plan"
    return w.plan
