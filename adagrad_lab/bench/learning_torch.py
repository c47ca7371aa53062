"""The learning benchmark's PyTorch baselines: one trajectory's AdaGrad step written as a
function of its own point, vectorized over trajectories by ``torch.func.vmap``.

Float64 throughout, on the kernel's inputs and its batches (`learning_numpy.Problem`,
drawn host-side by `counter_batches`, the same call as the NumPy baseline).
The sparse rows are an index-gather: the CSR matrix padded to its longest row
(ELL: columns and values, zeros past a row's end), so a batch's rows are two
fixed-shape gathers and the gradient one ``index_add``. torch's own sparse CSR
does not serve here: under vmap ``index_select`` of its rows is refused
("expand is unsupported for SparseCsr tensors"), and a product with the whole
matrix works on every row, not the batch's (docs/performance.md).

torch is optional (the ``peers`` extra): `load_torch` says why it is missing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from adagrad_lab.data.matrix import Csr, as_dense

from .counter_batches import batches
from .learning_numpy import Problem

Array = np.ndarray[Any, Any]
INSTALL = 'pip install -e ".[peers]" (or pip install torch==2.13.0, the CPU-only wheel)'


def load_torch() -> tuple[Any, str]:
    """(the torch module, '') when it imports, else (None, why and how to install it)."""
    try:
        return importlib.import_module("torch"), ""
    except ImportError as exc:
        return None, f"skipped: {exc}; {INSTALL}"


def ell(a: Csr) -> tuple[Array, Array]:
    """The CSR rows padded to the longest: columns (n, m) and values (n, m), 0 past the end."""
    counts = np.diff(a.indptr)
    width = max(1, int(counts.max()))
    n = a.shape[0]
    slot = np.arange(a.nnz) - np.repeat(a.indptr[:-1], counts)
    row = np.repeat(np.arange(n), counts)
    cols, vals = np.zeros((n, width), np.int64), np.zeros((n, width))
    cols[row, slot], vals[row, slot] = a.indices, a.values
    return cols, vals


def torch_sparse(torch: Any, p: Problem) -> Callable[[], Array]:
    """The minibatch loop: vmap of one trajectory's step on its batch's gathered rows."""
    a = p.data.train
    assert isinstance(a, Csr)
    cols_np, vals_np = ell(a)
    cols, vals = torch.from_numpy(cols_np), torch.from_numpy(vals_np)
    y, mask = torch.from_numpy(p.data.y_train), torch.from_numpy(p.mask)
    n, size = a.shape[0], p.batch

    def step(w: Any, s: Any, rows: Any, rate: Any, eps: Any, l2: Any) -> tuple[Any, Any]:
        # index_select, not w[c]: 2x faster under vmap, 10x outside it (docs/performance.md)
        c, v, yb = cols.index_select(0, rows), vals.index_select(0, rows), y.index_select(0, rows)
        flat = c.reshape(-1)
        z = (v * w.index_select(0, flat).reshape(c.shape)).sum(-1)
        slope = -yb / (1.0 + torch.exp(yb * z))
        g = torch.zeros_like(w).index_add(0, flat, (slope[:, None] * v).reshape(-1))
        g = g / size + l2 * mask * w
        s = s + g * g
        return w - rate / (eps + torch.sqrt(s)) * g, s

    return _loop(torch, p, torch.func.vmap(step), lambda k: batches(p.keys, k, size, n))


def torch_full(torch: Any, p: Problem) -> Callable[[], Array]:
    """The full-batch loop: vmap of one trajectory's step, whose two matrix-vector
    products vmap turns into matrix products over all trajectories."""
    a = torch.from_numpy(np.ascontiguousarray(as_dense(p.data.train)))
    y, mask = torch.from_numpy(p.data.y_train), torch.from_numpy(p.mask)
    n, least_squares = a.shape[0], p.kind == "least_squares"

    def step(w: Any, s: Any, rows: Any, rate: Any, eps: Any, l2: Any) -> tuple[Any, Any]:
        z = a @ w
        slope = z - y if least_squares else -y / (1.0 + torch.exp(y * z))
        g = a.T @ slope / n + l2 * mask * w
        s = s + g * g
        return w - rate / (eps + torch.sqrt(s)) * g, s

    every = np.zeros((len(p.x0), 1), np.int64)  # vmap needs a batched argument for rows
    return _loop(torch, p, torch.func.vmap(step), lambda k: every)


def _loop(
    torch: Any, p: Problem, step: Callable[..., Any], rows: Callable[[int], Array]
) -> Callable[[], Array]:
    """The iterations of a vmapped ``step``; the final points (lanes, d) as NumPy."""
    rate, eps, l2 = (torch.from_numpy(np.ascontiguousarray(v)) for v in (p.step, p.eps, p.l2))

    def run() -> Array:
        w = torch.from_numpy(p.x0.copy())
        s = torch.from_numpy(np.broadcast_to(p.s0[:, None], p.x0.shape).copy())
        with torch.no_grad():
            for k in range(p.n_iter):
                w, s = step(w, s, torch.from_numpy(rows(k)), rate, eps, l2)
        out: Array = w.numpy()
        return out

    return run
