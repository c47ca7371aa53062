"""The optimizer family beyond the tutorial's AdaGrad: each rule against a plain-Python
reference written from its published algorithm (`reference_optimizers`), its first steps
checked by hand, its refusals, its grid columns, and its independence from how a run is
cut up (blocks, threads, chunks, shards) and resumed.

Objectives used: sphere (d=3 and the hand checks) and rosenbrock (d=2) for every rule,
whose kernel variants the fast suite compiles anyway; ellipsoid (d=5) only in the tests
marked slow, since each (ellipsoid, rule) variant compiles on first use.
"""

from __future__ import annotations

import math
from pathlib import Path

import numba
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import reference_optimizers as ref
from conftest import FAST, run_cli, run_cut
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_kernel import with_threads

import adagrad_lab as al
from adagrad_lab import read_history, read_manifest, read_trajectories
from adagrad_lab.catalog import OBJECTIVES, OPTIMIZERS
from adagrad_lab.commands import verify as verify_cmd
from adagrad_lab.commands.run import run
from adagrad_lab.kernel.driver import N_HP
from adagrad_lab.kernel.driver import advance as kernel_advance
from adagrad_lab.store import integrity

# Every rule of the catalog but the tutorial's two (tests/test_registry.py checks those
# against its plain loop): a new module lands here by itself, and fails until it has its
# plain-Python reference (tests/reference_optimizers.py) and its LANES below.
TUTORIAL_RULES = ("adagrad", "gd")
NEW_RULES = tuple(name for name in OPTIMIZERS if name not in TUTORIAL_RULES)
FLAGS = {"momentum": "nesterov", "rmsprop": "centered", "adam": "amsgrad"}
N_ITER = 40
SETTINGS = {"deadline": None, "database": None}


def test_every_new_rule_has_a_reference_and_lanes():
    assert set(TUTORIAL_RULES) <= set(OPTIMIZERS)
    for name in NEW_RULES:
        assert name in ref.RULES, f"{name}: no plain-Python reference in reference_optimizers.py"
        assert name in LANES, f"{name}: no LANES (hyperparameter groups) in this file"
        assert OPTIMIZERS[name].formula, name
    assert set(ref.RULES) <= set(NEW_RULES), "a reference for a rule the catalog lacks"


# The libraries' documented defaults (torch.optim, optax, Keras 3, tf.compat.v1 ProximalAdagrad).
LIBRARY_DEFAULTS = {
    "adagrad_torch": {"step_size": 0.01, "eps": 1e-10, "initial_accumulator": 0.0,
                      "lr_decay": 0.0, "weight_decay": 0.0},
    "adagrad_optax": {"eps": 1e-7, "initial_accumulator": 0.1},  # learning_rate: required
    "adagrad_keras": {"step_size": 0.001, "eps": 1e-7, "initial_accumulator": 0.1},
    "adagrad_prox": {"initial_accumulator": 0.1, "l1": 0.0, "l2": 0.0},
    "rmsprop": {"step_size": 0.01, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0,
                "momentum": 0.0, "centered": False},
    "adam": {"step_size": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
             "weight_decay": 0.0, "amsgrad": False},
    # torch.optim.SGD defaults momentum to 0: the preset's 0.9 is deliberate (heavy ball)
    "momentum": {"dampening": 0.0, "weight_decay": 0.0, "nesterov": False},
}  # fmt: skip


@pytest.mark.parametrize("name", list(LIBRARY_DEFAULTS))
def test_presets_default_to_their_librarys_defaults(name):
    defaults = {h.name: h.default for h in OPTIMIZERS[name].hyperparameters}
    for key, value in LIBRARY_DEFAULTS[name].items():
        assert defaults[key] == value, (name, key)


# ----------------------------------------------------------------- 1. references


# Per rule, groups of lanes; a group runs as one `advance` call with one value per lane
# (flags too), from each of the start points. Every hyperparameter gets a non-default
# value somewhere. adagrad_full starts from initial_accumulator > 0: from G = 0, G is
# singular for the first d - 1 steps, and eps = 1e-8 turns the eigensolver's rounding
# in its null space into 1e-6..1 relative differences between any two solvers.
LANES: dict[str, list[list[dict]]] = {
    "adagrad_torch": [
        [{}, {"step_size": 0.1, "lr_decay": 0.05, "weight_decay": 0.1,
              "initial_accumulator": 0.2, "eps": 1e-6}],
    ],
    "adagrad_optax": [[{}, {"step_size": 0.05, "initial_accumulator": 0.0, "eps": 1e-5}]],
    "adagrad_keras": [
        [{"step_size": 0.1}, {"step_size": 0.03, "weight_decay": 0.2,
                              "initial_accumulator": 0.0, "eps": 1e-4}],
    ],
    "adagrad_prox": [
        [{}, {"step_size": 0.2, "l1": 0.05, "l2": 0.1, "initial_accumulator": 0.01}],
    ],
    "adagrad_rda": [[{}, {"step_size": 0.3, "l1": 0.05, "eps": 1e-4}]],
    "adagrad_norm": [[{}, {"step_size": 0.3, "initial_accumulator": 0.5, "eps": 1e-4}]],
    "adagrad_full": [
        [{"initial_accumulator": 0.1}, {"step_size": 0.3, "initial_accumulator": 1.0,
                                        "eps": 1e-4}],
    ],
    # nesterov needs dampening 0 on every lane of a call: two groups
    "momentum": [
        [{"step_size": 0.01}, {"step_size": 0.005, "nesterov": True, "weight_decay": 0.1}],
        [{"step_size": 0.01, "dampening": 0.3}, {"step_size": 0.02, "momentum": 0.0,
                                                  "weight_decay": 0.1}],
    ],
    "rmsprop": [
        [{}, {"step_size": 0.005, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1,
              "momentum": 0.5, "centered": True}, {"centered": True}],
    ],
    "adam": [
        [{"step_size": 0.01}, {"step_size": 0.02, "beta1": 0.5, "beta2": 0.9, "eps": 1e-6,
                               "weight_decay": 0.1, "amsgrad": True}],
    ],
}  # fmt: skip
DIMS = {"sphere": 3, "ellipsoid": 5, "rosenbrock": 2}
LOG10_CONDITION = 2.0  # the ellipsoid's; 1e2: full-matrix AdaGrad stays well conditioned
# momentum is not scale-free: its steps shrink with the objective's curvature
MOMENTUM_SCALE = {"sphere": 1.0, "ellipsoid": 0.01, "rosenbrock": 0.05}


