"""Run a checked plan: cut the grid into chunks, run the kernel on each, store each as it finishes.

Finished chunks are recorded in the manifest, so the same command on the same
directory resumes where a killed run stopped; a directory holding another
config's results is refused.
"""

from __future__ import annotations

import os
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
from .validate import ConfigError, Plan

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
    per_record = 1 + plan.record_grad_norm + (plan.dim if plan.record_points else 0)
    per_traj = 8 * len(plan.record_iters) * per_record
    per_traj += 8 * 4 * plan.dim + 64
    size = max(block, CHUNK_BYTES // per_traj // block * block)
    start, stop = plan.shard_range
    return int(min(size, stop - start))


def describe(plan: Plan) -> dict[str, int]:
    """Sizes of the sweep this plan runs (this shard), for a dry run: nothing is computed."""
    start, stop = plan.shard_range
    n = stop - start
    size = chunk_size(plan, plan.block or default_block(plan.dim))
    rows = n * len(plan.record_iters)
    row_bytes = 8 + 4 + 8 + (8 if plan.record_grad_norm else 0)  # trajectory, iter, f, grad_norm
    row_bytes += 8 * plan.dim + 4 if plan.record_points else 0
    traj_bytes = 8 * (7 + 2 * plan.dim) + 16
    return {
        "trajectories": n,
        "chunks": -(-n // size),
        "chunk_size": size,
        "history_rows": rows,
        "estimated_bytes": rows * row_bytes + n * traj_bytes,
    }


def available_cores() -> int:
    """Cores this process may use: its CPU affinity (what SLURM or taskset grant), capped by
    Numba's pool (1 in joblib workers), so parallel jobs do not oversubscribe the machine."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, numba.config.NUMBA_NUM_THREADS))


def make_grid(plan: Plan) -> Grid:
    return Grid(plan.axes, plan.seeds, plan.dim, plan.bounds, plan.start_kind, plan.start_point)


def run_plan(
    plan: Plan, run_dir: Path, config: dict, overrides: list[str] | None = None
) -> RunResult:
    """Execute ``plan`` into ``run_dir``; ``config`` is the resolved config stored with the data."""
    run_dir = Path(run_dir)
    numba.set_num_threads(plan.threads or available_cores())
    grid = make_grid(plan)
    block = plan.block or default_block(plan.dim)
    kernel, compile_s = compile_kernel(plan, grid)
    manifest = _open_manifest(run_dir, plan, config, overrides, chunk_size(plan, block))
    meta = {"config_hash": manifest["config_hash"], "config": config}
    meta["versions"] = manifest["versions"]
    todo = [c for c in manifest["chunks"] if c["status"] != "done" or not _parts_exist(run_dir, c)]
    n = manifest["shard"]["stop"] - manifest["shard"]["start"]
    buffers: dict = {}
    start = time.perf_counter()
    bar = tqdm(
        total=n,
        unit="traj",
        disable=not (plan.progress and sys.stderr.isatty()),
        initial=n - sum(c["stop"] - c["start"] for c in todo),
        desc="adagrad-lab",
    )
    with bar:
        for chunk in todo:
            t0 = time.perf_counter()
            _run_chunk(plan, grid, chunk, run_dir, meta, block, kernel, buffers)
            chunk.update(status="done", seconds=round(time.perf_counter() - t0, 6))
            storage.write_json(run_dir / storage.MANIFEST, manifest)
            bar.update(chunk["stop"] - chunk["start"])
    run_s = time.perf_counter() - start
    manifest["timings"] = {"compile_s": compile_s, "run_s": run_s}
    manifest["threads"] = numba.get_num_threads()
    manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    storage.write_json(run_dir / storage.MANIFEST, manifest)
    return RunResult(run_dir, n, len(manifest["chunks"]), compile_s, run_s)


def run_trajectories(
    plan: Plan, grid: Grid, start: int, stop: int, block: int, kernel=None, out=None
) -> tuple[dict, dict]:
    """Grid rows start..stop-1 and the kernel's results for them (``out``: buffers to reuse)."""
    part = grid.slice(start, stop)
    res = _advance(plan, part, plan.n_iter, plan.record_iters, block, kernel, out)
    return part, res


def _advance(plan: Plan, part: dict, n_iter: int, rec_iters, block: int, kernel, out=None):
    return advance(
        part["x0"],
        part["hp"],
        rule=plan.rule,
        n_iter=n_iter,
        code=plan.objective_code,
        params=plan.params,
        rec_iters=rec_iters,
        rec_points=plan.record_points,
        rec_grad_norm=plan.record_grad_norm,
        target=plan.target,
        stop_at_target=plan.stop_at_target,
        block=block,
        kernel=kernel,
        out=out,
        fastmath=plan.fastmath,
        precision=plan.precision,
        flush_subnormals=plan.flush_subnormals,
    )


def tables(plan: Plan, part: dict, res: dict) -> tuple:
    """The (trajectories, history or None) Arrow tables for one computed range."""
    labels = {"optimizer": plan.optimizer, "objective": plan.objective}
    traj = storage.trajectory_table(part, res, list(plan.axes), labels)
    if not len(plan.record_iters):
        return traj, None
    hist = storage.history_table(part["trajectory"], plan.record_iters, res, plan.record_points)
    return traj, hist


def _run_chunk(
    plan: Plan, grid: Grid, chunk: dict, run_dir: Path, meta: dict, block: int, kernel, buffers
) -> None:
    """Compute one chunk into the reused ``buffers`` and write its part files."""
    a, b = chunk["start"], chunk["stop"]
    part, res = run_trajectories(plan, grid, a, b, block, kernel, buffers.get("res"))
    buffers["res"] = res
    traj, hist = tables(plan, part, res)
    hist = None if hist is None else storage.with_metadata(hist, meta)
    traj = storage.with_metadata(traj, meta)
    storage.write_chunk(run_dir, chunk["index"], traj, hist, numba.get_num_threads())


def _parts_exist(run_dir: Path, chunk: dict) -> bool:
    name = storage.part_name(chunk["index"])
    return (run_dir / storage.TRAJECTORIES / name).exists()


def compile_kernel(plan: Plan, grid: Grid) -> tuple[object, float]:
    """Compile (or load from Numba's cache) the kernel on one trajectory: (kernel, seconds).

    A user's objective that does not compile is a config error, reported
    before anything is written.
    """
    t0 = time.perf_counter()
    if plan.user_function is None:
        _warm_up(plan, grid, None)
        return None, time.perf_counter() - t0
    try:
        kernel = compile_custom(block_evaluator(plan.user_function), plan.fastmath)
        _warm_up(plan, grid, kernel)
    except Exception as exc:  # numba's typing errors, or the function's own
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        raise ConfigError("objective.target", f"cannot run {plan.objective!r}: {first}") from None
    return kernel, time.perf_counter() - t0


def _warm_up(plan: Plan, grid: Grid, kernel) -> None:
    _advance(plan, grid.slice(0, 1), 1, np.array([0, 1]), 8, kernel)


def _open_manifest(run_dir: Path, plan: Plan, config: dict, overrides, size: int) -> dict:
    """The manifest to continue: the existing one when it is this config's and shard's.

    Another config's results are refused, or removed with ``run.overwrite``.
    """
    digest = config_hash(config)
    start, stop = plan.shard_range
    shard = {"index": plan.shard_index, "count": plan.shard_count, "start": start, "stop": stop}
    path = run_dir / storage.MANIFEST
    if path.exists():
        old = storage.read_manifest(run_dir)
        if old.get("config_hash") == digest and old.get("shard") == shard:
            return old
        if not plan.overwrite:
            raise RunDirError(
                f"{run_dir} holds results of another config or shard "
                f"(hash {old.get('config_hash', '?')[:12]}, this run {digest[:12]}); "
                "choose another hydra.run.dir, or set run.overwrite=true to replace them"
            )
        storage.remove_results(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    chunks = [
        {"index": i, "start": a, "stop": min(a + size, stop), "status": "pending"}
        for i, a in enumerate(range(start, stop, size))
    ]
    manifest = {
        "config_hash": digest,
        "config": config,
        "overrides": overrides or [],
        "n_trajectories": plan.n_trajectories,
        "shard": shard,
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
