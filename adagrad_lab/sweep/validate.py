"""Turn a composed config into a checked `Plan`, or stop with a `ConfigError` naming the key.

Hydra checks types; everything about values is checked here, before any work
starts, so a bad sweep fails in milliseconds with one line instead of after
the first chunk.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, cast

import numpy as np
from omegaconf import DictConfig, ListConfig, OmegaConf

from adagrad_lab.catalog import (
    N_HP,
    OBJECTIVES,
    OPTIMIZERS,
    Hyperparameter,
    Objective,
    Optimizer,
)
from adagrad_lab.catalog.custom import (
    ValueAndGrad,
    check_user_function,
    load_user_function,
    user_source,
)
from adagrad_lab.sweep.learning import Learning, hp_rows, learning, refuse_learning_keys
from adagrad_lab.sweep.plan import ConfigError, Execution, Output, Plan, Problem, Sweep
from adagrad_lab.sweep.report_keys import REPORT_FORMATS
from adagrad_lab.sweep.schema import not_a_key, unknown_key
from adagrad_lab.sweep.values import (
    ECHOES,
    LEGACY_SEED_LIMIT,
    START_KINDS,
    _arithmetic,
    _choice,
    _fraction,
    _interpolation_error,
    _is_number,
    _n_iter,
    _optional_positive,
    _positive_int,
    _record,
    _seeds,
    _start_point,
    _stop_at_target,
    _target,
    _threads,
)

MAX_DIM = 10_000_000  # a block of even 8 such points needs 2.5 GB of kernel arrays


def make_plan(cfg: DictConfig) -> Plan:
    """Check every value of ``cfg`` and return the run plan, or raise ConfigError."""
    unknown = unknown_key(cfg)  # e.g. +sweep.seed=5: Hydra adds a key that nothing reads
    if unknown:
        raise ConfigError(unknown[0], not_a_key(*unknown))
    try:
        # a DictConfig's container is a dict with str keys (Hydra's schema)
        raw = cast("dict[str, Any]", OmegaConf.to_container(cfg, resolve=True))
    except Exception as exc:  # interpolation errors, e.g. a malformed ${logspace:...}
        raise _interpolation_error(exc) from None
    obj, ocfg = raw["objective"], raw["optimizer"]
    objective, user_fn = _objective(obj)
    learned = _learning(obj, raw.get("noise") or {}, raw["record"], objective)
    dim = learned.dataset.dim if learned else _dimension(obj, objective)
    bounds = _bounds(obj, objective)
    sweep, rec, run = raw["sweep"], raw["record"], raw["run"]
    optimizer = _choice("optimizer.name", ocfg.get("name"), tuple(OPTIMIZERS))
    _optimizer_dimension(OPTIMIZERS[optimizer], dim)
    n_iter = _n_iter(sweep["n_iter"])  # before anything is sized by it
    problem = Problem(
        objective=obj["name"],
        objective_code=objective.code if objective else -1,
        user_function=user_fn,
        user_source=None if user_fn is None else user_source(user_fn),
        dim=dim,
        bounds=bounds,
        params=learned.params if learned else _params(obj, objective, dim),
        optimizer=optimizer,
        rule=OPTIMIZERS[optimizer].code,
        choices=_choices(ocfg, OPTIMIZERS[optimizer]),
        iparams=learned.iparams if learned else None,
        data=learned.about() if learned else None,
        optima=learned.optima if learned else None,
        heldout=(learned.dataset.test, learned.dataset.y_test) if learned else None,
    )
    axes = _axes(ocfg, OPTIMIZERS[optimizer])
    sweep_part = Sweep(
        axes={**axes, **(learned.axes if learned else {})},
        rows={**{n: i for i, n in enumerate(axes)}, **hp_rows(N_HP)} if learned else None,
        seed_row=N_HP if learned else None,
        seeds=_seeds(sweep["seeds"]),
        n_iter=n_iter,
        target=_target(sweep["target"]),
        stop_at_target=_stop_at_target(sweep),
        start_kind=_choice("start.kind", raw["start"]["kind"], START_KINDS),
        start_point=_start_point(raw["start"], dim),
    )
    output = Output(
        record_schedule=rec["schedule"],
        record_iters=_record(rec, n_iter),
        record_points=bool(rec["points"]),
        record_grad_norm=bool(rec["grad_norm"]),
        record_test=_record_test(rec, learned),
        extras=learned.extras if learned else (),
        echo=_choice("echo", raw["echo"], ECHOES),
    )
    execution = Execution(
        chunk_size=_optional_positive("run.chunk_size", run["chunk_size"]),
        threads=_threads(run["threads"]),
        block=_optional_positive("run.block", run["block"]),
        progress=bool(run["progress"]),
        dry_run=bool(run["dry_run"]),
        overwrite=bool(run["overwrite"]),
        shard_index=raw["shard"]["index"],
        shard_count=_positive_int("shard.count", raw["shard"]["count"]),
    )
    plan = Plan(problem, sweep_part, output, execution, _arithmetic(run))
    report = raw.get("report") or {}
    _fraction("report.max_diverged", report.get("max_diverged", 0.0))
    _choice("report.format", report.get("format", "png"), REPORT_FORMATS)
    _check_seeds(plan)
    _check_shard(plan)
    _check_echo(plan)
    if user_fn is not None:
        plan = _check_user_function(plan, user_fn, obj["target"])
    return plan


def _objective(obj: dict[str, Any]) -> tuple[Objective | None, ValueAndGrad | None]:
    name = obj["name"]
    if name == "custom":
        return None, _user_function(obj.get("target"))
    if name not in OBJECTIVES:
        allowed = ", ".join([*OBJECTIVES, "custom"])
        raise ConfigError("objective.name", f"unknown objective {name!r}; one of {allowed}")
    if obj.get("target") is not None:
        raise ConfigError("objective.target", "only objective=custom takes a target function")
    if (
        obj.get("log10_condition") is not None
        and "log10_condition" not in OBJECTIVES[name].settings
    ):
        raise ConfigError(
            "objective.log10_condition",
            f"only the ellipsoids and synthetic data have one, not {name}",
        )
    return OBJECTIVES[name], None


def _learning(
    obj: dict[str, Any], noise: dict[str, Any], rec: dict[str, Any], objective: Objective | None
) -> Learning | None:
    """A learning problem's data and axes, checked; None for a test function (which is
    refused any of a learning problem's keys and records)."""
    if objective is None or not objective.learning:
        refuse_learning_keys(obj, noise, obj["name"])
        for key in ("regret", "average"):
            if rec.get(key):
                raise ConfigError(f"record.{key}", "only least_squares and logistic have it")
        return None
    return learning(obj, noise, rec, objective)


