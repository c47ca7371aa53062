"""Timing a workload: warm-up, the agreement check, alternating timed repeats, peers; the tables.

For each workload the kernel is warmed up (its compile or cache-load time is
reported apart), both implementations run once untimed and are compared
(`check_agreement`), then kernel and NumPy are timed repeat by repeat,
interleaved, so drifts in machine load hit both alike; the tables report
medians. Every kernel run goes through `workloads.kernel_call`.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from .agree import FAST_COLUMNS, Agreement, ErrorTally, compare_bitwise, x_error
from .baselines import (
    PEER_ATOL,
    PEER_RTOL,
    Peer,
    UnsupportedError,
    eligible,
    has_numpy,
    peer_agrees,
    peer_sample,
    run_numpy,
)
from .numpy_rules import bound
from .plans import plan_chunk_size, plan_inputs, plan_warm_up
from .workloads import (
    DEFAULT_OPTIMIZER,
    Inputs,
    Outputs,
    Workload,
    builtin_inputs,
    kernel_call,
    reuse,
)

WARMUP_N, WARMUP_ITER = 64, 3
CHECK_CHUNK = 16384  # trajectories per chunk of the agreement check (bounds its memory)


# ---------------------------------------------------------------- the kernel


def make_inputs(w: Workload, n: int) -> Inputs:
    """A plan's first n grid rows; else the built-in workload's inputs (`builtin_inputs`)."""
    return builtin_inputs(w, n) if w.plan is None else plan_inputs(w.plan, n)


def kernel_chunks(
    w: Workload, inputs: Inputs, buffers: dict[int, Outputs] | None = None
) -> Iterator[Outputs]:
    """The kernel's outputs: one call for a built-in workload; for a plan, one per runner chunk.

    ``buffers`` (chunk length -> outputs) keeps each call's output arrays to be
    written again by the next call of that length, as the runner reuses them.
    """
    n = inputs.x0.shape[0]
    size = n if w.plan is None else plan_chunk_size(w)
    for a in range(0, n, size):
        part = inputs.rows(a, min(a + size, n))
        yield reuse(buffers, part.x0.shape[0], partial(kernel_call, w, part))


def run_kernel(w: Workload, inputs: Inputs) -> dict[str, np.ndarray]:
    """The kernel's outputs for all of ``inputs`` (chunks concatenated)."""
    parts = list(kernel_chunks(w, inputs))
    if len(parts) == 1:
        return parts[0]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def time_kernel(w: Workload, inputs: Inputs, buffers: dict[int, Outputs] | None = None) -> float:
    """Seconds the kernel takes on ``inputs``; each chunk's outputs are dropped as it finishes
    (or kept in ``buffers`` for the next call, see `kernel_chunks`)."""
    t0 = time.perf_counter()
    for _ in kernel_chunks(w, inputs, buffers):
        pass
    return time.perf_counter() - t0


# ---------------------------------------------------------------- measuring


def timed(fn: Callable[..., object], *args: Any) -> float:
    """Seconds one call takes; its result is dropped at once, so outputs never pile up."""
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def warm_up(w: Workload) -> tuple[Workload, float]:
    """Compile or load the kernel on a tiny input; return the workload and the seconds it took.

    A plan is warmed up by the runner's own `compile_kernel` (which also
    compiles a custom objective's kernel, kept in the returned workload).
    """
    if w.plan is not None:
        return plan_warm_up(w)
    tiny = replace(w, n=WARMUP_N, n_iter=WARMUP_ITER)
    return w, timed(run_kernel, tiny, make_inputs(tiny, WARMUP_N))


def check_agreement(w: Workload, inputs: Inputs) -> Agreement:
    """One untimed run of each, compared; done CHECK_CHUNK trajectories at a time.

    Trajectories are independent, so comparing chunk by chunk covers all of
    them while only one chunk's outputs of each implementation are alive:
    the check never raises the process's peak memory above the timed runs'.
    A fast mode gathers f's relative errors instead (`agree.ErrorTally`); a
    rule with a bound (`numpy_rules.bound`) measures the final points' error
    (`agree.x_error`). The trajectories the kernel stopped as diverged are counted.
    """
    n = inputs.x0.shape[0]
    close = bitwise = True
    limit = None if w.plan is not None else bound(w.optimizer)
    tally = ErrorTally() if w.fast() and limit is None else None
    x_err, diverged = 0.0, 0
    for j0 in range(0, n, CHECK_CHUNK):
        part = inputs.rows(j0, j0 + CHECK_CHUNK)
        ko, no = run_kernel(w, part), run_numpy(w, part)
        diverged += int((ko["died_at"] >= 0).sum())
        if tally is not None:
            tally.add(ko, no)
            continue
        a = compare_bitwise(ko, no)
        bitwise = bitwise and a.bitwise
        if limit is None:
            close = close and a.close
        elif ko["x_final"].shape == no["x_final"].shape:
            x_err = max(x_err, x_error(ko, no, part.x0))
        else:
            x_err = float("inf")
    if tally is not None:
        return replace(tally.agreement(w.mode), diverged=diverged)
    if limit is not None:
        return Agreement(x_err < limit, bitwise, x_err=x_err, diverged=diverged)
    return Agreement(close, bitwise, diverged=diverged)


