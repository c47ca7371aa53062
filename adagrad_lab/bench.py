"""Benchmark: the Numba kernel against a plain NumPy-vectorized AdaGrad, in one process.

The performance contract (shared/DESIGN.md) asks for the kernel's throughput
in trajectory-coordinate updates per second, side by side with a NumPy
implementation of the same sweep. This module is that measurement: for each
workload it warms the kernel up (its compile or cache-load time is reported
apart), checks once that both give the same numbers, then times them repeat
by repeat, interleaved, so drifts in machine load hit both alike, and prints
medians. ``--end-to-end`` times the real command instead (`bench_e2e`),
``--peers`` adds JAX and PyTorch (`bench_peers`), ``--workload-overrides``
builds a workload from the project's own config. ``--fastmath``, ``--precision
float32``, ``--flush-subnormals``: the kernel in an opt-in fast mode, judged by f's relative error
against NumPy, not bit for bit (`bench_agree`). The NumPy baseline lives in
`bench_peers`, next to the optional peers.

Run ``python -m adagrad_lab.bench --help`` for the options.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import numba
import numpy as np

from .bench_agree import (
    DEFAULT_MODE,
    FAST_COLUMNS,
    RTOL,
    Agreement,
    ErrorTally,
    Mode,
    compare_bitwise,
    mode_lines,
    mode_note,
)
from .bench_peers import NUMPY_OBJECTIVES, run_numpy
from .kernel import HP_EPS, HP_INITIAL_ACCUMULATOR, HP_STEP_SIZE, N_HP, RULE_ADAGRAD, advance
from .objectives import BUILTINS

if TYPE_CHECKING:
    from .validate import Plan

EPS = 1e-8
INITIAL_ACCUMULATOR = 0.0
MIN_TRAJECTORIES = 64
PRECISIONS = ("float64", "float32")
WARMUP_N, WARMUP_ITER = 64, 3
CHECK_CHUNK = 16384  # trajectories per chunk of the agreement check (bounds its memory)


@dataclass(frozen=True)
class Workload:
    """One benchmark case: an objective, its size, and what is recorded.

    ``history``: f at every iteration (``grad_norm`` adds the gradient norm).
    ``mode``: the kernel's arithmetic. A workload built from config overrides
    carries its checked ``plan``, which then decides the inputs, the recorded
    iterations and every kernel flag (its mode copies the plan's).
    """

    name: str
    objective: str
    dim: int
    n: int
    n_iter: int
    history: bool
    step_size: float
    log10_condition: float = 6.0
    grad_norm: bool = False
    mode: Mode = DEFAULT_MODE
    plan: Plan | None = field(default=None, compare=False)
    kernel: Any = field(default=None, compare=False)  # compiled kernel of a custom objective

    def scaled_n(self, scale: float) -> int:
        """Trajectories at this scale (at least MIN_TRAJECTORIES); a plan's size is its own."""
        if self.plan is not None:
            return self.n
        return max(MIN_TRAJECTORIES, round(self.n * scale))

    def fast(self) -> bool:
        """Whether the kernel runs in a fast mode (judged by error bounds, not bitwise)."""
        return self.mode.fast()

    def rec_iters(self) -> np.ndarray:
        """The iterations recorded: the plan's, every one (history), or none."""
        if self.plan is not None:
            return self.plan.record_iters
        return np.arange(self.n_iter + 1 if self.history else 0, dtype=np.int64)


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("W1", "sphere", 2, 131072, 1000, True, 0.1),
        Workload("W2", "ellipsoid", 100, 4096, 1000, True, 0.1, log10_condition=6.0),
        Workload("W3", "sphere", 2, 131072, 1000, False, 0.1),
        Workload("W4", "rosenbrock", 2, 131072, 1000, True, 0.001),
    )
}


@dataclass(frozen=True)
class Inputs:
    """Start points (N, d), hyperparameters (N_HP, N) and objective parameters of a workload."""

    x0: np.ndarray
    hp: np.ndarray
    params: np.ndarray


