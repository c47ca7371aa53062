"""`adagrad-lab-verify RUN_DIR [--sample K]`: check a run's files, recompute, compare bit for bit.

Every chunk must be finished, every file must match the size and SHA-256 the
manifest recorded and hold only its chunk's rows, and no file may be one the
manifest does not know. Then the run's own saved config is replayed through
the same plan, grid and kernel; the stored rows of the chosen trajectories
must equal the recomputed ones in every bit (NaNs compared by their bits
too). A multirun directory verifies each job, and each job its multirun.yaml
says it should hold but that has no folder or no manifest is a problem too
(`store.sweep_dir.missing_jobs`). Exit code 0 when all holds, 1 on any
problem, 2 when the directory cannot be read as a run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from adagrad_lab.kernel.custom import CustomKernels
from adagrad_lab.run.runner import compile_kernel, make_grid, run_trajectories
from adagrad_lab.run.tables import tables
from adagrad_lab.store import parquet as storage
from adagrad_lab.store.integrity import integrity, same_bits, stored_rows
from adagrad_lab.sweep.grid import Grid, default_block
from adagrad_lab.sweep.plan import Plan
from adagrad_lab.sweep.schema import register
from adagrad_lab.sweep.validate import make_plan


def verify(run_dir: Path, sample: int | None = None, seed: int = 0) -> tuple[int, list[str]]:
    """Check a run's files and recompute all (or ``sample`` random) finished trajectories.

    Returns (trajectories recomputed, problems); missing chunks, files that fail
    their checksums and files no chunk accounts for are problems too.
    """
    run_dir = Path(run_dir)
    manifest = storage.read_manifest(run_dir)
    problems = integrity(run_dir, manifest)
    register()
    plan = make_plan(OmegaConf.create(manifest["config"]))
    grid = make_grid(plan)
    kernel, _ = compile_kernel(plan, grid)
    block = plan.execution.block or default_block(plan.problem.dim)
    ranges = [(c["start"], c["stop"]) for c in manifest["chunks"] if c.get("status") == "done"]
    if sample is not None and ranges:
        pool = np.concatenate([np.arange(a, b) for a, b in ranges])
        picked = np.random.default_rng(seed).choice(
            pool, size=min(sample, pool.size), replace=False
        )
        ranges = [(int(t), int(t) + 1) for t in np.sort(picked)]
    for a, b in ranges:
        problems += _compare(run_dir, plan, grid, a, b, block, kernel)
    return sum(b - a for a, b in ranges), problems


def _compare(
    run_dir: Path,
    plan: Plan,
    grid: Grid,
    a: int,
    b: int,
    block: int,
    kernel: CustomKernels | None,
) -> list[str]:
    """Recompute trajectories a..b-1 and compare them with the stored rows, bit for bit."""
    part, res = run_trajectories(plan, grid, a, b, block, kernel)
    traj, hist = tables(plan, part, res)
    out = []
    for name, fresh, keys in (
        (storage.TRAJECTORIES, traj, ["trajectory"]),
        (storage.HISTORY, hist, ["trajectory", "iter"]),
    ):
        if fresh is None:
            continue
        try:
            stored = stored_rows(run_dir, name, part["trajectory"], keys)
        except storage.RunDataError as exc:
            out.append(f"trajectories {a}..{b - 1}: {exc}")
            continue
        bad = same_bits(stored, fresh)
        if bad:
            out.append(f"trajectories {a}..{b - 1}: {name} differs in {', '.join(bad)}")
    return out
