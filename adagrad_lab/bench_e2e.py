"""Workloads from the project's own config and command, for the benchmark.

``--workload-overrides``: Hydra overrides composed into the packaged config,
checked by `validate.make_plan`; the kernel then runs exactly as the runner
runs it (`runner.run_trajectories` on the runner's chunks, with the plan's
block and flags), on grid rows computed beforehand, so only the kernel is
timed.

``--end-to-end``: for workload W1 (sphere, d=2, 131072 x ``--scale``
trajectories, 1000 AdaGrad steps of 0.1, f recorded) the real command
``python -m adagrad_lab ...`` runs in fresh processes, per repeat once with
history at every iteration and once with ``record.schedule=log``, each in a
temporary directory. Reported as medians: the command's wall time, the
manifest's ``run_s`` (grid, kernel, tables, Parquet) and ``compile_s``, the
kernel alone on the same plan in this process (as above), their ratio, the
history rows written and rows per second of ``run_s``. Then "second process
to first trajectory": a fresh interpreter that imports adagrad_lab and
completes `advance` on one trajectory, one iteration, timed inside the
child; once to prime Numba's cache, then 3 times.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numba
import numpy as np

from . import bench
from .bench_agree import DEFAULT_MODE, Mode

if TYPE_CHECKING:
    from .validate import Plan

# ---------------------------------------------------------------- config-built workloads


def plan_from_overrides(overrides: Sequence[str]) -> Plan:
    """Compose the packaged config with Hydra overrides and check it (raises on bad input)."""
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    from .config import register
    from .validate import make_plan

    register()
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="adagrad_lab.conf", version_base="1.3"):
        cfg = compose(config_name="config", overrides=list(overrides))
    return make_plan(cfg)


def plan_workload(name: str, overrides: Sequence[str]) -> bench.Workload:
    """A workload that runs what `adagrad-lab OVERRIDES` would run (this shard of it)."""
    plan = plan_from_overrides(overrides)
    start, stop = plan.shard_range
    return bench.Workload(
        name, plan.objective, plan.dim, stop - start, plan.n_iter, len(plan.record_iters) > 0,
        plan.axes["step_size"][0], grad_norm=plan.record_grad_norm,
        mode=Mode(plan.fastmath, plan.precision, plan.flush_subnormals), plan=plan,
    )  # fmt: skip


def with_grad_norm(text: str, grad_norm: bool) -> list[str]:
    """Split an overrides string; add record.grad_norm=<flag> unless it sets it itself."""
    overrides = shlex.split(text)
    if not any(o.lstrip("+~").startswith("record.grad_norm=") for o in overrides):
        overrides.append(f"record.grad_norm={str(grad_norm).lower()}")
    return overrides


class _PresetGrid:
    """Stands in for the runner's grid with precomputed rows, so only the kernel is timed."""

    def __init__(self, inputs: bench.Inputs) -> None:
        self.inputs = inputs

    def slice(self, start: int, stop: int) -> dict[str, np.ndarray]:
        return {"x0": self.inputs.x0[start:stop], "hp": self.inputs.hp[:, start:stop]}


def plan_inputs(plan: Plan, n: int) -> bench.Inputs:
    """The first n grid rows of the plan's shard."""
    from .runner import make_grid

    start = plan.shard_range[0]
    part = make_grid(plan).slice(start, start + n)
    return bench.Inputs(part["x0"], part["hp"], plan.params)


def plan_warm_up(w: bench.Workload) -> tuple[bench.Workload, float]:
    """The runner's own `compile_kernel` (a custom objective's kernel is kept in the workload)."""
    from .runner import compile_kernel, make_grid

    kernel, seconds = compile_kernel(w.plan, make_grid(w.plan))
    return replace(w, kernel=kernel), seconds


def plan_chunks(
    w: bench.Workload, inputs: bench.Inputs, buffers: dict | None = None
) -> Iterator[dict[str, np.ndarray]]:
    """The kernel's outputs chunk by chunk, as `runner.run_plan` computes them (``buffers``:
    outputs kept per chunk length, see `bench.kernel_chunks`)."""
    from .grid import default_block
    from .runner import chunk_size, run_trajectories

    block = w.plan.block or default_block(w.plan.dim)
    size, n, grid = chunk_size(w.plan, block), inputs.x0.shape[0], _PresetGrid(inputs)
    for a in range(0, n, size):
        b = min(a + size, n)

        def chunk(out, a=a, b=b):
            return run_trajectories(w.plan, grid, a, b, block, w.kernel, out)[1]

        yield bench.reuse(buffers, b - a, chunk)


