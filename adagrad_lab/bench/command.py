"""The ``adagrad-lab-bench`` command: its flags, the header it prints, and the run.

Run ``python -m adagrad_lab.bench --help`` for the options.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace

import numba
import numpy as np
from numba.core import config as numba_config

from adagrad_lab.run.provenance import cpu_model

from .agree import RTOL, mode_lines, mode_note
from .baselines import Peer, load_peers
from .end_to_end import run_end_to_end
from .learning import run_learning
from .measure import Result, bench_workload, diverged_lines, peer_table, results_table
from .numpy_rules import bound
from .overview import agreed, measure_row, overview_header, overview_table
from .plans import plan_workload, with_grad_norm
from .report_time import run_report_times
from .startup import COLD_RUNS, WARM_RUNS, run_startup
from .workloads import (
    DEFAULT_OPTIMIZER,
    MIN_TRAJECTORIES,
    OPTIMIZER_NAMES,
    PRECISIONS,
    WORKLOADS,
    Mode,
    Workload,
    misfit,
)

ALL = "all"


def _workload_list(text: str) -> list[Workload]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in WORKLOADS]
    if unknown or not names:
        allowed = ", ".join(WORKLOADS)
        raise argparse.ArgumentTypeError(f"unknown {unknown or text!r}; allowed: {allowed}")
    return [WORKLOADS[s] for s in names]


def optimizer_list(text: str) -> list[str]:
    """The rules of ``--optimizers``: comma-separated registry names, or 'all' (every
    rule, in the registry's order); ValueError with a one-line message otherwise."""
    names = [s.strip() for s in text.split(",") if s.strip()]
    if names == [ALL]:
        return list(OPTIMIZER_NAMES)
    unknown = [s for s in names if s not in OPTIMIZER_NAMES]
    if unknown or not names:
        allowed = ", ".join([*OPTIMIZER_NAMES, ALL])
        what = ", ".join(unknown) if unknown else repr(text)
        raise ValueError(f"unknown optimizer {what}; allowed: {allowed}")
    return list(dict.fromkeys(names))


def _positive(kind: type[int] | type[float]) -> Callable[[str], float | int]:
    def parse(text: str) -> float | int:
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
    add("--optimizers", default=DEFAULT_OPTIMIZER, metavar="RULES",
        help="comma-separated update rules of the registry run on each built-in workload, "
        f"or '{ALL}' (default: {DEFAULT_OPTIMIZER}): {','.join(OPTIMIZER_NAMES)}; each with "
        "its registry defaults and the workload's step size (gd, momentum: a stable one per "
        "workload); the NumPy baseline runs the same rule; adagrad_full only where d <= 32; "
        "--peers and --workload-overrides rows are not affected")  # fmt: skip
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
        help="time the real adagrad-lab command on W1 in fresh processes "
        "(bench.end_to_end)")  # fmt: skip
    add("--startup", action="store_true",
        help="time to first result, first: the cold start (an empty Numba cache, a fresh "
        "NUMBA_CACHE_DIR per run) and the warm start of a child that imports adagrad_lab and "
        "runs one trajectory, and of the adagrad-lab command on its default sweep, with a "
        f"breakdown (bench.startup); {COLD_RUNS} cold and {WARM_RUNS} warm runs, or --repeats "
        f"warm and at most {COLD_RUNS} cold; alone, nothing else runs (with --end-to-end, "
        "--workloads, --workload-overrides or --peers, that runs after it)")  # fmt: skip
    add(
        "--peers",
        action="store_true",
        help="also time a C implementation (compiled here when a C compiler is on PATH), "
        "JAX (+optax) and PyTorch (when installed) on the same workloads",
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
    add("--overview", action="store_true",
        help="the README's speed table: the cold and warm start (as --startup), what the "
        "report adds to the command of the default sweep and of the tutorial "
        "(bench.report_time), then on each "
        "workload (AdaGrad) the exact and the fast (run.fastmath) kernel and NumPy, each with "
        "fresh and with reused outputs, timed in turn, and with --peers C, JAX and PyTorch; "
        "every cell a median and its ratio to the exact kernel (bench.overview); takes "
        "--workloads, --scale, --repeats, --threads, --peers")  # fmt: skip
    add("--learning", action="store_true",
        help="the learning problems alone: full-batch least squares and logistic regression "
        "on data of the digits' shape and sparse logistic regression with minibatches, "
        "4,096 AdaGrad trajectories, against NumPy (its matmul and the whole loop) "
        "(bench.learning); takes --scale, --repeats, --threads")  # fmt: skip
    add("--flush-subnormals", action="store_true",
        help="kernel of W1-W4 (and --end-to-end): flush subnormal numbers to zero (x86 FTZ/DAZ); "
        "judged by f's relative error against NumPy (max < 1e-9), not bit for bit")  # fmt: skip
    return p


def _header(
    repeats: int, reuse_outputs: bool = False, optimizers: Sequence[str] = (DEFAULT_OPTIMIZER,)
) -> str:
    """What the table's numbers mean, and the setting they were measured in."""
    outputs = "outputs allocated per call"
    if reuse_outputs:
        outputs = "outputs written into the arrays of an untimed first call (--reuse-outputs)"
    what = "AdaGrad, Numba kernel vs NumPy"
    if list(optimizers) != [DEFAULT_OPTIMIZER]:
        what = f"{', '.join(optimizers)}; Numba kernel vs NumPy running the same rule"
    return "\n".join(
        [
            f"adagrad-lab benchmark: {what}, timed alternately",
            f"times are MEDIANS of {repeats} repeat(s), in seconds, {outputs}; "
            "speedup = NumPy / kernel; upd/s = N*T*d / median",
            f"kernel threads: {numba.get_num_threads()}, NumPy: 1 thread (ufuncs); "
            f"numpy {np.__version__}, numba {numba.__version__}; "
            f"CPU {cpu_model()}, {os.cpu_count()} CPUs",
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
    if threads > numba_config.NUMBA_NUM_THREADS:
        print(f"--threads: at most {numba_config.NUMBA_NUM_THREADS}", file=sys.stderr)
        return 2
    numba.set_num_threads(threads)
    return 0


def _selected(args: argparse.Namespace, optimizers: Sequence[str]) -> list[Workload]:
    """The built-in workloads chosen, each with every rule of ``optimizers`` that fits its
    dimension, then one per --workload-overrides (raises on bad config)."""
    builtin = args.workloads
    if builtin is None:
        builtin = [] if args.workload_overrides else list(WORKLOADS.values())
    chosen = [
        replace(w, grad_norm=args.grad_norm, mode=_mode(args), optimizer=o)
        for w in builtin
        for o in optimizers
        if not misfit(o, w.dim)
    ]
    for i, text in enumerate(args.workload_overrides, 1):
        chosen.append(plan_workload(f"O{i}", with_grad_norm(text, args.grad_norm)))
    return chosen


def optimizer_notes(
    args: argparse.Namespace, optimizers: Sequence[str], workloads: Sequence[Workload]
) -> list[str]:
    """The header's lines on the optimizer axis (none when it is AdaGrad alone)."""
    if list(optimizers) == [DEFAULT_OPTIMIZER]:
        return []
    builtin = [w for w in workloads if w.plan is None]
    steps = {w.name: w for w in builtin}.values()
    lines = [
        "optimizers: each rule with its registry defaults, step size the workload's ("
        + ", ".join(f"{w.name} {w.step_size:g}" for w in steps)
        + "); gd and momentum a stable one per workload ("
        + "; ".join(
            f"{w.name} " + ", ".join(f"{o} {s:g}" for o, s in w.stable_steps) for w in steps
        )
        + "); speedup: NumPy / kernel on the same rule, same run"
    ]
    names = args.workloads or (list(WORKLOADS.values()) if not args.workload_overrides else [])
    for o in optimizers:
        lines += [f"{o}: skipped on {w.name} ({why})" for w in names if (why := misfit(o, w.dim))]
    for o in optimizers:
        if (limit := bound(o)) is not None:
            lines.append(
                f"{o}: not bitwise: NumPy takes the eigendecomposition from np.linalg.eigh, "
                "the kernel from cyclic Jacobi; agree = max over trajectories of "
                "max|x_kernel - x_numpy| / max(max|x_numpy|, max|x0|) of the final points "
                f"< {limit:g}; bitwise column: that error"
            )
    if args.peers:
        lines.append("--peers: AdaGrad only; the other rules have no peer rows")
    if args.workload_overrides:
        lines.append("--optimizers: built-in workloads only; O rows run their config's rule")
    return lines


def _mode(args: argparse.Namespace) -> Mode:
    return Mode(
        precision=args.precision, fastmath=args.fastmath, flush_subnormals=args.flush_subnormals
    )


def _load_peers(wanted: bool) -> tuple[list[Peer], list[str]]:
    """The importable peers (only with --peers), and lines saying which were skipped."""
    if not wanted:
        return [], []
    peers, skipped = load_peers()
    return peers, [f"peers skipped (not importable): {', '.join(skipped)}"] if skipped else []


def _more_than_startup(args: argparse.Namespace) -> bool:
    """Whether anything besides --startup was asked for."""
    return bool(args.end_to_end or args.workloads or args.workload_overrides or args.peers)


OVERVIEW_ALONE = ("end_to_end", "startup", "fastmath", "reuse_outputs", "flush_subnormals",
                  "grad_norm", "workload_overrides")  # fmt: skip


def run_overview(args: argparse.Namespace) -> int:
    """--overview: the startup table, the report rows, then the speed table (`overview`);
    1 if any disagree."""
    clash = [k for k in OVERVIEW_ALONE if getattr(args, k)]
    clash += ["optimizers"] * (args.optimizers != DEFAULT_OPTIMIZER)
    clash += ["precision"] * (args.precision != "float64")
    if clash:
        flag = "--" + clash[0].replace("_", "-")
        print(f"adagrad-lab-bench: error: --overview runs its own modes; drop {flag}",
              file=sys.stderr)  # fmt: skip
        return 2
    repeats = args.repeats or 5
    if code := run_startup(min(COLD_RUNS, repeats), repeats):
        return code
    if code := run_report_times(repeats):
        return code
    peers, notes = _load_peers(args.peers)
    head = overview_header(repeats, numba.get_num_threads(), os.cpu_count())
    print("\n".join(["", *head, *notes]), flush=True)
    rows = []
    for w in args.workloads or list(WORKLOADS.values()):
        print(f"running {w.name} ({w.objective}, N={w.scaled_n(args.scale)}) ...", flush=True)
        rows.append(measure_row(w, args.scale, repeats, peers))
    print(overview_table(rows))
    ok = agreed(rows)
    print("outputs agree" if ok else "OUTPUTS DISAGREE: see the exact bitwise, fast error "
          "and peer cells")  # fmt: skip
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 1 if any workload's outputs disagree."""
    args = build_parser().parse_args(argv)
    if code := _set_threads(args.threads):
        return code
    if args.learning:
        return run_learning(args.scale, args.repeats or 3)
    if args.overview:
        return run_overview(args)
    if args.startup:
        warm = args.repeats or WARM_RUNS
        code = run_startup(min(COLD_RUNS, warm), warm)
        if code or not _more_than_startup(args):
            return code
    if args.end_to_end:
        mode = _mode(args)
        return run_end_to_end(args.scale, args.repeats or 3, args.threads, args.grad_norm, mode)
    repeats = args.repeats or 5
    try:
        optimizers = optimizer_list(args.optimizers)
    except ValueError as exc:
        print(f"adagrad-lab-bench: error: --optimizers: {exc}", file=sys.stderr)
        return 2
    try:
        workloads = _selected(args, optimizers)
    except Exception as exc:  # Hydra's composition errors and the project's ConfigError
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"adagrad-lab-bench: error: --workload-overrides: {first}", file=sys.stderr)
        return 2
    peers, notes = _load_peers(args.peers)
    mode_notes = mode_lines(_mode(args), workloads, bool(args.workload_overrides))
    plans = [w for w in workloads if w.plan is not None]
    notes += [f"{w.name}: adagrad-lab {t}{mode_note(w)}"
              for w, t in zip(plans, args.workload_overrides, strict=True)]  # fmt: skip
    notes += optimizer_notes(args, optimizers, workloads)
    head = _header(repeats, args.reuse_outputs, optimizers)
    print("\n".join([head, *mode_notes, *notes]), flush=True)
    axis = optimizers != [DEFAULT_OPTIMIZER]
    results: list[Result] = []
    for w in workloads:
        rule = f"{w.optimizer}, " if axis and w.plan is None else ""
        print(f"running {w.name} ({rule}{w.objective}, N={w.scaled_n(args.scale)}) ...", flush=True)
        results.append(bench_workload(w, args.scale, repeats, peers, args.reuse_outputs))
    print("\n".join([results_table(results), *diverged_lines(results)]))
    if peers:
        print(peer_table(results))
    ok = all(r.agreement is None or r.agreement.close for r in results)
    ok = ok and all(p.agree is not False for r in results for p in r.peers)
    bad = " or a fast mode's bounds" if any(w.fast() for w in workloads) else ""
    if any(w.plan is None and bound(w.optimizer) is not None for w in workloads):
        bad += " or a rule's bound"
    bad = f"OUTPUTS DISAGREE: an implementation differs beyond rtol{bad}"
    print("outputs agree" if ok else bad)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
