"""The catalog: every built-in optimizer and objective, one record each, the only place
that knows them.

Each rule is one module of `optimizers` and each test function one module of
`objectives`: its record beside its jitted math. Validation, the grid, the
summary, the kernel's dispatch and the generated documentation read the
records; a record's kernel code is its position here (the order of the module
names). `custom` loads and checks a user's own objective.
"""

from __future__ import annotations

from dataclasses import replace

from adagrad_lab.catalog import objectives, optimizers
from adagrad_lab.catalog.objectives.ellipsoid import weights as ellipsoid_weights
from adagrad_lab.catalog.records import Choice, Hyperparameter, Objective, Optimizer

OPTIMIZERS: dict[str, Optimizer] = {
    o.name: replace(o, code=i) for i, o in enumerate(optimizers.records())
}
OBJECTIVES: dict[str, Objective] = {
    o.name: replace(o, code=i) for i, o in enumerate(objectives.records())
}
# the objectives that are functions of x alone (not the learning problems, which need data)
TEST_FUNCTIONS = {name: o for name, o in OBJECTIVES.items() if not o.learning}
N_HP = max(o.n_rows for o in OPTIMIZERS.values())  # rows of the hp matrix


def optimizer_by_code(code: int) -> Optimizer:
    return list(OPTIMIZERS.values())[code]


def objective_by_code(code: int) -> Objective:
    return list(OBJECTIVES.values())[code]


__all__ = [
    "N_HP",
    "OBJECTIVES",
    "OPTIMIZERS",
    "TEST_FUNCTIONS",
    "Choice",
    "Hyperparameter",
    "Objective",
    "Optimizer",
    "ellipsoid_weights",
    "objective_by_code",
    "optimizer_by_code",
]
