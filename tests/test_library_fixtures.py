"""The library presets and baselines against trajectories computed by the libraries themselves.

`tests/fixtures/library_trajectories.json` holds x_0..x_n of PyTorch, Optax and Keras 3
runs (Keras on each of its backends, the case's ``choices``), each handed the exact float64
gradient of the objective, written by `tests/fixtures/make_library_fixtures.py` (which
needs those libraries; this test does not). PyTorch fuses multiply-adds and takes its
square roots from a vector library whose results are 1 ulp off in about 1% of cases, so
the presets are held to 1e-12 relative; the Keras cases, whose backends differ from each
other by 4e-8 to 1e-6 relative, bit for bit.
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
KERAS = OPTIMIZERS["adagrad_keras"]
BACKENDS = next(c for c in KERAS.choices if c.name == "backend").values


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


def test_every_keras_backend_has_its_cases_with_values_float32_cannot_hold():
    """Values exact in float32 would hide the backends' roundings: each backend's cases
    include a step size, an initial accumulator and a weight decay that are not."""
    for backend in BACKENDS:
        mine = [c for c in CASES if c.get("choices", {}).get("backend") == backend]
        assert {c["objective"] for c in mine} >= {"sphere", "ellipsoid", "rosenbrock"}, backend
        assert all(c["optimizer"] == "adagrad_keras" for c in mine)
        for name in ("step_size", "initial_accumulator", "weight_decay"):
            values = {c["hyperparameters"][name] for c in mine}
            assert any(float(np.float32(v)) != v for v in values), (backend, name)
    assert all("choices" in c for c in CASES if c["optimizer"] == "adagrad_keras")


def trajectory(case, choices=None):
    """x_0..x_n of the case, computed by the package (with ``choices`` in place of its own)."""
    n = case["n_steps"]
    result = al.advance(
        np.array([case["x0"]]),
        n_iter=n,
        optimizer=case["optimizer"],
        objective=case["objective"],
        hyperparameters=case["hyperparameters"],
        choices=case.get("choices") if choices is None else choices,
        log10_condition=case.get("log10_condition"),
        record=np.arange(n + 1),
        record_points=True,
    )
    return result.x[0]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_preset_matches_the_library(case):
    ours = trajectory(case)
    theirs = np.array(case["x"])
    assert ours.shape == theirs.shape
    if case["library"] == "keras":
        differ = int(np.sum(ours != theirs))
        assert differ == 0, f"{case['id']}: {differ} of {ours.size} coordinates differ"
        return
    scale = np.max(np.abs(theirs), axis=1, keepdims=True)
    worst = np.max(np.abs(ours - theirs) / scale)
    assert worst <= RTOL, f"{case['id']}: worst relative difference {worst:.3g}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_only_its_own_backend_reproduces_a_keras_fixture(backend):
    """The bit-for-bit check can fail: each backend has a case that every other backend's
    convention misses (TensorFlow's float32 accumulator, torch's float32 decay factor)."""
    mine = [c for c in CASES if c.get("choices", {}).get("backend") == backend]
    told_apart = set()
    for case in mine:
        theirs = np.array(case["x"])
        for other in BACKENDS:
            if other != backend and not np.array_equal(
                trajectory(case, {"backend": other}), theirs
            ):
                told_apart.add(other)
    assert told_apart == set(BACKENDS) - {backend}