def make_inputs(w: Workload, n: int) -> Inputs:
    """A plan's first n grid rows; else uniform in the default box from default_rng(0), fixed hp."""
    if w.plan is not None:
        from .bench_e2e import plan_inputs

        return plan_inputs(w.plan, n)
    low, high = BUILTINS[w.objective].bounds
    x0 = low + np.random.default_rng(0).random((n, w.dim)) * (high - low)
    hp = np.empty((N_HP, n))
    hp[HP_STEP_SIZE] = w.step_size
    hp[HP_EPS] = EPS
    hp[HP_INITIAL_ACCUMULATOR] = INITIAL_ACCUMULATOR
    params = BUILTINS[w.objective].params(w.dim, w.log10_condition)
    return Inputs(x0, hp, params)


def has_numpy(w: Workload) -> bool:
    """Whether the NumPy baseline computes this workload (built-in sphere/ellipsoid/rosenbrock,
    AdaGrad, no points recorded, no stop at the target)."""
    p = w.plan
    plain = p is None or (p.rule == RULE_ADAGRAD and not (p.record_points or p.stop_at_target))
    return w.objective in NUMPY_OBJECTIVES and plain


# ---------------------------------------------------------------- the kernel


def kernel_chunks(
    w: Workload, inputs: Inputs, buffers: dict | None = None
) -> Iterator[dict[str, np.ndarray]]:
    """The kernel's outputs: one call for a built-in workload; for a plan, one per runner chunk,
    through `runner.run_trajectories` (the plan's flags, block and chunk size).

    ``buffers`` (chunk length -> outputs) keeps each call's output arrays to be
    written again by the next call of that length, as the runner reuses them.
    """
    if w.plan is None:
        yield reuse(buffers, inputs.x0.shape[0], lambda out: advance(
            inputs.x0, inputs.hp, rule=RULE_ADAGRAD, n_iter=w.n_iter,
            code=BUILTINS[w.objective].code, params=inputs.params,
            rec_iters=w.rec_iters(), rec_grad_norm=w.grad_norm,
            out=out, **w.mode.kernel_flags(),
        ))  # fmt: skip
        return
    from .bench_e2e import plan_chunks

    yield from plan_chunks(w, inputs, buffers)


def reuse(buffers: dict | None, n: int, call: Callable[[dict | None], dict]) -> dict:
    """``call(out)`` with the outputs kept for length n (none kept: fresh ones), keeping its own."""
    if buffers is None:
        return call(None)
    buffers[n] = call(buffers.get(n))
    return buffers[n]


def run_kernel(w: Workload, inputs: Inputs) -> dict[str, np.ndarray]:
    """The kernel's outputs for all of ``inputs`` (chunks concatenated)."""
    parts = list(kernel_chunks(w, inputs))
    if len(parts) == 1:
        return parts[0]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def time_kernel(w: Workload, inputs: Inputs, buffers: dict | None = None) -> float:
    """Seconds the kernel takes on ``inputs``; each chunk's outputs are dropped as it finishes
    (or kept in ``buffers`` for the next call, see `kernel_chunks`)."""
    t0 = time.perf_counter()
    for _ in kernel_chunks(w, inputs, buffers):
        pass
    return time.perf_counter() - t0


# ---------------------------------------------------------------- measuring


def _timed(fn: Callable, *args) -> float:
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
        from .bench_e2e import plan_warm_up

        return plan_warm_up(w)
    tiny = replace(w, n=WARMUP_N, n_iter=WARMUP_ITER)
    return w, _timed(run_kernel, tiny, make_inputs(tiny, WARMUP_N))


