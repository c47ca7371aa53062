"""Run a checked plan: cut the grid into chunks, run the kernel on each, store each as it finishes.

Finished chunks are recorded in the manifest, so the same command on the same
directory resumes where a killed run stopped; a directory holding another
config's results is refused.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numba
import numpy as np
from numba.core import config as numba_config
from tqdm import tqdm

from adagrad_lab.catalog.custom import explain_error
from adagrad_lab.kernel.custom import CustomKernels, block_evaluator, compile_custom
from adagrad_lab.kernel.driver import advance, n_blocks
from adagrad_lab.run import landscape
from adagrad_lab.run.progress import watch
from adagrad_lab.run.provenance import config_hash, cpu_model, git_revision, versions
from adagrad_lab.run.tables import tables
from adagrad_lab.store import parquet as storage
from adagrad_lab.store import rundir
from adagrad_lab.store.rundir import RunDirError
from adagrad_lab.sweep.grid import Grid, default_block
from adagrad_lab.sweep.plan import ConfigError, Plan
from adagrad_lab.sweep.sizes import check_fits, chunk_size


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    n_trajectories: int
    n_chunks: int
    compile_s: float
    run_s: float


def available_cores() -> int:
    """Cores this process may use: its CPU affinity (what SLURM or taskset grant), capped by
    Numba's pool (1 in joblib workers), so parallel jobs do not oversubscribe the machine."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    pool: int = numba_config.NUMBA_NUM_THREADS
    return max(1, min(cores, pool))


def make_grid(plan: Plan) -> Grid:
    return Grid(
        plan.sweep.axes,
        plan.sweep.seeds,
        plan.problem.dim,
        plan.problem.bounds,
        plan.sweep.start_kind,
        plan.sweep.start_point,
        plan.problem.kernel_values,
        plan.sweep.rows,
        plan.sweep.seed_row,
        plan.problem.optima,
    )


def run_plan(
    plan: Plan,
    run_dir: Path,
    config: dict[str, Any],
    overrides: list[str] | None = None,
    provenance: dict[str, Any] | None = None,
) -> RunResult:
    """Execute ``plan`` into ``run_dir``; ``config`` is the resolved config stored with the data.

    The directory is locked for the whole run; ``provenance`` (e.g. ``rerun_of``)
    is added to the manifest. A disk that fails mid-run raises RunDirError.
    """
    run_dir = Path(run_dir)
    check_fits(plan)
    rundir.refuse_if_locked(run_dir)  # before compiling: a second writer hears it at once
    numba.set_num_threads(plan.execution.threads or available_cores())
    grid = make_grid(plan)
    block = plan.execution.block or default_block(plan.problem.dim)
    with _slow_compile_notice(plan):
        kernel, compile_s = compile_kernel(plan, grid)
    rundir.prepare(run_dir)
    try:
        with rundir.locked(run_dir):
            rundir.remove_temporaries(run_dir)
            size = chunk_size(plan, block)
            manifest = _open_manifest(run_dir, plan, config, overrides, size, provenance)
            manifest["f_star"] = landscape.known_minimum(plan)  # what analysis reads as f*
            run_s = _run_chunks(plan, grid, manifest, run_dir, block, kernel)
            landscape.write(run_dir, plan, grid.slice(0, 1)["hp"], block)
            manifest["timings"] = {"compile_s": compile_s, "run_s": run_s}
            manifest["threads"] = numba.get_num_threads()
            manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            storage.write_json(run_dir / storage.MANIFEST, manifest)
    except OSError as exc:
        where = exc.filename or run_dir
        raise RunDirError(
            f"{where}: cannot write ({exc.strerror or exc}); fix that, then run the same "
            "command to resume"
        ) from None
    return RunResult(run_dir, _shard_size(manifest), len(manifest["chunks"]), compile_s, run_s)


COMPILE_NOTICE_S = 1.0  # a kernel that loads from Numba's cache is ready well before this


@contextlib.contextmanager
def _slow_compile_notice(plan: Plan) -> Iterator[None]:
    """Say on stderr what the wait is for when the kernel is not ready within a second."""
    what = (
        f"compiling the kernel for {plan.problem.objective} "
        "(a custom objective compiles in every run)"
        if plan.problem.user_function is not None
        else "compiling the kernel (first run after install or upgrade, 5-10 s on 2 cores)"
    )
    timer = threading.Timer(
        COMPILE_NOTICE_S, lambda: print(f"adagrad-lab: {what}...", file=sys.stderr, flush=True)
    )
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _shard_size(manifest: dict[str, Any]) -> int:
    return int(manifest["shard"]["stop"] - manifest["shard"]["start"])


