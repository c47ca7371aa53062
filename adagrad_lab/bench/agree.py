"""How the benchmark judges the kernel's outputs against the NumPy baseline.

Default kernel (float64, no fast setting): the baseline performs the kernel's
operations in the kernel's order, so every output array must be identical
bit for bit; ``agree`` is allclose at rtol 1e-12 on every final f and a
sample of history columns.

Fast modes (``fastmath``, ``precision="float32"``, ``flush_subnormals``) are not expected to match
bit for bit. Their f is measured against the float64 NumPy reference instead,
as relative error |f_kernel - f_numpy| / |f_numpy| wherever |f_numpy| > 1e-20
(below that a relative error says nothing): over the history, the median of
the sampled history columns and the maximum over every recorded f; over the
final values, median and maximum over all trajectories. ``agree`` then means
within the documented bounds: in float64 (fastmath, flushed subnormals)
max < 1e-9; in float32 median < 1e-5 and max < 0.1. A value the reference
has and the kernel lost (NaN, infinity) counts as an infinite error.

A rule whose baseline cannot agree bit for bit (``adagrad_full``: NumPy's
eigendecomposition is LAPACK's ``eigh``, the kernel's a cyclic Jacobi; see
`numpy_rules`) is judged by the final points instead, against its bound:
per trajectory max_i |x_kernel - x_numpy| / max(max_i |x_numpy|, max_i |x0|),
the largest over all trajectories (`x_error`). The start point's scale is the
floor because a converged point near 0 holds no relative precision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .workloads import DEFAULT_MODE, Mode, Workload

RTOL = 1e-12
HISTORY_SAMPLE = 11  # history columns compared with allclose (evenly spaced over the records)
F_FLOOR = 1e-20  # relative errors only where the reference |f| exceeds this
FASTMATH_MAX_REL_ERR = 1e-9
FLOAT32_MEDIAN_REL_ERR = 1e-5
FLOAT32_MAX_REL_ERR = 0.1
ROWS_PER_SLAB = 2048  # history rows turned into errors at a time (bounds the temporaries)
FAST_COLUMNS = ("f rel err med", "f rel err max", "f_final rel err med", "f_final rel err max")


def bounds(mode: Mode) -> tuple[float | None, float]:
    """(median bound or None, max bound) of f's relative error in a fast mode."""
    if mode.precision != "float64":
        return FLOAT32_MEDIAN_REL_ERR, FLOAT32_MAX_REL_ERR
    return None, FASTMATH_MAX_REL_ERR


def bounds_text(mode: Mode) -> str:
    """'max < 1e-09' or 'median < 1e-05, max < 0.1'."""
    median, largest = bounds(mode)
    return ("" if median is None else f"median < {median:g}, ") + f"max < {largest:g}"


def mode_note(w: Workload) -> str:
    """' (kernel: <mode>)' for a workload in a fast mode, '' otherwise."""
    return f" (kernel: {w.mode.label()})" if w.fast() else ""


def mode_lines(mode: Mode, workloads: Sequence[Workload], overrides: bool) -> list[str]:
    """The header's lines on the kernel mode of W1-W4 and on how fast modes are judged."""
    how = "outputs must equal NumPy's bit for bit"
    if mode.fast():
        how = f"judged by f's relative error against NumPy: {bounds_text(mode)}"
    lines = [f"kernel mode (W1-W4): {mode.label()}; {how}"]
    if overrides:
        lines[0] += "; O rows: as their run.fastmath, run.precision, run.flush_subnormals say"
    if any(w.fast() for w in workloads):
        lines.append(
            "fast mode rows: not bitwise; agree = f's relative error |kernel - numpy| / |numpy| "
            f"(where |numpy| > {F_FLOOR:g}) within the mode's bounds (float64: "
            f"{bounds_text(DEFAULT_MODE)}; float32: {bounds_text(Mode(precision='float32'))}); "
            "f rel err med: over the sampled history columns, max: over every recorded f; "
            "f_final: over all trajectories; '-': no |numpy f| above the floor"
        )
    return lines


@dataclass(frozen=True)
class RelErrors:
    """f's relative errors against the reference; None where no value qualified."""

    hist_med: float | None
    hist_max: float | None
    final_med: float | None
    final_max: float | None

    def within(self, median_bound: float | None, max_bound: float) -> bool:
        meds = [v for v in (self.hist_med, self.final_med) if v is not None]
        maxes = [v for v in (self.hist_max, self.final_max) if v is not None]
        ok = all(v < max_bound for v in maxes)  # False for NaN
        return ok and (median_bound is None or all(v < median_bound for v in meds))

    def cells(self) -> list[str]:
        values = (self.hist_med, self.hist_max, self.final_med, self.final_max)
        return ["-" if v is None else f"{v:.2e}" for v in values]


