"""The learning benchmark's baselines: the kernel's batches drawn host-side equal the
plain-Python generator's, and the NumPy and PyTorch baselines reach the kernel's final f
(PyTorch's tests skip, saying why, where torch is not installed: the ``peers`` extra).

Timings are never asserted; the printed cells are checked against literal text.
"""

from __future__ import annotations

import numpy as np
import pytest
from learning_reference import batch

from adagrad_lab.bench import counter_batches, learning, learning_numpy, learning_torch
from adagrad_lab.bench.measure import make_inputs, run_kernel
from adagrad_lab.bench.plans import plan_warm_up, plan_workload
from adagrad_lab.data.matrix import Csr
from adagrad_lab.data.problem import build

TORCH_MISSING = "torch is not installed (pip install -e '.[peers]', or torch==2.13.0 alone)"

# tiny versions of L1, L2 and L3: 70 trajectories (two kernel blocks, one partial)
SPARSE = learning.Case(
    "S", "logistic", ("n_samples=500", "n_features=40", "density=0.05"), 70, 40, 8
)  # fmt: skip
FULL = [
    learning.Case("Q", "least_squares", ("n_samples=300", "n_features=12"), 70, 30, 0),
    learning.Case("G", "logistic", ("n_samples=300", "n_features=12"), 70, 30, 0),
]


@pytest.mark.parametrize(("n", "size"), [(10, 10), (12, 7), (40, 9), (1000, 32)])
def test_host_batches_are_the_plain_python_generators(n, size):
    seeds = np.arange(60) * 11 + 2
    keys = counter_batches.batch_keys(seeds)
    for k in (0, 1, 17):
        got = counter_batches.batches(keys, k, size, n)
        want = [batch(int(s), k, size, n, False) for s in seeds]
        assert got.tolist() == want
    # some lanes' swaps meet (their batch is not their sorted picks): the replay ran
    drawn = np.sort(counter_batches.picks(keys, 17, size, n), axis=1)
    assert (drawn != counter_batches.batches(keys, 17, size, n)).any()


def test_padded_rows_hold_the_csr_entries():
    a = Csr(
        np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 2, 1, 2]), np.array([0, 2, 2, 4]), (3, 3)
    )  # fmt: skip
    cols, vals = learning_torch.ell(a)
    assert cols.tolist() == [[0, 2], [0, 0], [1, 2]]
    assert vals.tolist() == [[1.0, 2.0], [0.0, 0.0], [3.0, 4.0]]


def problem_of(case: learning.Case) -> learning_numpy.Problem:
    """The `Problem` the baselines solve: the case's data and the plan's grid rows."""
    inputs = make_inputs(plan_workload(case.name, case.overrides()), case.trajectories)
    return learning_numpy.problem(case.kind, build(case.spec()), inputs, case.n_iter, case.batch)


def kernel_and_problem(
    case: learning.Case,
) -> tuple[np.ndarray, np.ndarray, learning_numpy.Problem]:
    """The kernel's final points and f (through the bench's one kernel call), and the
    `Problem` the baselines solve."""
    w, _ = plan_warm_up(plan_workload(case.name, case.overrides()))
    out = run_kernel(w, make_inputs(w, w.n))
    return out["x_final"], out["f_final"], problem_of(case)


def assert_reaches_the_kernel(x: np.ndarray, x_kernel: np.ndarray, f_kernel: np.ndarray, p):
    # same batches and arithmetic, sums in another order: a few units in the last place
    np.testing.assert_allclose(x, x_kernel, rtol=0, atol=1e-12)
    np.testing.assert_allclose(learning_numpy.objective(p, x), f_kernel, rtol=1e-12, atol=0)


def test_objective_is_the_mean_loss_plus_the_penalty():
    p = problem_of(FULL[1])
    x = np.zeros((70, 12))  # one point per trajectory: each has its own l2
    x[1, 0] = 2.0
    z = p.data.train[:, 0] * 2.0
    want = np.mean(np.log1p(np.exp(-p.data.y_train * z))) + 0.5 * 1e-3 * 4.0
    assert learning_numpy.objective(p, x)[0] == pytest.approx(np.log(2.0), rel=1e-15)
    assert learning_numpy.objective(p, x)[1] == pytest.approx(want, rel=1e-13)


def test_numpy_minibatch_baseline_reaches_the_kernels_final_f():
    x_kernel, f_kernel, p = kernel_and_problem(SPARSE)
    assert_reaches_the_kernel(learning_numpy.numpy_sparse(p)(), x_kernel, f_kernel, p)


@pytest.mark.parametrize("case", FULL, ids=lambda c: c.kind)
def test_numpy_full_batch_baseline_reaches_the_kernels_final_f(case):
    x_kernel, f_kernel, p = kernel_and_problem(case)
    assert_reaches_the_kernel(learning_numpy.numpy_full(p)(), x_kernel, f_kernel, p)


def test_torch_minibatch_baseline_reaches_the_kernels_final_f():
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    x_kernel, f_kernel, p = kernel_and_problem(SPARSE)
    assert_reaches_the_kernel(learning_torch.torch_sparse(torch, p)(), x_kernel, f_kernel, p)


@pytest.mark.parametrize("case", FULL, ids=lambda c: c.kind)
def test_torch_full_batch_baseline_reaches_the_kernels_final_f(case):
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    x_kernel, f_kernel, p = kernel_and_problem(case)
    assert_reaches_the_kernel(learning_torch.torch_full(torch, p)(), x_kernel, f_kernel, p)


def test_a_missing_torch_says_why_and_how_to_install_it(monkeypatch):
    def refuse(name: str):
        raise ImportError(f"No module named '{name}'")

    monkeypatch.setattr(learning_torch.importlib, "import_module", refuse)
    torch, why = learning_torch.load_torch()
    assert torch is None
    assert why == (
        "skipped: No module named 'torch'; pip install -e \".[peers]\" "
        "(or pip install torch==2.13.0, the CPU-only wheel)"
    )


def test_row_cells_and_the_worst_difference():
    case = learning.CASES[2]
    line = learning.row(case, "p", 2.0, {"numpy loop": 3.0, "batches": 0.5}, "skipped: why")
    cells = ["    3.000 (1.50x)", " " * 10 + "skipped", " " * 15 + "-", "   0.500 (0.25x)"]
    assert line == "L3   " + "p" + " " * 43 + "    2.000" + "".join(cells)
    assert learning.worst_difference(np.array([2.0, -4.0]), np.array([2.5, -4.0])) == 0.25


def test_the_table_without_torch_skips_its_column(monkeypatch, capsys):
    monkeypatch.setattr(learning, "CASES", (SPARSE, FULL[0]))
    monkeypatch.setattr(learning, "load_torch", lambda: (None, "skipped: no torch; install"))
    assert learning.run_learning(1.0, 1) == 0
    out = capsys.readouterr().out.splitlines()
    sparse = next(line for line in out if line.startswith("S "))
    full = next(line for line in out if line.startswith("Q "))
    assert "skipped" in sparse and "skipped" in full
    for line in (sparse, full):  # "... final f vs kernel": the NumPy loop's difference only
        assert float(line.rsplit("numpy loop ", 1)[1]) < 1e-12
    assert out[-1] == "torch vmap skipped: no torch; install"
