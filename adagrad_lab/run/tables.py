"""The Arrow tables of one computed range of trajectories: what the store writes, with the
held-out metrics of a learning problem (``record.test``) derived from the recorded points."""

from __future__ import annotations

import numpy as np

from adagrad_lab.run.heldout import heldout_columns
from adagrad_lab.store import parquet as storage
from adagrad_lab.sweep.plan import Plan

EXTRA_COLUMNS = {"regret": "regret", "average": "f_avg"}  # history columns of the extras


def tables(
    plan: Plan, part: dict[str, np.ndarray], res: dict[str, np.ndarray]
) -> tuple[storage.Table, storage.Table | None]:
    """The (trajectories, history or None) Arrow tables for one computed range."""
    labels = {"optimizer": plan.problem.optimizer, "objective": plan.problem.objective}
    traj = storage.trajectory_table(part, res, list(plan.sweep.axes), labels)
    if not len(plan.output.record_iters):
        return traj, None
    heldout = plan.problem.heldout if plan.output.record_test else None
    derived = None
    if heldout is not None:
        kind, (test, y_test) = plan.problem.objective, heldout

        def derived(x_flat: np.ndarray) -> dict[str, np.ndarray]:
            return heldout_columns(kind, test, y_test, x_flat, plan.problem.dim)

    hist = storage.history_table(
        part["trajectory"],
        plan.output.record_iters,
        res,
        plan.output.record_points,
        derived,
        [EXTRA_COLUMNS[name] for name in plan.output.extras],
    )
    return traj, hist
