"""The benchmark's ``--overview``: the README's speed table, every implementation side by side.

For each built-in workload (AdaGrad) the exact kernel and the fast one
(``run.fastmath``: `arithmetic.FASTMATH_FLAGS`) each run into fresh output
arrays and into the arrays of an earlier call, NumPy does the same, and
every repeat times all six in turn, so a drift in machine load hits each
alike, in an order shuffled per repeat (seeded: the same every run). On a VM
the first fresh allocation after a pause can pay the host's page faults
(docs/performance.md); in a fixed order one implementation would always
follow the slow NumPy runs and pay them. The peers (``--peers``) follow with
their own outputs. Cells are medians with their ratio to the exact kernel
on fresh outputs. The exact kernel must equal NumPy bit for bit, the fast
one is judged by f's relative error (`agree.bounds`), which the table
reports.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from adagrad_lab.run.provenance import cpu_model

from .agree import F_FLOOR, Agreement, bounds_text
from .baselines import Peer, run_numpy
from .measure import (
    PeerResult,
    Result,
    bench_peers,
    check_agreement,
    format_table,
    history_label,
    make_inputs,
    peak_rss_mib,
    time_kernel,
    timed,
    warm_up,
)
from .workloads import DEFAULT_MODE, Inputs, Mode, Outputs, Workload

FAST_MODE = Mode(fastmath=True)
# the timed implementations of each repeat, in the order they run and print
TIMED = ("kernel", "kernel reused", "fast", "fast reused", "numpy", "numpy reused")


@dataclass(frozen=True)
class Row:
    """One workload's measurements: seconds per implementation, agreement, the peers."""

    workload: Workload
    times: dict[str, list[float]]
    exact: Agreement
    fast: Agreement
    peers: tuple[PeerResult, ...]
    peak_rss_mib: float

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])


def _timers(exact: Workload, fast: Workload, inputs: Inputs) -> dict[str, Callable[[], float]]:
    """One timing function per name of TIMED; the reused ones write into the outputs of
    an untimed call made here."""
    kept: dict[str, dict[int, Outputs]] = {"exact": {}, "fast": {}}
    time_kernel(exact, inputs, kept["exact"])
    time_kernel(fast, inputs, kept["fast"])
    numpy_out = run_numpy(exact, inputs)
    return {
        "kernel": partial(time_kernel, exact, inputs),
        "kernel reused": partial(time_kernel, exact, inputs, kept["exact"]),
        "fast": partial(time_kernel, fast, inputs),
        "fast reused": partial(time_kernel, fast, inputs, kept["fast"]),
        "numpy": partial(timed, run_numpy, exact, inputs),
        "numpy reused": partial(timed, partial(run_numpy, out=numpy_out), exact, inputs),
    }


def measure_row(w: Workload, scale: float, repeats: int, peers: Sequence[Peer]) -> Row:
    """Warm both kernels up, check them against NumPy, time TIMED in turn ``repeats``
    times, then the peers (checked against the exact kernel)."""
    exact, _ = warm_up(replace(w, mode=DEFAULT_MODE))
    fast, _ = warm_up(replace(w, mode=FAST_MODE))
    n = w.scaled_n(scale)
    exact, fast = replace(exact, n=n), replace(fast, n=n)
    inputs = make_inputs(exact, n)
    agree_exact, agree_fast = check_agreement(exact, inputs), check_agreement(fast, inputs)
    timers = _timers(exact, fast, inputs)
    times: dict[str, list[float]] = {name: [] for name in TIMED}
    for r in range(repeats):
        for name in random.Random(r).sample(TIMED, len(TIMED)):  # see the module docstring
            times[name].append(timers[name]())
    del timers  # the reused outputs
    result = Result(exact, n, 0.0, times["kernel"], times["numpy"], agree_exact, 0.0)
    peer_results = tuple(bench_peers(peers, result, inputs, repeats)) if peers else ()
    return Row(exact, times, agree_exact, agree_fast, peer_results, peak_rss_mib())


def fast_error(a: Agreement) -> str:
    """The fast kernel's largest relative error of f against the exact path ('-': none)."""
    e = a.errors
    values = [] if e is None else [v for v in (e.hist_max, e.final_max) if v is not None]
    return f"{max(values):.1e}" if values else "-"


def _cell(seconds: float, base: float) -> str:
    return f"{seconds:.3f} ({seconds / base:.2f}x)"


def _peer_cell(p: PeerResult, base: float) -> str:
    if not p.times:
        return "skipped"
    cell = _cell(statistics.median(p.times), base)
    return cell if p.agree else f"{cell} DISAGREES"


def overview_table(rows: Sequence[Row]) -> str:
    """The table: a column per implementation, each cell 'median (ratio to the exact
    kernel on fresh outputs)'; then the fast kernel's error and whether all agreed."""
    labels = list(dict.fromkeys(p.peer for r in rows for p in r.peers))
    header = ["workload", "objective", "d", "N", "T", "history", *TIMED, "fast max rel err f",
              *labels, "exact bitwise", "peak RSS MiB"]  # fmt: skip
    body = []
    for r in rows:
        w, base = r.workload, r.median("kernel")
        peers = {p.peer: p for p in r.peers}
        cells = [_cell(r.median(name), base) for name in TIMED]
        cells += [fast_error(r.fast)]
        cells += [_peer_cell(peers[x], base) if x in peers else "-" for x in labels]
        cells += ["yes" if r.exact.bitwise else "NO", f"{r.peak_rss_mib:.0f}"]
        body.append([w.name, w.objective, str(w.dim), str(w.n), str(w.n_iter),
                     history_label(w), *cells])  # fmt: skip
    return format_table(header, body)


def overview_header(repeats: int, threads: int, cores: int | None) -> list[str]:
    """What the table's cells mean and where they were measured."""
    return [
        f"speed table: CPU {cpu_model()}, {cores} CPUs; kernel threads {threads}, NumPy 1 thread",
        f"cells: MEDIAN of {repeats} repeat(s) in seconds (ratio to 'kernel'); each repeat "
        "runs every implementation once, in an order shuffled per repeat (on a VM the first "
        "fresh allocation after a pause can pay the host's page faults); peers after, with "
        "their own outputs",
        "kernel = exact (default, bit for bit with NumPy), fast = run.fastmath "
        "(FMA contraction); outputs allocated per call, or with 'reused' written into the "
        "arrays of an untimed first call (no first-touch page faults)",
        "fast max rel err f: the largest relative error of f (history and final, where the "
        f"exact |f| > {F_FLOOR:g}) against the exact path, '-' where no f is that large (W3 "
        f"records no history and its final f underflow); judged here by {bounds_text(FAST_MODE)}"
        "; the test suite holds its own sweeps below 1e-12",
    ]


def agreed(rows: Sequence[Row]) -> bool:
    """Whether every exact kernel matched NumPy bit for bit, every fast one stayed
    within its bounds and every peer that ran agreed."""
    return all(
        r.exact.bitwise and r.fast.close and all(p.agree is not False for p in r.peers)
        for r in rows
    )
