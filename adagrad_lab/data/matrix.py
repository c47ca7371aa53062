"""The two matrix forms a learning problem's features take: a dense array or a CSR triple.

Our own small CSR (values, column indices, row pointers) rather than SciPy's:
the kernel reads exactly these three arrays, and the synthetic generator
writes them without SciPy installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Csr:
    """A sparse matrix in compressed sparse rows, columns sorted within each row."""

    values: Array  # float64, nnz
    indices: Array  # int64, nnz
    indptr: Array  # int64, rows + 1
    shape: tuple[int, int]

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    def rows(self, which: Array) -> Csr:
        """The rows ``which``, in that order."""
        starts, stops = self.indptr[which], self.indptr[which + 1]
        pieces = [np.arange(a, b) for a, b in zip(starts, stops, strict=True)]
        take = np.concatenate(pieces).astype(np.int64) if pieces else np.zeros(0, np.int64)
        indptr = np.concatenate([[0], np.cumsum(stops - starts)]).astype(np.int64)
        return Csr(self.values[take], self.indices[take], indptr, (len(which), self.shape[1]))

    def dense(self) -> Array:
        out = np.zeros(self.shape)
        row = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))
        out[row, self.indices] = self.values
        return out

    def scaled(self, factors: Array) -> Csr:
        """Each column j multiplied by ``factors[j]``."""
        return Csr(self.values * factors[self.indices], self.indices, self.indptr, self.shape)

    def with_ones(self) -> Csr:
        """A last column of ones appended (the intercept)."""
        n, d = self.shape
        counts = np.diff(self.indptr) + 1
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        values = np.empty(indptr[-1])
        indices = np.empty(indptr[-1], np.int64)
        last = indptr[1:] - 1
        keep = np.ones(indptr[-1], bool)
        keep[last] = False
        values[keep], indices[keep] = self.values, self.indices
        values[last], indices[last] = 1.0, d
        return Csr(values, indices, indptr, (n, d + 1))


Matrix = Array | Csr


def from_scipy(m: Any) -> Csr:
    """A SciPy sparse matrix (the svmlight reader's) as a `Csr`, indices sorted."""
    m = m.tocsr()
    m.sort_indices()
    return Csr(
        np.asarray(m.data, np.float64),
        np.asarray(m.indices, np.int64),
        np.asarray(m.indptr, np.int64),
        (int(m.shape[0]), int(m.shape[1])),
    )


def take_rows(a: Matrix, which: Array) -> Matrix:
    return a.rows(which) if isinstance(a, Csr) else a[which]


def as_dense(a: Matrix) -> Array:
    return a.dense() if isinstance(a, Csr) else a


def density(a: Matrix) -> float:
    """The share of stored entries that are not zero."""
    n, d = a.shape
    nonzero = np.count_nonzero(a.values) if isinstance(a, Csr) else np.count_nonzero(a)
    return float(nonzero) / max(1, n * d)
