"""The run directory on disk: Parquet part files, the manifest, and reading them back.

The only module that knows Parquet. Every file is written under a temporary
name and renamed when complete, so a killed run never leaves a half-written
file where a reader would find it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from adagrad_lab.kernel.columns import history_columns
from adagrad_lab.store import ordering
from adagrad_lab.store.arrow import numbers, strings

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow.compute as pc

# What pyarrow reads with: an expression (pyarrow.compute), or (column, op, value) tuples
# in disjunctive normal form: a list of them (all hold) or a list of such lists (any does).
Filters: TypeAlias = (
    "pc.Expression | list[tuple[str, str, Any]] | list[list[tuple[str, str, Any]]] | None"
)

Table: TypeAlias = pa.Table  # what the layers above hold without importing pyarrow
TRAJECTORIES = "trajectories"
HISTORY = "history"
MANIFEST = "manifest.json"
METADATA_KEY = b"adagrad_lab"
STATUS = ("converged", "max_iter", "diverged")


def _points(flat: np.ndarray, dim: int) -> pa.Array:
    """A list<float64> column from a C-ordered (rows, dim) array, without a Python loop."""
    flat = np.ascontiguousarray(flat, dtype=np.float64).reshape(-1)
    offsets = np.arange(0, flat.size + 1, dim, dtype=np.int32)
    return pa.ListArray.from_arrays(numbers(offsets), numbers(flat))


def _labels(codes: np.ndarray, names: tuple[str, ...]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(numbers(codes.astype(np.int8)), strings(names))


def _constant(name: str, n: int) -> pa.DictionaryArray:
    return _labels(np.zeros(n, np.int8), (name,))


def _nullable(values: np.ndarray) -> pa.Array:
    """int32 column with null where the value is negative (never happened)."""
    return numbers(values.astype(np.int32), valid=values >= 0)


def trajectory_table(
    grid: dict[str, np.ndarray], res: dict[str, np.ndarray], axes: list[str], labels: dict[str, str]
) -> pa.Table:
    """One row per trajectory: identity, the grid's ``axes`` (between ``seed`` and
    ``optimizer``: `grid_columns` finds them there), start, outcome."""
    n, dim = res["x_final"].shape
    status = np.where(res["died_at"] >= 0, 2, np.where(res["hit_at"] >= 0, 0, 1))
    cols = {"trajectory": numbers(grid["trajectory"]), "seed": numbers(grid["seed"])}
    for name in axes:
        cols[name] = numbers(grid[name])
    cols |= {
        "optimizer": _constant(labels["optimizer"], n),
        "objective": _constant(labels["objective"], n),
        "dim": numbers(np.full(n, dim, np.int32)),
        **({"f_star": numbers(grid["f_star"])} if "f_star" in grid else {}),
        "x0": _points(grid["x0"], dim),
        "x_final": _points(res["x_final"], dim),
        **({"x_avg": _points(res["x_avg"], dim)} if len(res.get("x_avg", ())) else {}),
        "f_final": numbers(res["f_final"].astype(np.float64, copy=False)),
        "f_best": numbers(res["f_best"].astype(np.float64, copy=False)),
        "iters_to_target": _nullable(res["hit_at"]),
        "status": _labels(status, STATUS),
        "diverged_at": _nullable(res["died_at"]),
    }
    return _required(pa.table(cols), nullable={"iters_to_target", "diverged_at"})


def history_table(
    trajectory: np.ndarray,
    rec_iters: np.ndarray,
    res: dict[str, np.ndarray],
    points: bool,
    derived: Callable[[np.ndarray], dict[str, np.ndarray]] | None = None,
    extras: Sequence[str] = (),
) -> pa.Table:
    """Long format, one row per trajectory per recorded iteration up to where it stopped.
    ``derived``: more columns computed from the rows' points (flat), e.g. held-out metrics;
    the points themselves are stored only with ``points``. ``extras``: the names of the
    kernel's extra records (``h_e``), one column each."""
    cols = history_columns(trajectory, rec_iters, res)
    table = {name: numbers(cols[name]) for name in ("trajectory", "iter", "f")}
    if res["h_gn"].shape[1]:
        table["grad_norm"] = numbers(cols["grad_norm"])
    for name, values in (derived(cols["x"]) if derived else {}).items():
        table[name] = numbers(values)
    for slot, name in enumerate(extras):
        table[name] = numbers(np.ascontiguousarray(cols["extra"][slot :: len(extras)]))
    if points:
        table["x"] = _points(cols["x"], res["h_x"].shape[2])
    return _required(pa.table(table))


def _required(table: pa.Table, nullable: frozenset[str] | set[str] = frozenset()) -> pa.Table:
    """Mark every column but ``nullable`` as never null: Parquet then stores no null levels."""
    fields = [f.with_nullable(f.name in nullable) for f in table.schema]
    return table.cast(pa.schema(fields))


