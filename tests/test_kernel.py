"""The batch kernel against the plain-Python loop of `naive`, bit for bit."""

from __future__ import annotations

import math
import os
import pickle
import subprocess
import sys
from pathlib import Path

import naive
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adagrad_lab
from adagrad_lab.catalog import OBJECTIVES, TEST_FUNCTIONS
from adagrad_lab.jit.tools import square
from adagrad_lab.kernel.custom import block_evaluator, compile_custom
from adagrad_lab.kernel.driver import (
    N_HP,
    RULE_ADAGRAD,
    RULE_GD,
    advance,
    block_group,
    spread_stride,
)

MAX_DIM = 6
SETTINGS = {"deadline": None, "database": None}
RULE_NAMES = {RULE_ADAGRAD: "adagrad", RULE_GD: "gd"}

# the tutorial's published progress lines (whitespace collapsed), a few of the 50
TUTORIAL_LINES = {
    0: ">0 f([-0.06595599 0.34064899]) = 0.12039",
    1: ">1 f([-0.02902286 0.27948766]) = 0.07896",
    9: ">9 f([-4.77542704e-05 8.24607972e-02]) = 0.00680",
    35: ">35 f([-4.35392094e-14 2.23394494e-03]) = 0.00000",
    49: ">49 f([-5.90360555e-19 3.21927835e-04]) = 0.00000",
}


def same_bits(a, b) -> bool:
    return naive.bits(np.ravel(a)) == naive.bits(np.ravel(b))


def make_hp(step, eps, acc0):
    step = np.asarray(step, np.float64)
    hp = np.empty((N_HP, step.size))
    hp[0] = step
    hp[1] = eps
    hp[2] = acc0
    return hp


def all_iters(n_iter: int) -> np.ndarray:
    return np.arange(n_iter + 1, dtype=np.int64)


def check_against_naive(out, name, x0, hp, rule, n_iter, params, rec_iters,
                        target=None, stop_at_target=False):  # fmt: skip
    """Every trajectory of a kernel result equals its `naive_run`, bit for bit."""
    rec_iters = np.asarray(rec_iters)
    for j in range(x0.shape[0]):
        traj = naive.naive_run(
            name, x0[j], hp[0, j], hp[1, j], hp[2, j], RULE_NAMES[rule], n_iter, params,
            target=target, stop_at_target=stop_at_target,
        )  # fmt: skip
        ref = naive.summarize(traj, target)
        ctx = (name, j, x0[j], hp[:, j], RULE_NAMES[rule], n_iter)
        last = int(out["last_iter"][j])
        assert last == ref["last_iter"], ctx
        assert out["died_at"][j] == ref["died_at"], ctx
        assert out["hit_at"][j] == ref["hit_at"], ctx
        assert same_bits(out["x_final"][j], ref["x_final"]), ctx
        assert same_bits(out["f_final"][j], ref["f_final"]), ctx
        assert same_bits(out["f_best"][j], ref["f_best"]), ctx
        valid = rec_iters <= last
        ks = rec_iters[valid]
        assert same_bits(out["h_f"][j, valid], [traj[k][0] for k in ks]), ctx
        assert same_bits(out["h_gn"][j, valid], [traj[k][1] for k in ks]), ctx
        if out["h_x"].size:
            assert same_bits(out["h_x"][j, valid], [traj[k][2] for k in ks]), ctx


# Every objective is checked under AdaGrad; gradient descent's update on a fused and an
# unfused objective (its update is the same code on every objective). Each pair of
# objective and rule is a kernel variant the suite compiles.
GD_CHECKED = ("sphere", "ellipsoid", "rosenbrock")


@st.composite
def batches(draw, max_n=4, step_exp=(-4.0, 1.0), start_scale_exp=None):
    """A small batch: objective, dimension, params, start points, hyperparameters, rule.

    Step sizes are log-uniform over 10**step_exp; ``start_scale_exp`` scales the
    start points by 10**e, e drawn from that range."""
    name = draw(st.sampled_from(tuple(TEST_FUNCTIONS)))
    lo_d, hi_d = OBJECTIVES[name].dims
    d = draw(st.integers(lo_d, MAX_DIM if hi_d is None else hi_d))
    params = OBJECTIVES[name].params(d, draw(st.floats(0.0, 8.0)))
    n = draw(st.integers(1, max_n))
    seed = draw(st.integers(0, 2**32 - 1))
    lo, hi = OBJECTIVES[name].bounds
    x0 = np.random.default_rng(seed).uniform(lo, hi, (n, d))
    if start_scale_exp is not None:
        x0 *= 10.0 ** draw(st.floats(*start_scale_exp))
    steps = [10.0 ** draw(st.floats(*step_exp)) for _ in range(n)]
    eps = draw(st.sampled_from([1e-8, 1e-6, 1e-2, 0.0]))
    acc0 = draw(st.sampled_from([0.0, 0.0, 0.1]))
    rule = draw(st.sampled_from([RULE_ADAGRAD, RULE_GD])) if name in GD_CHECKED else RULE_ADAGRAD
    n_iter = draw(st.integers(1, 60))
    return name, params, x0, make_hp(steps, eps, acc0), rule, n_iter


