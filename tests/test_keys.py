"""Keys that are not config keys are refused, even when `+` or `++` lets Hydra add them."""

from __future__ import annotations

import pytest
from conftest import FAST, run_cli
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from adagrad_lab.sweep.plan import ConfigError
from adagrad_lab.sweep.schema import unknown_key
from adagrad_lab.sweep.validate import make_plan

TYPOS = [
    ("+no_such_key=1", "no_such_key"),
    ("+sweep.seed=5", "sweep.seed"),
    ("+optimizer.momentum=0.9", "optimizer.momentum"),
    ("+objective.foo=1", "objective.foo"),
]


@pytest.mark.parametrize(("override", "key"), TYPOS)
def test_the_command_refuses_a_key_that_is_not_one(tmp_path, override, key):
    done = run_cli([override, *FAST], tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"adagrad-lab: error: {key}: not a config key ("), lines[0]
    assert list(tmp_path.iterdir()) == [], "nothing is written"


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        *(([override], key) for override, key in TYPOS),
        (["++sweep.seed=5"], "sweep.seed"),
        (["+run.thread=2"], "run.thread"),
        (["+record.point=true"], "record.point"),
        (["+start.points=[0,0]"], "start.points"),
        (["+shard.counts=2"], "shard.counts"),
        (["optimizer=gd", "+optimizer.eps=1e-8"], "optimizer.eps"),  # AdaGrad's, not GD's
        (["objective=custom", "objective.target=m.f", "+objective.dims=3"], "objective.dims"),
        (["experiment=tutorial", "+sweep.n_iters=5"], "sweep.n_iters"),
        (["+optimizer.extra.deep=1"], "optimizer.extra"),
    ],
)
def test_make_plan_names_the_unknown_key(make_cfg, overrides, key):
    with pytest.raises(ConfigError) as err:
        make_plan(make_cfg([*overrides, *FAST]))
    assert err.value.key == key
    assert "not a config key" in str(err.value)


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        ["experiment=tutorial"],
        ["optimizer=gd"],
        ["objective=rosenbrock", "objective.dim=3", "objective.bounds=[-1,1]"],
        ["++sweep.n_iter=5", "optimizer.eps=[1e-8,1e-4]", "shard.count=2"],
        ["start=fixed", "start.point=[0.5,0.5]"],
    ],
)
def test_valid_configs_pass(make_cfg, overrides):
    assert unknown_key(make_cfg([*FAST, *overrides])) is None
    make_plan(make_cfg([*FAST, *overrides]))


def test_hydra_keys_and_untyped_configs_are_left_alone(make_cfg):
    make_cfg()  # registers the schemas
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="adagrad_lab.conf", version_base="1.3"):
        cfg = compose(config_name="config", overrides=["+hydra.foo=1"], return_hydra_config=True)
    assert "hydra" in cfg and unknown_key(cfg) is None
    # a stored config (verify, rerun) is plain YAML: no schema to compare with
    stored = OmegaConf.create(OmegaConf.to_container(make_cfg(FAST)))
    stored.legacy_key = 1
    assert unknown_key(stored) is None


def test_a_valid_run_still_runs(tmp_path):
    done = run_cli([*FAST, "hydra.run.dir=run"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "run" / "trajectories").glob("*.parquet"))


def test_a_key_the_optimizer_lacks_is_refused_with_the_keys_it_has(tmp_path):
    done = run_cli(["optimizer=adam", "optimizer.l1=0.1", *FAST], tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "adagrad-lab: error: optimizer.l1: not a config key "
        "(optimizer has: step_size, beta1, beta2, eps, weight_decay, amsgrad)"
    )
    assert list(tmp_path.iterdir()) == []
