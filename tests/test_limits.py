"""Values that cannot work, and sizes too large to plan, stop before any work with one line
naming the key: bounds, iterations, seeds, schedules, logspace, memory, a user's objective."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import time

import numpy as np
import pytest
from conftest import FAST, run_cli
from omegaconf import OmegaConf

from adagrad_lab.catalog.custom import explain_error, user_source
from adagrad_lab.run.provenance import config_hash
from adagrad_lab.run.runner import compile_kernel, make_grid
from adagrad_lab.sweep.grid import Grid
from adagrad_lab.sweep.plan import ConfigError
from adagrad_lab.sweep.schedule import LOG_EXACT_POINTS, record_bound, record_iterations
from adagrad_lab.sweep.schema import LOGSPACE_MAX
from adagrad_lab.sweep.sizes import MAX_CHUNKS, available_memory, check_fits, describe
from adagrad_lab.sweep.validate import make_plan
from adagrad_lab.sweep.values import MAX_RECORDS


def refused(make_cfg, overrides) -> ConfigError:
    """The ConfigError make_plan raises for FAST + ``overrides``; it must be one line."""
    with pytest.raises(ConfigError) as err:
        make_plan(make_cfg([*FAST, *overrides]))
    assert "\n" not in str(err.value)
    return err.value


def assert_cli_refused(done, key: str, out) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert key in lines[0] and "Traceback" not in done.stderr
    assert not out.exists()


# --- values that cannot work ------------------------------------------------------------------


def test_bounds_whose_width_overflows_are_refused(make_cfg):
    err = refused(make_cfg, ["objective.bounds=[-1e308,1e308]"])
    assert err.key == "objective.bounds" and "inf" in str(err)


def test_n_iter_must_fit_int32(make_cfg):
    for n_iter in (2**31 - 1, 10**10):
        err = refused(make_cfg, [f"sweep.n_iter={n_iter}", "record.every=1000000"])
        assert err.key == "sweep.n_iter" and "2**31" in str(err)
    plan = make_plan(make_cfg([*FAST, f"sweep.n_iter={2**31 - 2}", "record.every=1048576"]))
    assert plan.sweep.n_iter == 2**31 - 2 and plan.output.record_iters[-1] == plan.sweep.n_iter


def test_n_iter_is_checked_before_the_schedule_is_allocated(make_cfg):
    t0 = time.perf_counter()
    err = refused(make_cfg, ["sweep.n_iter=10000000000"])  # every=1: 10**10 iterations
    assert err.key == "sweep.n_iter"
    assert time.perf_counter() - t0 < 5


def test_recording_every_one_of_two_billion_iterations_is_refused(make_cfg):
    err = refused(make_cfg, [f"sweep.n_iter={2**31 - 2}"])
    assert err.key == "record.every" and str(MAX_RECORDS) in str(err)


def test_stop_at_target_needs_a_target(make_cfg):
    err = refused(make_cfg, ["sweep.stop_at_target=true", "sweep.target=null"])
    assert err.key == "sweep.stop_at_target" and "sweep.target" in str(err)


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["objective.bounds=[-1e308,1e308]"], "objective.bounds"),
        (["sweep.n_iter=10000000000"], "sweep.n_iter"),
    ],
)
def test_cli_refuses_in_one_line_and_writes_nothing(tmp_path, args, key):
    out = tmp_path / "out"
    done = run_cli([*FAST, *args, f"hydra.run.dir={out}"], cwd=tmp_path)
    assert_cli_refused(done, key, out)


# --- seeds: a count is never materialised ------------------------------------------------------


def test_a_trillion_seeds_plan_without_materialising_them(make_cfg):
    t0 = time.perf_counter()
    plan = make_plan(make_cfg([*FAST, "sweep.seeds=1000000000000"]))
    assert len(plan.sweep.seeds) == 10**12 and plan.n_trajectories == 2 * 10**12
    grid = make_grid(plan)
    far = 10**12 + 10**12 - 2  # the last two trajectories: second step size, last seeds
    part = grid.slice(far, far + 2)
    assert part["seed"].tolist() == [10**12 - 2, 10**12 - 1]
    assert part["step_size"].tolist() == [0.1, 0.1]
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("start", ["start=uniform", "start=legacy_numpy"])
def test_a_seed_count_gives_the_same_grid_bits_as_the_listed_seeds(make_cfg, start):
    plan = make_plan(make_cfg([*FAST, start, "sweep.seeds=7"]))
    assert plan.sweep.seeds == range(7)  # a count stays a range
    listed = Grid(
        plan.sweep.axes,
        list(range(7)),
        plan.problem.dim,
        plan.problem.bounds,
        plan.sweep.start_kind,
    )
    counted = make_grid(plan)
    for a, b in itertools.pairwise([0, 3, 5, 14]):
        got, want = counted.slice(a, b), listed.slice(a, b)
        assert got.keys() == want.keys()
        for name in want:
            assert got[name].dtype == want[name].dtype
            assert got[name].tobytes() == want[name].tobytes(), name


def test_explicit_seed_lists_still_work(make_cfg):
    plan = make_plan(make_cfg([*FAST, "sweep.seeds=[5,3,9]"]))
    assert make_grid(plan).slice(0, 6)["seed"].tolist() == [5, 3, 9, 5, 3, 9]


@pytest.mark.parametrize(
    "seeds", ["[1,4294967296]", "4294967297", "100000000000"], ids=["list", "count", "huge"]
)
def test_legacy_numpy_seeds_must_fit_numpy_random_seed(make_cfg, seeds):
    err = refused(make_cfg, ["start=legacy_numpy", f"sweep.seeds={seeds}"])
    assert err.key == "sweep.seeds" and "2**32" in str(err)
    plan = make_plan(make_cfg([*FAST, "start=legacy_numpy", "sweep.seeds=[4294967295]"]))
    assert make_grid(plan).slice(0, 1)["x0"].shape == (1, 2)  # the largest seed it takes


# --- the log schedule -------------------------------------------------------------------------


def _record_iterations_before(schedule, n_iter, every=1, per_decade=10):
    """record_iterations as it was before the limits: the reference for bit-identity."""
    if schedule == "final":
        return np.zeros(0, np.int64)
    if schedule == "every":
        iters = np.arange(0, n_iter + 1, every, dtype=np.int64)
    else:
        decades = max(np.log10(n_iter), 1e-9)
        count = max(int(np.ceil(decades * per_decade)) + 1, 2)
        iters = np.unique(np.round(np.logspace(0.0, np.log10(n_iter), count)).astype(np.int64))
        iters = np.concatenate(([0], iters))
    if iters[-1] != n_iter:
        iters = np.append(iters, n_iter)
    return iters


@pytest.mark.parametrize("schedule", ["log", "every", "final"])
def test_schedules_are_bit_identical_to_before(schedule):
    n_iters = [*range(1, 60), 99, 100, 101, 999, 1000, 12345, 10**6, 2**31 - 2]
    for n_iter, k in itertools.product(n_iters, [1, 3, 10, 17, 100, 1000, 10**5]):
        if schedule == "every" and n_iter // k > 10**6:
            continue
        want = _record_iterations_before(schedule, n_iter, k, k)
        got = record_iterations(schedule, n_iter, k, k)
        assert got.dtype == want.dtype and np.array_equal(got, want), (n_iter, k)
        assert len(got) <= record_bound(schedule, n_iter, k, k)


@pytest.mark.parametrize(("n_iter", "per_decade"), [(3, 10**7), (100, 2**20), (1000, 10**6)])
def test_more_log_points_than_iterations_is_every_iteration_as_before(n_iter, per_decade):
    assert 10 * per_decade > LOG_EXACT_POINTS  # past the exact computation
    want = _record_iterations_before("log", n_iter, 1, per_decade)
    assert np.array_equal(want, np.arange(n_iter + 1))
    assert np.array_equal(record_iterations("log", n_iter, 1, per_decade), want)


def test_a_billion_points_per_decade_allocates_nothing_of_that_size(make_cfg):
    t0 = time.perf_counter()
    iters = record_iterations("log", 1000, 1, 10**9)
    assert np.array_equal(iters, np.arange(1001))
    plan = make_plan(
        make_cfg([*FAST, "record.schedule=log", "record.points_per_decade=1000000000"])
    )
    assert np.array_equal(plan.output.record_iters, np.arange(21))
    assert time.perf_counter() - t0 < 5
    err = refused(
        make_cfg,
        ["record.schedule=log", "record.points_per_decade=1000000000", "sweep.n_iter=100000000"],
    )
    assert err.key == "record.points_per_decade"


# --- ${logspace:...} --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "key", "text"),
    [
        ("${logspace:1e-3,1,100000000}", "optimizer.step_size", f"1..{LOGSPACE_MAX}"),
        ("${logspace:a,1,3}", "optimizer.step_size", "start must be a finite number > 0"),
        ("${logspace:-1,1,3}", "optimizer.step_size", "start must be a finite number > 0"),
        ("${logspace:1e-3,0,3}", "optimizer.step_size", "stop must be a finite number > 0"),
        ("${logspace:1e-3,1,2.5}", "optimizer.step_size", "num must be an integer"),
        ("${logspace:1e-3,1,0}", "optimizer.step_size", "num must be an integer"),
        ("[1,${logspace:1e-3,1,0}]", "optimizer.step_size[1]", "num must be an integer"),
    ],
)
def test_bad_logspace_names_the_key_and_the_reason(make_cfg, value, key, text):
    t0 = time.perf_counter()
    err = refused(make_cfg, [f"optimizer.step_size={value}"])
    assert err.key == key and text in str(err) and "${logspace:" in str(err)
    assert "raised while resolving" not in str(err)
    assert time.perf_counter() - t0 < 5


def test_logspace_values_are_as_before_and_resolve_in_place(make_cfg):
    cfg = make_cfg([*FAST, "optimizer.step_size=${logspace:1e-3,1,13}", "optimizer.eps=1e3"])
    plan = make_plan(cfg)
    want = [float(v) for v in np.logspace(-3, 0, 13)]
    assert plan.sweep.axes["step_size"] == want
    OmegaConf.resolve(cfg)  # what --cfg job --resolve does; a plain list cannot be stored so
    assert list(cfg.optimizer.step_size) == want


def test_cfg_job_resolve_prints_the_logspace_values(tmp_path):
    done = run_cli(
        ["--cfg", "job", "--resolve", "optimizer.step_size=${logspace:1,100,3}"], tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "- 10.0" in done.stdout and "logspace" not in done.stdout


def test_cli_refuses_a_bad_logspace_in_one_line(tmp_path):
    out = tmp_path / "out"
    args = ["optimizer.step_size=${logspace:1e-3,1,100000000}", f"hydra.run.dir={out}"]
    assert_cli_refused(run_cli([*FAST, *args], cwd=tmp_path), "optimizer.step_size", out)


# --- sizes and memory -------------------------------------------------------------------------


def test_dry_run_of_a_trillion_seeds_prints_its_estimate(tmp_path):
    out = tmp_path / "out"
    done = run_cli(
        ["sweep.seeds=1000000000000", "run.dry_run=true", f"hydra.run.dir={out}"], tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "13000000000000 trajectories" in done.stdout
    assert not out.exists()


def test_describe_estimates_a_huge_sweep_arithmetically(make_cfg):
    plan = make_plan(make_cfg([*FAST, "sweep.seeds=1000000000000"]))
    t0 = time.perf_counter()
    d = describe(plan)
    assert time.perf_counter() - t0 < 0.5
    assert d["trajectories"] == 2 * 10**12 and d["history_rows"] == 21 * 2 * 10**12
    assert d["chunks"] == -(-d["trajectories"] // d["chunk_size"])
    assert d["manifest_bytes"] == 200 * d["chunks"]
    assert d["peak_bytes"] > d["chunk_size"] * 21 * 8  # at least the history buffers


def test_too_many_chunks_names_the_sweep(make_cfg):
    plan = make_plan(make_cfg([*FAST, "sweep.seeds=100000000000000"]))
    with pytest.raises(ConfigError) as err:
        check_fits(plan, available=1 << 60)
    assert err.value.key == "sweep.seeds" and str(MAX_CHUNKS) in str(err.value)
    assert "shard.count" in str(err.value)


def test_too_many_tiny_chunks_names_the_chunk_size(make_cfg):
    plan = make_plan(make_cfg([*FAST, "sweep.seeds=100000000", "run.chunk_size=1"]))
    with pytest.raises(ConfigError) as err:
        check_fits(plan, available=1 << 60)
    assert err.value.key == "run.chunk_size"


def test_a_chunk_too_large_for_memory_names_the_chunk_size_and_one_that_fits(make_cfg):
    base = [*FAST, "sweep.seeds=100000", "sweep.n_iter=1000"]
    plan = make_plan(make_cfg(base))
    available = describe(plan)["peak_bytes"] // 10
    with pytest.raises(ConfigError) as err:
        check_fits(plan, available=available)
    assert err.value.key == "run.chunk_size"
    fit = int(str(err.value).split("run.chunk_size=")[1].split()[0])
    smaller = make_plan(make_cfg([*base, f"run.chunk_size={fit}"]))
    check_fits(smaller, available=available)  # the suggestion fits
    assert describe(smaller)["peak_bytes"] <= available


def test_a_single_trajectory_too_large_for_memory_names_the_record_key(make_cfg):
    plan = make_plan(make_cfg([*FAST, "sweep.n_iter=1000000"]))
    with pytest.raises(ConfigError) as err:
        check_fits(plan, available=1 << 20)
    assert err.value.key == "record.every"


def test_a_normal_sweep_fits_the_memory_of_this_machine(make_cfg):
    available = available_memory()
    assert available is None or available > 0
    check_fits(make_plan(make_cfg(FAST)))


# --- a user's objective -----------------------------------------------------------------------

_modules = itertools.count()


def user_module(tmp_path, monkeypatch, source: str) -> str:
    """Write ``source`` as a fresh module in tmp_path, run from there; return its name."""
    name = f"limits_user_{next(_modules)}_{abs(hash(str(tmp_path))) % 10**8}"
    (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    return name


def custom(target: str) -> list[str]:
    return ["objective=custom", f"objective.target={target}", "objective.bounds=[-1,1]"]


GOOD = """
import numba