@settings(max_examples=120, **SETTINGS)
@given(batches(), st.integers(1, 5))
def test_kernel_equals_naive_bit_for_bit(batch, block):
    _check_every_iteration(batch, block)


def _check_every_iteration(batch, block: int) -> None:
    """Record every iteration with points and compare the whole run with the naive loop."""
    name, params, x0, hp, rule, n_iter = batch
    rec = all_iters(n_iter)
    out = advance(
        x0, hp, rule=rule, n_iter=n_iter, code=OBJECTIVES[name].code, params=params,
        rec_iters=rec, rec_points=True, block=block,
    )  # fmt: skip
    check_against_naive(out, name, x0, hp, rule, n_iter, params, rec)


@settings(max_examples=40, **SETTINGS)
@given(batches(step_exp=(1.0, 8.0)), st.integers(1, 5))
def test_kernel_equals_naive_with_huge_steps(batch, block):
    """Step sizes 10..1e8, where many trajectories overflow: the same iteration of death."""
    _check_every_iteration(batch, block)


@settings(max_examples=60, **SETTINGS)
@given(batches(start_scale_exp=(-330.0, -140.0)), st.integers(1, 5))
def test_kernel_equals_naive_near_underflow(batch, block):
    """Starts so close to zero that squares underflow and coordinates sink into subnormals:
    the kernel's shortcut for squares that underflow must keep the naive loop's bits."""
    _check_every_iteration(batch, block)


@settings(max_examples=40, **SETTINGS)
@given(batches(), st.data())
def test_partial_record_schedule(batch, data):
    """Recording any subset of iterations (within one buffer or across) picks the same rows."""
    name, params, x0, hp, rule, n_iter = batch
    rec = np.array(
        sorted(data.draw(st.sets(st.integers(0, n_iter), min_size=1, max_size=n_iter + 1))),
        dtype=np.int64,
    )
    rec_points = data.draw(st.booleans())
    out = advance(
        x0, hp, rule=rule, n_iter=n_iter, code=OBJECTIVES[name].code, params=params,
        rec_iters=rec, rec_points=rec_points, block=2,
    )  # fmt: skip
    assert out["h_f"].shape == (x0.shape[0], rec.size)
    check_against_naive(out, name, x0, hp, rule, n_iter, params, rec)


@pytest.mark.parametrize("n_iter", [0, 30, 31, 32, 33, 63, 64, 65])
def test_record_counts(n_iter):
    """Record counts around powers of two, with a stop in between."""
    rng = np.random.default_rng(n_iter)
    x0 = rng.uniform(-5.12, 5.12, (9, 3))
    steps = np.where(np.arange(9) % 3 == 0, 1e4, 10.0 ** rng.uniform(-3, 0, 9))
    hp = make_hp(steps, 1e-8, 0.0)
    for rule in (RULE_ADAGRAD, RULE_GD):
        out = advance(
            x0, hp, rule=rule, n_iter=n_iter, code=OBJECTIVES["rastrigin"].code,
            rec_iters=all_iters(n_iter), rec_points=True, target=20.0, stop_at_target=True,
            block=4,
        )  # fmt: skip
        check_against_naive(out, "rastrigin", x0, hp, rule, n_iter, np.zeros(1),
                            all_iters(n_iter), target=20.0, stop_at_target=True)  # fmt: skip


def test_empty_batch():
    out = advance(np.zeros((0, 3)), np.zeros((N_HP, 0)), rule=RULE_ADAGRAD, n_iter=5,
                  rec_iters=all_iters(5), rec_points=True)  # fmt: skip
    assert out["x_final"].shape == (0, 3) and out["h_f"].shape == (0, 6)


