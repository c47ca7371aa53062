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

Every baseline trains on the kernel's inputs and batches (`learning_numpy`); beside
NumPy, PyTorch runs one trajectory's step vectorized by ``torch.func.vmap``
(`learning_torch`) when torch is installed (the ``peers`` extra), and the table says
how far each baseline's final f is from the kernel's. For L3 the host-side batch
generator is also timed alone: every minibatch baseline's time includes it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from adagrad_lab.data.problem import DataSpec, build
from adagrad_lab.run.provenance import cpu_model

from .learning_numpy import Problem, batches_alone, matmuls, numpy_full, numpy_sparse, objective
from .learning_numpy import problem as make_problem
from .learning_torch import load_torch, torch_full, torch_sparse
from .measure import make_inputs, run_kernel
from .plans import plan_warm_up, plan_workload
from .workloads import Inputs

Array = np.ndarray[Any, Any]
STEP, EPS, ACCUMULATOR = 0.1, 1e-8, 0.0
# the table's baseline columns and their widths; "-" where a case has none
COLUMNS = (("numpy loop", 17), ("torch vmap", 17), ("matmul", 16), ("batches", 16))
FINAL = ("numpy loop", "torch vmap")  # the baselines that return final points


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


def _kernel(case: Case) -> tuple[Callable[[], dict[str, Array]], Inputs]:
    """The kernel as the command runs the case (the bench's one kernel call), and its inputs."""
    w, _ = plan_warm_up(plan_workload(case.name, case.overrides()))
    inputs = make_inputs(w, w.n)
    return (lambda: run_kernel(w, inputs)), inputs


def baselines(case: Case, p: Problem, torch: Any) -> dict[str, Callable[[], Array]]:
    """The case's baselines by column name (torch's only when it imports)."""
    if case.batch:
        found = {"numpy loop": numpy_sparse(p), "batches": batches_alone(p)}
        found |= {"torch vmap": torch_sparse(torch, p)} if torch is not None else {}
    else:
        found = {"numpy loop": numpy_full(p), "matmul": matmuls(p)}
        found |= {"torch vmap": torch_full(torch, p)} if torch is not None else {}
    return found


def _median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The median seconds of ``repeats`` calls, and the last call's result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def worst_difference(f_kernel: Array, f_other: Array) -> float:
    """The largest relative difference |f - f_kernel| / |f_kernel| over trajectories."""
    return float(np.max(np.abs(f_other - f_kernel) / np.abs(f_kernel)))


def row(case: Case, what: str, k: float, times: dict[str, float], skipped: str) -> str:
    """One table row: the kernel's seconds, each baseline's and its ratio to the kernel's."""
    cells = []
    for name, width in COLUMNS:
        if name in times:
            cell = f"{times[name]:.3f} ({times[name] / k:.2f}x)"
        else:
            cell = "skipped" if name == "torch vmap" and skipped else "-"
        cells.append(f"{cell:>{width}}")
    return f"{case.name:<5}{what:<44}{k:>9.3f}{''.join(cells)}"


def run_learning(scale: float, repeats: int) -> int:
    """Time every case and print one table: medians and ratios to the kernel."""
    torch, skipped = load_torch()
    threads = numba.get_num_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    torch_threads = threads if torch else "-"
    print(f"learning problems: AdaGrad, medians of {repeats} runs, {cpu_model()}; "
          f"threads: kernel {threads}, torch {torch_threads}, NumPy its BLAS's")  # fmt: skip
    print("seconds (baseline / kernel); batches: the host-side batch generator alone")
    header = "".join(f"{name:>{width}}" for name, width in COLUMNS)
    print(f"{'case':<5}{'problem':<44}{'kernel':>9}{header}  final f vs kernel")
    for case in (_scaled(c, scale) for c in CASES):
        ds = build(case.spec())
        kernel, inputs = _kernel(case)
        p = make_problem(case.kind, ds, inputs, case.n_iter, case.batch)
        k, out = _median_time(kernel, repeats)
        timed = {name: _median_time(fn, repeats) for name, fn in baselines(case, p, torch).items()}
        what = (f"{case.kind} {ds.n_train}x{ds.dim} "
                f"{'batch ' + str(case.batch) if case.batch else 'full'} "
                f"{case.trajectories}x{case.n_iter}")  # fmt: skip
        times = {name: t for name, (t, _) in timed.items()}
        diffs = ", ".join(
            f"{name} {worst_difference(out['f_final'], objective(p, x)):.0e}"
            for name, (_, x) in timed.items() if name in FINAL
        )  # fmt: skip
        print(f"{row(case, what, k, times, skipped)}  {diffs}", flush=True)
    print("final f vs kernel: the largest relative difference over trajectories")
    if skipped:
        print(f"torch vmap {skipped}")
    return 0
