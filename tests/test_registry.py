"""The registry is the only place that knows objectives and optimizers: the kernel's dispatch
is made from its records, so no code can drift from them."""

from __future__ import annotations

import numpy as np
import pytest
from naive import naive_run

from adagrad_lab import kernel
from adagrad_lab.registry import (
    OBJECTIVES,
    OPTIMIZERS,
    objective_by_code,
    optimizer_by_code,
)

PAIRS = [(o, p) for o in OBJECTIVES for p in OPTIMIZERS]


def test_codes_are_positions_in_the_registry():
    for i, (name, record) in enumerate(OBJECTIVES.items()):
        assert record.name == name and record.code == i and objective_by_code(i) is record
    for i, (name, record) in enumerate(OPTIMIZERS.items()):
        assert record.name == name and record.code == i and optimizer_by_code(i) is record


@pytest.mark.parametrize(("objective", "optimizer"), PAIRS)
def test_each_kernel_variant_binds_its_records_functions(objective, optimizer):
    obj, opt = OBJECTIVES[objective], OPTIMIZERS[optimizer]
    bound = kernel.builtin_kernel(objective, optimizer, False).py_func.__globals__
    assert bound["evaluate"] is obj.evaluate
    assert bound["update"] is opt.step and bound["init_state"] is opt.init
    assert bound["N_STATE"] == opt.n_state and bound["FUSED"] is obj.separable


@pytest.mark.parametrize("objective", [o for o in OBJECTIVES if OBJECTIVES[o].separable])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_a_fused_objective_gives_the_bits_of_its_block_evaluator(objective, optimizer):
    """The term and constant of a separable record describe the same function as its evaluator."""
    obj, opt = OBJECTIVES[objective], OPTIMIZERS[optimizer]
    rng = np.random.default_rng(5)
    n, d = 40, 3
    x0 = rng.uniform(*obj.bounds, (n, d))
    hp = np.zeros((kernel.N_HP, n))
    hp[0] = rng.uniform(1e-3, 0.5, n)
    hp[1:] = 1e-8
    kw = dict(
        rule=opt.code, n_iter=25, code=obj.code, params=obj.params(d), rec_iters=np.arange(26)
    )
    fused = kernel.advance(x0, hp, **kw)
    plain = kernel.specialize(f"_advance_plain_{objective}", obj.evaluate, opt, None, False, False)
    unfused = kernel.advance(x0, hp, **kw, kernel=lambda name: plain)
    for key in ("x_final", "f_final", "h_f", "h_gn"):
        assert fused[key].tobytes() == unfused[key].tobytes(), key


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_every_optimizer_record_matches_the_plain_loop(optimizer):
    opt = OPTIMIZERS[optimizer]
    x0 = np.array([[0.8, -0.3], [-1.2, 0.9]])
    hp = np.zeros((kernel.N_HP, 2))
    values = {"step_size": [0.05, 0.2], "eps": [1e-8, 1e-3], "initial_accumulator": [0.0, 0.5]}
    for row, h in enumerate(opt.hyperparameters):
        hp[row] = values[h.name]
    out = kernel.advance(x0, hp, rule=opt.code, n_iter=20, code=2, rec_iters=np.arange(21))
    for t in range(2):
        ref = naive_run("rosenbrock", x0[t], hp[0, t], hp[1, t], hp[2, t], optimizer, 20)
        assert out["h_f"][t, : len(ref)].tolist() == [f for f, _, _ in ref]


def test_hyperparameter_records_say_what_they_accept():
    adagrad = OPTIMIZERS["adagrad"]
    assert adagrad.names == ("step_size", "eps", "initial_accumulator")
    acc = adagrad.hyperparameters[2]
    assert acc.accepts(0.0) and not acc.accepts(-1e-300) and acc.rule == ">= 0"
    step = adagrad.hyperparameters[0]
    assert not step.accepts(0.0) and step.accepts(1e-300) and step.rule == "> 0"