def test_no_recording():
    x0 = np.random.default_rng(3).uniform(-1, 1, (5, 3))
    out = advance(x0, make_hp([0.1] * 5, 1e-8, 0.0), rule=RULE_ADAGRAD, n_iter=10)
    assert out["h_f"].shape == (5, 0) and out["h_x"].size == 0
    check_against_naive(out, "sphere", x0, make_hp([0.1] * 5, 1e-8, 0.0), RULE_ADAGRAD, 10,
                        np.zeros(1), np.zeros(0, np.int64))  # fmt: skip


# ------------------------------------------------------------------ tutorial


def tutorial_start() -> np.ndarray:
    bounds = np.asarray([[-1.0, 1.0], [-1.0, 1.0]])
    r = np.random.RandomState(1).rand(2)
    return bounds[:, 0] + r * (bounds[:, 1] - bounds[:, 0])


def test_tutorial_transcription_prints_the_published_run():
    lines = []
    bounds = np.asarray([[-1.0, 1.0], [-1.0, 1.0]])
    best, score, _ = naive.tutorial_adagrad(
        naive.tutorial_objective, naive.tutorial_derivative, bounds, 50, 0.1,
        rand=np.random.RandomState(1).rand, report=lines.append,
    )  # fmt: skip
    assert len(lines) == 50
    for it, expected in TUTORIAL_LINES.items():
        assert " ".join(lines[it].replace("[ ", "[").split()) == expected
    done = "f(%s) = %f" % (best, score)  # noqa: UP031 (the tutorial's format)
    assert done == "f([-5.90360555e-19  3.21927835e-04]) = 0.000000"


def test_tutorial_run_bit_for_bit():
    """sphere, step 0.1, 50 iterations from the seed(1) start: the kernel's points are
    the tutorial's solutions, and its values print as the tutorial's lines."""
    bounds = np.asarray([[-1.0, 1.0], [-1.0, 1.0]])
    _, _, solutions = naive.tutorial_adagrad(
        naive.tutorial_objective, naive.tutorial_derivative, bounds, 50, 0.1,
        rand=np.random.RandomState(1).rand,
    )  # fmt: skip
    x0 = tutorial_start()[None, :]
    out = advance(
        x0, make_hp([0.1], 1e-8, 0.0), rule=RULE_ADAGRAD, n_iter=50,
        code=OBJECTIVES["sphere"].code, rec_iters=all_iters(50), rec_points=True,
    )  # fmt: skip
    assert out["last_iter"][0] == 50 and out["died_at"][0] == -1
    assert same_bits(out["h_x"][0, 0], x0[0])
    assert same_bits(out["h_x"][0, 1:], np.asarray(solutions))
    assert same_bits(out["x_final"][0], solutions[-1])
    for it, expected in TUTORIAL_LINES.items():
        point, value = out["h_x"][0, it + 1], out["h_f"][0, it + 1]
        line = ">%d f(%s) = %.5f" % (it, point, value)  # noqa: UP031 (the tutorial's format)
        assert " ".join(line.replace("[ ", "[").split()) == expected
    check_against_naive(out, "sphere", x0, make_hp([0.1], 1e-8, 0.0), RULE_ADAGRAD, 50,
                        np.zeros(1), all_iters(50))  # fmt: skip


# ---------------------------------------------------- block size and threads


def mixed_batch(n, seed):
    """n trajectories in Ackley's box, d=3, step sizes spread over 1e-4..10 (some diverge on GD)."""
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(-32.768, 32.768, (n, 3))
    steps = 10.0 ** rng.uniform(-4, 1, n)
    return x0, make_hp(steps, 1e-8, 0.0)


def mixed_call(x0, hp, rule, block, code=OBJECTIVES["rosenbrock"].code, target=None):
    """The arguments of `advance` for a mixed batch: (args, kwargs)."""
    kwargs = {
        "rule": rule, "n_iter": 40, "code": code, "params": np.zeros(1),
        "rec_iters": np.array([0, 1, 2, 3, 5, 8, 13, 21, 34, 40]), "rec_points": True,
        "target": target, "block": block,
    }  # fmt: skip
    return (x0, hp), kwargs


def run_mixed(x0, hp, rule, block, code=OBJECTIVES["rosenbrock"].code, target=None):
    args, kwargs = mixed_call(x0, hp, rule, block, code, target)
    return advance(*args, **kwargs)


