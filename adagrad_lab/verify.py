"""`adagrad-lab-verify RUN_DIR [--sample K]`: recompute trajectories and compare bit for bit.

The run's own saved config is replayed through the same plan, grid and kernel;
the stored rows of the chosen trajectories must equal the recomputed ones in
every bit (NaNs compared by their bits too). Exit code 0 on a match, 1 on any
difference, 2 when the directory cannot be read as a run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from omegaconf import OmegaConf

from . import storage
from .config import register
from .grid import default_block
from .runner import compile_kernel, make_grid, run_trajectories, tables
from .validate import ConfigError, make_plan


def column_bits(column: pa.ChunkedArray | pa.Array) -> bytes:
    """The exact content of a column: list values flattened, dictionaries decoded, nulls marked."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_list(arr.type):
        return arr.offsets.to_numpy().tobytes() + column_bits(arr.flatten())
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return "\x00".join(arr.to_pylist()).encode()
    valid = np.asarray(arr.is_valid())
    values = arr.fill_null(0).to_numpy(zero_copy_only=False)
    return valid.tobytes() + np.ascontiguousarray(values).tobytes()


def same_bits(a: pa.Table, b: pa.Table) -> list[str]:
    """Names of the columns where two tables differ (all of them if the shapes differ)."""
    if a.column_names != b.column_names or a.num_rows != b.num_rows:
        return sorted(set(a.column_names) | set(b.column_names))
    return [name for name in a.column_names if column_bits(a[name]) != column_bits(b[name])]


def _stored(run_dir: Path, dataset: str, index: np.ndarray, keys: list[str]) -> pa.Table:
    table = pq.read_table(run_dir / dataset, filters=pc.field("trajectory").isin(index))
    return table.replace_schema_metadata(None).sort_by([(k, "ascending") for k in keys])


def verify(run_dir: Path, sample: int | None = None, seed: int = 0) -> tuple[int, list[str]]:
    """Recompute all (or ``sample`` random) trajectories of a run: (checked, problems)."""
    run_dir = Path(run_dir)
    manifest = storage.read_manifest(run_dir)
    register()
    plan = make_plan(OmegaConf.create(manifest["config"]))
    grid = make_grid(plan)
    kernel, _ = compile_kernel(plan, grid)
    block = plan.block or default_block(plan.dim)
    ranges = [(c["start"], c["stop"]) for c in manifest["chunks"] if c["status"] == "done"]
    if sample is not None:
        pool = np.concatenate([np.arange(a, b) for a, b in ranges])
        picked = np.random.default_rng(seed).choice(
            pool, size=min(sample, pool.size), replace=False
        )
        ranges = [(int(t), int(t) + 1) for t in np.sort(picked)]
    problems: list[str] = []
    for a, b in ranges:
        part, res = run_trajectories(plan, grid, a, b, block, kernel)
        traj, hist = tables(plan, part, res)
        index = part["trajectory"]
        for name, fresh, keys in (
            (storage.TRAJECTORIES, traj, ["trajectory"]),
            (storage.HISTORY, hist, ["trajectory", "iter"]),
        ):
            if fresh is None:
                continue
            bad = same_bits(_stored(run_dir, name, index, keys), fresh)
            if bad:
                problems.append(f"trajectories {a}..{b - 1}: {name} differs in {', '.join(bad)}")
    return sum(b - a for a, b in ranges), problems


def main(argv: list[str] | None = None) -> int:
    """Console entry point: print the verdict, return the exit code."""
    parser = argparse.ArgumentParser(prog="adagrad-lab-verify", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--sample", type=int, default=None, help="check K random trajectories")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random sample")
    args = parser.parse_args(argv)
    if args.sample is not None and args.sample < 1:
        parser.error("--sample must be >= 1")
    try:
        checked, problems = verify(args.run_dir, args.sample, args.seed)
    except (FileNotFoundError, KeyError, ConfigError) as exc:
        print(
            f"adagrad-lab-verify: error: {args.run_dir}: not a readable run ({exc})",
            file=sys.stderr,
        )
        return 2
    for line in problems:
        print(f"MISMATCH {line}")
    verdict = "FAILED" if problems else "OK"
    print(f"{verdict}: {checked} trajectories recomputed, {len(problems)} mismatching range(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
