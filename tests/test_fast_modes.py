"""Opt-in fast modes (fastmath, float32, flushed subnormals): within their documented error."""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import OmegaConf

from adagrad_lab import read_history, read_manifest, read_trajectories
from adagrad_lab.catalog import OBJECTIVES
from adagrad_lab.commands.run import run
from adagrad_lab.jit.arithmetic import Arithmetic
from adagrad_lab.kernel.driver import N_HP, RULE_ADAGRAD, advance
from adagrad_lab.run.provenance import config_hash

# documented in the README: relative difference of f at every recorded iteration (FMA
# contraction alone; measured at most 3.8e-13 here)
FASTMATH_REL_ERROR = 1e-12
# float32: median and largest relative difference of f where |f| > 1e-20 (float32 keeps
# ~7 digits; Rosenbrock's curved valley amplifies rounding, hence its own bound)
FLOAT32_MEDIAN_REL_ERROR = 1e-5
FLOAT32_MAX_REL_ERROR = {"sphere": 1e-3, "ellipsoid": 1e-3, "rastrigin": 1e-3, "rosenbrock": 0.1}

WORKLOADS = [
    ("sphere", 2, 0.1),
    ("ellipsoid", 10, 0.1),
    ("rosenbrock", 2, 1e-3),
    ("rastrigin", 3, 1e-3),
]


def _run(
    name: str,
    dim: int,
    step: float,
    fastmath: bool,
    precision: str = "float64",
    flush_subnormals: bool = False,
) -> dict:
    obj = OBJECTIVES[name]
    rng = np.random.default_rng(5)
    x0 = rng.uniform(*obj.bounds, size=(300, dim))
    hp = np.zeros((N_HP, 300))
    hp[0], hp[1] = step, 1e-8
    return advance(
        x0, hp, rule=RULE_ADAGRAD, n_iter=200, code=obj.code, params=obj.params(dim),
        rec_iters=np.arange(201),
        arithmetic=Arithmetic(precision, fastmath, flush_subnormals),
    )  # fmt: skip


@pytest.mark.parametrize(("name", "dim", "step"), WORKLOADS)
def test_fastmath_stays_within_its_documented_error(name, dim, step):
    exact, fast = _run(name, dim, step, False), _run(name, dim, step, True)
    scale = np.maximum(np.abs(exact["h_f"]), np.finfo(float).tiny)
    assert np.max(np.abs(fast["h_f"] - exact["h_f"]) / scale) < FASTMATH_REL_ERROR
    assert np.array_equal(fast["died_at"], exact["died_at"])


def test_fastmath_really_changes_the_arithmetic():
    exact, fast = _run("rosenbrock", 2, 1e-3, False), _run("rosenbrock", 2, 1e-3, True)
    assert not np.array_equal(exact["h_f"], fast["h_f"])


def test_fastmath_is_off_by_default_and_part_of_the_config_hash(make_cfg, tmp_path):
    cfg = make_cfg(["sweep.seeds=2", "sweep.n_iter=5", "echo=none", "report.enabled=false"])
    assert cfg.run.fastmath is False
    fast = make_cfg(
        [
            "sweep.seeds=2",
            "sweep.n_iter=5",
            "echo=none",
            "report.enabled=false",
            "run.fastmath=true",
        ]
    )
    plain_hash = config_hash(OmegaConf.to_container(cfg, resolve=True))
    assert plain_hash != config_hash(OmegaConf.to_container(fast, resolve=True))
    run(fast, tmp_path)


@pytest.mark.parametrize(("name", "dim", "step"), WORKLOADS)
def test_float32_stays_within_its_documented_error(name, dim, step):
    exact, single = _run(name, dim, step, False), _run(name, dim, step, False, "float32")
    assert single["h_f"].dtype == np.float32
    f64, f32 = exact["h_f"], single["h_f"].astype(np.float64)
    big = np.abs(f64) > 1e-20
    rel = np.abs(f32 - f64)[big] / np.abs(f64)[big]
    assert np.median(rel) < FLOAT32_MEDIAN_REL_ERROR
    assert np.max(rel) < FLOAT32_MAX_REL_ERROR[name]
    assert np.max(rel) > 0, "float32 must really be single precision"


def test_float32_run_stores_float64_columns(make_cfg, tmp_path):
    cfg = make_cfg(
        [
            "sweep.seeds=3",
            "sweep.n_iter=10",
            "echo=none",
            "report.enabled=false",
            "run.precision=float32",
        ]
    )
    run(cfg, tmp_path)
    traj = read_trajectories(tmp_path)
    assert traj["f_final"].dtype == np.float64
    assert read_history(tmp_path)["f"].dtype == np.float64
    plain = make_cfg(["sweep.seeds=3", "sweep.n_iter=10", "echo=none", "report.enabled=false"])
    assert read_manifest(tmp_path)["config_hash"] != config_hash(
        OmegaConf.to_container(plain, resolve=True)
    )


