"""Run a checked plan: cut the grid into chunks, run the kernel on each, store each as it finishes.

Finished chunks are recorded in the manifest, so the same command on the same
directory resumes where a killed run stopped; a directory holding another
config's results is refused.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
from tqdm import tqdm

from . import storage
from .grid import Grid, default_block
from .kernel import advance, block_evaluator, compile_custom
from .provenance import config_hash, cpu_model, git_revision, versions
from .validate import Plan

CHUNK_BYTES = 256 << 20  # history buffer budget per chunk


class RunDirError(RuntimeError):
    """The run directory holds results that must not be mixed with this run's."""


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    n_trajectories: int
    n_chunks: int
    compile_s: float
    run_s: float


def chunk_size(plan: Plan, block: int) -> int:
    """Trajectories per chunk: the configured size, or as many as fit the history budget."""
    if plan.chunk_size is not None:
        return plan.chunk_size
    per_traj = 8 * len(plan.record_iters) * (2 + (plan.dim if plan.record_points else 0))
    per_traj += 8 * 4 * plan.dim + 64
    size = max(block, CHUNK_BYTES // per_traj // block * block)
    return int(min(size, plan.n_trajectories))


def make_grid(plan: Plan) -> Grid:
    return Grid(plan.axes, plan.seeds, plan.dim, plan.bounds, plan.start_kind, plan.start_point)


def run_plan(
    plan: Plan, run_dir: Path, config: dict, overrides: list[str] | None = None
) -> RunResult:
    """Execute ``plan`` into ``run_dir``; ``config`` is the resolved config stored with the data."""
    run_dir = Path(run_dir)
    if plan.threads is not None:
        numba.set_num_threads(plan.threads)
    grid = make_grid(plan)
    block = plan.block or default_block(plan.dim)
    size = chunk_size(plan, block)
    manifest = _open_manifest(run_dir, plan, config, overrides, size)
    kernel = (
        None if plan.user_function is None else compile_custom(block_evaluator(plan.user_function))
    )
    compile_s = _warm_up(plan, grid, kernel)
    meta = {
        "config_hash": manifest["config_hash"],
        "config": config,
        "versions": manifest["versions"],
    }
    todo = [c for c in manifest["chunks"] if c["status"] != "done" or not _parts_exist(run_dir, c)]
    start = time.perf_counter()
    bar = tqdm(
        total=grid.size,
        unit="traj",
        disable=not (plan.progress and sys.stderr.isatty()),
        initial=grid.size - sum(c["stop"] - c["start"] for c in todo),
        desc="adagrad-lab",
    )
    with bar:
        for chunk in todo:
            t0 = time.perf_counter()
            _run_chunk(plan, grid, chunk, run_dir, meta, block, kernel)
            chunk.update(status="done", seconds=round(time.perf_counter() - t0, 6))
            storage.write_json(run_dir / storage.MANIFEST, manifest)
            bar.update(chunk["stop"] - chunk["start"])
    run_s = time.perf_counter() - start
    manifest["timings"] = {"compile_s": compile_s, "run_s": run_s}
    manifest["threads"] = numba.get_num_threads()
    manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    storage.write_json(run_dir / storage.MANIFEST, manifest)
    return RunResult(run_dir, grid.size, len(manifest["chunks"]), compile_s, run_s)


def _run_chunk(
    plan: Plan, grid: Grid, chunk: dict, run_dir: Path, meta: dict, block: int, kernel
) -> None:
    part = grid.slice(chunk["start"], chunk["stop"])
    res = advance(
        part["x0"],
        part["hp"],
        rule=plan.rule,
        n_iter=plan.n_iter,
        code=plan.objective_code,
        params=plan.params,
        rec_iters=plan.record_iters,
        rec_points=plan.record_points,
        target=plan.target,
        stop_at_target=plan.stop_at_target,
        block=block,
        kernel=kernel,
    )
    labels = {"optimizer": plan.optimizer, "objective": plan.objective}
    table = storage.trajectory_table(part, res, list(plan.axes), labels)
    if len(plan.record_iters):
        hist = storage.history_table(part["trajectory"], plan.record_iters, res, plan.record_points)
        storage.write_part(
            run_dir, storage.HISTORY, chunk["index"], storage.with_metadata(hist, meta)
        )
    storage.write_part(
        run_dir, storage.TRAJECTORIES, chunk["index"], storage.with_metadata(table, meta)
    )


def _parts_exist(run_dir: Path, chunk: dict) -> bool:
    name = storage.part_name(chunk["index"])
    return (run_dir / storage.TRAJECTORIES / name).exists()


def _warm_up(plan: Plan, grid: Grid, kernel) -> float:
    """Compile (or load from Numba's cache) the kernel on one trajectory; return the seconds."""
    t0 = time.perf_counter()
    part = grid.slice(0, 1)
    advance(
        part["x0"],
        part["hp"],
        rule=plan.rule,
        n_iter=1,
        code=plan.objective_code,
        params=plan.params,
        rec_iters=np.array([0, 1]),
        rec_points=plan.record_points,
        target=plan.target,
        stop_at_target=plan.stop_at_target,
        block=8,
        kernel=kernel,
    )
    return time.perf_counter() - t0


def _open_manifest(run_dir: Path, plan: Plan, config: dict, overrides, size: int) -> dict:
    """The manifest to continue: the existing one when it is this config's, else a fresh one."""
    digest = config_hash(config)
    path = run_dir / storage.MANIFEST
    if path.exists():
        old = storage.read_manifest(run_dir)
        if old.get("config_hash") != digest:
            raise RunDirError(
                f"{run_dir} holds results of another config "
                f"(hash {old.get('config_hash', '?')[:12]}, "
                f"this run {digest[:12]}); choose another hydra.run.dir"
            )
        return old
    run_dir.mkdir(parents=True, exist_ok=True)
    n = plan.n_trajectories
    chunks = [
        {"index": i, "start": a, "stop": min(a + size, n), "status": "pending"}
        for i, a in enumerate(range(0, n, size))
    ]
    manifest = {
        "config_hash": digest,
        "config": config,
        "overrides": overrides or [],
        "n_trajectories": n,
        "chunk_size": size,
        "versions": versions(),
        "git": git_revision(),
        "cpu": cpu_model(),
        "threads": numba.get_num_threads(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "chunks": chunks,
    }
    storage.write_json(path, manifest)
    return manifest
