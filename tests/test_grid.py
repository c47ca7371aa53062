"""The sweep grid and its start points: first values pinned, and counter-based.

The literals below were computed once from the generator as it stands and
written out with 17 significant digits (every float64 round-trips), so any
change to the start-point streams, which would silently change every stored
result, fails here. Change them only on purpose, with a note in the changelog.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adagrad_lab.sweep import grid
from adagrad_lab.sweep.grid import Grid

SETTINGS = {"deadline": None, "database": None}

# uniform_stream(np.array([0, 1, 2**40]), 3)
UNIFORM_0_1_2P40 = [
    [0.74974824135803009, 0.37239342287916577, 0.43828390628455283],
    [0.36818951565166946, 0.94356423086485441, 0.045256997737391669],
    [0.32308173508474258, 0.029195269824635606, 0.72258566044393091],
]

# Grid(AXES, range(3), 2, (-5.12, 5.12), kind).slice(4, 11): seeds 1, 2, 0, 1, 2, 0, 1
AXES = {"step_size": [0.01, 0.1, 1.0], "eps": [1e-8, 1e-6], "initial_accumulator": [0.0]}
BOUNDS = (-5.12, 5.12)
FIXED_POINT = [0.25, -1.5]
SLICE_TRAJECTORY = [4, 5, 6, 7, 8, 9, 10]
SLICE_SEED = [1, 2, 0, 1, 2, 0, 1]
SLICE_STEP_SIZE = [0.01, 0.01, 0.1, 0.1, 0.1, 0.1, 0.1]
SLICE_EPS = [1e-6, 1e-6, 1e-8, 1e-8, 1e-8, 1e-6, 1e-6]
X0_BY_SEED = {  # start point of seeds 0, 1, 2 in dimension 2 within BOUNDS
    "uniform": {
        0: [2.557421991506228, -1.3066913497173425],
        1: [-1.3497393597269047, 4.5420977240561085],
        2: [-0.33826497611954309, -4.7684501492446785],
    },
    "legacy_numpy": {
        0: [0.49985028021580558, 2.2035391116535754],
        1: [-0.84969467184564262, 2.2561228128476989],
        2: [-0.65541220206588147, -4.8545153860823929],
    },
    "fixed": dict.fromkeys(range(3), FIXED_POINT),
}


def bits(a) -> bytes:
    return np.ascontiguousarray(a, dtype=np.float64).tobytes()


def make_grid(kind: str, seeds=range(3), axes=None, dim: int = 2) -> Grid:
    point = FIXED_POINT[:dim] if kind == "fixed" else None
    return Grid(AXES if axes is None else axes, seeds, dim, BOUNDS, kind, point)


# -------------------------------------------------------------- pinned values


def test_uniform_stream_first_values():
    u = grid.uniform_stream(np.array([0, 1, 2**40]), 3)
    assert u.dtype == np.float64 and u.shape == (3, 3)
    assert bits(u) == bits(UNIFORM_0_1_2P40), u.tolist()


@pytest.mark.parametrize("kind", ["uniform", "legacy_numpy", "fixed"])
def test_slice_first_values(kind):
    g = make_grid(kind)
    assert g.size == 18
    s = g.slice(4, 11)
    np.testing.assert_array_equal(s["trajectory"], SLICE_TRAJECTORY)
    np.testing.assert_array_equal(s["seed"], SLICE_SEED)
    assert bits(s["step_size"]) == bits(SLICE_STEP_SIZE)
    assert bits(s["eps"]) == bits(SLICE_EPS)
    assert bits(s["initial_accumulator"]) == bits([0.0] * 7)
    # the hp matrix: one row per hyperparameter, in the axes' order
    assert bits(s["hp"][:3]) == bits([SLICE_STEP_SIZE, SLICE_EPS, [0.0] * 7])
    expected = [X0_BY_SEED[kind][seed] for seed in SLICE_SEED]
    assert s["x0"].shape == (7, 2)
    assert bits(s["x0"]) == bits(expected), s["x0"].tolist()


# -------------------------------------------------- independent references


MASK64 = 2**64 - 1
GAMMA = 0x9E3779B97F4A7C15


def splitmix64_mix(z: int) -> int:
    """SplitMix64's output function (Stafford's variant 13) on Python integers."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def test_mixer_is_splitmix64():
    """The reference SplitMix64 seeded with 0 outputs mix(k * gamma) for k = 1, 2, 3."""
    published = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    counters = np.arange(1, 4, dtype=np.uint64) * np.uint64(GAMMA)
    assert [int(v) for v in grid._mix64(counters)] == published
    assert [splitmix64_mix(k * GAMMA & MASK64) for k in (1, 2, 3)] == published