def hp_arrays(name: str, lanes: list[dict]) -> dict[str, np.ndarray]:
    """One value per lane for each hyperparameter a lane sets (a flag as a bool array)."""
    defaults = {h.name: h.default for h in OPTIMIZERS[name].hyperparameters}
    keys = sorted({k for lane in lanes for k in lane})
    out = {}
    for key in keys:
        values = [lane.get(key, defaults[key]) for lane in lanes]
        out[key] = np.array(values, dtype=bool if key == FLAGS.get(name) else np.float64)
    return out


def lane_hyperparameters(name: str, lane: dict, objective: str) -> dict:
    """A lane's full hyperparameters as the reference takes them (registry defaults filled)."""
    hp = {h.name: h.default for h in OPTIMIZERS[name].hyperparameters} | lane
    if name in FLAGS:
        hp[FLAGS[name]] = bool(hp[FLAGS[name]])
    return hp


def scaled(name: str, lanes: list[dict], objective: str) -> list[dict]:
    if name != "momentum":
        return lanes
    default = OPTIMIZERS[name].hyperparameters[0].default
    return [
        {**lane, "step_size": lane.get("step_size", default) * MOMENTUM_SCALE[objective]}
        for lane in lanes
    ]


def worst_relative(got: np.ndarray, want: np.ndarray) -> float:
    """Largest |got - want| at a step over the largest |coordinate| of that step."""
    scale = np.max(np.abs(want), axis=-1, keepdims=True)
    return float(np.max(np.abs(got - want) / np.where(scale > 0, scale, 1.0)))


def bit_exact(name: str) -> bool:
    """Whether the kernel can be held to the reference's bits.

    Every operation of the coordinate-wise rules and of adagrad_norm is an IEEE-754
    correctly rounded +, -, *, /, sqrt (or a copysign/max), done in the order the
    reference does them (see its `# order:` comments); the kernel compiles without
    fastmath, so nothing is contracted into an FMA or reassociated. Adam's bias
    corrections use pow, from the same libm as Python's ``**``, unless Numba maps it
    to Intel's SVML vector library (not correctly rounded). adagrad_full's
    eigensolver (Jacobi) is not numpy's (LAPACK): only close.
    """
    if name == "adagrad_full":
        return False
    return name != "adam" or not numba.config.USING_SVML


def check_against_reference(name: str, objective: str, choices: dict | None = None) -> None:
    d = DIMS[objective]
    starts = np.random.default_rng(sum(map(ord, name + objective))).uniform(-1.0, 1.0, (2, d))
    extra = {"log10_condition": LOG10_CONDITION} if objective == "ellipsoid" else {}
    for group in LANES[name]:
        lanes = scaled(name, group, objective)
        x0 = np.repeat(starts, len(lanes), axis=0)  # start s, lane l: row s * lanes + l
        hp = {k: np.tile(v, len(starts)) for k, v in hp_arrays(name, lanes).items()}
        result = al.advance(
            x0, n_iter=N_ITER, optimizer=name, objective=objective, hyperparameters=hp,
            choices=choices, record=np.arange(N_ITER + 1), record_points=True, **extra,
        )  # fmt: skip
        assert (result.last_iter == N_ITER).all(), "a trajectory diverged: pick other values"
        for row in range(x0.shape[0]):
            lane = lane_hyperparameters(name, lanes[row % len(lanes)], objective)
            want = ref.trajectory(
                name, x0[row], N_ITER, objective, LOG10_CONDITION, **lane, **(choices or {})
            )
            got = result.x[row]
            assert np.isfinite(want).all()
            ctx = f"{name} on {objective}, {lane}, x0={x0[row].tolist()}"
            worst = worst_relative(got, want)
            if bit_exact(name):
                # == (not a byte compare): RDA and prox may write -0.0 or +0.0 for a zero
                assert np.array_equal(got, want), f"{ctx}: worst relative {worst:.3g}"
            else:
                tol = 1e-10 if name == "adagrad_full" else 1e-13
                assert worst <= tol, f"{ctx}: worst relative {worst:.3g}"
            assert not np.array_equal(want[-1], want[0])  # it moved


@pytest.mark.parametrize("objective", ["sphere", "rosenbrock"])
@pytest.mark.parametrize("name", NEW_RULES)
def test_trajectory_matches_the_reference(name, objective):
    check_against_reference(name, objective)


@pytest.mark.parametrize("backend", ["jax", "tensorflow", "torch"])
def test_keras_matches_the_reference_on_each_backend(backend):
    check_against_reference("adagrad_keras", "sphere", {"backend": backend})


@pytest.mark.slow  # compiles the (ellipsoid, rule) variants on first use
@pytest.mark.parametrize("name", NEW_RULES)
def test_trajectory_matches_the_reference_on_the_ellipsoid(name):
    check_against_reference(name, "ellipsoid")


def test_adagrad_norm_adds_the_squares_to_b2_one_by_one():
    """The docstring's "b2 += |g|^2 (summed in index order)" has two readings that round
    differently: ((b2 + g0^2) + g1^2) + g2^2, or b2 + (g0^2 + g1^2 + g2^2). The package
    (and the reference) take the first; here the two give other points."""
    x0 = [0.15, 0.3, 0.35]  # g = 2 x0 = [0.3, 0.6, 0.7]
    g = [0.3, 0.6, 0.7]
    one_by_one = ((1.0 + g[0] * g[0]) + g[1] * g[1]) + g[2] * g[2]  # 1.9400000000000002
    norm_first = 1.0 + (g[0] * g[0] + g[1] * g[1] + g[2] * g[2])  # 1.94
    assert one_by_one != norm_first
    got = steps("adagrad_norm", x0, n=1, step_size=1.0, eps=TINY, initial_accumulator=1.0)[1]
    for b2, same in ((one_by_one, True), (norm_first, False)):
        alpha = 1.0 / (TINY + math.sqrt(b2))
        assert np.array_equal(got, [xi - alpha * gi for xi, gi in zip(x0, g, strict=True)]) == same


