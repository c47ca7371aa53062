"""The public `adagrad_lab.advance`: checked arguments, named results, the tutorial's bits."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import FAST
from naive import naive_run, tutorial_adagrad, tutorial_derivative, tutorial_objective

import adagrad_lab as al
from adagrad_lab.commands.run import run


def test_the_tutorials_run_from_python_without_hydra():
    np.random.seed(1)
    bounds = np.asarray([[-1.0, 1.0], [-1.0, 1.0]])
    *_, solutions = tutorial_adagrad(tutorial_objective, tutorial_derivative, bounds, 50, 0.1)
    np.random.seed(1)
    x0 = bounds[:, 0] + np.random.rand(2) * (bounds[:, 1] - bounds[:, 0])
    r = al.advance(
        x0[None, :],
        n_iter=50,
        hyperparameters={"step_size": 0.1},
        record=np.arange(51),
        record_points=True,
    )
    assert r.x[0, 1:].tobytes() == np.asarray(solutions).tobytes()
    assert r.x_final[0].tobytes() == solutions[-1].tobytes()


@pytest.mark.parametrize(("optimizer", "objective"), [("adagrad", "rosenbrock"), ("gd", "booth")])
def test_per_trajectory_hyperparameters_match_the_plain_loop(optimizer, objective):
    x0 = np.array([[0.3, -0.7], [1.1, 0.4], [-1.5, 1.9]])
    steps = [1e-3, 1e-2, 3e-2]
    r = al.advance(
        x0, n_iter=30, optimizer=optimizer, objective=objective,
        hyperparameters={"step_size": steps}, record=np.arange(31), target=1.0,
    )  # fmt: skip
    for t in range(3):
        ref = naive_run(objective, x0[t], steps[t], 1e-8, 0.0, optimizer, 30)
        assert r.f[t, : len(ref)].tolist() == [f for f, _, _ in ref]
        assert r.x_final[t].tolist() == ref[-1][2]
        hits = [k for k, (f, _, _) in enumerate(ref) if f <= 1.0]
        assert r.iters_to_target[t] == (hits[0] if hits else -1)


def test_history_past_a_stop_is_nan_and_fields_are_the_parquet_columns(make_cfg, tmp_path):
    r = al.advance(
        np.array([[0.5, 0.5], [1e200, 1.0]]), n_iter=10, record=[0, 5, 10],
        hyperparameters={"step_size": 0.1}, record_points=True,
    )  # fmt: skip
    assert r.diverged_at.tolist() == [-1, 0] and r.last_iter.tolist() == [10, 0]
    assert np.isnan(r.f[1, 1:]).all() and np.isnan(r.x[1, 1:]).all() and not np.isnan(r.f[0]).any()
    run(make_cfg([*FAST, "record.points=true"]), tmp_path)
    columns = set(pq.read_schema(next((tmp_path / "trajectories").glob("*.parquet"))).names)
    columns |= set(pq.read_schema(next((tmp_path / "history").glob("*.parquet"))).names)
    assert set(r._fields) - {"last_iter"} <= columns


def test_a_users_function_gives_the_builtins_bits():
    def value_and_grad(x, grad):
        f = 0.0
        for i in range(x.shape[0]):
            f += x[i] * x[i]
            grad[i] = x[i] * 2.0
        return f

    x0 = np.random.default_rng(3).uniform(-1, 1, (5, 3))
    mine = al.advance(x0, n_iter=40, objective=value_and_grad, record=np.arange(41))
    builtin = al.advance(x0, n_iter=40, objective="sphere", record=np.arange(41))
    assert mine.f.tobytes() == builtin.f.tobytes()


def test_float32_arithmetic_is_close_and_comes_back_as_float64():
    x0 = np.random.default_rng(4).uniform(-1, 1, (8, 2))
    exact = al.advance(x0, n_iter=20)
    single = al.advance(x0, n_iter=20, arithmetic=al.Arithmetic(precision="float32"))
    assert single.f_final.dtype == np.float64
    np.testing.assert_allclose(single.f_final, exact.f_final, rtol=1e-4)


GOOD = np.zeros((2, 2)) + 0.5


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"x0": np.zeros(3)}, "x0"),
        ({"x0": np.zeros((0, 2))}, "x0"),
        ({"x0": [[np.nan, 0.0]]}, "x0"),
        ({"x0": [["a", "b"]]}, "x0"),
        ({"x0": np.zeros((2, 3)), "objective": "booth"}, "x0"),
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"objective": "nope"}, "objective"),
        ({"objective": 3}, "objective"),
        ({"hyperparameters": {"l1": 0.1}}, "hyperparameters"),
        ({"hyperparameters": {"eps": 1e-8}, "optimizer": "gd"}, "hyperparameters"),
        ({"hyperparameters": {"step_size": -1.0}}, "step_size"),
        ({"hyperparameters": {"step_size": np.inf}}, "step_size"),
        ({"hyperparameters": {"step_size": [0.1, 0.2, 0.3]}}, "step_size"),
        ({"hyperparameters": {"initial_accumulator": -1.0}}, "initial_accumulator"),
        ({"n_iter": 0}, "n_iter"),
        ({"n_iter": 2.5}, "n_iter"),
        ({"n_iter": 2**31}, "n_iter"),
        ({"record": [5, 3]}, "record"),
        ({"record": [0, 11]}, "record"),
        ({"record": [0.5]}, "record"),
        ({"target": np.nan}, "target"),
        ({"stop_at_target": True}, "stop_at_target"),
        ({"log10_condition": 3.0}, "log10_condition"),
        ({"objective": "ellipsoid", "log10_condition": -1.0}, "log10_condition"),
        ({"arithmetic": "fast"}, "arithmetic"),
        ({"block": 0}, "block"),
    ],
)
def test_bad_arguments_raise_a_value_error_naming_them(kwargs, argument):
    call = {"x0": GOOD, "n_iter": 10, **kwargs}
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        al.advance(call.pop("x0"), **call)


def test_arithmetic_refuses_an_unknown_precision():
    with pytest.raises(ValueError, match="precision"):
        al.Arithmetic(precision="float16")