def assert_same_outputs(a, b, last_iter):
    rec = np.array([0, 1, 2, 3, 5, 8, 13, 21, 34, 40])
    for key in ("x_final", "f_final", "f_best", "hit_at", "died_at", "last_iter"):
        assert same_bits(a[key].astype(np.float64), b[key].astype(np.float64)), key
    for j in range(last_iter.size):  # history past last_iter is undefined
        valid = rec <= last_iter[j]
        for key in ("h_f", "h_gn", "h_x"):
            assert same_bits(a[key][j, valid], b[key][j, valid]), (key, j)


@pytest.fixture(scope="module")
def reference_run():
    x0, hp = mixed_batch(300, 11)
    out = run_mixed(x0, hp, RULE_GD, 256, target=1.0)
    assert 0 < np.sum(out["died_at"] >= 0) < 300  # both kinds are present
    return x0, hp, out


@settings(max_examples=25, **SETTINGS)
@given(st.integers(1, 300))
def test_independent_of_block_size(reference_run, block):
    x0, hp, ref = reference_run
    out = run_mixed(x0, hp, RULE_GD, block, target=1.0)
    assert_same_outputs(out, ref, ref["last_iter"])


# Runs `advance` calls in a child process on a given number of threads; see with_threads.
THREADS_WORKER = """
import pickle, sys
import numba
from adagrad_lab.kernel.driver import advance, block_group

with open(sys.argv[1], "rb") as fh:
    threads, calls = pickle.load(fh)
numba.set_num_threads(threads)
results = [
    (numba.get_num_threads(), block_group(args[0].shape[0], kwargs["block"]),
     advance(*args, **kwargs))
    for args, kwargs in calls
]
with open(sys.argv[2], "wb") as fh:
    pickle.dump(results, fh)
"""


