"""`optimizer.backend` of `adagrad_keras`: a checked choice, part of the config's identity,
applied to what the kernel reads while the tables keep the values the user gave."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FAST, run_cli
from omegaconf import OmegaConf

import adagrad_lab as al
from adagrad_lab.catalog.optimizers import adagrad_keras
from adagrad_lab.run import runner
from adagrad_lab.run.provenance import config_hash
from adagrad_lab.sweep.plan import ConfigError
from adagrad_lab.sweep.validate import make_plan

KERAS = ["optimizer=adagrad_keras", *FAST]


def test_a_backend_that_is_none_is_refused_in_one_line(tmp_path):
    done = run_cli([*KERAS, "optimizer.backend=theano"], tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "adagrad-lab: error: optimizer.backend: must be one of jax, tensorflow, torch "
        "(got 'theano')"
    ]
    assert list(tmp_path.iterdir()) == [], "nothing is written"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["optimizer.backend=[jax,torch]"], "one for the whole run"),
        (["optimizer.backend=1"], "must be one of jax, tensorflow, torch"),
        (["optimizer.backend=JAX"], "must be one of jax, tensorflow, torch"),
    ],
)
def test_make_plan_names_the_backend_key(make_cfg, overrides, message):
    with pytest.raises(ConfigError) as err:
        make_plan(make_cfg([*KERAS, *overrides]))
    assert err.value.key == "optimizer.backend"
    assert message in str(err.value)


def test_only_keras_has_a_backend(make_cfg):
    with pytest.raises(ConfigError) as err:
        make_plan(make_cfg(["optimizer=adam", "+optimizer.backend=jax", *FAST]))
    assert err.value.key == "optimizer.backend" and "not a config key" in str(err.value)
    with pytest.raises(ValueError, match="choices: 'backend' is not one of adam's"):
        al.advance(np.zeros((1, 2)), n_iter=1, optimizer="adam", choices={"backend": "jax"})
    with pytest.raises(ValueError, match="backend: must be one of jax, tensorflow, torch"):
        al.advance(np.zeros((1, 2)), n_iter=1, optimizer="adagrad_keras", choices={"backend": 3})


def test_tensorflow_is_the_default_and_the_backend_is_part_of_the_hash(make_cfg):
    plans, hashes = {}, set()
    for backend in (None, "jax", "tensorflow", "torch"):
        given = [] if backend is None else [f"optimizer.backend={backend}"]
        cfg = make_cfg([*KERAS, *given])
        plans[backend] = make_plan(cfg)
        hashes.add(config_hash(OmegaConf.to_container(cfg, resolve=True)))
    assert plans[None].problem.choices == {"backend": "tensorflow"}
    assert len(hashes) == 3  # the default's hash is tensorflow's, every other differs
    assert make_plan(make_cfg(KERAS)).problem.choices == plans["tensorflow"].problem.choices


def test_the_grid_keeps_the_given_values_and_hands_the_kernel_the_backends(make_cfg):
    overrides = [*KERAS, "optimizer.step_size=0.1", "optimizer.weight_decay=0.3"]
    rows = {}
    for backend in ("jax", "tensorflow", "torch"):
        plan = make_plan(make_cfg([*overrides, f"optimizer.backend={backend}"]))
        part = runner.make_grid(plan).slice(0, 3)
        assert part["initial_accumulator"].tolist() == [0.1] * 3  # the table's column
        assert part["weight_decay"].tolist() == [0.3] * 3
        rows[backend] = part["hp"][:, 0]
    k = adagrad_keras
    assert rows["jax"][k.INITIAL_ACCUMULATOR] == 0.1 and rows["jax"][k.BY_FACTOR] == 0
    assert rows["tensorflow"][k.INITIAL_ACCUMULATOR] == 0.10000000149011612
    assert rows["tensorflow"][k.WEIGHT_DECAY] == float(np.float32(0.3))
    assert rows["torch"][k.BY_FACTOR] == 1
    assert rows["torch"][k.DECAY_FACTOR] == float(np.float32(1) - np.float32(0.3) * np.float32(0.1))
