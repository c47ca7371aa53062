"""The learning problems' benchmark (``adagrad-lab-bench --learning``): the kernel against
NumPy on the same data, shapes and iterations, with the ratios measured in the same run.

- L1, L2: full-batch least squares and logistic regression on data of the digits' shape
  (1,437 x 64, dense), 4,096 AdaGrad trajectories. Every iteration's gradient of all
  trajectories is two matrix products, so NumPy's own matmul of the same shapes (its BLAS,
  every core) is the roofline the kernel can approach; beside it, NumPy running the whole
  loop (products, loss, AdaGrad's update).
- L3: sparse logistic regression, 10,000 x 1,000 at 1% density, batches of 32 without
  replacement, 4,096 trajectories, each with its own batches; the NumPy baseline gathers
  each trajectory's batch rows from the CSR arrays and scatters the gradient with bincount.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from adagrad_lab.data.matrix import Csr, as_dense
from adagrad_lab.data.problem import Dataset, DataSpec, build
from adagrad_lab.run.provenance import cpu_model

from .measure import make_inputs, time_kernel
from .plans import plan_warm_up, plan_workload

Array = np.ndarray[Any, Any]
STEP, EPS, ACCUMULATOR = 0.1, 1e-8, 0.0


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # least_squares | logistic
    data: tuple[str, ...]  # the objective's data overrides (`DataSpec` builds the same)
    trajectories: int
    n_iter: int
    batch: int  # 0: full batch

    def overrides(self) -> list[str]:
        """What `adagrad-lab` runs for this case: AdaGrad, one step size, f at the end."""
        batch = f"objective.batch_size={self.batch}" if self.batch else "objective.batch_size=null"
        return [
            f"objective={self.kind}", *(f"objective.{k}" for k in self.data), batch,
            "optimizer=adagrad", f"optimizer.step_size={STEP}", f"optimizer.eps={EPS}",
            f"optimizer.initial_accumulator={ACCUMULATOR}", f"sweep.seeds={self.trajectories}",
            f"sweep.n_iter={self.n_iter}", "record.schedule=final", "record.grad_norm=false",
            "report.enabled=false",
        ]  # fmt: skip

    def spec(self) -> DataSpec:
        given = dict(item.split("=") for item in self.data)
        density = float(given.get("density", 1.0))
        return DataSpec(self.kind, n_samples=int(given["n_samples"]),
                        n_features=int(given["n_features"]), density=density)  # fmt: skip


# 20% is held out: 1,797 samples train on 1,437 (the digits' shape), 12,500 on 10,000
DIGITS = ("n_samples=1797", "n_features=64")
SPARSE = ("n_samples=12500", "n_features=1000", "density=0.01")
CASES = (
    Case("L1", "least_squares", DIGITS, 4096, 100, 0),
    Case("L2", "logistic", DIGITS, 4096, 100, 0),
    Case("L3", "logistic", SPARSE, 4096, 1000, 32),
)


def _scaled(case: Case, scale: float) -> Case:
    n = max(64, int(case.trajectories * scale))
    return Case(case.name, case.kind, case.data, n, case.n_iter, case.batch)


def _kernel(case: Case) -> tuple[Callable[[], object], Array]:
    """The kernel as the command runs the case (the bench's one kernel call), and x0."""
    w, _ = plan_warm_up(plan_workload(case.name, case.overrides()))
    inputs = make_inputs(w, w.n)
    return (lambda: time_kernel(w, inputs)), inputs.x0


def _slopes(kind: str, z: Array, y: Array) -> Array:
    slopes: Array = z - y if kind == "least_squares" else -y / (1.0 + np.exp(y * z))
    return slopes


def _numpy_full(case: Case, ds: Dataset, x0: Array) -> Callable[[], Array]:
    a, y = as_dense(ds.train), ds.y_train[:, None]
    n = len(y)

    def run() -> Array:
        w, s = x0.T.copy(), np.full(x0.T.shape, ACCUMULATOR)
        for _ in range(case.n_iter):
            g = a.T @ _slopes(case.kind, a @ w, y) / n
            s += g * g
            w -= STEP * g / (EPS + np.sqrt(s))
        return w.T

    return run


def _matmuls(case: Case, ds: Dataset, x0: Array) -> Callable[[], Array]:
    a = as_dense(ds.train)
    w = np.ascontiguousarray(x0.T)

    def run() -> Array:
        g: Array = w
        for _ in range(case.n_iter):
            g = a.T @ (a @ w)
        return g

    return run


def _numpy_sparse(case: Case, ds: Dataset, x0: Array) -> Callable[[], Array]:
    a = ds.train
    assert isinstance(a, Csr)
    y, (n, d), lanes = ds.y_train, a.shape, len(x0)
    rng = np.random.default_rng(0)

    def run() -> Array:
        w, s = x0.T.copy(), np.full(x0.T.shape, ACCUMULATOR)
        for _ in range(case.n_iter):
            rows = np.stack([rng.choice(n, case.batch, replace=False) for _ in range(lanes)])
            counts = np.diff(a.indptr)[rows].ravel()
            pick = _gather(a.indptr[rows].ravel(), counts)
            lane = np.repeat(np.repeat(np.arange(lanes), case.batch), counts)
            owner = np.repeat(np.arange(rows.size), counts)
            vals, cols = a.values[pick], a.indices[pick]
            z = np.bincount(owner, vals * w[cols, lane], minlength=rows.size)
            slope = _slopes(case.kind, z, y[rows.ravel()]) / case.batch
            g = np.bincount(cols * lanes + lane, vals * slope[owner], minlength=d * lanes)
            g = g.reshape(d, lanes)
            s += g * g
            w -= STEP * g / (EPS + np.sqrt(s))
        return w.T

    return run


def _gather(starts: Array, counts: Array) -> Array:
    """The indices start_i .. start_i + count_i - 1 of every row, concatenated."""
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    picked: Array = np.arange(int(counts.sum())) + offsets
    return picked


def _median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_learning(scale: float, repeats: int) -> int:
    """Time every case and print one table: medians and ratios to the kernel."""
    print(f"learning problems: AdaGrad, medians of {repeats} runs, {cpu_model()}")
    print(f"{'case':<5}{'problem':<44}{'kernel':>9}{'numpy loop':>12}{'matmul':>9}  ratios")
    for case in (_scaled(c, scale) for c in CASES):
        ds = build(case.spec())
        kernel, x0 = _kernel(case)
        baselines = (
            [("numpy loop", _numpy_sparse(case, ds, x0))]
            if case.batch
            else [("numpy loop", _numpy_full(case, ds, x0)), ("matmul", _matmuls(case, ds, x0))]
        )
        k = _median_time(kernel, repeats)
        others = {name: _median_time(fn, repeats) for name, fn in baselines}
        what = (f"{case.kind} {ds.n_train}x{ds.dim} "
                f"{'batch ' + str(case.batch) if case.batch else 'full'} "
                f"{case.trajectories}x{case.n_iter}")  # fmt: skip
        widths = (("numpy loop", 12), ("matmul", 9))
        cells = [f"{others.get(n, float('nan')):>{w}.3f}" for n, w in widths]
        ratios = ", ".join(f"{n} {t / k:.2f}x" for n, t in others.items())
        row = f"{case.name:<5}{what:<44}{k:>9.3f}{''.join(cells)}"
        print(f"{row}  {ratios} the kernel's time", flush=True)
    print("PyTorch (torch.func.vmap): not run here (the peers extra is not installed by default)")
    return 0