def helper(v):
    return v * v


@numba.njit
def value_and_grad(x, grad):
    f = 0.0
    for i in range(x.shape[0]):
        f += x[i] * x[i]
        grad[i] = 2.0 * x[i]
    return f
"""

BAD_SOURCES = {
    "syntax": ("def value_and_grad(x, grad:\n    return 1.0\n", ["syntax error", "line 1"]),
    "import": ('raise RuntimeError("no licence server")\n', ["RuntimeError: no licence server"]),
    "raises": (
        "import numba\n@numba.njit\ndef value_and_grad(x, grad):\n"
        '    raise ValueError("outside the domain")\n',
        ["raised ValueError: outside the domain"],
    ),
    "plain_raises": (
        'def value_and_grad(x, grad):\n    raise KeyError("k")\n',
        ["raised KeyError"],
    ),
    "string": (
        'import numba\n@numba.njit\ndef value_and_grad(x, grad):\n    return "abc"\n',
        ["returned str", "expected value_and_grad(x, grad) -> float"],
    ),
    "none": (
        "def value_and_grad(x, grad):\n    grad[:] = 0.0\n",
        ["returned NoneType", "expected value_and_grad(x, grad) -> float"],
    ),
    "signature": (
        "import numba\n@numba.njit\ndef value_and_grad(x):\n    return 1.0\n",
        ["wrong signature", "expected value_and_grad(x, grad) -> float"],
    ),
    "not_numba": (
        "def value_and_grad(x, grad):\n    import json\n    grad[:] = 0.0\n"
        "    return float(json.dumps(1.0))\n",
        ["numba cannot compile", "plain Python"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_SOURCES))
def test_a_broken_user_objective_is_one_line_naming_the_target(
    make_cfg, tmp_path, monkeypatch, case
):
    source, texts = BAD_SOURCES[case]
    name = user_module(tmp_path, monkeypatch, source)
    err = refused(make_cfg, custom(f"{name}.value_and_grad"))
    assert err.key == "objective.target"
    for text in texts:
        assert text in str(err), str(err)
    if case == "syntax":
        assert f"{name}.py" in str(err)


@pytest.mark.parametrize("target", ["..fn", "fn", "mod.", ".fn", "a..b", "my-mod.fn"])
def test_a_target_that_is_not_a_dotted_path_says_what_is_expected(make_cfg, target):
    err = refused(make_cfg, custom(target))
    assert err.key == "objective.target" and "dotted path module.function" in str(err)


def test_a_user_objective_that_fails_inside_the_kernel_says_why(make_cfg, tmp_path, monkeypatch):
    """A failure past the first call (here forced by swapping the function) still reads as
    the function's own error in one line, not numba's SystemError."""
    name = user_module(
        tmp_path,
        monkeypatch,
        GOOD + '\n\n@numba.njit\ndef broken(x, grad):\n    raise ValueError("late failure")\n',
    )
    plan = make_plan(make_cfg([*FAST, *custom(f"{name}.value_and_grad")]))
    module = __import__(name)
    problem = dataclasses.replace(plan.problem, user_function=module.broken)
    plan = dataclasses.replace(plan, problem=problem)
    with pytest.raises(ConfigError) as err:
        compile_kernel(plan, make_grid(plan))
    assert err.value.key == "objective.target"
    assert "ValueError: late failure" in str(err.value) and "\n" not in str(err.value)


def test_explain_error_unwraps_numba_and_system_errors():
    try:
        raise SystemError("returned a result with an exception set") from ValueError("boom")
    except SystemError as exc:
        assert explain_error(exc) == "ValueError: boom"


def test_cli_refuses_a_user_objective_that_raises(tmp_path):
    (tmp_path / "raising_objective.py").write_text(BAD_SOURCES["raises"][0])
    out = tmp_path / "out"
    args = [*FAST, *custom("raising_objective.value_and_grad"), f"hydra.run.dir={out}"]
    done = run_cli(args, cwd=tmp_path)
    assert_cli_refused(done, "objective.target", out)
    assert "outside the domain" in done.stderr


# --- the config hash covers the user's code ---------------------------------------------------


def test_user_source_hashes_the_whole_module_file(make_cfg, tmp_path, monkeypatch):
    name = user_module(tmp_path, monkeypatch, GOOD)
    plan = make_plan(make_cfg([*FAST, *custom(f"{name}.value_and_grad")]))
    path = tmp_path / f"{name}.py"
    expected = {
        "target": f"{name}.value_and_grad",
        "file": str(path.resolve()),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    assert plan.problem.user_source == expected
    assert user_source(plan.problem.user_function) == expected  # jitted or not, the same source
    assert make_plan(make_cfg(FAST)).problem.user_source is None


def test_editing_the_users_module_changes_the_config_hash(make_cfg, tmp_path, monkeypatch):
    name = user_module(tmp_path, monkeypatch, GOOD)
    cfg = make_cfg([*FAST, *custom(f"{name}.value_and_grad")])
    config = OmegaConf.to_container(cfg, resolve=True)
    before = make_plan(cfg).problem.user_source
    path = tmp_path / f"{name}.py"
    path.write_text(GOOD.replace("return v * v", "return v * v * v"))  # a helper, not the target
    after = make_plan(cfg).problem.user_source
    assert before["sha256"] != after["sha256"]
    assert config_hash(config, before) != config_hash(config, after)
    assert config_hash(config, before) != config_hash(config)
    moved = {**before, "file": "/elsewhere/" + path.name}  # same bytes elsewhere: same data
    assert config_hash(config, moved) == config_hash(config, before)


def test_built_in_config_hashes_are_unchanged(make_cfg):
    config = OmegaConf.to_container(make_cfg(FAST), resolve=True)
    assert config_hash(config, None) == config_hash(config)
    assert config_hash(config, make_plan(make_cfg(FAST)).problem.user_source) == config_hash(config)