def _run_chunks(
    plan: Plan,
    grid: Grid,
    manifest: dict[str, Any],
    run_dir: Path,
    block: int,
    kernel: CustomKernels | None,
) -> float:
    """Compute every chunk the directory lacks, writing the manifest after each: seconds."""
    meta = {"config_hash": manifest["config_hash"], "config": manifest["config"]}
    meta["versions"] = manifest["versions"]
    todo = _todo(run_dir, manifest)
    _say_what_is_kept(manifest, todo)
    n = _shard_size(manifest)
    buffers: dict[str, dict[str, np.ndarray]] = {}
    start = time.perf_counter()
    bar = tqdm(
        total=n,
        unit="traj",
        disable=not (plan.execution.progress and sys.stderr.isatty()),
        initial=n - sum(c["stop"] - c["start"] for c in todo),
        desc="adagrad-lab",
    )
    with bar:
        for chunk in todo:
            t0 = time.perf_counter()
            # the kernel counts finished trajectories per block; a thread moves the bar
            done = np.zeros(n_blocks(chunk["stop"] - chunk["start"], block), np.int64)
            with watch(done, bar):
                files = _run_chunk(plan, grid, chunk, run_dir, meta, block, kernel, buffers, done)
            chunk.update(status="done", seconds=round(time.perf_counter() - t0, 6), files=files)
            storage.write_json(run_dir / storage.MANIFEST, manifest)
    return time.perf_counter() - start


def _say_what_is_kept(manifest: dict[str, Any], todo: list[dict[str, Any]]) -> None:
    """On a resume, one stderr line: how many chunks were kept and how many are computed."""
    total = len(manifest["chunks"])
    kept = total - len(todo)
    if kept:
        rest = f"computing the other {len(todo)}" if todo else "nothing left to compute"
        print(
            f"adagrad-lab: resuming: kept {kept} of {total} chunks (their files match the "
            f"manifest); {rest}",
            file=sys.stderr,
        )


