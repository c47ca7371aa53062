"""Every default is written once: the optimizers' in their registry records, the rest in the
structured config; moving them there changed no resolved config and so no config hash."""

from __future__ import annotations

import pickle
from dataclasses import fields

import pytest
from omegaconf import OmegaConf

from adagrad_lab.catalog import OBJECTIVES, OPTIMIZERS
from adagrad_lab.run.provenance import config_hash
from adagrad_lab.sweep.schema import OPTIMIZER_SCHEMAS, unknown_key

# hashes of these configs before the defaults moved (commit a37fb9c)
HASHES = [
    ([], "b5f5a3f1ed8351681be9c11ff08282503477454db88592800fae2ef6ae5fc476"),
    (["experiment=tutorial"], "640235e72edcf81586a8f80c1532de334b753ed0554f219518e2bbd5681fa84e"),
    (
        ["objective=sphere", "optimizer=gd"],
        "10272653ff044929886c05eb208c33593f49741f6f3d61870b84c2eb708634ac",
    ),
    (
        ["objective=rosenbrock", "objective.dim=5"],
        "f26ed5dae7104ef612cd8ed2a452ec42451e0a57b5d48580ea318d8cf90431b6",
    ),
    (
        # changed on purpose when run.fastmath became FMA contraction alone (the flag set is
        # in the hash of a fastmath run: the same config now computes other bits)
        ["objective=ellipsoid", "run.fastmath=true"],
        "4c9097b51e2c5ff25d9542a2d18ebc15b682c1c97004629012305a3d7e3a4f1f",
    ),
    (
        ["objective=custom", "objective.target=m.f", "objective.bounds=[-1,1]"],
        "1908971494d9c3d622ca3fbf85f4ad6532999061883075054b0503bb088f54c2",
    ),
]


@pytest.mark.parametrize(("overrides", "digest"), HASHES)
def test_config_hashes_are_what_they_were(make_cfg, overrides, digest):
    config = OmegaConf.to_container(make_cfg(overrides), resolve=True)
    assert config_hash(config) == digest


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_an_optimizers_config_holds_its_records_defaults(make_cfg, name):
    optimizer = make_cfg([f"optimizer={name}"])["optimizer"]
    record = OPTIMIZERS[name]
    keys = ["name", *record.names, *(c.name for c in record.choices)]
    assert list(optimizer) == keys
    for h in record.hyperparameters:
        if h.name != "step_size":  # the default sweep (config.yaml) sets its step sizes
            assert optimizer[h.name] == h.default
    for c in record.choices:
        assert optimizer[c.name] == c.default
    assert [f.name for f in fields(OPTIMIZER_SCHEMAS[name])] == keys


@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_every_registered_objective_is_a_config_option(make_cfg, name):
    objective = make_cfg([f"objective={name}"])["objective"]
    assert objective["name"] == name
    for key, value in OBJECTIVES[name].settings.items():
        assert objective[key] == value


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_composed_config_survives_pickling_into_a_launcher_worker(make_cfg, name):
    """Launchers (submitit, Ray) pickle the config; the generated optimizer schema must come
    back as the same class, or the key check in the worker sees a schema without fields."""
    cfg = make_cfg([f"optimizer={name}"])
    back = pickle.loads(pickle.dumps(cfg))
    assert OmegaConf.get_type(back["optimizer"]) is OPTIMIZER_SCHEMAS[name]
    assert unknown_key(back) is None
