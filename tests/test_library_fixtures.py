"""The library presets and baselines against trajectories computed by the libraries themselves.

`tests/fixtures/library_trajectories.json` holds x_0..x_n of PyTorch, Optax and Keras 3
runs, each handed the exact float64 gradient of the objective, written by
`tests/fixtures/make_library_fixtures.py` (which needs those libraries; this test does not).
PyTorch fuses multiply-adds and takes its square roots from a vector library whose
results are 1 ulp off in about 1% of cases, so the presets are held to 1e-12 relative,
not bit for bit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import adagrad_lab as al
from adagrad_lab.catalog import OPTIMIZERS

FIXTURES = Path(__file__).parent / "fixtures" / "library_trajectories.json"
CASES = json.loads(FIXTURES.read_text())["cases"]
RTOL = 1e-12


def test_the_fixtures_cover_every_preset_and_baseline_on_three_objectives():
    covered = {(c["optimizer"], c["objective"]) for c in CASES}
    for name in ("adagrad_torch", "adagrad_optax", "adagrad_keras", "momentum", "rmsprop", "adam"):
        assert {o for n, o in covered if n == name} >= {"sphere", "ellipsoid", "rosenbrock"}, name
    assert all(c["n_steps"] >= 50 for c in CASES)
    for name in ("lr_decay", "weight_decay", "initial_accumulator"):
        assert any(
            c["optimizer"] == "adagrad_torch"
            and c["hyperparameters"][name]
            != OPTIMIZERS["adagrad_torch"]
            .hyperparameters[OPTIMIZERS["adagrad_torch"].names.index(name)]
            .default
            for c in CASES
        ), name
    flags = {
        (c["optimizer"], f)
        for c in CASES
        for f in ("nesterov", "centered", "amsgrad")
        if c["hyperparameters"].get(f)
    }
    assert flags == {("momentum", "nesterov"), ("rmsprop", "centered"), ("adam", "amsgrad")}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_preset_matches_the_library(case):
    n = case["n_steps"]
    result = al.advance(
        np.array([case["x0"]]),
        n_iter=n,
        optimizer=case["optimizer"],
        objective=case["objective"],
        hyperparameters=case["hyperparameters"],
        log10_condition=case.get("log10_condition"),
        record=np.arange(n + 1),
        record_points=True,
    )
    ours = result.x[0]
    theirs = np.array(case["x"])
    assert ours.shape == theirs.shape
    scale = np.max(np.abs(theirs), axis=1, keepdims=True)
    worst = np.max(np.abs(ours - theirs) / scale)
    assert worst <= RTOL, f"{case['id']}: worst relative difference {worst:.3g}"