def _todo(run_dir: Path, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The chunks to compute: those not done, and done ones whose files fail their checksums."""
    todo = []
    for chunk in manifest["chunks"]:
        if chunk.get("status") == "done":
            problem = rundir.chunk_problem(run_dir, chunk)
            if problem is None:
                continue
            print(
                f"adagrad-lab: chunk {chunk['index']}: {problem}; computing it again",
                file=sys.stderr,
            )
        chunk.update(status="pending")
        chunk.pop("files", None)
        rundir.remove_chunk_files(run_dir, chunk["index"])
        todo.append(chunk)
    return todo


def run_trajectories(
    plan: Plan,
    grid: Grid,
    start: int,
    stop: int,
    block: int,
    kernel: CustomKernels | None = None,
    out: dict[str, np.ndarray] | None = None,
    progress: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Grid rows start..stop-1 and the kernel's results for them (``out``: buffers to reuse;
    ``progress``: per-block counts of finished trajectories, see `kernel.advance`)."""
    part = grid.slice(start, stop)
    res = _advance(
        plan, part, plan.sweep.n_iter, plan.output.record_iters, block, kernel, out, progress
    )
    return part, res


def _advance(
    plan: Plan,
    part: dict[str, np.ndarray],
    n_iter: int,
    rec_iters: np.ndarray,
    block: int,
    kernel: CustomKernels | None,
    out: dict[str, np.ndarray] | None = None,
    progress: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    return advance(
        part["x0"],
        part["hp"],
        rule=plan.problem.rule,
        n_iter=n_iter,
        code=plan.problem.objective_code,
        params=plan.problem.params,
        iparams=plan.problem.iparams,
        rec_iters=rec_iters,
        rec_points=plan.output.kernel_points,
        rec_grad_norm=plan.output.record_grad_norm,
        target=plan.sweep.target,
        stop_at_target=plan.sweep.stop_at_target,
        block=block,
        kernel=kernel,
        out=out,
        arithmetic=plan.arithmetic,
        progress=progress,
    )


def _run_chunk(
    plan: Plan,
    grid: Grid,
    chunk: dict[str, Any],
    run_dir: Path,
    meta: dict[str, Any],
    block: int,
    kernel: CustomKernels | None,
    buffers: dict[str, dict[str, np.ndarray]],
    progress: np.ndarray | None = None,
) -> dict[str, dict[str, object]]:
    """Compute one chunk into the reused ``buffers`` and write its part files: their records."""
    a, b = chunk["start"], chunk["stop"]
    try:
        part, res = run_trajectories(plan, grid, a, b, block, kernel, buffers.get("res"), progress)
    except Exception as exc:  # only a user's objective can raise inside the kernel
        if plan.problem.user_function is None:
            raise
        raise ConfigError(
            "objective.target", f"raised while running: {explain_error(exc)}"
        ) from None
    buffers["res"] = res
    traj, hist = tables(plan, part, res)
    hist = None if hist is None else storage.with_metadata(hist, meta)
    traj = storage.with_metadata(traj, meta)
    return storage.write_chunk(run_dir, chunk["index"], traj, hist, numba.get_num_threads())


def compile_kernel(plan: Plan, grid: Grid) -> tuple[CustomKernels | None, float]:
    """Compile (or load from Numba's cache) the kernel on one trajectory: (kernel, seconds).

    A user's objective that does not compile is a config error, reported
    before anything is written.
    """
    t0 = time.perf_counter()
    if plan.problem.user_function is None:
        _warm_up(plan, grid, None)
        return None, time.perf_counter() - t0
    try:
        kernel = compile_custom(
            block_evaluator(plan.problem.user_function), plan.arithmetic.fastmath
        )
        _warm_up(plan, grid, kernel)
    except Exception as exc:  # numba's typing errors, or the function's own
        target = (plan.problem.user_source or {}).get("target", plan.problem.objective)
        reason = explain_error(exc)  # one line; the function's own error, not numba's wrapper
        raise ConfigError("objective.target", f"cannot run {target}: {reason}") from None
    return kernel, time.perf_counter() - t0


def _warm_up(plan: Plan, grid: Grid, kernel: CustomKernels | None) -> None:
    _advance(plan, grid.slice(0, 1), 1, np.array([0, 1]), 8, kernel)


def _open_manifest(
    run_dir: Path,
    plan: Plan,
    config: dict[str, Any],
    overrides: list[str] | None,
    size: int,
    provenance: dict[str, Any] | None,
) -> dict[str, Any]:
    """The manifest to continue: the existing one when it is this config's and shard's.

    Results of another config, a malformed manifest, or result files that no
    manifest accounts for are refused, or removed with ``run.overwrite``.
    """
    source = plan.problem.user_source
    data = plan.problem.data or {}
    digest = config_hash(config, source, plan.arithmetic, data.get("sha256"))
    start, stop = plan.shard_range
    shard = {
        "index": plan.execution.shard_index,
        "count": plan.execution.shard_count,
        "start": start,
        "stop": stop,
    }
    old = _existing_manifest(run_dir, plan.execution.overwrite)
    if old is not None and old.get("config_hash") == digest and old.get("shard") == shard:
        stray = rundir.unaccounted(run_dir, old)
        if not stray:
            return old
        _refuse(plan, f"{run_dir / stray[0]}: a file this run did not write")
    elif old is not None:
        _refuse(
            plan,
            f"{run_dir} holds results of another config or shard "
            f"(hash {str(old.get('config_hash', '?'))[:12]}, this run {digest[:12]})",
        )
    elif rundir.result_files(run_dir):
        _refuse(plan, f"{run_dir} holds result files that no {storage.MANIFEST} accounts for")
    storage.remove_results(run_dir)
    chunks = [
        {"index": i, "start": a, "stop": min(a + size, stop), "status": "pending"}
        for i, a in enumerate(range(start, stop, size))
    ]
    manifest = {
        "config_hash": digest,
        "config": config,
        "overrides": overrides or [],
        **(provenance or {}),
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
    if source is not None:
        manifest["objective_source"] = source
    if plan.problem.data is not None:
        manifest["data"] = plan.problem.data
    storage.write_json(run_dir / storage.MANIFEST, manifest)
    return manifest


def _existing_manifest(run_dir: Path, overwrite: bool) -> dict[str, Any] | None:
    """The directory's manifest, None without one; a malformed one only passes with overwrite."""
    if not (run_dir / storage.MANIFEST).exists():
        return None
    try:
        return storage.read_manifest(run_dir)
    except storage.RunDataError as exc:
        if overwrite:
            return None
        raise RunDirError(
            f"{exc}; set run.overwrite=true to replace this directory's results, "
            "or choose another hydra.run.dir"
        ) from None


def _refuse(plan: Plan, why: str) -> None:
    """Stop unless ``run.overwrite`` allows replacing the directory's results."""
    if not plan.execution.overwrite:
        raise RunDirError(
            f"{why}; choose another hydra.run.dir, or set run.overwrite=true to replace them"
        )
