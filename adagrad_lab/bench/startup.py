"""The benchmark's ``--startup``: time to first result, cold and warm, in fresh processes.

Two measurements, each cold (an empty Numba kernel cache, as on the first run
after install) and warm (the cache the cold runs filled, as in every later process):

* the start: `end_to_end`'s child that imports adagrad_lab and finishes one
  trajectory of one iteration, timed inside the child. Cold, its
  NUMBA_CACHE_DIR is a fresh empty directory per run (the package's cache
  locators in adagrad_lab.jit.tools put the user-provided directory first), and
  the directory must hold .nbi/.nbc files afterwards, or the run is refused
  as not cold; warm, the last cold run's directory.
* a user's first command: ``adagrad-lab`` on the default sweep
  (``hydra.run.dir=TMP report.enabled=false``), through a wrapper
  (`COMMAND_CHILD`) that calls the console entry point ``adagrad_lab.commands.run.main``
  and stamps the wall clock when it starts, when the imports are done, when
  Hydra hands over the composed config (``cli.run``), around the kernel's
  compile or cache load (``runner.compile_kernel``) and when the first
  chunk's files are written (``storage.write_chunk``): the breakdown into
  Python start, imports, compose, compile, first chunk; first result = process
  start to the first chunk written; exit = process start to exit, timed here.

Reported as medians, against the goals of issue 12: the first run after
install reaches its first trajectory within 10 s, later processes within 1 s.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from adagrad_lab.run.runner import available_cores

from .end_to_end import child_env, first_trajectory_child, median, spawn
from .measure import format_table

COLD_RUNS = 3  # each compiles the kernel variant, about 5 s on 2 cores
WARM_RUNS = 5
COLD_GOAL_S = 10.0  # the first run after install, to its first trajectory
WARM_GOAL_S = 1.0  # every later process
DEFAULT_SWEEP = ("report.enabled=false",)  # the command's overrides besides hydra.run.dir
CACHE_SUFFIXES = (".nbi", ".nbc")  # Numba's index and data files

# argv[1]: where to write the marks (JSON); argv[2:]: the command's overrides. A stage
# whose function is missing (renamed) is not stamped and shows as "-".
COMMAND_CHILD = """\
import time
marks = {"start": time.time()}
import json, sys

def stamp(key):
    marks.setdefault(key, time.time())

def timed(owner, name, before, after):
    fn = getattr(owner, name, None)
    if fn is None:
        return
    def wrapper(*args, **kwargs):
        if before:
            stamp(before)
        try:
            return fn(*args, **kwargs)
        finally:
            if after:
                stamp(after)
    setattr(owner, name, wrapper)

out = sys.argv[1]
try:
    from adagrad_lab.commands import run as cli
    from adagrad_lab.run import runner
    from adagrad_lab.store import parquet as storage
    stamp("imported")
    timed(cli, "run", "composed", None)
    timed(runner, "compile_kernel", "compile", "compiled")
    timed(storage, "write_chunk", None, "first_chunk")
    sys.argv = ["adagrad-lab", *sys.argv[2:]]
    cli.main()
finally:
    stamp("end")
    with open(out, "w") as f:
        json.dump(marks, f)
"""


@dataclass(frozen=True)
class Stages:
    """One command's stages in seconds (NaN: not stamped); see the module's docstring."""

    python_s: float
    imports_s: float
    compose_s: float
    compile_s: float
    first_chunk_s: float
    first_result_s: float
    exit_s: float
    peak_rss_mib: float


def stages(marks: dict[str, float], spawned: float, wall_s: float, peak_rss_mib: float) -> Stages:
    """The stages from the child's wall-clock ``marks`` and ``spawned``, the wall clock just
    before the child was started; ``wall_s``: start to exit, timed by the parent."""

    def between(a: str, b: str) -> float:
        at = {"spawned": spawned, **marks}
        return at[b] - at[a] if a in at and b in at else math.nan

    return Stages(
        python_s=between("spawned", "start"),
        imports_s=between("start", "imported"),
        compose_s=between("imported", "compile"),
        compile_s=between("compile", "compiled"),
        first_chunk_s=between("compiled", "first_chunk"),
        first_result_s=between("spawned", "first_chunk"),
        exit_s=wall_s,
        peak_rss_mib=peak_rss_mib,
    )


def fresh_cache(workdir: Path) -> Path:
    """A new empty directory under workdir, for one cold child's NUMBA_CACHE_DIR."""
    return Path(tempfile.mkdtemp(prefix="numba-cache-", dir=workdir))