def _record_test(rec: dict[str, Any], learned: Learning | None) -> bool:
    if not rec.get("test"):
        return False
    if learned is None:
        raise ConfigError("record.test", "only least_squares and logistic have a test set")
    if learned.dataset.test.shape[0] == 0:
        raise ConfigError("record.test", "objective.test_fraction=0 holds out no rows")
    return True


def _user_function(target: object) -> ValueAndGrad:
    if not isinstance(target, str) or not target:
        raise ConfigError("objective.target", "objective=custom needs a dotted path mypkg.mymod.fn")
    try:
        return load_user_function(target)
    except ValueError as exc:
        raise ConfigError("objective.target", str(exc)) from None


def _check_user_function(plan: Plan, user_fn: ValueAndGrad, target: str) -> Plan:
    """Call the user's function (the plan's) once, at the first trajectory's start point, as
    the kernel will; return the plan holding it jitted (a plain Python one is jitted here)."""
    from adagrad_lab.sweep.grid import (
        Grid,  # grid imports the kernel's constants only, but keep validate light
    )

    grid = Grid(
        {},
        plan.sweep.seeds,
        plan.problem.dim,
        plan.problem.bounds,
        plan.sweep.start_kind,
        plan.sweep.start_point,
    )
    x = grid.start_points(np.asarray(plan.sweep.seeds[:1], dtype=np.int64))[0]
    try:
        fn = check_user_function(user_fn, target, x)
    except ValueError as exc:
        raise ConfigError("objective.target", str(exc)) from None
    return dataclasses.replace(plan, problem=dataclasses.replace(plan.problem, user_function=fn))


def _dimension(obj: dict[str, Any], objective: Objective | None) -> int:
    dim = obj["dim"]
    if not isinstance(dim, int) or dim < 1:
        raise ConfigError("objective.dim", f"must be an integer >= 1 (got {dim!r})")
    if dim > MAX_DIM:
        raise ConfigError("objective.dim", f"at most {MAX_DIM} (got {dim})")
    if objective is not None:
        low, high = objective.dims
        if dim < low or (high is not None and dim > high):
            allowed = f"exactly {low}" if high == low else f">= {low}"
            raise ConfigError("objective.dim", f"{objective.name} needs dim {allowed} (got {dim})")
    return dim


def _bounds(obj: dict[str, Any], objective: Objective | None) -> tuple[float, float]:
    bounds = obj["bounds"]
    if bounds is None:
        if objective is None:
            raise ConfigError("objective.bounds", "objective=custom needs bounds [low, high]")
        return objective.bounds
    if len(bounds) != 2 or not all(_is_number(b) and math.isfinite(b) for b in bounds):
        raise ConfigError(
            "objective.bounds", f"must be two finite numbers [low, high] (got {bounds})"
        )
    low, high = float(bounds[0]), float(bounds[1])
    if not low < high:
        raise ConfigError("objective.bounds", f"low must be < high (got [{low}, {high}])")
    if not math.isfinite(high - low):  # start points are low + u * (high - low)
        raise ConfigError(
            "objective.bounds",
            f"the width high - low overflows to inf (got [{low}, {high}]); choose a narrower box",
        )
    return low, high


