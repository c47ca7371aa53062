"""The benchmark's report rows: what the report of the default sweep and of the tutorial
costs, apart from the run (issue 18: within 1 s and 0.5 s warm).

Each case is run once with ``report.enabled=false`` (which also warms the kernel
cache), then its report is written `repeats` times, each in a fresh process
(`REPORT_CHILD`) that has imported the package (numba, the catalog: what the
command's process holds when its report starts) and then times the import of
the report (matplotlib, pandas) and `write_report`, so every repeat pays those
imports as the command does. Reported: the median and the smallest of the
repeats, and the figures the page shows.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .measure import format_table

# (name, the command's overrides besides hydra.run.dir, goal in seconds)
CASES = (
    ("default sweep", (), 1.0),
    ("tutorial", ("experiment=tutorial",), 0.5),
)

# argv[1]: the run, argv[2]: the report folder; prints {"s": seconds, "figures": n}
REPORT_CHILD = """\
import json, sys, time
import adagrad_lab
t0 = time.perf_counter()
from adagrad_lab.report.page import write_report
index = write_report(sys.argv[1], sys.argv[2])
seconds = time.perf_counter() - t0
print(json.dumps({"s": seconds, "figures": index.read_text().count("<figure>")}))
"""


@dataclass(frozen=True)
class ReportTimes:
    """One case's repeats: seconds each, and the figures its page shows."""

    name: str
    goal_s: float
    seconds: tuple[float, ...]
    figures: int


def measure_reports(workdir: Path, repeats: int) -> list[ReportTimes]:
    """Run each case once without a report, then time its report ``repeats`` times."""
    out = []
    for name, overrides, goal in CASES:
        run_dir = workdir / name.replace(" ", "_")
        command = [sys.executable, "-m", "adagrad_lab", *overrides, "echo=none"]
        command += ["report.enabled=false", "run.progress=false", f"hydra.run.dir={run_dir}"]
        subprocess.run(command, cwd=workdir, check=True, capture_output=True, text=True)
        seconds, figures = [], 0
        for r in range(repeats):
            report = [sys.executable, "-c", REPORT_CHILD, str(run_dir), str(run_dir / f"r{r}")]
            done = subprocess.run(report, check=True, capture_output=True, text=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            seconds.append(float(result["s"]))
            figures = int(result["figures"])
        out.append(ReportTimes(name, goal, tuple(seconds), figures))
    return out


def report_table(rows: list[ReportTimes]) -> str:
    """The rows as a table: each case's figures, median and smallest seconds, its goal."""
    header = ["report", "figures", "median s", "min s", "goal s"]
    body = [
        [
            r.name,
            str(r.figures),
            f"{statistics.median(r.seconds):.3f}",
            f"{min(r.seconds):.3f}",
            f"{r.goal_s:g}",
        ]
        for r in rows
    ]
    return format_table(header, body)


def run_report_times(repeats: int) -> int:
    """Measure and print the report rows; 1 if a child fails."""
    print(
        f"Reports, apart from the run: the page and its figures (PNG), {repeats} fresh "
        "processes each, imports of matplotlib and pandas included, the kernel cache warm",
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
