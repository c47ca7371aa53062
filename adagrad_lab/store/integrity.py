"""What a stored run's files must be: the manifest's checksums, each chunk's rows in its own
range, no file the run did not write; and tables compared bit for bit (NaNs by their bits)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from adagrad_lab.store import parquet as storage
from adagrad_lab.store import rundir


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


def stored_rows(run_dir: Path, dataset: str, index: np.ndarray, keys: list[str]) -> pa.Table:
    """Stored rows of trajectories ``index`` of ``dataset``, sorted by ``keys``, no metadata."""
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
