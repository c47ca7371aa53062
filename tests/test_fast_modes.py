"""Opt-in fast math: within its documented error of the default, and never the default."""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import OmegaConf

from adagrad_lab.cli import run
from adagrad_lab.kernel import N_HP, RULE_ADAGRAD, advance
from adagrad_lab.objectives import BUILTINS
from adagrad_lab.provenance import config_hash

# documented in the README: relative difference of f at every recorded iteration
FASTMATH_REL_ERROR = 1e-9

WORKLOADS = [
    ("sphere", 2, 0.1),
    ("ellipsoid", 10, 0.1),
    ("rosenbrock", 2, 1e-3),
    ("rastrigin", 3, 1e-3),
]


def _run(name: str, dim: int, step: float, fastmath: bool) -> dict:
    obj = BUILTINS[name]
    rng = np.random.default_rng(5)
    x0 = rng.uniform(*obj.bounds, size=(300, dim))
    hp = np.zeros((N_HP, 300))
    hp[0], hp[1] = step, 1e-8
    return advance(
        x0, hp, rule=RULE_ADAGRAD, n_iter=200, code=obj.code, params=obj.params(dim),
        rec_iters=np.arange(201), fastmath=fastmath,
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
    cfg = make_cfg(["sweep.seeds=2", "sweep.n_iter=5", "echo=none"])
    assert cfg.run.fastmath is False
    fast = make_cfg(["sweep.seeds=2", "sweep.n_iter=5", "echo=none", "run.fastmath=true"])
    plain_hash = config_hash(OmegaConf.to_container(cfg, resolve=True))
    assert plain_hash != config_hash(OmegaConf.to_container(fast, resolve=True))
    run(fast, tmp_path)
