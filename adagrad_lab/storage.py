"""The run directory on disk: Parquet part files, the manifest, and reading them back.

The only module that knows Parquet. Every file is written under a temporary
name and renamed when complete, so a killed run never leaves a half-written
file where a reader would find it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

TRAJECTORIES = "trajectories"
HISTORY = "history"
MANIFEST = "manifest.json"
METADATA_KEY = b"adagrad_lab"
STATUS = ("converged", "max_iter", "diverged")


def _points(flat: np.ndarray, dim: int) -> pa.Array:
    """A list<float64> column from a C-ordered (rows, dim) array, without a Python loop."""
    flat = np.ascontiguousarray(flat, dtype=np.float64).reshape(-1)
    offsets = np.arange(0, flat.size + 1, dim, dtype=np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat))


def _labels(codes: np.ndarray, names: tuple[str, ...]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), pa.array(names))


def _constant(name: str, n: int) -> pa.DictionaryArray:
    return _labels(np.zeros(n, np.int8), (name,))


def _nullable(values: np.ndarray) -> pa.Array:
    """int32 column with null where the value is negative (never happened)."""
    return pa.array(values.astype(np.int32), mask=values < 0)


def trajectory_table(
    grid: dict[str, np.ndarray], res: dict[str, np.ndarray], axes: list[str], labels: dict[str, str]
) -> pa.Table:
    """One row per trajectory: identity, hyperparameters, start, outcome."""
    n, dim = res["x_final"].shape
    status = np.where(res["died_at"] >= 0, 2, np.where(res["hit_at"] >= 0, 0, 1))
    cols = {"trajectory": pa.array(grid["trajectory"]), "seed": pa.array(grid["seed"])}
    for name in axes:
        cols[name] = pa.array(grid[name])
    cols |= {
        "optimizer": _constant(labels["optimizer"], n),
        "objective": _constant(labels["objective"], n),
        "dim": pa.array(np.full(n, dim, np.int32)),
        "x0": _points(grid["x0"], dim),
        "x_final": _points(res["x_final"], dim),
        "f_final": pa.array(res["f_final"]),
        "f_best": pa.array(res["f_best"]),
        "iters_to_target": _nullable(res["hit_at"]),
        "status": _labels(status, STATUS),
        "diverged_at": _nullable(res["died_at"]),
    }
    return pa.table(cols)


def history_table(
    trajectory: np.ndarray, rec_iters: np.ndarray, res: dict[str, np.ndarray], points: bool
) -> pa.Table:
    """Long format, one row per trajectory per recorded iteration up to where it stopped."""
    n, r = res["h_f"].shape
    keep = rec_iters[None, :] <= res["last_iter"][:, None]
    full = bool(keep.all())
    pick = (lambda a: a.reshape(n * r, *a.shape[2:])) if full else (lambda a: a[keep])
    cols = {
        "trajectory": pa.array(pick(np.repeat(trajectory[:, None], r, axis=1))),
        "iter": pa.array(pick(np.broadcast_to(rec_iters.astype(np.int32), (n, r)))),
        "f": pa.array(pick(res["h_f"])),
    }
    if res["h_gn"].shape[1]:
        cols["grad_norm"] = pa.array(pick(res["h_gn"]))
    if points:
        cols["x"] = _points(pick(res["h_x"]), res["h_x"].shape[2])
    return pa.table(cols)


def with_metadata(table: pa.Table, metadata: dict) -> pa.Table:
    """Attach the run's resolved config, hash and versions to the table's schema."""
    return table.replace_schema_metadata({METADATA_KEY: json.dumps(metadata).encode()})


def part_name(index: int) -> str:
    return f"part-{index:06d}.parquet"


def write_part(run_dir: Path, dataset: str, index: int, table: pa.Table) -> Path:
    """Write one part file atomically (temporary name, then rename)."""
    folder = Path(run_dir) / dataset
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / part_name(index)
    tmp = folder / f".{final.name}.tmp"
    pq.write_table(
        table,
        tmp,
        compression="zstd",
        row_group_size=1 << 20,
        use_dictionary=["optimizer", "objective", "status"],
        write_statistics=True,
    )
    os.replace(tmp, final)
    return final


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def remove_results(run_dir: Path) -> None:
    """Delete a run's datasets and manifest (for run.overwrite); other files stay."""
    for dataset in (TRAJECTORIES, HISTORY):
        folder = Path(run_dir) / dataset
        if folder.exists():
            for item in folder.iterdir():
                item.unlink()
            folder.rmdir()
    (Path(run_dir) / MANIFEST).unlink(missing_ok=True)


def read_manifest(run_dir: Path) -> dict:
    return json.loads((Path(run_dir) / MANIFEST).read_text())


def read_trajectories(run_dir: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """The trajectories table of a run, ordered by trajectory index."""
    df = pq.read_table(Path(run_dir) / TRAJECTORIES, columns=columns).to_pandas()
    return df.sort_values("trajectory", ignore_index=True) if "trajectory" in df else df


def read_history(run_dir: Path, columns: list[str] | None = None, filters=None) -> pd.DataFrame:
    """The history table (optionally some columns, pyarrow filters), ordered by trajectory, iter."""
    df = pq.read_table(Path(run_dir) / HISTORY, columns=columns, filters=filters).to_pandas()
    keys = [k for k in ("trajectory", "iter") if k in df]
    return df.sort_values(keys, ignore_index=True) if keys else df


def read_metadata(run_dir: Path, dataset: str = TRAJECTORIES) -> dict:
    """The metadata stored in the schema of a run's Parquet files."""
    files = sorted((Path(run_dir) / dataset).glob("part-*.parquet"))
    meta = pq.read_schema(files[0]).metadata or {}
    return json.loads(meta[METADATA_KEY])
