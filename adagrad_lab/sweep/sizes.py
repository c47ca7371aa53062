"""How big a sweep is, worked out from the plan alone: trajectories, chunks, rows, bytes, memory.

Everything here is arithmetic on the plan: nothing proportional to the sweep
is allocated, so a dry run of 10**12 seeds prints its estimate in
milliseconds, and `check_fits` refuses a run that cannot fit in memory before
anything is computed or written.
"""

from __future__ import annotations

import os
from pathlib import Path

from adagrad_lab.catalog import N_HP
from adagrad_lab.sweep.grid import default_block
from adagrad_lab.sweep.plan import ConfigError, Plan

CHUNK_BYTES = 256 << 20  # history buffer budget per chunk
MAX_CHUNKS = 10_000_000  # chunks one manifest may list (it holds one entry per chunk)
MANIFEST_ENTRY_BYTES = 200  # one chunk's entry in manifest.json
MANIFEST_ENTRY_MEMORY = 1_000  # the same entry held as Python objects while the run goes
# a chunk's history rows as numpy columns (copied when masked), Arrow arrays and Parquet's
# buffers, in units of the rows' bytes: measured 1.1-1.9 (points, stop_at_target) above the
# kernel buffers
ARROW_FACTOR = 2


def chunk_size(plan: Plan, block: int) -> int:
    """Trajectories per chunk: the configured size, or as many as fit the history budget."""
    if plan.execution.chunk_size is not None:
        return plan.execution.chunk_size
    return _auto_chunk_size(plan, block)


