"""The learning benchmark's NumPy baselines and what every baseline shares: the problem as
the kernel receives it (`Problem`) and the training objective its final points reach.

A baseline trains on the kernel's own inputs (start points, seeds, step size, eps,
initial accumulator and l2 from the plan's grid rows) and on the kernel's own
batches (`counter_batches`), in float64 with AdaGrad's operation order
(s += g*g; x -= step / (eps + sqrt(s)) * g), so its final f equals the kernel's
up to the order of its sums.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from adagrad_lab.catalog import N_HP
from adagrad_lab.catalog.objectives.learning import L2, SEED
from adagrad_lab.data.matrix import Csr, as_dense
from adagrad_lab.data.problem import Dataset

from .counter_batches import batch_keys, batches
from .workloads import Inputs

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Problem:
    """One learning case as the kernel runs it: ``kind`` (least_squares | logistic), the
    data, per-trajectory start points (lanes, d), batch keys and hyperparameters (lanes,),
    iterations and batch size (0: full batch)."""

    kind: str
    data: Dataset
    x0: Array
    keys: Array
    step: Array
    eps: Array
    s0: Array
    l2: Array
    n_iter: int
    batch: int

    @property
    def mask(self) -> Array:
        """1 for the penalized coordinates, 0 for the intercept (the last, when fitted)."""
        mask = np.ones(self.data.dim)
        mask[self.data.dim - int(self.data.intercept) :] = 0.0
        return mask


def problem(kind: str, data: Dataset, inputs: Inputs, n_iter: int, batch: int) -> Problem:
    """The `Problem` the kernel solves on ``inputs`` (the plan's grid rows)."""
    rows = inputs.hp[N_HP:]
    return Problem(
        kind, data, inputs.x0, batch_keys(rows[SEED]), inputs.step_size, inputs.eps,
        inputs.initial_accumulator, rows[L2], n_iter, batch,
    )  # fmt: skip


def slopes(kind: str, z: Array, y: Array) -> Array:
    """d loss / d z of every sample: the residual, or logistic's -y / (1 + exp(y z))."""
    out: Array = z - y if kind == "least_squares" else -y / (1.0 + np.exp(y * z))
    return out


def objective(p: Problem, x: Array) -> Array:
    """Each trajectory's training objective at its point ``x`` (lanes, d): what the kernel
    reports as f_final."""
    z = as_dense(p.data.train) @ x.T  # (n, lanes)
    y = p.data.y_train[:, None]
    loss = 0.5 * (z - y) ** 2 if p.kind == "least_squares" else np.logaddexp(0.0, -y * z)
    f: Array = loss.mean(axis=0) + 0.5 * p.l2 * ((x * x) @ p.mask)
    return f


def numpy_full(p: Problem) -> Callable[[], Array]:
    """The whole full-batch loop in NumPy, all trajectories as the columns of one matrix."""
    a, y = as_dense(p.data.train), p.data.y_train[:, None]
    n, l2 = len(y), p.l2[None, :] * p.mask[:, None]
    rate, eps = p.step[None, :], p.eps[None, :]

    def run() -> Array:
        w, s = p.x0.T.copy(), np.broadcast_to(p.s0, p.x0.T.shape).copy()
        for _ in range(p.n_iter):
            g = a.T @ slopes(p.kind, a @ w, y) / n + l2 * w
            s += g * g
            w -= rate / (eps + np.sqrt(s)) * g
        return w.T

    return run


def matmuls(p: Problem) -> Callable[[], Array]:
    """The two products of every full-batch iteration alone: the roofline of the loop."""
    a = as_dense(p.data.train)
    w = np.ascontiguousarray(p.x0.T)

    def run() -> Array:
        g: Array = w
        for _ in range(p.n_iter):
            g = a.T @ (a @ w)
        return g

    return run


def numpy_sparse(p: Problem) -> Callable[[], Array]:
    """The minibatch loop: each trajectory's batch rows gathered from the CSR arrays, the
    gradient scattered with bincount."""
    a = p.data.train
    assert isinstance(a, Csr)
    y, (n, d), lanes, size = p.data.y_train, a.shape, len(p.x0), p.batch
    l2, rate, eps = p.l2[None, :] * p.mask[:, None], p.step[None, :], p.eps[None, :]
    lane = np.repeat(np.arange(lanes), size)

    def run() -> Array:
        w, s = p.x0.T.copy(), np.broadcast_to(p.s0, p.x0.T.shape).copy()
        for k in range(p.n_iter):
            rows = batches(p.keys, k, size, n)
            counts = np.diff(a.indptr)[rows].ravel()
            pick = gather(a.indptr[rows].ravel(), counts)
            entry_lane = np.repeat(lane, counts)
            owner = np.repeat(np.arange(rows.size), counts)
            vals, cols = a.values[pick], a.indices[pick]
            z = np.bincount(owner, vals * w[cols, entry_lane], minlength=rows.size)
            slope = slopes(p.kind, z, y[rows.ravel()])
            g = np.bincount(cols * lanes + entry_lane, vals * slope[owner], minlength=d * lanes)
            g = g.reshape(d, lanes) / size + l2 * w
            s += g * g
            w -= rate / (eps + np.sqrt(s)) * g
        return w.T

    return run


def gather(starts: Array, counts: Array) -> Array:
    """The indices start_i .. start_i + count_i - 1 of every row, concatenated."""
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    picked: Array = np.arange(int(counts.sum())) + offsets
    return picked


def batches_alone(p: Problem) -> Callable[[], Array]:
    """The kernel's batches drawn host-side, nothing else: the share of every minibatch
    baseline spent on the generator."""
    n = p.data.n_train

    def run() -> Array:
        rows = p.keys
        for k in range(p.n_iter):
            rows = batches(p.keys, k, p.batch, n)
        return rows

    return run
