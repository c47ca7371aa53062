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
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from omegaconf import OmegaConf

from adagrad_lab.kernel.driver import CustomKernels
from adagrad_lab.run.runner import compile_kernel, make_grid, run_trajectories, tables
from adagrad_lab.store import parquet as storage
from adagrad_lab.store import rundir
from adagrad_lab.sweep.grid import Grid, default_block
from adagrad_lab.sweep.schema import register
from adagrad_lab.sweep.validate import Plan, make_plan


def column_bits(column: pa.ChunkedArray | pa.Array) -> bytes:
    """The exact content of a column: list values flattened, dictionaries decoded, nulls marked."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_list(arr.type):
        offsets: bytes = arr.offsets.to_numpy().tobytes()
        return offsets + column_bits(arr.flatten())
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return "\x00".join(arr.to_pylist()).encode()
    valid = np.asarray(arr.is_valid())
    blank = pa.scalar(False) if pa.types.is_boolean(arr.type) else pa.scalar(0).cast(arr.type)
    values = arr.fill_null(blank).to_numpy(zero_copy_only=False)
    return valid.tobytes() + np.ascontiguousarray(values).tobytes()


def same_bits(a: pa.Table, b: pa.Table) -> list[str]:
    """Names of the columns where two tables differ (all of them if the shapes differ)."""
    if a.column_names != b.column_names or a.num_rows != b.num_rows:
        return sorted(set(a.column_names) | set(b.column_names))
    return [name for name in a.column_names if column_bits(a[name]) != column_bits(b[name])]


def _stored(run_dir: Path, dataset: str, index: np.ndarray, keys: list[str]) -> pa.Table:
    table = storage.read_table(run_dir, dataset, filters=pc.field("trajectory").isin(index))
    return table.replace_schema_metadata(None).sort_by([(k, "ascending") for k in keys])


def integrity(run_dir: Path, manifest: dict[str, Any]) -> list[str]:
    """What is wrong with a run's files, from the manifest, checksums and footers alone."""
    problems = [
        f"{name}: a file this run did not write" for name in rundir.unaccounted(run_dir, manifest)
    ]
    for chunk in manifest["chunks"]:
        what = f"chunk {chunk['index']} (trajectories {chunk['start']}..{chunk['stop'] - 1})"
        if chunk.get("status") != "done":
            problems.append(f"{what}: missing (never finished; rerun the command to resume)")
            continue
        problem = rundir.chunk_problem(run_dir, chunk)
        if problem is not None:
            problems.append(f"{what}: {problem}")
        problems += [f"{what}: {p}" for p in _row_problems(run_dir, chunk)]
    return problems


def _row_problems(run_dir: Path, chunk: dict[str, Any]) -> list[str]:
    """Rows outside the chunk's range, or a trajectory count other than the chunk's size."""
    out = []
    for name in sorted(chunk.get("files", {})):
        path = run_dir / name
        if not path.is_file():
            continue
        try:
            rows, low, high = storage.trajectory_span(path)
        except (OSError, pa.ArrowException, storage.RunDataError, ValueError) as exc:
            out.append(f"{name}: unreadable ({str(exc).splitlines()[0]})")
            continue
        if rows and (low < chunk["start"] or high >= chunk["stop"]):
            out.append(f"{name}: rows of trajectories {low}..{high}, outside the chunk")
        size = chunk["stop"] - chunk["start"]
        if name.startswith(storage.TRAJECTORIES) and rows != size:
            out.append(f"{name}: {rows} rows for {size} trajectories")
    return out


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
            stored = _stored(run_dir, name, part["trajectory"], keys)
        except storage.RunDataError as exc:
            out.append(f"trajectories {a}..{b - 1}: {exc}")
            continue
        bad = same_bits(stored, fresh)
        if bad:
            out.append(f"trajectories {a}..{b - 1}: {name} differs in {', '.join(bad)}")
    return out
