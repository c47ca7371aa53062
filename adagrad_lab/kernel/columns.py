"""Long-format history columns from the kernel's (trajectory, record) arrays, in one parallel pass.

Row order is (trajectory, iteration); a trajectory's records after its last
iteration (it diverged or stopped at the target) are left out. When no
trajectory stopped early, nothing needs leaving out and the kernel's arrays
are used as they are.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from adagrad_lab.jit.tools import jit


@jit(parallel=True)
def _fill(traj, rec, last, h_f, h_gn, h_x, h_e, start, o_traj, o_iter, o_f, o_gn, o_x, o_e):
    n, r = h_f.shape
    d = h_x.shape[2]
    e = h_e.shape[2]
    rec_gn = h_gn.shape[1] > 0
    for t in prange(n):
        row = start[t]
        for k in range(r):
            if rec[k] > last[t]:
                break
            o_traj[row] = traj[t]
            o_iter[row] = rec[k]
            o_f[row] = h_f[t, k]
            if rec_gn:
                o_gn[row] = h_gn[t, k]
            for i in range(d):
                o_x[row * d + i] = h_x[t, k, i]
            for i in range(e):
                o_e[row * e + i] = h_e[t, k, i]
            row += 1


def history_columns(
    trajectory: np.ndarray, rec_iters: np.ndarray, res: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """trajectory, iter (int32), f, grad_norm (if recorded), flat x (if recorded) and flat
    extra (a learning problem's regret and f at the average, if recorded) columns."""
    if len(rec_iters) and np.all(res["last_iter"] >= rec_iters[-1]):
        n, r = res["h_f"].shape
        cols = _unmasked_columns(trajectory, rec_iters, res["h_f"], res["h_gn"], res["h_x"])
        return {**cols, "extra": np.ravel(np.asarray(_extra(res, n, r), np.float64))}
    return _masked_columns(trajectory, rec_iters, res)


def _extra(res: dict[str, np.ndarray], n: int, r: int) -> np.ndarray:
    """The (n, r, extras) array of extra records; (n, r, 0) when none is recorded."""
    h_e = res.get("h_e")
    if h_e is None or h_e.shape[0] != n:
        return np.zeros((n, r, 0), res["h_f"].dtype)
    return h_e


def _masked_columns(
    trajectory: np.ndarray, rec_iters: np.ndarray, res: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The columns with each trajectory's records past its last iteration left out."""
    h_f, h_gn, h_x = res["h_f"], res["h_gn"], res["h_x"]
    n = h_f.shape[0]
    h_e = _extra(res, n, h_f.shape[1])
    counts = np.searchsorted(rec_iters, res["last_iter"], side="right")
    start = np.zeros(n, np.int64)
    np.cumsum(counts[:-1], out=start[1:])
    rows = int(counts.sum())
    d = h_x.shape[2]
    cols: dict[str, np.ndarray] = {
        "trajectory": np.empty(rows, np.int64),
        "iter": np.empty(rows, np.int32),
        "f": np.empty(rows),
        "grad_norm": np.empty(rows if h_gn.shape[1] else 0),
        "x": np.empty(rows * d),
        "extra": np.empty(rows * h_e.shape[2]),
    }
    _fill(
        np.ascontiguousarray(trajectory, np.int64), np.ascontiguousarray(rec_iters, np.int32),
        np.ascontiguousarray(res["last_iter"]), h_f, h_gn, h_x, h_e, start,
        cols["trajectory"], cols["iter"], cols["f"], cols["grad_norm"], cols["x"], cols["extra"],
    )  # fmt: skip
    return cols


def _unmasked_columns(
    trajectory: np.ndarray,
    rec_iters: np.ndarray,
    h_f: np.ndarray,
    h_gn: np.ndarray,
    h_x: np.ndarray,
) -> dict[str, np.ndarray]:
    """The columns when every trajectory kept all its records (none stopped early): the
    value columns are the kernel's float64 arrays themselves, read row by row, not copies."""
    n, r = h_f.shape
    return {
        "trajectory": np.repeat(np.asarray(trajectory, np.int64), r),
        "iter": np.tile(np.asarray(rec_iters, np.int32), n),
        "f": np.ravel(np.asarray(h_f, np.float64)),
        "grad_norm": np.ravel(np.asarray(h_gn, np.float64)),
        "x": np.ravel(np.asarray(h_x, np.float64)),
    }