def cache_files(cache_dir: Path) -> int:
    """The Numba cache files (index and data) under cache_dir."""
    return sum(1 for p in cache_dir.rglob("*") if p.suffix in CACHE_SUFFIXES)


def filled(cache_dir: Path, what: str) -> int:
    """The cache files a cold child wrote into its empty ``cache_dir``; RuntimeError if none
    (Numba then read its cache elsewhere, and the start was not cold)."""
    n = cache_files(cache_dir)
    if n == 0:
        raise RuntimeError(
            f"{what}: no Numba cache files in {cache_dir} after the run: NUMBA_CACHE_DIR was "
            "not honoured, so the kernel may have come from another cache"
        )
    return n


def cold_start(workdir: Path) -> tuple[float, Path, int]:
    """One cold start: (seconds in the child, its cache dir, the cache files it wrote)."""
    cache = fresh_cache(workdir)
    seconds = first_trajectory_child(workdir, cache)
    return seconds, cache, filled(cache, "cold start")


def command_start(workdir: Path, cache_dir: Path, index: int) -> Stages:
    """The default sweep's command once, NUMBA_CACHE_DIR=cache_dir, in a directory under
    workdir that is removed afterwards: its stages."""
    run_dir, marks_file = workdir / f"run-{index}", workdir / f"marks-{index}.json"
    argv = [sys.executable, "-c", COMMAND_CHILD, str(marks_file), f"hydra.run.dir={run_dir}"]
    spawned = time.time()  # the wall clock: the child stamps with it too
    wall, code, peak, err = spawn([*argv, *DEFAULT_SWEEP], workdir, child_env(cache_dir))
    if code != 0:
        raise RuntimeError(f"adagrad-lab exited with {code}: {err.strip()[-2000:]}")
    marks = json.loads(marks_file.read_text())
    marks_file.unlink()
    shutil.rmtree(run_dir, ignore_errors=True)
    return stages(marks, spawned, wall, peak)


@dataclass(frozen=True)
class Startup:
    """Every measurement of ``--startup``, in seconds."""

    cold: list[float]
    cold_files: list[int]
    warm: list[float]
    cold_commands: list[Stages]
    warm_commands: list[Stages]


def measure_startup(workdir: Path, cold_runs: int, warm_runs: int) -> Startup:
    """Cold starts (a fresh cache each), warm starts (the last cold one's cache), then the
    same for the command."""
    print(f"cold starts: {cold_runs} child(ren), each compiling the kernel ...", flush=True)
    if cold_runs < 1:
        raise ValueError("at least one cold run: the warm runs use its cache")
    cold, files = [], []
    for _ in range(cold_runs):
        seconds, cache, n = cold_start(workdir)
        cold.append(seconds)
        files.append(n)
    warm = [first_trajectory_child(workdir, cache) for _ in range(warm_runs)]
    print(f"the command: {cold_runs} cold, {warm_runs} warm ...", flush=True)
    cold_commands = []
    for i in range(cold_runs):
        cache = fresh_cache(workdir)
        cold_commands.append(command_start(workdir, cache, i))
        filled(cache, "cold command")
    warm_commands = [command_start(workdir, cache, i) for i in range(warm_runs)]
    return Startup(cold, files, warm, cold_commands, warm_commands)


STARTUP_COLUMNS = (
    "start", "runs", "python s", "imports s", "compose s", "compile s", "first chunk s",
    "first result s", "exit s", "child RSS MiB",
)  # fmt: skip


def _cell(values: Sequence[float]) -> str:
    """The median of the stamped values ('-': none stamped)."""
    stamped = [v for v in values if not math.isnan(v)]
    return f"{median(stamped):.3f}" if stamped else "-"