def test_prox_learning_rate_is_lr_times_rsqrt():
    """The docstring and the record's formula say "a = lr / sqrt(s)"; TensorFlow's op (and
    the package) compute lr * rsqrt(s) = lr * (1 / sqrt(s)). From x0 = 0.9 (g = 1.8,
    s = 3.24) with lr 0.7 and no l1, l2: x1 = x0 - g * a is 0.19999999999999996 one way,
    0.20000000000000007 the other."""
    s = TINY + 1.8 * 1.8
    rsqrt_form = 0.9 - 1.8 * (0.7 * (1.0 / math.sqrt(s)))
    division_form = 0.9 - 1.8 * (0.7 / math.sqrt(s))
    assert (rsqrt_form, division_form) == (0.19999999999999996, 0.20000000000000007)
    got = steps("adagrad_prox", [0.9], n=1, step_size=0.7, initial_accumulator=TINY)[1, 0]
    assert got == rsqrt_form


# -------------------------------------------------------------- 2. hand-checked steps


def steps(name, x0, n=2, objective="sphere", choices=None, **hp):
    """x_0 .. x_n of one trajectory through the public API: an (n + 1, d) array."""
    result = al.advance(
        np.array([x0], dtype=np.float64), n_iter=n, optimizer=name, objective=objective,
        hyperparameters=hp, choices=choices, record=np.arange(n + 1), record_points=True,
    )  # fmt: skip
    return result.x[0]


def close(got, want, rtol=1e-15) -> bool:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return bool(np.all(np.abs(got - want) <= rtol * np.max(np.abs(want))))


# On the sphere g = 2x; from x0 = [1, -2], g0 = [2, -4]. eps = 1e-300 (the rules want
# eps > 0) vanishes next to any square root here: sqrt(s) + 1e-300 == sqrt(s).
TINY = 1e-300


def test_torch_adagrad_lr_decay_and_weight_decay_by_hand():
    x = steps("adagrad_torch", [1.0, -2.0], step_size=0.1, eps=TINY, lr_decay=0.5,
              weight_decay=0.5)  # fmt: skip
    # t=1: g = [2, -4] + 0.5 * [1, -2] = [2.5, -5]; s = [6.25, 25]; clr = 0.1 / (1 + 0 * 0.5)
    #      x1 = x0 - 0.1 * g / sqrt(s) = [1 - 0.1, -2 + 0.1]
    assert close(x[1], [0.9, -1.9])
    # t=2: g = [1.8, -3.8] + 0.5 * [0.9, -1.9] = [2.25, -4.75]; s = [6.25 + 5.0625, 25 + 22.5625]
    #      clr = 0.1 / (1 + 1 * 0.5) = 1/15: the decayed rate
    clr = 0.1 / 1.5
    assert close(x[2], [0.9 - clr * 2.25 / math.sqrt(11.3125),
                        -1.9 + clr * 4.75 / math.sqrt(47.5625)])  # fmt: skip
    # torch's default eps = 1e-10 sits outside the root: x1 = 1 - 0.1 * 2 / (2 + 1e-10)
    x = steps("adagrad_torch", [1.0], n=1, step_size=0.1)
    assert close(x[1], [1.0 - 0.2 / (2.0 + 1e-10)])
    assert x[1, 0] != 0.9


def test_optax_adagrad_zero_accumulator_and_zero_gradient_is_no_update():
    # coordinate 0 starts at exactly 0 with initial_accumulator 0: g = 0, s = 0 -> the
    # update is 0 (optax: where(s > 0, rsqrt(s + eps), 0) * g), never 0 * inf = NaN
    x = steps("adagrad_optax", [0.0, 1.0], step_size=0.1, initial_accumulator=0.0)
    assert x[1, 0] == 0.0 and x[2, 0] == 0.0
    # coordinate 1: g = 2, s = 4; eps = 1e-7 inside the root: x1 = 1 - 0.1 * 2 / sqrt(4 + 1e-7)
    assert close(x[1, 1], 1.0 - 0.1 * (2.0 / math.sqrt(4.0 + 1e-7)))
    # the default initial accumulator 0.1: x1 = 1 - 0.1 * 2 / sqrt(4.1 + 1e-7)
    x = steps("adagrad_optax", [1.0], n=1, step_size=0.1)
    assert close(x[1], [1.0 - 0.1 * (2.0 / math.sqrt(4.1 + 1e-7))])


def test_keras_adagrad_float32_learning_rate_and_decoupled_weight_decay():
    lr32 = 0.10000000149011612  # float32(0.1): Keras 3 keeps the rate in a floatx variable
    assert float(np.float32(0.1)) == lr32
    x = steps("adagrad_keras", [1.0, -2.0], n=1, choices={"backend": "jax"}, step_size=0.1,
              weight_decay=0.5)  # fmt: skip
    # decoupled decay first, with the gradient taken at x0: xd = x0 - (x0 * 0.5) * lr32
    # then s = 0.1 + g^2 = [4.1, 16.1] (the accumulator stays 0.1 in float64),
    # x1 = xd - lr32 * g / sqrt(s + 1e-7)
    want = [1.0 - 0.5 * lr32 - (lr32 * 2.0) / math.sqrt(4.1 + 1e-7),
            -2.0 + 1.0 * lr32 + (lr32 * 4.0) / math.sqrt(16.1 + 1e-7)]  # fmt: skip
    assert close(x[1], want)
    # the float32 rate is visible: a float64 0.1 would be 1.5e-9 relative away
    as_float64 = [1.0 - 0.05 - 0.2 / math.sqrt(4.1 + 1e-7)]
    assert not close(x[1, :1], as_float64, rtol=1e-12)