@settings(max_examples=100, **SETTINGS)
@given(st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=6), st.integers(1, 5))
def test_uniform_stream_is_the_documented_splitmix_stream(seeds, dim):
    """Coordinate i of seed s: the top 53 bits of the i-th output of a SplitMix64 stream
    whose state starts at mix64(s * gamma + 1), over 2**53."""
    u = grid.uniform_stream(np.array(seeds, dtype=np.int64), dim)
    for row, s in zip(u, seeds, strict=True):
        state = splitmix64_mix((s * GAMMA + 1) & MASK64)
        want = [
            (splitmix64_mix((state + i * GAMMA) & MASK64) >> 11) * 2.0**-53
            for i in range(1, dim + 1)
        ]
        assert bits(row) == bits(want), (s, row, want)
        assert np.all((row >= 0.0) & (row < 1.0))


def test_legacy_numpy_is_the_tutorials_draw():
    """numpy.random.seed(s); low + rand(d) * (high - low), as the tutorial draws."""
    low, high = BOUNDS
    points = make_grid("legacy_numpy", seeds=[0, 1, 2, 12345], dim=3).start_points(
        np.array([0, 1, 2, 12345])
    )
    for row, s in zip(points, [0, 1, 2, 12345], strict=True):
        assert bits(row) == bits(low + np.random.RandomState(s).rand(3) * (high - low))


# ------------------------------------------------------------- counter-based


@settings(max_examples=60, **SETTINGS)
@given(
    st.lists(st.integers(0, 2**40), min_size=1, max_size=12),
    st.integers(1, 4),
    st.randoms(use_true_random=False),
)
def test_uniform_stream_row_depends_on_its_seed_alone(seeds, dim, rnd):
    alone = np.stack([grid.uniform_stream(np.array([s]), dim)[0] for s in seeds])
    batch = grid.uniform_stream(np.array(seeds), dim)
    assert bits(batch) == bits(alone)
    order = list(range(len(seeds)))
    rnd.shuffle(order)
    shuffled = grid.uniform_stream(np.array([seeds[k] for k in order]), dim)
    assert bits(shuffled) == bits(batch[order])
    # the first coordinates do not depend on how many coordinates are drawn
    assert bits(grid.uniform_stream(np.array(seeds), dim + 3)[:, :dim]) == bits(batch)


@pytest.mark.parametrize("kind", ["uniform", "legacy_numpy", "fixed"])
def test_start_point_depends_on_the_seed_alone(kind):
    """Seed s starts at the same point whatever other seeds share the batch or the grid."""
    ref = make_grid(kind, seeds=[7]).start_points(np.array([7]))[0]
    for seeds in ([7], [7, 8], [100, 7, 3], list(range(20)), range(5, 12), [7, 7, 1]):
        g = make_grid(kind, seeds=seeds)
        s = g.slice(0, g.size)
        rows = s["x0"][s["seed"] == 7]
        assert len(rows) == g.size // len(seeds) * list(seeds).count(7)
        for row in rows:
            assert bits(row) == bits(ref), (seeds, row, ref)
    if kind != "fixed":
        assert bits(ref) != bits(make_grid(kind).start_points(np.array([8]))[0])


@pytest.mark.parametrize("kind", ["uniform", "legacy_numpy"])
def test_start_point_is_the_same_for_every_step_size(kind):
    """Every hyperparameter combination of a seed starts at the same point, and adding
    step sizes to the grid moves no start point."""
    axes = {"step_size": [1e-3, 1e-2, 0.1, 1.0], "eps": [1e-8, 1e-6], "initial_accumulator": [0.0]}
    g = make_grid(kind, seeds=range(4), axes=axes)
    s = g.slice(0, g.size)
    one_step = make_grid(kind, seeds=range(4), axes={**axes, "step_size": [0.1]})
    for seed in range(4):
        rows = s["x0"][s["seed"] == seed]
        assert len(rows) == 8
        assert len(np.unique(s["step_size"][s["seed"] == seed])) == 4
        assert len({bits(r) for r in rows}) == 1
        assert bits(rows[0]) == bits(one_step.start_points(np.array([seed]))[0])


@pytest.mark.parametrize("kind", ["uniform", "legacy_numpy"])
def test_any_chunking_gives_the_same_slice(kind):
    g = make_grid(kind, seeds=range(5))
    whole = g.slice(0, g.size)
    cuts = [0, 1, 7, 8, 19, g.size]
    pieces = [g.slice(a, b) for a, b in itertools.pairwise(cuts)]
    for key, value in whole.items():
        axis = 1 if key == "hp" else 0
        assert bits(np.concatenate([p[key] for p in pieces], axis=axis)) == bits(value), key
