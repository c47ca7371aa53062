"""The benchmark's report rows: what the report of the default sweep and of the tutorial
adds to the command a user types (issue 18: within 1 s and 0.5 s warm).

Each case is run once first (which warms the kernel cache), then `repeats` times as a
pair: the command with its report, and the same with ``report.enabled=false``, in fresh
processes, one after the other, so that a drift in the machine's load hits both alike.
What the report adds is each pair's difference: everything the user waits for because
of the report (its imports, the summary read from the results, the figures, the page),
less what the report process hides behind the run. Reported: the medians of both
commands, the median and the smallest difference, and the figures the page shows.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .measure import format_table

# (name, the command's overrides besides hydra.run.dir, goal in seconds)
CASES = (
    ("default sweep", (), 1.0),
    ("tutorial", ("experiment=tutorial",), 0.5),
)


@dataclass(frozen=True)
class ReportTimes:
    """One case's pairs: the command's seconds with and without its report, the figures."""

    name: str
    goal_s: float
    with_report: tuple[float, ...]
    without: tuple[float, ...]
    figures: int

    @property
    def added(self) -> tuple[float, ...]:
        """What the report added to each pair."""
        return tuple(a - b for a, b in zip(self.with_report, self.without, strict=True))


def _command(workdir: Path, overrides: tuple[str, ...], run_dir: Path, report: bool) -> float:
    """Seconds of one command, as a user starts it, into a fresh ``run_dir``."""
    shutil.rmtree(run_dir, ignore_errors=True)
    command = [sys.executable, "-m", "adagrad_lab", *overrides, "run.progress=false"]
    command += [f"hydra.run.dir={run_dir}", *([] if report else ["report.enabled=false"])]
    started = time.perf_counter()
    subprocess.run(command, cwd=workdir, check=True, capture_output=True, text=True)
    return time.perf_counter() - started


def measure_reports(workdir: Path, repeats: int) -> list[ReportTimes]:
    """Warm each case's kernel, then time it ``repeats`` times with and without its report."""
    out = []
    for name, overrides, goal in CASES:
        run_dir = workdir / name.replace(" ", "_")
        _command(workdir, overrides, run_dir, report=False)  # compiles or loads the kernel
        with_report, without = [], []
        for _ in range(repeats):
            with_report.append(_command(workdir, overrides, run_dir, report=True))
            figures = (run_dir / "report" / "index.html").read_text().count("<figure>")
            without.append(_command(workdir, overrides, run_dir, report=False))
        out.append(ReportTimes(name, goal, tuple(with_report), tuple(without), figures))
    return out


def report_table(rows: list[ReportTimes]) -> str:
    """The rows as a table: the figures, both commands' medians, what the report added
    (median and smallest of the pairs) and its goal."""
    header = ["report", "figures", "with s", "without s", "adds s", "adds min s", "goal s"]
    body = [
        [
            r.name,
            str(r.figures),
            f"{statistics.median(r.with_report):.3f}",
            f"{statistics.median(r.without):.3f}",
            f"{statistics.median(r.added):.3f}",
            f"{min(r.added):.3f}",
            f"{r.goal_s:g}",
        ]
        for r in rows
    ]
    return format_table(header, body)


def run_report_times(repeats: int) -> int:
    """Measure and print the report rows; 1 if a command fails."""
    print(
        f"Reports: the command with its report (PNG) and with report.enabled=false, {repeats} "
        "pairs of fresh processes each, the kernel cache warm; 'adds' is each pair's "
        "difference",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="adagrad-lab-report-"))
    try:
        rows = measure_reports(workdir, repeats)
    except subprocess.CalledProcessError as exc:
        print(f"adagrad-lab-bench: error: {exc.stderr or exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(report_table(rows))
    return 0