def test_keras_backends_round_the_settings_as_keras_does():
    lr32, acc32, wd32 = (float(np.float32(v)) for v in (0.1, 0.1, 0.3))
    assert acc32 == 0.10000000149011612
    # TensorFlow, the default: the accumulator from a float32 constant, wd through float32
    x = steps("adagrad_keras", [1.0], n=1, step_size=0.1, weight_decay=0.3)
    assert x[1, 0] == (1.0 - (1.0 * wd32) * lr32) - (lr32 * 2.0) / math.sqrt((acc32 + 4.0) + 1e-7)
    # torch: x * (1 - wd * lr), the factor computed in float32
    x = steps("adagrad_keras", [1.0], n=1, choices={"backend": "torch"}, step_size=0.1,
              weight_decay=0.3)  # fmt: skip
    factor = float(np.float32(1.0) - np.float32(0.3) * np.float32(0.1))
    assert x[1, 0] == 1.0 * factor - (lr32 * 2.0) / math.sqrt((0.1 + 4.0) + 1e-7)
    jax = steps("adagrad_keras", [1.0], n=1, choices={"backend": "jax"}, step_size=0.1,
                weight_decay=0.3)  # fmt: skip
    assert len({x[1, 0], jax[1, 0]}) == 2


def test_prox_adagrad_soft_threshold_gives_exact_zero():
    x = steps("adagrad_prox", [1.0, -2.0], step_size=0.5, initial_accumulator=TINY,
              l1=3.0, l2=1.0)  # fmt: skip
    # t=1: s = [4, 16]; a = 0.5 / sqrt(s) = [0.25, 0.125]; v = x - a g = [0.5, -1.5]
    #      shrink by a * l1 = [0.75, 0.375]: [0, -1.125]; divide by 1 + l2 a = [1.25, 1.125]
    assert x[1, 0] == 0.0 and x[1, 1] == -1.0
    # t=2: g = [0, -2]; s = [4, 20]; coordinate 0: v = 0 - 0 = 0 stays exactly 0
    #      coordinate 1: a = 0.5 / sqrt(20); v = -1 + 2a; x = -(|v| - 3a) / (1 + a)
    a = 0.5 * (1.0 / math.sqrt(20.0))
    assert x[2, 0] == 0.0
    assert close(x[2, 1], -(abs(-1.0 + 2.0 * a) - a * 3.0) / (1.0 + a))
    # without l1 and l2 it is AdaGrad with initial accumulator: x1 = [1 - 0.5, -2 + 0.5]
    assert close(steps("adagrad_prox", [1.0, -2.0], n=1, step_size=0.5,
                       initial_accumulator=TINY)[1], [0.5, -1.5])  # fmt: skip


def test_rda_gives_exact_zeros_with_l1():
    x = steps("adagrad_rda", [1.0, -2.0], step_size=0.5, eps=TINY, l1=2.0)
    # t=1: z = [2, -4]; s = [4, 16]; h = [2, 4]; u = x0 - 0.5 z / h = [0.5, -1.5]
    #      threshold 0.5 * 1 * 2 / h = [0.5, 0.25]: x1 = [0, -1.25]
    assert x[1, 0] == 0.0 and x[1, 1] == -1.25
    # t=2: g = [0, -2.5]; z = [2, -6.5]; s = [4, 22.25]; h = [2, sqrt(22.25)]
    #      coordinate 0: u = 0.5, threshold 0.5 * 2 * 2 / 2 = 1: still exactly 0
    #      (the average gradient |z| / t = 1 is below l1 = 2)
    h = math.sqrt(22.25)
    assert x[2, 0] == 0.0
    assert close(x[2, 1], -(abs(-2.0 - 0.5 * -6.5 / h) - 0.5 * 2 * 2.0 / h))
    # centred at x_1: without l1, x1 = x0 - 0.5 z / h = [0.5, -1.5]
    assert close(steps("adagrad_rda", [1.0, -2.0], n=1, step_size=0.5, eps=TINY)[1],
                 [0.5, -1.5])  # fmt: skip


def test_adagrad_norm_has_one_accumulator_per_trajectory():
    x = steps("adagrad_norm", [1.5, -2.0], step_size=0.5, eps=TINY)
    # t=1: g = [3, -4]; b2 = 9 + 16 = 25; alpha = 0.5 / 5 = 0.1; x1 = x0 - 0.1 g
    assert close(x[1], [1.2, -1.6])
    assert close(x[1, 0] / x[1, 1], 1.5 / -2.0)  # both coordinates scaled alike
    # (coordinate-wise AdaGrad would move each by 0.5: [1.0, -1.5])
    # t=2: g = [2.4, -3.2]; b2 = 25 + 5.76 + 10.24 = 41; x2 = x1 - 0.5 / sqrt(41) g
    alpha = 0.5 / math.sqrt(41.0)
    assert close(x[2], [1.2 - alpha * 2.4, -1.6 + alpha * 3.2])