def _auto_chunk_size(plan: Plan, block: int) -> int:
    per_record = (
        1 + plan.output.record_grad_norm + (plan.problem.dim if plan.output.kernel_points else 0)
    )
    per_traj = 8 * len(plan.output.record_iters) * per_record
    per_traj += 8 * 4 * plan.problem.dim + 64
    size = max(block, CHUNK_BYTES // per_traj // block * block)
    start, stop = plan.shard_range
    return int(min(size, stop - start))


def describe(plan: Plan) -> dict[str, int]:
    """Sizes of the sweep this plan runs (this shard), for a dry run: nothing is computed.

    ``estimated_bytes``: the output before compression; ``manifest_bytes``: the
    manifest's size (one entry per chunk); ``peak_bytes``: the estimated peak
    memory of a real run (one chunk's kernel buffers, grid slice and tables,
    and the manifest), what `check_fits` compares with the memory available.
    """
    start, stop = plan.shard_range
    n = stop - start
    size = chunk_size(plan, plan.execution.block or default_block(plan.problem.dim))
    chunks = -(-n // size)
    rows = n * len(plan.output.record_iters)
    return {
        "trajectories": n,
        "chunks": chunks,
        "chunk_size": size,
        "history_rows": rows,
        "estimated_bytes": rows * _row_bytes(plan) + n * _trajectory_row_bytes(plan),
        "manifest_bytes": chunks * MANIFEST_ENTRY_BYTES,
        "peak_bytes": chunk_bytes(plan, min(size, n)) + _manifest_memory(chunks),
    }


def chunk_bytes(plan: Plan, size: int) -> int:
    """Estimated peak memory of computing and storing one chunk of ``size`` trajectories."""
    return size * _per_trajectory_bytes(plan)


def _per_trajectory_bytes(plan: Plan) -> int:
    dim, n_rec = plan.problem.dim, len(plan.output.record_iters)
    values = 1 + plan.output.record_grad_norm + (dim if plan.output.kernel_points else 0)
    kernel = 8 * (dim + 5) + 8 * n_rec * values  # finals, counters and the history buffers
    grid = 8 * (2 + 2 * N_HP) + 8 * 4 * dim  # index, seed, axes, hp; x0 and its temporaries
    history = ARROW_FACTOR * n_rec * _row_bytes(plan)
    trajectories = 2 * _trajectory_row_bytes(plan)  # the table, and its columns on the way
    return kernel + grid + history + trajectories


def _row_bytes(plan: Plan) -> int:
    """One history row: trajectory, iter, f, grad_norm, x."""
    row = 8 + 4 + 8 + (8 if plan.output.record_grad_norm else 0)
    row += 16 if plan.output.record_test else 0  # test_loss, test_error
    return row + (8 * plan.problem.dim + 4 if plan.output.kernel_points else 0)


def _trajectory_row_bytes(plan: Plan) -> int:
    return 8 * (7 + 2 * plan.problem.dim) + 16


def _manifest_memory(chunks: int) -> int:
    """The manifest's chunk list in memory, and its JSON text each time it is written."""
    return chunks * (MANIFEST_ENTRY_MEMORY + MANIFEST_ENTRY_BYTES)


def available_memory() -> int | None:
    """Bytes this process may still allocate: MemAvailable, capped by a cgroup v2 limit
    (containers, SLURM), else the free pages; None when unknown."""
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
                break
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if limit != "max":
            found.append(max(0, int(limit) - int(used)))
    except (OSError, ValueError):
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            return None
    return min(found)


def check_fits(plan: Plan, available: int | None = None) -> None:
    """Refuse, with a ConfigError naming the key to change, a run that cannot fit: more chunks
    than a manifest may list, or an estimated peak memory above ``available`` (default: what
    `available_memory` reports; nothing is checked when that is unknown).

    For real runs only: a dry run prints `describe` whatever the size.
    """
    d = describe(plan)
    n, chunks, size = d["trajectories"], d["chunks"], d["chunk_size"]
    if chunks > MAX_CHUNKS:
        _too_many_chunks(plan, n, chunks)
    if available is None:
        available = available_memory()
    if available is None or d["peak_bytes"] <= available:
        return
    per_traj = _per_trajectory_bytes(plan)
    fit = _largest_fitting_chunk(plan, n, available)
    if fit:
        raise ConfigError(
            "run.chunk_size",
            f"a chunk of {min(size, n)} trajectories needs about {_gib(d['peak_bytes'])} "
            f"of memory, more than the {_gib(available)} available: "
            f"set run.chunk_size={fit} or less",
        )
    if _manifest_memory(chunks) > available // 2:
        _too_many_chunks(
            plan, n, chunks, f"its manifest would need {_gib(_manifest_memory(chunks))}"
        )
    key = "objective.dim"
    if (
        len(plan.output.record_iters) * _row_bytes(plan) >= 8 * 4 * plan.problem.dim
    ):  # mostly history
        by_schedule = {"every": "record.every", "log": "record.points_per_decade"}
        key = (
            "record.points"
            if plan.output.record_points
            else by_schedule[plan.output.record_schedule]
        )
    raise ConfigError(
        key,
        f"even one trajectory needs about {_gib(per_traj)} of memory, more than the "
        f"{_gib(available)} available: record fewer iterations (record.every, "
        "record.schedule=log or final), record.points=false, or a smaller objective.dim",
    )


def _largest_fitting_chunk(plan: Plan, n: int, available: int) -> int:
    """The largest chunk size (a multiple of the block when above it) whose run fits in
    ``available`` bytes with at most MAX_CHUNKS chunks; 0 when there is none."""
    per_traj = _per_trajectory_bytes(plan)
    block = plan.execution.block or default_block(plan.problem.dim)
    fit = available // per_traj
    for _ in range(8):  # smaller chunks mean more manifest entries: shrink until both fit
        if fit < 1:
            return 0
        fit = fit // block * block if fit >= block else fit
        chunks = -(-n // fit)
        if chunks > MAX_CHUNKS:
            return 0
        if chunk_bytes(plan, fit) + _manifest_memory(chunks) <= available:
            return fit
        fit = (available - _manifest_memory(chunks)) // per_traj
    return 0


def _too_many_chunks(plan: Plan, n: int, chunks: int, why: str = "") -> None:
    block = plan.execution.block or default_block(plan.problem.dim)
    if (
        plan.execution.chunk_size is not None
        and -(-n // _auto_chunk_size(plan, block)) <= MAX_CHUNKS
    ):
        raise ConfigError(
            "run.chunk_size",
            f"{chunks} chunks of {plan.execution.chunk_size} trajectories, "
            f"more than the {MAX_CHUNKS} "
            f"a manifest may list{'; ' + why if why else ''}: set run.chunk_size to at least "
            f"{-(-n // MAX_CHUNKS)}, or null to size chunks from memory",
        )
    factors = {"sweep.seeds": len(plan.sweep.seeds)}
    factors |= {f"optimizer.{name}": len(values) for name, values in plan.sweep.axes.items()}
    key = max(factors, key=lambda k: factors[k])
    shards = plan.execution.shard_count * -(-chunks // MAX_CHUNKS)
    raise ConfigError(
        key,
        f"this run has {n} trajectories in {chunks} chunks, more than the {MAX_CHUNKS} a "
        f"manifest may list{'; ' + why if why else ''}: sweep fewer values, or split the grid "
        f"with shard.count={shards} or more",
    )


def _gib(nbytes: int) -> str:
    if nbytes >= 1 << 30:
        return f"{nbytes / 2**30:.3g} GiB"
    return f"{nbytes / 2**20:.3g} MiB"