def peak_rss_mib() -> float:
    """The process's peak resident set size so far, in MiB (ru_maxrss: KiB on Linux, B on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


@dataclass(frozen=True)
class PeerResult:
    """One peer on one workload: first-call seconds, timed repeats, agreement (None: not run)."""

    peer: str
    warmup_s: float
    times: list[float]
    agree: bool | None
    note: str = ""
    peak_rss_mib: float = float("nan")


@dataclass(frozen=True)
class Result:
    """What one workload's benchmark measured (no NumPy times or agreement: no baseline)."""

    workload: Workload
    n: int
    warmup_s: float
    kernel_s: list[float]
    numpy_s: list[float]
    agreement: Agreement | None
    peak_rss_mib: float
    peers: tuple[PeerResult, ...] = ()

    def updates(self) -> int:
        """Coordinate updates in one run: trajectories x iterations x dimension."""
        return self.n * self.workload.n_iter * self.workload.dim


def bench_workload(
    w: Workload,
    scale: float,
    repeats: int,
    peers: Sequence[Peer] = (),
    reuse_outputs: bool = False,
) -> Result:
    """Warm up, check agreement, then time kernel and NumPy alternately; then any peers.

    ``reuse_outputs``: both write into output arrays of an untimed first call,
    so first-touch page faults of fresh memory are left out of the times.
    """
    w, warm = warm_up(w)
    w = replace(w, n=w.scaled_n(scale))
    inputs = make_inputs(w, w.n)
    baseline = has_numpy(w)
    agreement = check_agreement(w, inputs) if baseline else None
    kernel_out: dict[int, Outputs] | None = None
    numpy_out: Outputs | None = None
    if reuse_outputs:
        kernel_out = {}
        time_kernel(w, inputs, kernel_out)
        numpy_out = run_numpy(w, inputs) if baseline else None
    numpy_run = run_numpy if numpy_out is None else partial(run_numpy, out=numpy_out)
    kernel_s, numpy_s = [], []
    for _ in range(repeats):
        kernel_s.append(time_kernel(w, inputs, kernel_out))
        if baseline:
            numpy_s.append(timed(numpy_run, w, inputs))
    result = Result(w, w.n, warm, kernel_s, numpy_s, agreement, peak_rss_mib())
    if peers and w.optimizer == DEFAULT_OPTIMIZER:  # the peers run AdaGrad only
        result = replace(result, peers=tuple(bench_peers(peers, result, inputs, repeats)))
    return result


def measure_peer(peer: Peer, w: Workload, inputs: Inputs, ref: Outputs, repeats: int) -> PeerResult:
    """First call (compiles; its outputs are checked), then ``repeats`` timed calls."""
    try:
        run = peer.prepare(w, inputs)
    except UnsupportedError as exc:
        return PeerResult(peer.label, float("nan"), [], None, str(exc))
    t0 = time.perf_counter()
    agree = peer_agrees(ref, run(), len(w.rec_iters()))
    warm = time.perf_counter() - t0
    times = [timed(run) for _ in range(repeats)]
    return PeerResult(peer.label, warm, times, agree, peak_rss_mib=peak_rss_mib())


def bench_peers(
    peers: Sequence[Peer], result: Result, inputs: Inputs, repeats: int
) -> list[PeerResult]:
    """Every peer on the workload of ``result``, checked against the kernel's outputs
    (against NumPy's when the kernel ran in a fast mode)."""
    w = result.workload
    if why := eligible(w):
        return [PeerResult(p.label, float("nan"), [], None, why) for p in peers]
    # a fast mode's kernel is no float64 reference: NumPy (the default kernel's bits) is
    ref_out = run_numpy(w, inputs) if w.fast() else run_kernel(w, inputs)
    ref = peer_sample(ref_out, len(w.rec_iters()))
    return [measure_peer(p, w, inputs, ref, repeats) for p in peers]


# ---------------------------------------------------------------- tables

COLUMNS = (
    "workload", "objective", "d", "N", "T", "history", "warm-up s", "kernel s", "numpy s",
    "speedup", "kernel upd/s", "numpy upd/s", "peak RSS MiB", "agree", "bitwise",
)  # fmt: skip


def history_label(w: Workload) -> str:
    """'f:R' (f at R recorded iterations), 'f+gn:R' with the gradient norm, '-' for none."""
    n_rec = len(w.rec_iters())
    return f"{'f+gn' if w.grad_norm else 'f'}:{n_rec}" if n_rec else "-"


def yes(flag: bool | None, no: str) -> str:
    """'-' for None (not checked), 'yes', or ``no``."""
    return "-" if flag is None else ("yes" if flag else no)