def test_adagrad_full_by_an_explicit_2x2_eigendecomposition():
    """Rosenbrock d=2 from [0, 0.01], G_0 = I: G is never diagonal."""
    x = steps("adagrad_full", [0.0, 0.01], objective="rosenbrock", step_size=0.3, eps=TINY,
              initial_accumulator=1.0)  # fmt: skip
    # t=1: r = 0.01 - 0 = 0.01, q = 1: g = [-400*0*r - 2*1, 200*r] = [-2, 2]
    #      G1 = I + g g^T = [[5, -4], [-4, 5]]: eigenvalues 9 on (1, -1)/sqrt2, 1 on (1, 1)/sqrt2
    #      g lies on the first: (G1^(1/2))^-1 g = g / 3; x1 = x0 - 0.3 g / 3 = [0.2, -0.19]
    assert close(x[1], [0.2, -0.19])
    # t=2: r = -0.19 - 0.04 = -0.23, q = 0.8: g = [-400*0.2*r - 2*0.8, 200 r] = [16.8, -46]
    #      G2 = G1 + g g^T = [[287.24, -776.8], [-776.8, 2121]]
    #      eigenvalues (a + c)/2 +- hypot((a - c)/2, b) = 2405.8217826..., 2.4182173...
    x1 = [0.0 - 0.3 * -2.0 / 3.0, 0.01 - 0.3 * 2.0 / 3.0]
    r = x1[1] - x1[0] * x1[0]
    g = [-400.0 * x1[0] * r - 2.0 * (1.0 - x1[0]), 200.0 * r]
    a, b, c = 5.0 + g[0] * g[0], -4.0 + g[0] * g[1], 5.0 + g[1] * g[1]
    assert close([a, b, c], [287.24, -776.8, 2121.0], rtol=1e-14)
    rad = math.hypot((a - c) / 2.0, b)
    step = [0.0, 0.0]
    for lam in ((a + c) / 2.0 + rad, (a + c) / 2.0 - rad):
        v = [b, lam - a]  # (G - lam I) v = 0 from the first row
        norm = math.hypot(*v)
        v = [v[0] / norm, v[1] / norm]
        coef = (v[0] * g[0] + v[1] * g[1]) / math.sqrt(lam)  # (v . g) / (eps + sqrt(lam))
        step = [step[0] + coef * v[0], step[1] + coef * v[1]]
    assert close(x[2], [x1[0] - 0.3 * step[0], x1[1] - 0.3 * step[1]], rtol=1e-13)
    assert 2405.82 < (a + c) / 2.0 + rad < 2405.83 and 2.418 < (a + c) / 2.0 - rad < 2.419


def test_momentum_first_step_and_nesterov_by_hand():
    # t=1: buf = g (no dampening at the first step); x1 = x0 - 0.1 g = [0.8, -1.6]
    # t=2: g = [1.6, -3.2]; buf = 0.9 [2, -4] + g = [3.4, -6.8]; x2 = x1 - 0.1 buf
    x = steps("momentum", [1.0, -2.0], step_size=0.1, momentum=0.9)
    assert close(x[1], [0.8, -1.6]) and close(x[2], [0.46, -0.92])
    # nesterov, t=1: d = g + 0.9 buf = 1.9 g; x1 = x0 - 0.19 g = [0.62, -1.24]
    # t=2: g = [1.24, -2.48]; buf = 0.9 [2, -4] + g = [3.04, -6.08]
    #      d = g + 0.9 buf = [3.976, -7.952]; x2 = x1 - 0.1 d = [0.2224, -0.4448]
    x = steps("momentum", [1.0, -2.0], step_size=0.1, momentum=0.9, nesterov=True)
    assert close(x[1], [0.62, -1.24]) and close(x[2], [0.2224, -0.4448])
    # dampening 0.5: the first step ignores it (buf = g); then buf = 0.9 buf + 0.5 g
    #      = [1.8 + 0.8, -3.6 - 1.6]; x2 = [0.8 - 0.26, -1.6 + 0.52]
    x = steps("momentum", [1.0, -2.0], step_size=0.1, momentum=0.9, dampening=0.5)
    assert close(x[1], [0.8, -1.6]) and close(x[2], [0.54, -1.08])
    # momentum 0 is SGD; weight decay 0.5: g = 2x + 0.5x = 2.5x; x1 = (1 - 0.25) x0
    x = steps("momentum", [1.0, -2.0], step_size=0.1, momentum=0.0, weight_decay=0.5)
    assert close(x[1], [0.75, -1.5]) and close(x[2], [0.5625, -1.125])


def test_rmsprop_centered_and_momentum_by_hand():
    hp = {"step_size": 0.1, "alpha": 0.75, "eps": TINY}
    # t=1: v = 0.25 g^2 = [1, 4]; avg = sqrt(v) = [1, 2]; x1 = x0 - 0.1 g / avg = [0.8, -1.8]
    x = steps("rmsprop", [1.0, -2.0], n=1, **hp)
    assert close(x[1], [0.8, -1.8])
    # centred: grad_avg = lerp(0, g, 0.25) = [0.5, -1]; avg = sqrt(v - grad_avg^2)
    #      = sqrt([0.75, 3]); x1 = x0 - 0.1 g / avg
    x = steps("rmsprop", [1.0, -2.0], n=1, centered=True, **hp)
    assert close(x[1], [1.0 - 0.1 * 2.0 / math.sqrt(0.75), -2.0 + 0.1 * 4.0 / math.sqrt(3.0)])
    # momentum 0.5: t=1 buf = g / avg = [2, -2], x1 = [0.8, -1.8];
    # t=2: g = [1.6, -3.6]; v = 0.75 [1, 4] + 0.25 [2.56, 12.96] = [1.39, 6.24]
    #      buf = 0.5 [2, -2] + g / sqrt(v); x2 = x1 - 0.1 buf
    x = steps("rmsprop", [1.0, -2.0], momentum=0.5, **hp)
    buf = [1.0 + 1.6 / math.sqrt(1.39), -1.0 - 3.6 / math.sqrt(6.24)]
    assert close(x[1], [0.8, -1.8])
    assert close(x[2], [0.8 - 0.1 * buf[0], -1.8 - 0.1 * buf[1]])