def startup_row(name: str, runs: Sequence[Stages]) -> list[str]:
    """Medians of each stage over ``runs`` (each column its own median; they need not add
    up); the largest peak RSS."""
    cols = [f.name for f in fields(Stages)][:-1]
    cells = [_cell([getattr(r, c) for r in runs]) for c in cols]
    return [name, str(len(runs)), *cells, f"{max(r.peak_rss_mib for r in runs):.0f}"]


def verdict(goal_s: float, measured: Sequence[tuple[str, float]]) -> str:
    """'met by X (1.234 s); MISSED by Y (...)' for each (what, seconds) against goal_s."""
    return "; ".join(
        f"{'met' if s <= goal_s else 'MISSED'} by {what} ({s:.3f} s)" for what, s in measured
    )


def _each(values: Sequence[float]) -> str:
    return ", ".join(f"{s:.3f}" for s in values)


def startup_lines(r: Startup, cores: int) -> list[str]:
    """What ``--startup`` prints after measuring."""
    cold, warm = median(r.cold), median(r.warm)
    cold_cmd = median(s.first_result_s for s in r.cold_commands)
    warm_cmd = median(s.first_result_s for s in r.warm_commands)
    child = "import adagrad_lab + advance() on 1 trajectory, 1 iteration, timed in the child"
    lo, hi = min(r.cold_files), max(r.cold_files)
    files = f"{lo}" if lo == hi else f"{lo}-{hi}"
    return [
        f"cold start (empty kernel cache): {cold:.3f} s (median of {len(r.cold)}: "
        f"{_each(r.cold)}; {child}; NUMBA_CACHE_DIR a fresh empty directory each time, "
        f"{files} cache files written)",
        f"warm start: {warm:.3f} s (median of {len(r.warm)}: {_each(r.warm)}; the same "
        "child, NUMBA_CACHE_DIR the last cold start's)",
        f"goal: first run after install within {COLD_GOAL_S:g} s on {cores} cores: "
        + verdict(
            COLD_GOAL_S, [("the cold start", cold), ("the command's first result", cold_cmd)]
        ),
        f"goal: later processes within {WARM_GOAL_S:g} s: "
        + verdict(
            WARM_GOAL_S, [("the warm start", warm), ("the command's first result", warm_cmd)]
        ),
        "",
        f"the first command: {sys.executable} -m adagrad_lab hydra.run.dir=TMP "
        f"{' '.join(DEFAULT_SWEEP)} (the default sweep), MEDIANS in seconds",
        format_table(
            STARTUP_COLUMNS,
            [startup_row("cold", r.cold_commands), startup_row("warm", r.warm_commands)],
        ),
        "python: process start to the wrapper's first statement; imports: import "
        "adagrad_lab.commands.run (numba, hydra, pyarrow, ...); compose: Hydra's compose, the"
        " config's checks and the grid, up to the kernel; compile: runner.compile_kernel "
        "(compile, or load from the cache, and run one trajectory of 1 iteration); first "
        "chunk: the kernel on the first chunk and its Parquet files; first result: process "
        "start to the first chunk written; exit: process start to exit (summary printed); "
        "cold: a fresh empty "
        "NUMBA_CACHE_DIR each run; warm: the last cold run's",
    ]


def run_startup(cold_runs: int = COLD_RUNS, warm_runs: int = WARM_RUNS) -> int:
    """Measure and print the cold and warm start; 1 if a child fails or a start is not cold."""
    cores = available_cores()
    print(
        f"adagrad-lab startup benchmark: time to first result in fresh processes, {cores} cores "
        f"(goals: the first run after install within {COLD_GOAL_S:g} s, later processes "
        f"within {WARM_GOAL_S:g} s)",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="adagrad-lab-startup-"))
    try:
        result = measure_startup(workdir, cold_runs, warm_runs)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"adagrad-lab-bench: error: {getattr(exc, 'stderr', None) or exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(startup_lines(result, cores)))
    return 0
