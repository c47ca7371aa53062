"""The sweep grid: trajectory index -> (seed, hyperparameters, start point). Pure numpy.

Trajectory t enumerates the Cartesian product of the hyperparameter axes (in
the optimizer's order) with the seeds innermost, so consecutive trajectories
share hyperparameters and a chunk is a contiguous range of t. Everything is a
function of t alone: any chunking or sharding of the range gives the same
values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from adagrad_lab.catalog import N_HP
from adagrad_lab.catalog.objectives.learning import PROBLEM_ROWS


@dataclass(frozen=True)
class Grid:
    """Axes of the sweep; `slice(a, b)` materializes trajectories a..b-1.

    ``axes`` holds every hyperparameter of the optimizer in its record's order,
    which is also the row order of the kernel's hyperparameter matrix ``hp``;
    ``kernel_values`` turns those values into what the kernel reads (the plan's
    `Problem.kernel_values`: a library's roundings), leaving the axes' columns as given.
    """

    axes: dict[str, list[float]]
    seeds: Sequence[int]  # range(n) for seeds 0..n-1 (never materialised), or a list
    dim: int
    bounds: tuple[float, float]
    start_kind: str = "uniform"
    start_point: list[float] | None = None
    kernel_values: Callable[[np.ndarray], np.ndarray] | None = None
    # a learning problem's rows: each of its axes' row, and the seed's (the kernel's
    # random numbers are keyed by it); None: the axes fill rows 0, 1, ... in order
    rows: dict[str, int] | None = None
    seed_row: int | None = None
    optima: dict[float, float] | None = None  # l2 -> f*: an `f_star` column

    @property
    def size(self) -> int:
        return len(self.seeds) * math.prod(len(v) for v in self.axes.values())

    def slice(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Per-trajectory arrays for trajectories start..stop-1: index, seed, each axis, hp, x0."""
        index = np.arange(start, stop, dtype=np.int64)
        seed_pos = index % len(self.seeds)
        rest = index // len(self.seeds)
        out: dict[str, np.ndarray] = {"trajectory": index}
        seeds = seeds_at(self.seeds, seed_pos)
        out["seed"] = seeds
        rows = self.rows or {name: row for row, name in enumerate(self.axes)}
        used = [r + 1 for r in rows.values()]
        used += [] if self.seed_row is None else [self.seed_row + len(PROBLEM_ROWS)]
        n_rows = max(N_HP, len(self.axes), *used)
        hp = np.zeros((n_rows, stop - start))
        for name, values in reversed(list(self.axes.items())):
            pos = rest % len(values)
            rest = rest // len(values)
            out[name] = np.asarray(values)[pos]  # float64, or bool for a flag
            hp[rows[name]] = out[name]
        if self.seed_row is not None:
            hp[self.seed_row] = seeds
        if self.optima is not None:
            out["f_star"] = np.array([self.optima[v] for v in out["objective_l2"]])
            which = np.searchsorted(sorted(self.optima), out["objective_l2"])
            hp[(self.seed_row or 0) + PROBLEM_ROWS.index("optimum")] = which  # its x*, f*
        out["hp"] = hp if self.kernel_values is None else self.kernel_values(hp)
        out["x0"] = self.start_points(seeds)
        return out

    def start_points(self, seeds: np.ndarray) -> np.ndarray:
        """(len(seeds), dim) start points; each row depends on its seed alone."""
        if self.start_kind == "fixed":
            return np.tile(np.asarray(self.start_point, dtype=np.float64), (len(seeds), 1))
        low, high = self.bounds
        if self.start_kind == "uniform":
            points: np.ndarray = low + uniform_stream(seeds, self.dim) * (high - low)
            return points
        unique, inverse = np.unique(seeds, return_inverse=True)
        drawn = np.stack([_legacy_draw(int(s), self.dim, self.bounds) for s in unique])
        points = drawn[inverse.reshape(-1)]
        return points


def seeds_at(seeds: Sequence[int], positions: np.ndarray) -> np.ndarray:
    """``seeds[positions]`` as int64; a range is indexed arithmetically, never materialised."""
    if isinstance(seeds, range):
        arithmetic: np.ndarray = seeds.start + positions.astype(np.int64) * seeds.step
        return arithmetic
    picked: np.ndarray = np.asarray(seeds, dtype=np.int64)[positions]
    return picked


_GAMMA = np.uint64(0x9E3779B97F4A7C15)


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function: a bijective 64-bit mixer (Stafford's variant 13)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    mixed: np.ndarray = z ^ (z >> np.uint64(31))
    return mixed


def uniform_stream(seeds: np.ndarray, dim: int) -> np.ndarray:
    """(len(seeds), dim) uniforms in [0, 1): coordinate i of seed s is the i-th output of a
    SplitMix64 stream whose state starts at mix64(s).

    Counter-based, so a seed's numbers depend on the seed alone and a million seeds take
    milliseconds, with no generator object per seed.
    """
    start = _mix64(np.asarray(seeds, dtype=np.uint64) * _GAMMA + np.uint64(1))
    steps = np.arange(1, dim + 1, dtype=np.uint64) * _GAMMA
    bits = _mix64(start[:, None] + steps[None, :])
    uniforms: np.ndarray = (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)
    return uniforms


def _legacy_draw(seed: int, dim: int, bounds: tuple[float, float]) -> np.ndarray:
    """The tutorial's draw: numpy.random.seed(seed); low + rand(d) * (high - low)."""
    low, high = bounds
    return low + np.random.RandomState(seed).rand(dim) * (high - low)


def default_block(dim: int) -> int:
    """Trajectories advanced together: up to 256 lanes (32 AVX-512 vectors), fewer in high
    dimension, so a block's four (dim, block) arrays stay within ~512 KiB (L2).

    256, not 64: with f recorded every iteration into reused outputs, W1 took 0.160 s
    against 0.234 s and W4 0.140 s against 0.275 s (docs/performance.md); no workload
    measured slower. The block never changes a result, only the speed.
    """
    return int(min(256, max(8, 2 ** int(np.log2(max(1, 16384 // dim))))))