def check_agreement(w: Workload, inputs: Inputs) -> Agreement:
    """One untimed run of each, compared; done CHECK_CHUNK trajectories at a time.

    Trajectories are independent, so comparing chunk by chunk covers all of
    them while only one chunk's outputs of each implementation are alive:
    the check never raises the process's peak memory above the timed runs'.
    A fast mode gathers f's relative errors instead (`bench_agree.ErrorTally`).
    """
    n = inputs.x0.shape[0]
    close = bitwise = True
    tally = ErrorTally() if w.fast() else None
    for j0 in range(0, n, CHECK_CHUNK):
        part = Inputs(inputs.x0[j0 : j0 + CHECK_CHUNK], inputs.hp[:, j0 : j0 + CHECK_CHUNK],
                      inputs.params)  # fmt: skip
        ko, no = run_kernel(w, part), run_numpy(w, part)
        if tally is not None:
            tally.add(ko, no)
            continue
        a = compare_bitwise(ko, no)
        close, bitwise = close and a.close, bitwise and a.bitwise
    return Agreement(close, bitwise) if tally is None else tally.agreement(w.mode)


def peak_rss_mib() -> float:
    """The process's peak resident set size so far, in MiB (ru_maxrss: KiB on Linux, B on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


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
    peers: tuple = ()

    def updates(self) -> int:
        """Coordinate updates in one run: trajectories x iterations x dimension."""
        return self.n * self.workload.n_iter * self.workload.dim


def bench_workload(
    w: Workload, scale: float, repeats: int, peers: Sequence = (), reuse_outputs: bool = False
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
    kernel_out = numpy_out = None
    if reuse_outputs:
        kernel_out = {}
        time_kernel(w, inputs, kernel_out)
        numpy_out = run_numpy(w, inputs) if baseline else None
    numpy_run = run_numpy if numpy_out is None else partial(run_numpy, out=numpy_out)
    kernel_s, numpy_s = [], []
    for _ in range(repeats):
        kernel_s.append(time_kernel(w, inputs, kernel_out))
        if baseline:
            numpy_s.append(_timed(numpy_run, w, inputs))
    result = Result(w, w.n, warm, kernel_s, numpy_s, agreement, peak_rss_mib())
    if peers:
        from .bench_peers import bench_peers

        result = replace(result, peers=tuple(bench_peers(peers, result, inputs, repeats)))
    return result


# ---------------------------------------------------------------- reporting and CLI

COLUMNS = (
    "workload", "objective", "d", "N", "T", "history", "warm-up s", "kernel s", "numpy s",
    "speedup", "kernel upd/s", "numpy upd/s", "peak RSS MiB", "agree", "bitwise",
)  # fmt: skip


def history_label(w: Workload) -> str:
    """'f:R' (f at R recorded iterations), 'f+gn:R' with the gradient norm, '-' for none."""
    n_rec = len(w.rec_iters())
    return f"{'f+gn' if w.grad_norm else 'f'}:{n_rec}" if n_rec else "-"


def _yes(flag: bool | None, no: str) -> str:
    return "-" if flag is None else ("yes" if flag else no)


def table_row(r: Result, fast_columns: bool = False) -> list[str]:
    """One table row: medians, speedup (NumPy/kernel), throughputs, memory, agreement;
    with ``fast_columns``, then f's relative errors (a fast mode's; '-' otherwise)."""
    w, a = r.workload, r.agreement
    bitwise = "no (fast mode)" if a and w.fast() else _yes(a and a.bitwise, "no")
    errors = a.errors.cells() if a and a.errors else ["-"] * len(FAST_COLUMNS)
    k = statistics.median(r.kernel_s)
    p = statistics.median(r.numpy_s) if r.numpy_s else None
    return [
        w.name, w.objective, str(w.dim), str(r.n), str(w.n_iter), history_label(w),
        f"{r.warmup_s:.3f}", f"{k:.4f}", "-" if p is None else f"{p:.4f}",
        "-" if p is None else f"{p / k:.1f}x", f"{r.updates() / k:.3e}",
        "-" if p is None else f"{r.updates() / p:.3e}", f"{r.peak_rss_mib:.0f}",
        _yes(a and a.close, "NO"), bitwise, *(errors if fast_columns else []),
    ]  # fmt: skip


def results_table(results: Sequence[Result]) -> str:
    """The main table; the error columns only when some workload ran in a fast mode."""
    fast = any(r.workload.fast() for r in results)
    header = (*COLUMNS, *FAST_COLUMNS) if fast else COLUMNS
    return format_table(header, [table_row(r, fast) for r in results])


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Right-aligned plain-text table with a rule under the header."""
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(header)]
    lines = [
        "  ".join(cell.rjust(wd) for cell, wd in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    return "\n".join(lines)


def _workload_list(text: str) -> list[Workload]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in WORKLOADS]
    if unknown or not names:
        allowed = ", ".join(WORKLOADS)
        raise argparse.ArgumentTypeError(f"unknown {unknown or text!r}; allowed: {allowed}")
    return [WORKLOADS[s] for s in names]


def _positive(kind: type) -> Callable[[str], float | int]:
    def parse(text: str):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The command line of `python -m adagrad_lab.bench`."""
    p = argparse.ArgumentParser(
        prog="adagrad-lab-bench",
        description="Time the Numba kernel against a NumPy-vectorized AdaGrad on the same sweeps.",
    )
    add = p.add_argument
    add("--workloads", type=_workload_list, default=None,
        help=f"comma-separated subset of {','.join(WORKLOADS)} (default: all, "
        "or none when --workload-overrides is given)")  # fmt: skip
    add("--workload-overrides", action="append", default=[], metavar="OVERRIDES",
        help="a workload from the project's config, e.g. \"objective=rastrigin objective.dim=10 "
        "sweep.seeds=1000\" (repeatable; rows O1, O2, ...; not scaled): the kernel as the "
        "runner calls it; NumPy only for sphere, ellipsoid, rosenbrock with AdaGrad; "
        "--threads governs, not run.threads)")  # fmt: skip
    add("--scale", type=_positive(float), default=1.0,
        help=f"multiply the built-in workloads' N, and W1's sweep.seeds with --end-to-end "
        f"(at least {MIN_TRAJECTORIES} kept)")  # fmt: skip
    add("--repeats", type=_positive(int), default=None,
        help="timed repeats (default 5; 3 with --end-to-end)")  # fmt: skip
    add("--threads", type=_positive(int), default=None,
        help="kernel threads (numba.set_num_threads; default: Numba's)")  # fmt: skip
    add("--grad-norm", action="store_true",
        help="also record the gradient norm (default: f only, as workloads W1, W2, W4 define; "
        "added as record.grad_norm=... to overrides that do not set it)")  # fmt: skip
    add("--end-to-end", action="store_true",
        help="time the real adagrad-lab command on W1 in fresh processes (bench_e2e)")  # fmt: skip
    add(
        "--peers",
        action="store_true",
        help="also time JAX (+optax) and PyTorch on the same workloads, when installed",
    )
    add("--fastmath", action="store_true",
        help="kernel of W1-W4 (and --end-to-end): the opt-in fastmath variant; judged by f's "
        "relative error against NumPy (max < 1e-9), not bit for bit")  # fmt: skip
    add("--precision", choices=PRECISIONS, default="float64",
        help="kernel arithmetic of W1-W4 (and --end-to-end); float32 is judged by f's "
        "relative error against NumPy (median < 1e-5, max < 0.1), not bit for bit")  # fmt: skip
    add("--reuse-outputs", action="store_true",
        help="kernel and NumPy write into the output arrays of an untimed first call (as the "
        "runner reuses them chunk after chunk): first-touch page faults are not timed")  # fmt: skip
    add("--flush-subnormals", action="store_true",
        help="kernel of W1-W4 (and --end-to-end): flush subnormal numbers to zero (x86 FTZ/DAZ); "
        "judged by f's relative error against NumPy (max < 1e-9), not bit for bit")  # fmt: skip
    return p


def _header(repeats: int, reuse_outputs: bool = False) -> str:
    """What the table's numbers mean, and the setting they were measured in."""
    outputs = "outputs allocated per call"
    if reuse_outputs:
        outputs = "outputs written into the arrays of an untimed first call (--reuse-outputs)"
    return "\n".join(
        [
            "adagrad-lab benchmark: AdaGrad, Numba kernel vs NumPy, timed alternately",
            f"times are MEDIANS of {repeats} repeat(s), in seconds, {outputs}; "
            "speedup = NumPy / kernel; upd/s = N*T*d / median",
            f"kernel threads: {numba.get_num_threads()}, NumPy: 1 thread (ufuncs); "
            f"numpy {np.__version__}, numba {numba.__version__}, {os.cpu_count()} CPUs",
            "history: f:R = f at R recorded iterations, f+gn:R = also the gradient norm, "
            "- = final values only",
            "warm-up s: the kernel's first call on a tiny input (compile or cache load), "
            "not in the medians",
            f"agree: allclose rtol {RTOL:g} on every final f and a sample of history columns; "
            "bitwise: every output array identical; '-': no NumPy baseline for this workload",
            "peak RSS: the process's peak so far (ru_maxrss)",
        ]
    )


def _set_threads(threads: int | None) -> int:
    """Apply --threads; 2 (after a message) when more than Numba's pool."""
    if threads is None:
        return 0
    if threads > numba.config.NUMBA_NUM_THREADS:
        print(f"--threads: at most {numba.config.NUMBA_NUM_THREADS}", file=sys.stderr)
        return 2
    numba.set_num_threads(threads)
    return 0


def _selected(args: argparse.Namespace) -> list[Workload]:
    """The built-in workloads chosen, then one per --workload-overrides (raises on bad config)."""
    chosen = args.workloads
    if chosen is None:
        chosen = [] if args.workload_overrides else list(WORKLOADS.values())
    chosen = [replace(w, grad_norm=args.grad_norm, mode=_mode(args)) for w in chosen]
    from .bench_e2e import plan_workload, with_grad_norm

    for i, text in enumerate(args.workload_overrides, 1):
        chosen.append(plan_workload(f"O{i}", with_grad_norm(text, args.grad_norm)))
    return chosen


def _mode(args: argparse.Namespace) -> Mode:
    return Mode(args.fastmath, args.precision, args.flush_subnormals)


def _load_peers(wanted: bool) -> tuple[list, list[str]]:
    """The importable peers (only with --peers), and lines saying which were skipped."""
    if not wanted:
        return [], []
    from .bench_peers import load_peers

    peers, skipped = load_peers()
    return peers, [f"peers skipped (not importable): {', '.join(skipped)}"] if skipped else []


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 1 if any workload's outputs disagree."""
    args = build_parser().parse_args(argv)
    if code := _set_threads(args.threads):
        return code
    if args.end_to_end:
        from .bench_e2e import run_end_to_end

        mode = _mode(args)
        return run_end_to_end(args.scale, args.repeats or 3, args.threads, args.grad_norm, mode)
    repeats = args.repeats or 5
    try:
        workloads = _selected(args)
    except Exception as exc:  # Hydra's composition errors and the project's ConfigError
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"adagrad-lab-bench: error: --workload-overrides: {first}", file=sys.stderr)
        return 2
    peers, notes = _load_peers(args.peers)
    mode = mode_lines(_mode(args), workloads, bool(args.workload_overrides))
    plans = [w for w in workloads if w.plan is not None]
    notes += [f"{w.name}: adagrad-lab {t}{mode_note(w)}"
              for w, t in zip(plans, args.workload_overrides, strict=True)]  # fmt: skip
    print("\n".join([_header(repeats, args.reuse_outputs), *mode, *notes]), flush=True)
    results = []
    for w in workloads:
        print(f"running {w.name} ({w.objective}, N={w.scaled_n(args.scale)}) ...", flush=True)
        results.append(bench_workload(w, args.scale, repeats, peers, args.reuse_outputs))
    print(results_table(results))
    if peers:
        from .bench_peers import peer_table

        print(peer_table(results))
    ok = all(r.agreement is None or r.agreement.close for r in results)
    ok = ok and all(p.agree is not False for r in results for p in r.peers)
    bad = " or a fast mode's bounds" if any(w.fast() for w in workloads) else ""
    bad = f"OUTPUTS DISAGREE: an implementation differs beyond rtol{bad}"
    print("outputs agree" if ok else bad)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