# ---------------------------------------------------------------- end to end

W1_OVERRIDES = ("optimizer.step_size=0.1", "sweep.n_iter=1000", "start=uniform", "objective=sphere")
VARIANTS = (("every", ()), ("log", ("record.schedule=log",)))
QUIET = ("echo=none", "run.progress=false")
FIRST_RUNS = 3

FIRST_TRAJECTORY = """\
import time
t0 = time.perf_counter()
import numpy as np
import adagrad_lab
from adagrad_lab.objectives import BUILTINS
o = BUILTINS["sphere"]
adagrad_lab.advance(
    np.full((1, 2), 0.5), np.array([[0.1], [1e-8], [0.0]]), rule=adagrad_lab.RULE_ADAGRAD,
    n_iter=1, code=o.code, params=o.params(2), rec_iters=np.arange(2), rec_grad_norm=False,
)
print(time.perf_counter() - t0)
"""


def w1_overrides(
    scale: float, grad_norm: bool, threads: int | None, mode: Mode = DEFAULT_MODE
) -> list[str]:
    """The command line of W1 at this scale (``sweep.seeds`` = W1's N times scale); a fast
    ``mode`` adds its run.* overrides."""
    seeds = bench.WORKLOADS["W1"].scaled_n(scale)
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


def _spawn(argv: list[str], cwd: Path) -> tuple[float, int, float, str]:
    """Run argv; (wall seconds, exit code, the child's own peak RSS in MiB, stderr)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
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
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(f).num_rows for f in (run_dir / "history").glob("part-*.parquet"))


def run_command(overrides: list[str], workdir: Path) -> Command:
    """`python -m adagrad_lab OVERRIDES` into a fresh directory under workdir, then removed."""
    run_dir = workdir / "run"
    argv = [sys.executable, "-m", "adagrad_lab", *overrides, *QUIET, f"hydra.run.dir={run_dir}"]
    wall, code, peak, err = _spawn(argv, workdir)
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
    workload: bench.Workload
    commands: list[Command]
    kernel_s: list[float]


def run_variants(overrides: list[str], repeats: int, workdir: Path) -> list[Variant]:
    """Each variant ``repeats`` times, command and kernel alone alternately."""
    variants, inputs = [], None
    for name, extra in VARIANTS:
        w, _ = bench.warm_up(plan_workload("W1", [*overrides, *extra]))
        inputs = inputs or bench.make_inputs(w, w.n)  # start points do not depend on the schedule
        print(f"running W1 {name} (N={w.n}, {len(w.rec_iters())} records each) ...", flush=True)
        commands, kernel_s = [], []
        for _ in range(repeats):
            commands.append(run_command([*overrides, *extra], workdir))
            kernel_s.append(bench.time_kernel(w, inputs))
        variants.append(Variant(name, w, commands, kernel_s))
    return variants


def first_trajectory_s(workdir: Path, runs: int = FIRST_RUNS) -> list[float]:
    """Seconds, measured in each child, to import adagrad_lab and finish one advance();
    the first child (not counted) primes Numba's on-disk cache."""

    def child() -> float:
        argv = [sys.executable, "-c", FIRST_TRAJECTORY]
        done = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, check=True)
        return float(done.stdout.split()[-1])

    child()
    return [child() for _ in range(runs)]


E2E_COLUMNS = (
    "variant", "N", "T", "records", "wall s", "run_s", "compile_s", "kernel s",
    "run/kernel", "history rows", "rows/s", "child RSS MiB",
)  # fmt: skip


def _median(values) -> float:
    return statistics.median(values)


def e2e_row(v: Variant) -> list[str]:
    """One variant's medians; rows/s = history rows / run_s."""
    c, w = v.commands, v.workload
    run_s, kernel_s = _median(x.run_s for x in c), _median(v.kernel_s)
    rows = _median(x.rows for x in c)
    return [
        v.name, str(w.n), str(w.n_iter), str(len(w.rec_iters())),
        f"{_median(x.wall_s for x in c):.3f}", f"{run_s:.3f}",
        f"{_median(x.compile_s for x in c):.3f}", f"{kernel_s:.4f}",
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
    from .runner import available_cores

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
    print(bench.format_table(E2E_COLUMNS, [e2e_row(v) for v in variants]))
    each = ", ".join(f"{s:.3f}" for s in first)
    print(
        f"second process to first trajectory: {_median(first):.3f} s (median of {len(first)}: "
        f"{each}; import adagrad_lab + advance() on 1 trajectory, 1 iteration, Numba cache warm)"
    )
    return 0