def bitwise_cell(r: Result) -> str:
    """'yes', 'no', '-' (no baseline), 'no (fast mode)', or for a rule judged by its bound
    'no (x err 3.2e-10)' (its measured `agree.x_error`)."""
    w, a = r.workload, r.agreement
    if a is not None and a.x_err is not None and not a.bitwise:
        return f"no (x err {a.x_err:.1e})"
    if a is not None and w.fast():
        return "no (fast mode)"
    return yes(None if a is None else a.bitwise, "no")


def table_row(r: Result, fast_columns: bool = False, optimizer_column: bool = False) -> list[str]:
    """One table row: medians, speedup (NumPy/kernel), throughputs, memory, agreement;
    with ``fast_columns``, then f's relative errors (a fast mode's; '-' otherwise);
    with ``optimizer_column``, the optimizer after the workload."""
    w, a = r.workload, r.agreement
    bitwise = bitwise_cell(r)
    errors = a.errors.cells() if a and a.errors else ["-"] * len(FAST_COLUMNS)
    k = statistics.median(r.kernel_s)
    p = statistics.median(r.numpy_s) if r.numpy_s else None
    return [
        w.name, *([w.optimizer] if optimizer_column else []), w.objective, str(w.dim),
        str(r.n), str(w.n_iter), history_label(w),
        f"{r.warmup_s:.3f}", f"{k:.4f}", "-" if p is None else f"{p:.4f}",
        "-" if p is None else f"{p / k:.1f}x", f"{r.updates() / k:.3e}",
        "-" if p is None else f"{r.updates() / p:.3e}", f"{r.peak_rss_mib:.0f}",
        yes(None if a is None else a.close, "NO"), bitwise, *(errors if fast_columns else []),
    ]  # fmt: skip


def results_table(results: Sequence[Result]) -> str:
    """The main table; the error columns only when some workload ran in a fast mode, the
    optimizer column only when some row runs another rule than AdaGrad (so the default
    run prints the table it always did)."""
    fast = any(r.workload.fast() for r in results)
    rules = any(r.workload.optimizer != DEFAULT_OPTIMIZER for r in results)
    header = (*COLUMNS, *FAST_COLUMNS) if fast else COLUMNS
    if rules:
        header = (header[0], "optimizer", *header[1:])
    return format_table(header, [table_row(r, fast, rules) for r in results])


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Right-aligned plain-text table with a rule under the header."""
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(header)]
    lines = [
        "  ".join(cell.rjust(wd) for cell, wd in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    return "\n".join(lines)


PEER_COLUMNS = (
    "workload", "peer", "warm-up s", "peer s", "kernel s", "numpy s", "peer vs numpy",
    "kernel vs peer", "peer upd/s", "peak RSS MiB", "agree 1e-9",
)  # fmt: skip


def diverged_lines(results: Sequence[Result]) -> list[str]:
    """A line for each row whose kernel stopped trajectories as diverged (their timing is
    not comparable: a stopped lane does no more work)."""
    return [
        f"{r.workload.name} {r.workload.optimizer}: {r.agreement.diverged} of {r.n} "
        "trajectories diverged in the kernel (stopped early: its time is not comparable)"
        for r in results
        if r.agreement is not None and r.agreement.diverged
    ]


def peer_row(r: Result, p: PeerResult) -> list[str]:
    """One peer's row: medians, the ratios to NumPy and the kernel, throughput, agreement."""
    k = statistics.median(r.kernel_s)
    npy = statistics.median(r.numpy_s) if r.numpy_s else None
    if not p.times:
        return [r.workload.name, p.peer, *["-"] * 8, f"skipped: {p.note}"]
    s = statistics.median(p.times)
    return [
        r.workload.name, p.peer, f"{p.warmup_s:.3f}", f"{s:.4f}", f"{k:.4f}",
        "-" if npy is None else f"{npy:.4f}", "-" if npy is None else f"{npy / s:.1f}x",
        f"{s / k:.1f}x", f"{r.updates() / s:.3e}", f"{p.peak_rss_mib:.0f}",
        "yes" if p.agree else "NO",
    ]  # fmt: skip


def peer_table(results: Sequence[Result]) -> str:
    """The peers' table, with a header saying how to read it."""
    rows = [peer_row(r, p) for r in results for p in r.peers]
    notes = [
        "",
        "peers: same workloads and inputs; medians; warm-up s = first full-size call (jit "
        "compile included, outputs checked); 'peer vs numpy' = NumPy / peer; "
        "'kernel vs peer' = peer / kernel",
        f"agree 1e-9: allclose rtol {PEER_RTOL:g}, atol {PEER_ATOL:.3g} (the smallest normal "
        "float64), against the kernel (fast mode rows: against NumPy); JAX and PyTorch are not "
        "bitwise: their sums run in their own order and torch.optim.Adagrad computes "
        "x -= lr * g / (sqrt(s) + eps); the C peer keeps the kernel's order (bit for bit in "
        "the tests)",
    ]
    return "\n".join([*notes, format_table(PEER_COLUMNS, rows)] if rows else notes)