def _params(obj: dict[str, Any], objective: Objective | None, dim: int) -> np.ndarray:
    if objective is None:
        return np.zeros(1)
    c = obj.get("log10_condition")
    if c is not None and not (_is_number(c) and 0.0 <= c <= 300.0):
        raise ConfigError("objective.log10_condition", f"must be a number in [0, 300] (got {c!r})")
    instance = obj.get("instance")
    if instance is not None:
        if "instance" not in objective.settings:
            raise ConfigError(
                "objective.instance", f"only rotated_ellipsoid has one, not {objective.name}"
            )
        if isinstance(instance, bool) or not isinstance(instance, int) or instance < 0:
            raise ConfigError("objective.instance", f"must be an integer >= 0 (got {instance!r})")
    return objective.params(dim, None if c is None else float(c), instance)


def _optimizer_dimension(optimizer: Optimizer, dim: int) -> None:
    if optimizer.max_dim is not None and dim > optimizer.max_dim:
        raise ConfigError(
            "objective.dim",
            f"{optimizer.name} takes dim <= {optimizer.max_dim} (got {dim}); "
            "use adagrad or adagrad_norm above that",
        )


def _axes(ocfg: dict[str, Any], optimizer: Optimizer) -> dict[str, list[float]]:
    """Each hyperparameter of the optimizer's record as a list of values, checked.

    A flag's values stay bools (the trajectories table gets a bool column)."""
    axes = {hyper.name: _axis(ocfg, hyper) for hyper in optimizer.hyperparameters}
    violation = optimizer.violation(axes)
    if violation is not None:
        raise ConfigError(*violation)
    return axes


def _choices(ocfg: dict[str, Any], optimizer: Optimizer) -> dict[str, str]:
    """Each choice of the optimizer's record (e.g. ``optimizer.backend``), checked."""
    for choice in optimizer.choices:
        refusal = choice.refusal(ocfg.get(choice.name, choice.default))
        if refusal is not None:
            raise ConfigError(f"optimizer.{choice.name}", refusal)
    return optimizer.chosen(ocfg)


def _axis(ocfg: dict[str, Any], hyper: Hyperparameter) -> list[float]:
    name = hyper.name
    value = ocfg.get(name, hyper.default)
    values = list(value) if isinstance(value, (list, tuple, ListConfig)) else [value]
    key = f"optimizer.{name}"
    if not values:
        raise ConfigError(key, "an empty list gives an empty grid; give at least one value")
    if hyper.boolean:
        if not all(isinstance(v, bool) for v in values):
            raise ConfigError(key, f"must be true, false or a list of them (got {value!r})")
        return [bool(v) for v in values]
    for v in values:
        if not _is_number(v) or not math.isfinite(v):
            raise ConfigError(key, f"must be a finite number or a list of them (got {v!r})")
    bad = [v for v in values if not hyper.accepts(v)]
    if bad:
        raise ConfigError(key, f"every value must be {hyper.rule} (got {bad[0]!r})")
    return [float(v) for v in values]


def _check_seeds(plan: Plan) -> None:
    if plan.n_trajectories > 2**63 - 1:
        raise ConfigError(
            "sweep.seeds", f"the grid has {plan.n_trajectories} trajectories, more than 2**63 - 1"
        )
    if plan.sweep.start_kind != "legacy_numpy":
        return
    largest = plan.sweep.seeds[-1] if isinstance(plan.sweep.seeds, range) else max(plan.sweep.seeds)
    if largest >= LEGACY_SEED_LIMIT:
        raise ConfigError(
            "sweep.seeds",
            f"start=legacy_numpy takes seeds 0..2**32-1 (numpy.random.seed), got seed {largest}",
        )


def _check_shard(plan: Plan) -> None:
    index, count = plan.execution.shard_index, plan.execution.shard_count
    if not isinstance(index, int) or not 0 <= index < count:
        raise ConfigError("shard.index", f"must be an integer in 0..{count - 1} (got {index!r})")
    if count > plan.n_trajectories:
        raise ConfigError(
            "shard.count",
            f"at most the {plan.n_trajectories} trajectories of the grid (got {count})",
        )


def _check_echo(plan: Plan) -> None:
    if plan.output.echo != "tutorial":
        return
    every_iteration = len(plan.output.record_iters) == plan.sweep.n_iter + 1
    if not (plan.output.record_points and every_iteration):
        raise ConfigError(
            "echo", "echo=tutorial prints every point: needs record.points=true, record.every=1"
        )