def with_metadata(table: pa.Table, metadata: dict[str, Any]) -> pa.Table:
    """Attach the run's resolved config, hash and versions to the table's schema."""
    return table.replace_schema_metadata({METADATA_KEY: json.dumps(metadata).encode()})


def part_name(index: int, piece: int | None = None) -> str:
    """File name of chunk ``index`` (and of one ``piece`` of it, for history split in pieces)."""
    return f"part-{index:06d}.parquet" if piece is None else f"part-{index:06d}-{piece}.parquet"


PIECE_ROWS = 1 << 20  # history rows per piece file when a chunk is written by several threads


def write_chunk(
    run_dir: Path, index: int, traj: pa.Table, hist: pa.Table | None, workers: int = 1
) -> dict[str, dict[str, object]]:
    """Write one chunk's files, the history in up to ``workers`` pieces in parallel.

    Every file is written under a temporary name; the renames come after all
    writes succeed, the trajectories file last. Returns each file's size and
    SHA-256 by its path relative to ``run_dir``, for the manifest.
    """
    jobs = [(Path(run_dir) / TRAJECTORIES / part_name(index), traj)]
    if hist is not None:
        pieces = max(1, min(workers, -(-hist.num_rows // PIECE_ROWS)))
        bounds = [hist.num_rows * p // pieces for p in range(pieces + 1)]
        jobs += [
            (Path(run_dir) / HISTORY / part_name(index, p), hist.slice(a, b - a))
            for p, (a, b) in enumerate(itertools.pairwise(bounds))
        ]
    with ThreadPoolExecutor(max(1, min(workers, len(jobs)))) as pool:
        temps = list(pool.map(lambda job: _write_tmp(*job), jobs))
    # a rerun after a crash may cut the chunk into fewer pieces than the killed run did
    stale = (Path(run_dir) / HISTORY).glob(f"part-{index:06d}-*.parquet")
    for path in set(stale) - {final for final, _ in jobs}:
        path.unlink()
    files = {}
    for (final, _), (tmp, record) in reversed(list(zip(jobs, temps, strict=True))):
        os.replace(tmp, final)
        files[final.relative_to(run_dir).as_posix()] = record
    return dict(sorted(files.items()))


def file_record(path: Path) -> dict[str, object]:
    """Size and SHA-256 of a file: what the manifest keeps to check a part on resume."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _write_tmp(final: Path, table: pa.Table) -> tuple[Path, dict[str, object]]:
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    strings = [f.name for f in table.schema if pa.types.is_dictionary(f.type)]
    pq.write_table(
        table,
        tmp,
        compression="zstd",
        row_group_size=1 << 20,
        use_dictionary=strings,
        column_encoding=_encodings(table.schema, strings),
        write_statistics=True,
        write_page_checksum=True,
    )
    return tmp, file_record(tmp)


def _encodings(schema: pa.Schema, skip: list[str]) -> dict[str, str]:
    """Sorted or repeating integers as deltas; floats split by byte so zstd finds their patterns."""
    out = {}
    for field in schema:
        if field.name in skip:
            continue
        if pa.types.is_integer(field.type):
            out[field.name] = "DELTA_BINARY_PACKED"
        elif pa.types.is_floating(field.type):
            out[field.name] = "BYTE_STREAM_SPLIT"
    return out


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def remove_results(run_dir: Path) -> None:
    """Delete a run's datasets and manifest (for run.overwrite); other files stay."""
    for dataset in (TRAJECTORIES, HISTORY):
        folder = Path(run_dir) / dataset
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
        elif folder.exists() or folder.is_symlink():
            folder.unlink()
    (Path(run_dir) / MANIFEST).unlink(missing_ok=True)


class RunDataError(ValueError):
    """A run directory (or a file in it) that cannot be read as adagrad-lab results."""


NULLABLE_COUNTERS = ("iters_to_target", "diverged_at")


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """The run's manifest; a missing, malformed or foreign one raises RunDataError (one line)."""
    path = Path(run_dir) / MANIFEST
    if not Path(run_dir).is_dir():
        what = "a file" if Path(run_dir).exists() else "no such directory"
        raise RunDataError(f"{run_dir}: not a run directory ({what})")
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise RunDataError(f"{path}: missing; {run_dir} is not an adagrad-lab run") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunDataError(f"{path}: not a readable manifest ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("chunks"), list):
        raise RunDataError(f"{path}: not an adagrad-lab manifest (no chunk list)")
    return data


def _dataset(run_dir: Path, dataset: str) -> Path:
    folder = Path(run_dir) / dataset
    if not any(folder.glob("part-*.parquet")):
        what = "no history (record.schedule=final)" if dataset == HISTORY else "no results"
        raise RunDataError(f"{folder}: {Path(run_dir)} has {what}")
    return folder


def _read(
    source: Path | list[Path], columns: list[str] | None, filters: Filters = None
) -> pa.Table:
    """A dataset folder, or a list of part files, as one table: only ``columns``, only rows
    matching ``filters`` (both pushed down to Parquet), page checksums verified."""
    import pyarrow.dataset as ds  # imports pandas: on first read, not at startup

    options = ds.ParquetFragmentScanOptions(page_checksum_verification=True)
    expression = None if filters is None else pq.filters_to_expression(filters)
    paths = str(source) if isinstance(source, Path) else [str(f) for f in source]
    try:
        dataset = ds.dataset(
            paths, format=ds.ParquetFileFormat(default_fragment_scan_options=options)
        )
        return dataset.to_table(columns=columns, filter=expression)
    except (OSError, pa.ArrowException) as exc:
        folder = source if isinstance(source, Path) else source[0].parent
        raise RunDataError(f"{folder}: unreadable part file ({str(exc).splitlines()[0]})") from None


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow to pandas, with the never-reached counters as nullable integers, not floats."""
    import pandas as pd  # on first read, not at startup: a sweep never needs pandas (0.3 s)

    df: pd.DataFrame = table.to_pandas()
    for name in NULLABLE_COUNTERS:
        if name in table.column_names:
            df[name] = table[name].to_pandas(types_mapper={pa.int32(): pd.Int32Dtype()}.get)
    return df


def read_parts(
    files: list[Path], columns: list[str] | None = None, filters: Filters = None
) -> pd.DataFrame:
    """Part files of one dataset, possibly of several runs, as one frame: only ``columns``,
    only rows matching pyarrow ``filters``, page checksums verified, counters nullable."""
    return _to_pandas(_read(files, columns, filters))


def read_trajectories(run_dir: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """The trajectories table of a run, ordered by trajectory index."""
    df = _to_pandas(_read(_dataset(run_dir, TRAJECTORIES), columns))
    return ordering.by_keys(df, ["trajectory"] if "trajectory" in df else [])


def read_history(
    run_dir: Path, columns: list[str] | None = None, filters: Filters = None
) -> pd.DataFrame:
    """The history table (optionally some columns, pyarrow filters), ordered by trajectory, iter."""
    df: pd.DataFrame = _read(_dataset(run_dir, HISTORY), columns, filters).to_pandas()
    return ordering.by_keys(df, [k for k in ("trajectory", "iter") if k in df])


def read_table(run_dir: Path, dataset: str, filters: Filters = None) -> pa.Table:
    """One dataset of a run as an Arrow table (page checksums verified)."""
    return _read(Path(run_dir) / dataset, None, filters)


def trajectory_span(path: Path) -> tuple[int, int, int]:
    """(rows, smallest, largest trajectory index) of one part file, from its footer alone."""
    meta = pq.ParquetFile(path).metadata
    col = meta.schema.names.index("trajectory")
    lows, highs = [], []
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(col).statistics
        if stats is None or not stats.has_min_max:
            raise RunDataError(f"{path}: no statistics for the trajectory column")
        lows.append(stats.min)
        highs.append(stats.max)
    if not lows:
        return 0, 0, -1
    return meta.num_rows, min(lows), max(highs)


def read_metadata(run_dir: Path, dataset: str = TRAJECTORIES) -> dict[str, Any]:
    """The metadata stored in the schema of a run's Parquet files."""
    files = sorted((Path(run_dir) / dataset).glob("part-*.parquet"))
    meta = pq.read_schema(files[0]).metadata or {}
    metadata: dict[str, Any] = json.loads(meta[METADATA_KEY])
    return metadata


def grid_columns(names: Sequence[str]) -> list[str]:
    """The grid's columns among a trajectory table's ``names``: every hyperparameter (and any
    other axis of the sweep), written between ``seed`` and ``optimizer`` (`trajectory_table`).

    >>> grid_columns(["trajectory", "seed", "step_size", "amsgrad", "optimizer", "f_final"])
    ['step_size', 'amsgrad']
    """
    names = list(names)
    if "seed" not in names or "optimizer" not in names:
        return []
    return names[names.index("seed") + 1 : names.index("optimizer")]


def column_names(run_dir: Path, dataset: str = TRAJECTORIES) -> list[str] | None:
    """The columns of a run's ``dataset``, from its first part's schema; None with no part."""
    files = sorted((Path(run_dir) / dataset).glob("part-*.parquet"))
    return list(pq.read_schema(files[0]).names) if files else None


def row_count(files: list[Path]) -> int:
    """Rows in these part files, from their footers alone."""
    return sum(pq.read_metadata(f).num_rows for f in files)
