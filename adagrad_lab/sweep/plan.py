"""The checked plan of a run, what every later layer reads instead of the config: the problem,
the sweep, what is recorded and how it executes; and `ConfigError`, the one error a bad
value raises, naming its key."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adagrad_lab.catalog import OPTIMIZERS
from adagrad_lab.catalog.custom import (
    ValueAndGrad,
)
from adagrad_lab.jit.arithmetic import Arithmetic


class ConfigError(ValueError):
    """A config value that cannot run; the message starts with the offending key."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


@dataclass(frozen=True)
class Problem:
    """What every trajectory computes: the objective and the optimizer."""

    objective: str
    objective_code: int  # its position in the registry; -1 for a user's function
    user_function: ValueAndGrad | None
    # {"target", "file", "sha256"} of a user's module, for the hash
    user_source: dict[str, str | None] | None
    dim: int
    bounds: tuple[float, float]
    params: np.ndarray
    optimizer: str
    rule: int  # the optimizer's position in the registry
    choices: dict[str, str] = field(default_factory=dict)  # the rule's conventions, e.g. backend
    # a learning problem's data: the kernel's integer array (``params`` holds its floats),
    # what the manifest says of it, and f* for each l2 value
    iparams: np.ndarray | None = None
    data: dict[str, Any] | None = None
    optima: dict[float, float] | None = None
    heldout: tuple[Any, np.ndarray] | None = None  # (test features, labels) for record.test

    def kernel_values(self, hp: np.ndarray) -> np.ndarray:
        """The hyperparameter matrix the kernel reads for the trajectories' values ``hp``."""
        return OPTIMIZERS[self.optimizer].kernel_values(hp, self.choices)


@dataclass(frozen=True)
class Sweep:
    """The grid of trajectories: hyperparameter axes x seeds, and how far each one runs."""

    axes: dict[str, list[float]]  # hyperparameter -> values, in the optimizer's record order
    seeds: Sequence[int]  # range(n) for a count n (never materialised), else the given list
    n_iter: int
    target: float | None
    stop_at_target: bool
    start_kind: str
    start_point: list[float] | None
    # a learning problem's axes' rows of the hp matrix, and the seed's (see `Grid`)
    rows: dict[str, int] | None = None
    seed_row: int | None = None


@dataclass(frozen=True)
class Output:
    """What is kept and printed: the recorded iterations and what each record holds."""

    record_schedule: str  # every | log | final: how record_iters was made
    record_iters: np.ndarray
    record_points: bool
    record_grad_norm: bool
    echo: str
    record_test: bool = False  # held-out loss and error (a learning problem with a test set)
    extras: tuple[str, ...] = ()  # the kernel's extra records: "regret", "average" (slot order)

    @property
    def kernel_points(self) -> bool:
        """Whether the kernel records points: asked for, or needed by the held-out metrics."""
        return self.record_points or self.record_test


@dataclass(frozen=True)
class Execution:
    """How the sweep runs; never what it computes."""

    chunk_size: int | None
    threads: int | None
    block: int | None
    progress: bool
    dry_run: bool
    overwrite: bool
    shard_index: int
    shard_count: int


@dataclass(frozen=True)
class Plan:
    """Everything a run needs, checked and resolved to plain Python and numpy values."""

    problem: Problem
    sweep: Sweep
    output: Output
    execution: Execution
    arithmetic: Arithmetic

    @property
    def n_trajectories(self) -> int:
        """Trajectories in the whole grid (all shards)."""
        return len(self.sweep.seeds) * math.prod(len(v) for v in self.sweep.axes.values())

    @property
    def shard_range(self) -> tuple[int, int]:
        """The global trajectory indices [start, stop) this shard runs."""
        n, index, count = (
            self.n_trajectories,
            self.execution.shard_index,
            self.execution.shard_count,
        )
        return index * n // count, (index + 1) * n // count