@dataclass(frozen=True)
class Agreement:
    """Whether the two implementations agree (rtol 1e-12, or a fast mode's bounds), whether
    bit for bit, and in a fast mode f's measured errors (None: shapes differ or default mode)."""

    close: bool
    bitwise: bool
    errors: RelErrors | None = None
    x_err: float | None = None  # a rule judged by its bound: the largest scaled x error
    diverged: int = 0  # trajectories the kernel stopped as diverged (non-finite)


def history_columns(n_rec: int) -> np.ndarray:
    """The sample of record columns the allclose checks look at."""
    if not n_rec:
        return np.empty(0, np.int64)  # indexes like [], which it was: no columns
    return np.unique(np.linspace(0, n_rec - 1, HISTORY_SAMPLE).astype(np.int64))


KEYS = ("x_final", "f_final", "h_f", "h_gn")


def compare_bitwise(ko: dict[str, np.ndarray], no: dict[str, np.ndarray]) -> Agreement:
    """Final f and a sample of history columns within rtol; every output array bit for bit."""
    if any(ko[key].shape != no[key].shape for key in KEYS):
        return Agreement(False, False)
    cols = history_columns(ko["h_f"].shape[1])
    pairs = [(ko["f_final"], no["f_final"])]
    pairs += [(ko[key][:, cols], no[key][:, cols]) for key in ("h_f", "h_gn") if ko[key].size]
    close = all(np.allclose(a, b, rtol=RTOL, atol=0.0) for a, b in pairs)
    return Agreement(close, all(np.array_equal(ko[key], no[key]) for key in KEYS))


def x_error(ko: dict[str, np.ndarray], no: dict[str, np.ndarray], x0: np.ndarray) -> float:
    """The largest over trajectories of max_i |x_kernel - x_numpy| / max(max_i |x_numpy|,
    max_i |x0|) (a NaN anywhere: infinite); 0.0 for no trajectories."""
    if not len(x0):
        return 0.0
    scale = np.maximum(np.abs(no["x_final"]).max(axis=1), np.abs(x0).max(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.abs(ko["x_final"] - no["x_final"]).max(axis=1) / scale
    return float("inf") if np.isnan(err).any() else float(err.max())


def rel_errors(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|got - ref| / |ref| where |ref| > F_FLOOR, flattened, in float64 (equal values: 0)."""
    ref = np.asarray(ref, np.float64)
    got = np.asarray(got, np.float64)
    keep = np.abs(ref) > F_FLOOR
    r, g = ref[keep], got[keep]
    with np.errstate(invalid="ignore"):
        err: np.ndarray = np.abs(g - r) / np.abs(r)
    err[g == r] = 0.0  # the same infinity
    err[np.isnan(err)] = np.inf  # a value the reference has and the kernel lost
    return err


class ErrorTally:
    """Relative errors of f gathered chunk by chunk (a fast mode's agreement check)."""

    def __init__(self) -> None:
        self.shapes_ok = True
        self.sample: list[np.ndarray] = []
        self.final: list[np.ndarray] = []
        self.hist_max: float | None = None

    def add(self, ko: dict[str, np.ndarray], no: dict[str, np.ndarray]) -> None:
        if any(ko[key].shape != no[key].shape for key in KEYS):
            self.shapes_ok = False
            return
        self.final.append(rel_errors(ko["f_final"], no["f_final"]))
        hk, hn = ko["h_f"], no["h_f"]
        if not hk.size:
            return
        cols = history_columns(hk.shape[1])
        self.sample.append(rel_errors(hk[:, cols], hn[:, cols]))
        for j0 in range(0, hk.shape[0], ROWS_PER_SLAB):
            err = rel_errors(hk[j0 : j0 + ROWS_PER_SLAB], hn[j0 : j0 + ROWS_PER_SLAB])
            if err.size:
                top = float(err.max())
                self.hist_max = top if self.hist_max is None else max(self.hist_max, top)

    def agreement(self, mode: Mode) -> Agreement:
        if not self.shapes_ok:
            return Agreement(False, False)
        sample, final = _joined(self.sample), _joined(self.final)
        errors = RelErrors(
            _stat(np.median, sample), self.hist_max, _stat(np.median, final), _stat(np.max, final)
        )
        return Agreement(errors.within(*bounds(mode)), False, errors)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0)


def _stat(fn: Callable[[np.ndarray], Any], values: np.ndarray) -> float | None:
    return float(fn(values)) if values.size else None
