"""Warnings about a valid plan that spends its work on copies: said once, never refused."""

from __future__ import annotations

from adagrad_lab.sweep.plan import Plan


def identical_seeds(plan: Plan) -> str | None:
    """Why every seed of ``plan`` gives the same trajectory, or None when seeds can differ.

    A seed reaches a trajectory only through its start point (grid.py; the
    kernel draws no random numbers), so with ``start=fixed`` all seeds of a
    grid point compute the same thing, whatever the objective.
    """
    n = len(plan.sweep.seeds)
    if plan.sweep.start_kind != "fixed" or n < 2:
        return None
    seeds = f"sweep.seeds={n}" if isinstance(plan.sweep.seeds, range) else f"{n} sweep.seeds"
    return (
        f"start=fixed with {seeds}: every seed starts at start.point and nothing else depends "
        f"on the seed, so the {n} trajectories of each grid point are identical; set "
        "sweep.seeds=1, or start=uniform for seeds that differ"
    )