# ---------------------------------------------------------------- flushed subnormals

TINY = np.finfo(np.float64).tiny


def _subnormal(a: np.ndarray) -> np.ndarray:
    return (a != 0) & (np.abs(a) < TINY)


def _deep_sphere(flush: bool) -> dict:
    """Sphere runs started near the minimum, so x, g and f sink below the normal range."""
    x0 = np.array([[1e-150, 3e-152], [2e-160, -1e-155], [1.0, -2.0]])
    hp = np.zeros((N_HP, 3))
    hp[0], hp[1] = 0.5, 1e-8
    return advance(
        x0, hp, rule=RULE_ADAGRAD, n_iter=400, code=OBJECTIVES["sphere"].code,
        params=OBJECTIVES["sphere"].params(2), rec_iters=np.arange(401),
        arithmetic=Arithmetic(flush_subnormals=flush),
    )  # fmt: skip


@pytest.mark.parametrize(("name", "dim", "step"), WORKLOADS)
def test_flushed_subnormals_stay_within_the_documented_error(name, dim, step):
    exact = _run(name, dim, step, False)
    flushed = _run(name, dim, step, False, flush_subnormals=True)
    big = np.abs(exact["h_f"]) > 1e-20
    rel = np.abs(flushed["h_f"] - exact["h_f"])[big] / np.abs(exact["h_f"])[big]
    assert np.max(rel) < FASTMATH_REL_ERROR
    assert np.array_equal(flushed["died_at"], exact["died_at"])


def test_flushing_removes_every_subnormal_and_only_below_the_normal_range():
    exact, flushed = _deep_sphere(False), _deep_sphere(True)
    assert _subnormal(exact["h_f"]).any(), "the reference run must reach subnormals"
    for key in ("h_f", "x_final", "f_final", "f_best"):
        assert not _subnormal(flushed[key]).any(), key
    # normal values agree bit for bit until a lane's own values leave the normal range
    differ = exact["h_f"] != flushed["h_f"]
    first = np.where(differ.any(axis=1), differ.argmax(axis=1), exact["h_f"].shape[1])
    for lane, k in enumerate(first):
        assert np.array_equal(exact["h_f"][lane, :k], flushed["h_f"][lane, :k])
        if k < exact["h_f"].shape[1]:
            assert abs(exact["h_f"][lane, k]) < TINY * 2**54
    assert np.array_equal(exact["h_f"][2], flushed["h_f"][2])  # a lane that stays normal


def test_flushing_leaves_the_threads_arithmetic_as_it_was():
    before = _deep_sphere(False)
    _deep_sphere(True)
    after = _deep_sphere(False)
    for key in ("h_f", "x_final"):
        assert np.array_equal(before[key], after[key]), key
    assert np.float64(1e-300) * np.float64(1e-10) > 0.0  # the calling thread still has them


def test_flush_subnormals_is_off_by_default_and_part_of_the_config_hash(make_cfg, tmp_path):
    base = ["sweep.seeds=2", "sweep.n_iter=5", "echo=none", "report.enabled=false"]
    cfg, flush = make_cfg(base), make_cfg([*base, "run.flush_subnormals=true"])
    assert cfg.run.flush_subnormals is False
    plain_hash = config_hash(OmegaConf.to_container(cfg, resolve=True))
    assert plain_hash != config_hash(OmegaConf.to_container(flush, resolve=True))
    run(flush, tmp_path)
    assert read_manifest(tmp_path)["config_hash"] != plain_hash


def test_flush_subnormals_is_refused_off_x86(make_cfg, monkeypatch):
    from adagrad_lab.sweep import validate, values
    from adagrad_lab.sweep.plan import ConfigError

    monkeypatch.setattr(values, "CAN_FLUSH_SUBNORMALS", False)
    cfg = make_cfg(["sweep.seeds=2", "sweep.n_iter=5", "run.flush_subnormals=true"])
    with pytest.raises(ConfigError, match=r"run\.flush_subnormals"):
        validate.make_plan(cfg)


def test_the_fast_flag_set_is_part_of_a_fastmath_runs_hash(monkeypatch):
    from adagrad_lab.run import provenance

    config = {k: {} for k in provenance.DATA_KEYS}
    fast, exact = Arithmetic(fastmath=True), Arithmetic()
    before = provenance.config_hash(config, arithmetic=fast)
    default = provenance.config_hash(config, arithmetic=exact)
    monkeypatch.setattr(provenance, "FASTMATH_FLAGS", ("contract", "reassoc"))
    assert provenance.config_hash(config, arithmetic=fast) != before
    assert provenance.config_hash(config, arithmetic=exact) == default
