"""The benchmark's ``--end-to-end``: the real command in fresh processes, on workload W1.

For W1 (sphere, d=2, 131072 x ``--scale`` trajectories, 1000 AdaGrad steps
of 0.1, f recorded) the real command ``python -m adagrad_lab ...`` runs in
fresh processes, per repeat once with history at every iteration and once
with ``record.schedule=log``, each in a temporary directory. Reported as
medians: the command's wall time, the manifest's ``run_s`` (grid, kernel,
tables, Parquet) and ``compile_s``, the kernel alone on the same plan in this
process (`plans`: the runner's chunks, inputs precomputed), their ratio, the
history rows written and rows per second of ``run_s``. Then "second process
to first trajectory": a fresh interpreter that imports adagrad_lab and
completes one trajectory of one iteration (through `workloads.kernel_call`,
whose module imports nothing adagrad_lab does not), timed inside the child;
once to prime Numba's cache, then 3 times (a warm start; `startup` adds the cold one).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numba
import pyarrow.parquet as pq

from adagrad_lab.run.runner import available_cores

from .measure import format_table, make_inputs, time_kernel, warm_up
from .plans import plan_workload
from .workloads import DEFAULT_MODE, WORKLOADS, Mode, Workload

# ---------------------------------------------------------------- end to end

W1_OVERRIDES = ("optimizer.step_size=0.1", "sweep.n_iter=1000", "start=uniform", "objective=sphere")
VARIANTS = (("every", ()), ("log", ("record.schedule=log",)))
QUIET = ("echo=none", "run.progress=false")
FIRST_RUNS = 3

FIRST_TRAJECTORY = """\
import time
t0 = time.perf_counter()
from dataclasses import replace
from adagrad_lab.bench import workloads as b
w = replace(b.WORKLOADS["W1"], n=1, n_iter=1)
b.kernel_call(w, b.builtin_inputs(w, 1))
print(time.perf_counter() - t0)
"""


def w1_overrides(
    scale: float, grad_norm: bool, threads: int | None, mode: Mode = DEFAULT_MODE
) -> list[str]:
    """The command line of W1 at this scale (``sweep.seeds`` = W1's N times scale); a fast
    ``mode`` adds its run.* overrides."""
    seeds = WORKLOADS["W1"].scaled_n(scale)
    out = [f"sweep.seeds={seeds}", *W1_OVERRIDES, f"record.grad_norm={str(grad_norm).lower()}"]
    out += mode.overrides()
    return out + ([f"run.threads={threads}"] if threads else [])


@dataclass(frozen=True)
class Command:
    """One run of the command: wall seconds, the manifest's timings, rows, the child's peak RSS."""

    wall_s: float
    run_s: float
    compile_s: float
    rows: int
    peak_rss_mib: float


def child_env(cache_dir: Path | None) -> dict[str, str] | None:
    """A child's environment: None (this process's) or, with ``cache_dir``, this process's
    with NUMBA_CACHE_DIR set to it, where Numba then reads and writes its kernel cache
    (the package's cache locators in adagrad_lab.jit.tools honour it first)."""
    if cache_dir is None:
        return None
    return {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}


def spawn(
    argv: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, int, float, str]:
    """Run argv; (wall seconds, exit code, the child's own peak RSS in MiB, stderr)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        if hasattr(os, "wait4"):  # the child's own rusage, not the maximum over all children
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            peak = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
        else:
            proc.wait()
            peak = float("nan")
        wall = time.perf_counter() - t0
        err.seek(0)
        return wall, proc.returncode, peak, err.read().decode(errors="replace")


def history_rows(run_dir: Path) -> int:
    """Rows in the history dataset, from the Parquet footers (no data is read)."""
    return sum(pq.read_metadata(f).num_rows for f in (run_dir / "history").glob("part-*.parquet"))


def run_command(overrides: list[str], workdir: Path) -> Command:
    """`python -m adagrad_lab OVERRIDES` into a fresh directory under workdir, then removed."""
    run_dir = workdir / "run"
    argv = [sys.executable, "-m", "adagrad_lab", *overrides, *QUIET, f"hydra.run.dir={run_dir}"]
    wall, code, peak, err = spawn(argv, workdir)
    if code != 0:
        raise RuntimeError(f"adagrad-lab exited with {code}: {err.strip()[-2000:]}")
    timings = json.loads((run_dir / "manifest.json").read_text())["timings"]
    rows = history_rows(run_dir)
    shutil.rmtree(run_dir)
    return Command(wall, timings["run_s"], timings["compile_s"], rows, peak)


@dataclass(frozen=True)
class Variant:
    """A variant's repeats: the commands and the in-process kernel-alone seconds."""

    name: str
    workload: Workload
    commands: list[Command]
    kernel_s: list[float]


def run_variants(overrides: list[str], repeats: int, workdir: Path) -> list[Variant]:
    """Each variant ``repeats`` times, command and kernel alone alternately."""
    variants, inputs = [], None
    for name, extra in VARIANTS:
        w, _ = warm_up(plan_workload("W1", [*overrides, *extra]))
        inputs = inputs or make_inputs(w, w.n)  # start points do not depend on the schedule
        print(f"running W1 {name} (N={w.n}, {len(w.rec_iters())} records each) ...", flush=True)
        commands, kernel_s = [], []
        for _ in range(repeats):
            commands.append(run_command([*overrides, *extra], workdir))
            kernel_s.append(time_kernel(w, inputs))
        variants.append(Variant(name, w, commands, kernel_s))
    return variants


def first_trajectory_child(workdir: Path, cache_dir: Path | None = None) -> float:
    """Seconds, measured in a fresh child, to import adagrad_lab and finish one advance();
    ``cache_dir``: the child's NUMBA_CACHE_DIR (default: Numba's usual cache)."""
    argv = [sys.executable, "-c", FIRST_TRAJECTORY]
    done = subprocess.run(
        argv, cwd=workdir, capture_output=True, text=True, check=True, env=child_env(cache_dir)
    )
    return float(done.stdout.split()[-1])


def first_trajectory_s(workdir: Path, runs: int = FIRST_RUNS) -> list[float]:
    """`first_trajectory_child` ``runs`` times, after a first child (not counted) that primes
    Numba's on-disk cache: the warm start."""
    first_trajectory_child(workdir)
    return [first_trajectory_child(workdir) for _ in range(runs)]


E2E_COLUMNS = (
    "variant", "N", "T", "records", "wall s", "run_s", "compile_s", "kernel s",
    "run/kernel", "history rows", "rows/s", "child RSS MiB",
)  # fmt: skip


def median(values: Iterable[float]) -> float:
    """The median (of an even count: the middle two's mean)."""
    return statistics.median(values)


def e2e_row(v: Variant) -> list[str]:
    """One variant's medians; rows/s = history rows / run_s."""
    c, w = v.commands, v.workload
    run_s, kernel_s = median(x.run_s for x in c), median(v.kernel_s)
    rows = median(x.rows for x in c)
    return [
        v.name, str(w.n), str(w.n_iter), str(len(w.rec_iters())),
        f"{median(x.wall_s for x in c):.3f}", f"{run_s:.3f}",
        f"{median(x.compile_s for x in c):.3f}", f"{kernel_s:.4f}",
        f"{run_s / kernel_s:.2f}", f"{rows:.0f}", f"{rows / run_s:.3e}",
        f"{max(x.peak_rss_mib for x in c):.0f}",
    ]  # fmt: skip


def _header(repeats: int, overrides: list[str]) -> str:
    return "\n".join(
        [
            "adagrad-lab end-to-end benchmark: the real command in fresh processes, W1",
            f"command: {sys.executable} -m adagrad_lab {' '.join(overrides)} "
            f"{' '.join(QUIET)} hydra.run.dir=TMP [record.schedule=log]",
            f"MEDIANS of {repeats} repeat(s), seconds; wall s: the whole command; run_s and "
            "compile_s: its manifest (run_s = grid + kernel + Parquet)",
            "kernel s: advance() alone on the same plan in this process (runner's chunks, "
            f"{numba.get_num_threads()} threads, inputs precomputed); "
            "run/kernel = run_s / kernel s",
            "records: recorded iterations per trajectory; rows/s = history rows / run_s; "
            "child RSS: the largest child's peak (ru_maxrss)",
        ]
    )


def run_end_to_end(
    scale: float,
    repeats: int,
    threads: int | None,
    grad_norm: bool,
    mode: Mode = DEFAULT_MODE,
) -> int:
    """Print the end-to-end table and the second-process time; 1 if a command fails.

    ``mode`` is passed to the command as its run.* overrides.
    """
    before = numba.get_num_threads()
    numba.set_num_threads(threads or available_cores())  # what the command itself uses
    overrides = w1_overrides(scale, grad_norm, threads, mode)
    print(_header(repeats, overrides), flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="adagrad-lab-bench-"))
    try:
        variants = run_variants(overrides, repeats, workdir)
        first = first_trajectory_s(workdir)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"adagrad-lab-bench: error: {getattr(exc, 'stderr', None) or exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        numba.set_num_threads(before)
    print(format_table(E2E_COLUMNS, [e2e_row(v) for v in variants]))
    each = ", ".join(f"{s:.3f}" for s in first)
    print(
        f"second process to first trajectory: {median(first):.3f} s (median of {len(first)}: "
        f"{each}; import adagrad_lab + advance() on 1 trajectory, 1 iteration, Numba cache warm)"
    )
    return 0