def test_adam_bias_correction_at_step_one_and_amsgrad():
    x = steps("adam", [1.0, -2.0], n=1, step_size=0.1)
    # t=1: m = 0.1 g, v = 0.001 g^2; m / (1 - 0.9) = g and sqrt(v / (1 - 0.999)) = |g|:
    #      x1 = x0 - 0.1 g / (|g| + eps (1 - 0.9) ...) ~ x0 - 0.1 sign(g)
    assert np.all(np.abs(x[1] - [0.9, -1.9]) < 1e-9)
    # exactly, in torch's order: step = lr / (1 - beta1^1), denom = sqrt(v) / sqrt(1 - beta2^1)
    step, bc2 = 0.1 / (1 - 0.9), math.sqrt(1 - 0.999)
    want = [
        gi_x + (-step * ((1 - 0.9) * gi)) / (math.sqrt((1 - 0.999) * gi * gi) / bc2 + 1e-8)
        for gi_x, gi in ((1.0, 2.0), (-2.0, -4.0))
    ]
    assert close(x[1], want)
    # amsgrad: betas 0.5, 0.5 so that v falls at step 2 and the maximum keeps v1
    hp = {"step_size": 0.9, "beta1": 0.5, "beta2": 0.5}
    plain = steps("adam", [1.0, -2.0], **hp)
    ams = steps("adam", [1.0, -2.0], amsgrad=True, **hp)
    # t=1 (both): m1 = g/2 = [1, -2], v1 = g^2/2 = [2, 8]; step = 0.9 / (1 - 0.5) = 1.8
    #      sqrt(v1) / sqrt(1 - 0.5) = [2, 4]: x1 = [1 - 1.8 / (2 + 1e-8), -2 + 3.6 / (4 + 1e-8)]
    x1 = [1.0 - 1.8 * 1.0 / (2.0 + 1e-8), -2.0 + 1.8 * 2.0 / (4.0 + 1e-8)]
    assert close(plain[1], x1) and close(ams[1], x1)
    # t=2: g2 = 2 x1 ~ [0.2, -2.2]; m2 = lerp(m1, g2, 0.5) = g2 - (g2 - m1) * 0.5
    #      v2 = 0.5 v1 + 0.5 g2^2 ~ [1.02, 6.42] < v1: AMSGrad divides by sqrt(v1) instead
    g2 = [2.0 * x1[0], 2.0 * x1[1]]
    m2 = [gi - (gi - mi) * 0.5 for gi, mi in zip(g2, [1.0, -2.0], strict=True)]
    v2 = [0.5 * vi + 0.5 * gi * gi for gi, vi in zip(g2, [2.0, 8.0], strict=True)]
    assert v2[0] < 2.0 and v2[1] < 8.0
    step2, bc2 = 0.9 / (1 - 0.25), math.sqrt(1 - 0.25)
    for got, v in ((plain, v2), (ams, [2.0, 8.0])):
        want = [x1[i] - step2 * m2[i] / (math.sqrt(v[i]) / bc2 + 1e-8) for i in range(2)]
        assert close(got[2], want, rtol=2e-15)
    assert not np.array_equal(plain[2], ams[2])


# ------------------------------------------------------------------------ 3. refusals


@pytest.mark.parametrize(
    ("name", "x0", "hp", "start"),
    [
        ("adam", [[1.0]], {"l1": 0.1}, "hyperparameters: 'l1' is not one of adam's"),
        ("adagrad_torch", [[1.0]], {"weight_decay": -1.0}, "weight_decay: "),
        ("rmsprop", [[1.0]], {"weight_decay": [0.1, -0.1]}, "weight_decay: "),
        ("adam", [[1.0]], {"beta1": 1.0}, "beta1: "),
        ("adam", [[1.0]], {"beta2": 1.5}, "beta2: "),
        ("momentum", [[1.0]], {"nesterov": 1}, "nesterov: "),
        ("momentum", [[1.0]], {"nesterov": "true"}, "nesterov: "),
        ("adam", [[1.0]], {"amsgrad": 1.0}, "amsgrad: "),
        ("adam", [[1.0]], {"step_size": True}, "step_size: "),
        ("momentum", [[1.0]], {"nesterov": True, "momentum": 0.0}, "nesterov: "),
        ("momentum", [[1.0]], {"nesterov": True, "dampening": 0.1}, "nesterov: "),
        # one lane with nesterov, another with dampening: refused (as a sweep would be)
        ("momentum", [[1.0], [2.0]],
         {"nesterov": np.array([True, False]), "dampening": [0.0, 0.1]}, "nesterov: "),
        ("adagrad_prox", [[1.0]], {"initial_accumulator": 0.0}, "initial_accumulator: "),
        ("adagrad_full", np.zeros((1, 33)), {}, "x0: adagrad_full takes d <= 32"),
    ],
)  # fmt: skip
def test_api_refusals_name_the_argument(name, x0, hp, start):
    with pytest.raises(ValueError) as err:
        al.advance(x0, n_iter=2, optimizer=name, hyperparameters=hp)
    assert str(err.value).startswith(start), str(err.value)
    assert "\n" not in str(err.value)


def test_api_accepts_flags_as_python_or_numpy_bools_per_lane():
    x0 = np.array([[1.0, -2.0]] * 3)
    for flag in (True, np.True_, np.array([True, False, True])):
        result = al.advance(x0, n_iter=3, optimizer="adam", hyperparameters={"amsgrad": flag})
        assert np.isfinite(result.f_final).all()
    at_32 = al.advance(np.full((1, 32), 0.5), n_iter=2, optimizer="adagrad_full")
    assert at_32.x_final.shape == (1, 32)


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["optimizer=adam", "optimizer.l1=0.1"], "optimizer.l1"),
        (["optimizer=adagrad_torch", "optimizer.weight_decay=-1"], "optimizer.weight_decay"),
        (["optimizer=adagrad_full", "objective.dim=40"], "objective.dim"),
    ],
)
def test_cli_refusals_exit_2_in_one_line_and_write_nothing(tmp_path, args, key):
    out = tmp_path / "out"
    done = run_cli([*FAST, *args, f"hydra.run.dir={out}"], tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"adagrad-lab: error: {key}"), lines[0]
    assert "Traceback" not in done.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- 4. grid


def _same_as_the_api(traj, name: str, objective: str, n_iter: int) -> None:
    """Every stored trajectory is what `advance` computes from its row's x0 and
    hyperparameter columns: the columns hold the values the kernel ran with."""
    hp = {}
    for h in OPTIMIZERS[name].hyperparameters:
        column = traj[h.name].to_numpy()
        hp[h.name] = column.astype(bool) if h.boolean else column.astype(np.float64)
    x0 = np.stack(traj["x0"].to_numpy())
    result = al.advance(x0, n_iter=n_iter, optimizer=name, objective=objective, hyperparameters=hp)
    assert np.array_equal(np.stack(traj["x_final"].to_numpy()), result.x_final)
    assert np.array_equal(traj["f_final"].to_numpy(), result.f_final)


