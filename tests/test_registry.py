"""The registry is the only place that knows objectives and optimizers: the kernel's dispatch
is made from its records, so no code can drift from them."""

from __future__ import annotations

import numpy as np
import pytest
from naive import naive_run

from adagrad_lab.catalog import OBJECTIVES, OPTIMIZERS, objective_by_code, optimizer_by_code
from adagrad_lab.kernel import driver as kernel

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
    assert bound["prepare"] is opt.prepare and bound["N_COEF"] == opt.n_coef
    assert bound["N_STATE"] == opt.n_state and bound["MATRIX_STATE"] is opt.matrix_state
    assert bound["FUSED"] is (obj.separable and opt.elem is not None)


# Every separable objective's term and constant under AdaGrad; the other coordinate-wise
# rules share the fused pass, so on the ellipsoid gradient descent and two with the most
# machinery (coefficients, three state arrays, a start point kept in the state) stand for
# them. Each pair compiles a plain kernel of its own (cached on disk under its own name).
FUSED_PAIRS = [
    *((o, "adagrad") for o in OBJECTIVES if OBJECTIVES[o].separable),
    ("ellipsoid", "gd"),
    ("ellipsoid", "adam"),
    ("ellipsoid", "adagrad_rda"),
]


@pytest.mark.parametrize(("objective", "optimizer"), FUSED_PAIRS)
def test_a_fused_objective_gives_the_bits_of_its_block_evaluator(objective, optimizer):
    """The term and constant of a separable record describe the same function as its evaluator."""
    obj, opt = OBJECTIVES[objective], OPTIMIZERS[optimizer]
    rng = np.random.default_rng(5)
    n, d = 40, 3
    x0 = rng.uniform(*obj.bounds, (n, d))
    hp = np.zeros((kernel.N_HP, n))
    for row, h in enumerate(opt.hyperparameters):
        hp[row] = h.default
    hp[0] = rng.uniform(1e-3, 0.5, n)
    kw = dict(
        rule=opt.code, n_iter=25, code=obj.code, params=obj.params(d), rec_iters=np.arange(26)
    )
    fused = kernel.advance(x0, hp, **kw)
    name = f"_advance_plain_{objective}_{optimizer}"  # one cache entry per pair
    plain = kernel.specialize(name, obj.evaluate, opt, None, False)
    unfused = kernel.advance(x0, hp, **kw, kernel=lambda name: plain)
    for key in ("x_final", "f_final", "h_f", "h_gn"):
        assert fused[key].tobytes() == unfused[key].tobytes(), key


@pytest.mark.parametrize("optimizer", ["adagrad", "gd"])  # the others: test_optimizer_family
def test_the_tutorials_rules_match_the_plain_loop(optimizer):
    opt = OPTIMIZERS[optimizer]
    x0 = np.array([[0.8, -0.3], [-1.2, 0.9]])
    hp = np.zeros((kernel.N_HP, 2))
    values = {"step_size": [0.05, 0.2], "eps": [1e-8, 1e-3], "initial_accumulator": [0.0, 0.5]}
    for row, h in enumerate(opt.hyperparameters):
        hp[row] = values[h.name]
    out = kernel.advance(
        x0,
        hp,
        rule=opt.code,
        n_iter=20,
        code=OBJECTIVES["rosenbrock"].code,
        rec_iters=np.arange(21),
    )
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
    beta1 = OPTIMIZERS["adam"].hyperparameters[1]
    assert beta1.accepts(0.0) and beta1.accepts(0.999) and not beta1.accepts(1.0)
    assert beta1.rule == ">= 0 and < 1"
    amsgrad = OPTIMIZERS["adam"].hyperparameters[5]
    assert amsgrad.boolean and amsgrad.accepts(True) and not amsgrad.accepts(0.5)
    assert amsgrad.rule == "true or false"