def with_threads(threads: int, calls, tmp_dir: Path) -> list[tuple[int, int, dict]]:
    """Each (args, kwargs) call of `advance` run on ``threads`` threads:
    [(numba.get_num_threads() during the call, block_group of the call, output)].

    In this process when Numba's pool is big enough (NUMBA_NUM_THREADS, which CI,
    joblib workers or a 1-core machine set to 1), otherwise in a child process started
    with NUMBA_NUM_THREADS=threads: Numba runs more threads than there are cores.
    """
    if threads <= numba.config.NUMBA_NUM_THREADS:
        before = numba.get_num_threads()
        try:
            numba.set_num_threads(threads)
            return [
                (numba.get_num_threads(), block_group(args[0].shape[0], kwargs["block"]),
                 advance(*args, **kwargs))
                for args, kwargs in calls
            ]  # fmt: skip
        finally:
            numba.set_num_threads(before)
    calls_file, results_file = tmp_dir / "calls.pkl", tmp_dir / "results.pkl"
    calls_file.write_bytes(pickle.dumps((threads, calls)))
    package_root = str(Path(adagrad_lab.__file__).resolve().parents[1])  # these sources
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads), "PYTHONPATH": path}
    proc = subprocess.run(
        [sys.executable, "-c", THREADS_WORKER, str(calls_file), str(results_file)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return pickle.loads(results_file.read_bytes())


@pytest.fixture(scope="module")
def thread_runs(reference_run, tmp_path_factory):
    """The reference batch (block 7) and a batch of 3001 in blocks of 4, on 1 and on 2
    threads: {threads: [(threads used, block group, output), ...]}."""
    x0, hp, _ = reference_run
    big_x0, big_hp = mixed_batch(3001, 12)
    calls = [
        mixed_call(x0, hp, RULE_GD, 7, target=1.0),
        mixed_call(big_x0, big_hp, RULE_GD, 4, target=1.0),
    ]
    tmp_dir = tmp_path_factory.mktemp("threads")
    runs = {n: with_threads(n, calls, tmp_dir) for n in (1, 2)}
    for n, results in runs.items():
        for used, _, _ in results:
            assert used == n  # the thread count each side really ran with
    return runs


def test_independent_of_thread_count(reference_run, thread_runs):
    ref = reference_run[2]
    (one, _, single), (two, _, multi) = thread_runs[1][0], thread_runs[2][0]
    assert one == 1 and two >= 2
    assert_same_outputs(single, multi, ref["last_iter"])
    assert_same_outputs(single, ref, ref["last_iter"])


def test_grouped_block_order_covers_every_block(thread_runs):
    """Many small blocks: they run in spread groups (with padding past the last block);
    every trajectory is still computed exactly once, whatever the thread count."""
    x0, hp = mixed_batch(3001, 12)
    ref = run_mixed(x0, hp, RULE_GD, 3001, target=1.0)  # one block: no reordering
    used = []
    for threads in (1, 2):
        n, group, out = thread_runs[threads][1]
        used.append(n)
        assert group > 1
        assert_same_outputs(out, ref, ref["last_iter"])
    assert used[0] == 1 and used[1] >= 2


# ---------------------------------------------------------------- divergence


def test_divergence_is_marked_and_contained():
    rng = np.random.default_rng(5)
    n = 40
    x0 = rng.uniform(-2.0, 2.0, (n, 4))
    big = np.arange(n) % 2 == 0
    steps = np.where(big, 1e6, 1e-6)
    hp = make_hp(steps, 1e-8, 0.0)
    out = advance(
        x0, hp, rule=RULE_GD, n_iter=50, code=OBJECTIVES["rosenbrock"].code,
        rec_iters=all_iters(50), rec_points=True, block=3,
    )  # fmt: skip
    died = out["died_at"] >= 0
    np.testing.assert_array_equal(died, big)
    np.testing.assert_array_equal(out["last_iter"][died], out["died_at"][died])
    np.testing.assert_array_equal(out["last_iter"][~died], 50)
    finite = np.isfinite(out["f_final"])
    np.testing.assert_array_equal(finite, ~died)
    for j in np.flatnonzero(died):  # finite up to the iteration before it diverged
        k = out["died_at"][j]
        assert np.all(np.isfinite(out["h_f"][j, :k]))
        assert not (np.isfinite(out["h_f"][j, k]) and np.all(np.isfinite(out["h_x"][j, k])))
        assert np.isfinite(out["f_best"][j])
    check_against_naive(out, "rosenbrock", x0, hp, RULE_GD, 50, np.zeros(1), all_iters(50))

    # the survivors are unaffected by their diverging neighbours
    alone = advance(
        x0[~big], hp[:, ~big], rule=RULE_GD, n_iter=50, code=OBJECTIVES["rosenbrock"].code,
        rec_iters=all_iters(50), rec_points=True, block=3,
    )  # fmt: skip
    for key in ("x_final", "f_final", "f_best", "h_f", "h_gn", "h_x"):
        assert same_bits(alone[key], out[key][~big]), key


def test_start_at_nonfinite_point():
    x0 = np.array([[np.inf, 0.0], [0.5, np.nan], [0.5, 0.5]])
    hp = make_hp([0.1] * 3, 1e-8, 0.0)
    out = advance(x0, hp, rule=RULE_ADAGRAD, n_iter=5, code=OBJECTIVES["booth"].code,
                  rec_iters=all_iters(5), rec_points=True)  # fmt: skip
    np.testing.assert_array_equal(out["died_at"], [0, 0, -1])
    np.testing.assert_array_equal(out["last_iter"], [0, 0, 5])
    check_against_naive(out, "booth", x0, hp, RULE_ADAGRAD, 5, np.zeros(1), all_iters(5))


# -------------------------------------------------------------------- target


@settings(max_examples=40, **SETTINGS)
@given(batches(max_n=6), st.floats(-50.0, 50.0), st.booleans())
def test_target(batch, target, stop):
    name, params, x0, hp, rule, n_iter = batch
    rec = all_iters(n_iter)
    out = advance(
        x0, hp, rule=rule, n_iter=n_iter, code=OBJECTIVES[name].code, params=params,
        rec_iters=rec, rec_points=True, target=target, stop_at_target=stop, block=4,
    )  # fmt: skip
    for j in range(x0.shape[0]):
        last = out["last_iter"][j]
        hits = np.flatnonzero(out["h_f"][j, : last + 1] <= target)
        hit = int(hits[0]) if hits.size else -1
        assert out["hit_at"][j] == hit
        if stop and hit >= 0:
            assert last == hit
            assert out["f_final"][j] <= target
        elif out["died_at"][j] < 0:
            assert last == n_iter
    check_against_naive(out, name, x0, hp, rule, n_iter, params, rec, target, stop)


def test_stop_at_target_sphere():
    x0 = np.random.default_rng(2).uniform(-1, 1, (64, 2))
    steps = 10.0 ** np.linspace(-4, 0, 64)
    hp = make_hp(steps, 1e-8, 0.0)
    kw = {"rule": RULE_ADAGRAD, "n_iter": 60, "rec_iters": all_iters(60), "target": 1e-3}
    full = advance(x0, hp, **kw)
    stopped = advance(x0, hp, stop_at_target=True, **kw)
    hit = full["hit_at"] >= 0
    assert 0 < hit.sum() < 64
    np.testing.assert_array_equal(stopped["hit_at"], full["hit_at"])
    np.testing.assert_array_equal(stopped["last_iter"], np.where(hit, full["hit_at"], 60))
    for j in range(64):  # the same trajectory up to where it stopped
        last = stopped["last_iter"][j]
        assert same_bits(stopped["h_f"][j, : last + 1], full["h_f"][j, : last + 1])
    assert np.all(stopped["f_final"][hit] <= 1e-3)


# ---------------------------------------------------------- custom objective


def sphere_per_point(x, grad):
    f = 0.0
    for i in range(x.shape[0]):
        xi = x[i]
        f += xi * xi
        grad[i] = xi * 2.0
    return f


@pytest.fixture(scope="module")
def custom_sphere_kernel():
    return compile_custom(block_evaluator(sphere_per_point))


@pytest.mark.slow  # compiles the custom kernel for each rule
@pytest.mark.parametrize("rule", [RULE_ADAGRAD, RULE_GD])
def test_custom_objective_equals_builtin(custom_sphere_kernel, rule):
    rng = np.random.default_rng(9)
    x0 = rng.uniform(-1, 1, (50, 3))
    steps = 10.0 ** rng.uniform(-4, 1, 50)
    steps[::10] = 1e6  # these diverge on GD
    hp = make_hp(steps, 1e-8, 0.0)
    kw = {"rule": rule, "n_iter": 45, "rec_iters": all_iters(45), "rec_points": True,
          "target": 1e-4, "block": 8}  # fmt: skip
    builtin = advance(x0, hp, code=OBJECTIVES["sphere"].code, **kw)
    custom = advance(x0, hp, kernel=custom_sphere_kernel, **kw)
    for key in builtin:
        if key.startswith("h_") and builtin[key].size:  # h_e: a learning problem's
            for j in range(50):
                last = builtin["last_iter"][j]
                assert same_bits(custom[key][j, : last + 1], builtin[key][j, : last + 1]), key
        else:
            assert same_bits(custom[key].astype(float), builtin[key].astype(float)), key
    if rule == RULE_GD:
        assert np.any(builtin["died_at"] >= 0)
    check_against_naive(custom, "sphere", x0, hp, rule, 45, np.zeros(1), all_iters(45),
                        target=1e-4)  # fmt: skip


@pytest.mark.slow  # compiles the custom kernel
def test_custom_objective_nonfinite_point_is_divergence(custom_sphere_kernel):
    x0 = np.array([[math.inf, 0.0, 0.0], [0.1, 0.2, 0.3]])
    hp = make_hp([0.1, 0.1], 1e-8, 0.0)
    out = advance(x0, hp, rule=RULE_ADAGRAD, n_iter=3, kernel=custom_sphere_kernel)
    np.testing.assert_array_equal(out["died_at"], [0, -1])
    assert math.isnan(out["f_final"][0])


@numba.njit
def _jit_square(x):
    return square(x)


@settings(max_examples=400, **SETTINGS)
@given(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True), st.booleans())
def test_square_equals_the_plain_product(x, single):
    """`square` skips the slow path of an underflowing product but returns x * x's bits."""
    dt = np.float32 if single else np.float64
    with np.errstate(all="ignore"):
        v = dt(x)
        want = v * v
    got = dt(_jit_square(v))
    assert (np.isnan(want) and np.isnan(got)) or got.tobytes() == want.tobytes()
    sig = _jit_square.overloads[(numba.typeof(v),)].signature
    assert sig.return_type == numba.typeof(v)  # computed in the working precision


@pytest.mark.parametrize("single", [False, True])
def test_square_around_its_threshold(single):
    dt = np.float32 if single else np.float64
    edge = dt(2.0**-76 if single else 2.0**-538)
    for v in [edge, np.nextafter(edge, dt(0)), np.nextafter(edge, dt(1)), -edge, dt(0), -dt(0)]:
        v = dt(v)
        assert dt(_jit_square(v)).tobytes() == (v * v).tobytes(), v


@pytest.mark.parametrize("n", [*range(1, 70), 128, 1000, 2048, 4097])
def test_spread_stride_visits_every_block_once_and_spreads_them(n):
    stride = spread_stride(n)
    order = (np.arange(n) * stride) % n
    assert sorted(order.tolist()) == list(range(n))
    if n >= 8:  # each thread's half of the iterations holds blocks from both halves of the grid
        for half in (order[: n // 2], order[n // 2 :]):
            assert 0.3 < np.mean(half < n // 2) < 0.7