def test_cli_grid_over_lr_decay_and_a_logspace_of_step_sizes(tmp_path):
    seeds = 2
    args = [
        "objective=sphere",
        "optimizer=adagrad_torch",
        "optimizer.lr_decay=[0,0.01]",
        "optimizer.step_size=${logspace:1e-3,1,7}",
        f"sweep.seeds={seeds}",
        "sweep.n_iter=10",
        "run.progress=false",
        "echo=none",
        "report.enabled=false",
        "hydra.run.dir=grid",
    ]
    done = run_cli(args, tmp_path)
    assert done.returncode == 0, done.stderr
    traj = read_trajectories(tmp_path / "grid")
    assert len(traj) == 2 * 7 * seeds
    schema = pq.read_schema(sorted((tmp_path / "grid" / "trajectories").glob("*.parquet"))[0])
    for name in ("step_size", "eps", "initial_accumulator", "lr_decay", "weight_decay"):
        assert schema.field(name).type == pa.float64(), name
    assert set(OPTIMIZERS["adagrad_torch"].names) <= set(traj.columns)
    steps_ = np.logspace(-3, 0, 7)
    assert sorted(set(traj["step_size"])) == sorted(steps_.tolist())
    assert sorted(set(traj["lr_decay"])) == [0.0, 0.01]
    assert set(traj["eps"]) == {1e-10} and set(traj["weight_decay"]) == {0.0}
    assert set(traj["initial_accumulator"]) == {0.0}
    combos = traj.groupby(["lr_decay", "step_size"]).size()
    assert len(combos) == 14 and (combos == seeds).all()
    assert (traj["optimizer"].astype(str) == "adagrad_torch").all()
    _same_as_the_api(traj, "adagrad_torch", "sphere", 10)
    # lr_decay makes a difference: same seed and step size, other lr_decay
    big = traj[traj["step_size"] == 1.0].sort_values(["seed", "lr_decay"])
    finals = np.stack(big["x_final"].to_numpy())
    assert not np.array_equal(finals[0], finals[1])


def test_a_flag_axis_is_a_bool_column(make_cfg, tmp_path):
    cfg = make_cfg([*FAST, "objective=sphere", "optimizer=adam", "optimizer.amsgrad=[false,true]",
                    "optimizer.beta2=0.5"])  # fmt: skip
    run(cfg, tmp_path)
    schema = pq.read_schema(sorted((tmp_path / "trajectories").glob("*.parquet"))[0])
    assert schema.field("amsgrad").type == pa.bool_()
    traj = read_trajectories(tmp_path)
    assert traj["amsgrad"].dtype == bool and len(traj) == 2 * 2 * 3
    assert traj["amsgrad"].sum() == 6
    _same_as_the_api(traj, "adam", "sphere", 20)


# ------------------------------------------------------------------- 5. determinism


def mixed_lanes(name: str, n: int, seed: int) -> dict[str, np.ndarray]:
    """n lanes with step sizes spread over two decades and the rule's flag mixed."""
    rng = np.random.default_rng(seed)
    default = OPTIMIZERS[name].hyperparameters[0].default
    hp = {"step_size": default * 10.0 ** rng.uniform(-1.0, 1.0, n)}
    if name in FLAGS:
        hp[FLAGS[name]] = rng.random(n) < 0.5
    if name in ("adagrad_prox", "adagrad_rda"):
        hp["l1"] = rng.choice([0.0, 0.01, 0.1], n)
    if name == "adagrad_torch":
        hp["lr_decay"] = rng.choice([0.0, 0.1], n)
    return hp


def kernel_call(name: str, objective: str, x0, hp: dict, block: int, n_iter: int = 12):
    """(args, kwargs) of the private kernel's `advance` for `with_threads`."""
    opt = OPTIMIZERS[name]
    matrix = np.zeros((N_HP, x0.shape[0]))
    for row, h in enumerate(opt.hyperparameters):
        matrix[row] = np.asarray(hp.get(h.name, h.default), dtype=np.float64)
    kwargs = {
        "rule": opt.code, "n_iter": n_iter, "code": OBJECTIVES[objective].code,
        "params": OBJECTIVES[objective].params(x0.shape[1]),
        "rec_iters": np.arange(n_iter + 1), "rec_points": True, "block": block,
    }  # fmt: skip
    return (x0, matrix), kwargs


def assert_same_kernel_outputs(a: dict, b: dict) -> None:
    for key in ("x_final", "f_final", "f_best", "hit_at", "died_at", "last_iter"):
        assert same_bytes(a[key], b[key]), key
    for j in range(a["last_iter"].size):  # history past last_iter is undefined
        valid = np.arange(a["h_f"].shape[1]) <= a["last_iter"][j]
        for key in ("h_f", "h_gn", "h_x"):
            assert same_bytes(a[key][j, valid], b[key][j, valid]), (key, j)


def same_bytes(a, b) -> bool:
    return np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def determinism_batch(name: str, objective: str, n: int = 37, seed: int = 0):
    d = 2 if name == "adagrad_full" or objective == "rosenbrock" else 3
    x0 = np.random.default_rng(seed).uniform(-1.0, 1.0, (n, d))
    return x0, mixed_lanes(name, n, seed)


@settings(max_examples=30, **SETTINGS)
@given(
    st.sampled_from(NEW_RULES),
    st.sampled_from(["sphere", "rosenbrock"]),
    st.integers(1, 40),
    st.integers(0, 2**16),
)
def test_independent_of_block_size(name, objective, block, seed):
    x0, hp = determinism_batch(name, objective, seed=seed)
    args, kwargs = kernel_call(name, objective, x0, hp, block=x0.shape[0])
    ref_out = kernel_advance(*args, **kwargs)
    args, kwargs = kernel_call(name, objective, x0, hp, block=block)
    assert_same_kernel_outputs(kernel_advance(*args, **kwargs), ref_out)


