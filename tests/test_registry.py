"""The registry is the only place that knows objectives and optimizers: the kernel's dispatch
is made from its records, so no code can drift from them."""

from __future__ import annotations

import numpy as np
import pytest
from naive import naive_run
from numba import njit

from adagrad_lab.catalog import OBJECTIVES, OPTIMIZERS, objective_by_code, optimizer_by_code
from adagrad_lab.kernel import driver as kernel
from adagrad_lab.kernel.steps import grad_norm, make_fused_pass


def test_codes_are_positions_in_the_registry():
    for i, (name, record) in enumerate(OBJECTIVES.items()):
        assert record.name == name and record.code == i and objective_by_code(i) is record
    for i, (name, record) in enumerate(OPTIMIZERS.items()):
        assert record.name == name and record.code == i and optimizer_by_code(i) is record


# Every separable objective's term and constant under AdaGrad; the other coordinate-wise
# rules share the fused pass, so on the ellipsoid gradient descent and two with the most
# machinery (coefficients, three state arrays, a start point kept in the state) stand for
# them. The check runs one block through a small jitted loop, not a whole kernel variant:
# the kernel's own assembly of each path is checked against the tutorial's loop and the
# references in test_kernel and test_optimizer_family.
FUSED_PAIRS = [
    *((o, "adagrad") for o in OBJECTIVES if OBJECTIVES[o].separable),
    ("ellipsoid", "gd"),
    ("ellipsoid", "adam"),
    ("ellipsoid", "adagrad_rda"),
]


def block_loop(obj, opt):
    """A jitted loop over one (d, B) block, by the fused pass or by the evaluator and the
    update: points, values and squared gradient norms at each iteration."""
    fused_pass = make_fused_pass(obj.term, obj.constant, opt.elem)
    evaluate, update, init, prepare = obj.evaluate, opt.step, opt.init, opt.prepare
    n_state, n_coef = opt.n_state, opt.n_coef

    @njit(error_model="numpy")
    def run(x0, hb, params, n_iter, fused):
        d, b = x0.shape
        X, XN, G = x0.copy(), np.empty_like(x0), np.empty_like(x0)
        S, C = np.empty((n_state, d, b)), np.empty((n_coef, b))
        F, GN = np.empty(b), np.empty(b)
        xs, fs, gns = (
            np.empty((n_iter + 1, d, b)),
            np.empty((n_iter + 1, b)),
            np.empty((n_iter + 1, b)),
        )
        init(S, X, hb)
        for k in range(n_iter + 1):
            xs[k] = X
            prepare(C, hb, k)
            if fused:
                fused_pass(X, XN, S, F, GN, hb, C, k, params, True)
                X[:] = XN
            else:
                evaluate(X, G, F, params)
                grad_norm(G, GN)
                update(X, G, S, hb, C, k)
            fs[k], gns[k] = F, GN
        return xs, fs, gns

    return run


@pytest.mark.parametrize(("objective", "optimizer"), FUSED_PAIRS)
def test_a_fused_objective_gives_the_bits_of_its_block_evaluator(objective, optimizer):
    """The term and constant of a separable record describe the same function as its
    evaluator, and the rule's element update is its block update: the same bits."""
    obj, opt = OBJECTIVES[objective], OPTIMIZERS[optimizer]
    rng = np.random.default_rng(5)
    n, d = 40, 3
    x0 = np.ascontiguousarray(rng.uniform(*obj.bounds, (n, d)).T)
    hb = np.zeros((kernel.N_HP, n))
    for row, h in enumerate(opt.hyperparameters):
        hb[row] = h.default
    # gradient descent is stable on the default ellipsoid (condition 1e6) below a step of 1e-6
    hb[0] = rng.uniform(1e-3, 0.5, n) * (1e-6 if optimizer == "gd" else 1.0)
    run = block_loop(obj, opt)
    fused = run(x0, hb, obj.params(d), 25, True)
    plain = run(x0, hb, obj.params(d), 25, False)
    for name, got, want in zip(("x", "f", "grad_norm"), fused, plain, strict=True):
        assert np.isfinite(want).all() and not np.array_equal(want[-1], want[0]), name
        assert got.tobytes() == want.tobytes(), name


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