@pytest.mark.parametrize("name", NEW_RULES)
def test_every_new_rule_is_independent_of_block_size(name):
    """The hypothesis test above samples rules; this one runs each, on both paths."""
    for objective in ("sphere", "rosenbrock"):
        x0, hp = determinism_batch(name, objective)
        args, kwargs = kernel_call(name, objective, x0, hp, block=x0.shape[0])
        ref_out = kernel_advance(*args, **kwargs)
        for block in (1, 3, 8):
            args, kwargs = kernel_call(name, objective, x0, hp, block=block)
            assert_same_kernel_outputs(kernel_advance(*args, **kwargs), ref_out)


@pytest.fixture(scope="module")
def new_rule_thread_runs(tmp_path_factory):
    """Every new rule's mixed batch (blocks of 4) on 1 and on 2 threads."""
    calls = []
    for name in NEW_RULES:
        x0, hp = determinism_batch(name, "sphere", n=64)
        calls.append(kernel_call(name, "sphere", x0, hp, block=4))
    tmp_dir = tmp_path_factory.mktemp("threads")
    return {n: with_threads(n, calls, tmp_dir) for n in (1, 2)}


@pytest.mark.parametrize("index", range(len(NEW_RULES)), ids=NEW_RULES)
def test_independent_of_thread_count(new_rule_thread_runs, index):
    (one, _, single), (two, _, multi) = (
        new_rule_thread_runs[1][index],
        new_rule_thread_runs[2][index],
    )
    assert one == 1 and two >= 2
    assert_same_kernel_outputs(single, multi)


def stored(run_dirs: list[Path], dataset: str) -> pa.Table:
    """One dataset of a run, or of the union of a run's shards, sorted by its keys."""
    keys = ["trajectory"] if dataset == "trajectories" else ["trajectory", "iter"]
    parts = [pq.read_table(d / dataset).replace_schema_metadata(None) for d in run_dirs]
    table = pa.concat_tables(parts).unify_dictionaries()
    return table.sort_by([(k, "ascending") for k in keys])


def assert_same_results(a: list[Path], b: list[Path]) -> None:
    """Both datasets hold the same rows, bit for bit (verify's own comparison)."""
    for dataset in ("trajectories", "history"):
        left, right = stored(a, dataset), stored(b, dataset)
        assert left.num_rows > 0, dataset
        assert integrity.same_bits(left, right) == [], dataset


def test_verify_compares_a_bool_column():
    """The flags' bool columns go through `adagrad-lab-verify`'s comparison too."""
    flags = pa.chunked_array([pa.array([True, False, True])])
    assert integrity.column_bits(flags) != integrity.column_bits(
        pa.chunked_array([pa.array([True, True, True])])
    )
    table = pa.table({"amsgrad": flags})
    assert integrity.same_bits(table, table) == []


def sweep_for(name: str) -> list[str]:
    """FAST, on the sphere, 7 seeds, points recorded; the rule's flag as an axis."""
    args = [*FAST, f"optimizer={name}", "objective=sphere", "record.points=true", "sweep.seeds=7"]
    if name in FLAGS:
        args.append(f"optimizer.{FLAGS[name]}=[false,true]")
    return args


@pytest.mark.parametrize("name", NEW_RULES)
def test_results_do_not_depend_on_chunk_block_threads_or_shards(make_cfg, tmp_path, name):
    base = sweep_for(name)
    run(make_cfg(base), tmp_path / "ref")
    cut = ["run.chunk_size=3", "run.block=5", "run.threads=2", "shard.count=3"]
    shards = [tmp_path / f"shard{i}" for i in range(3)]
    for index, shard in enumerate(shards):
        run(make_cfg([*base, *cut, f"shard.index={index}"]), shard)
    total = sum(len(read_trajectories(s)) for s in shards)
    assert total == len(read_trajectories(tmp_path / "ref"))
    assert_same_results([tmp_path / "ref"], shards)


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture], **SETTINGS)
@given(
    name=st.sampled_from(NEW_RULES),
    chunk=st.integers(1, 30),
    block=st.sampled_from([1, 3, 8, 64]),
    threads=st.sampled_from([1, 2]),
    shards=st.integers(1, 4),
)
def test_random_cuts_of_a_new_rules_sweep(make_cfg, tmp_path_factory, name, chunk, block,
                                          threads, shards):  # fmt: skip
    base = sweep_for(name)
    ref_dir, dirs = run_cut(make_cfg, tmp_path_factory, base, chunk, block, threads, shards)
    assert_same_results([ref_dir], dirs)


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", ["adam", "adagrad_full"])
def test_resume_and_verify_a_new_rule(make_cfg, tmp_path, capsys, name):
    chunked = [*sweep_for(name), "run.chunk_size=2", "sweep.target=1e-3"]
    run(make_cfg(chunked), tmp_path / "clean")
    run(make_cfg(chunked), tmp_path / "run")
    assert verify_cmd.main([str(tmp_path / "run")]) == 0
    assert "OK:" in capsys.readouterr().out
    _flip(sorted((tmp_path / "run" / "history").glob("part-000001*.parquet"))[0])
    sorted((tmp_path / "run" / "trajectories").glob("part-000002*.parquet"))[0].unlink()
    assert verify_cmd.main([str(tmp_path / "run")]) == 1
    out = capsys.readouterr().out
    assert "chunk 1" in out and "chunk 2" in out
    run(make_cfg(chunked), tmp_path / "run")  # resumes: recomputes chunks 1 and 2 only
    err = capsys.readouterr().err
    assert "chunk 1:" in err and "chunk 2:" in err
    assert_same_results([tmp_path / "clean"], [tmp_path / "run"])
    assert verify_cmd.main([str(tmp_path / "run")]) == 0
    manifest = read_manifest(tmp_path / "run")
    assert manifest["config"]["optimizer"]["name"] == name
    assert all(c["status"] == "done" for c in manifest["chunks"])
    assert len(read_history(tmp_path / "run")) == len(read_trajectories(tmp_path / "run")) * 21
