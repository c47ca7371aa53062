"""The `adagrad-lab-report` command: the figures and index.html of runs or multiruns."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from adagrad_lab.commands.exits import fail, quiet_when_the_reader_leaves
from adagrad_lab.commands.found import add_recursive, announce
from adagrad_lab.store import discover
from adagrad_lab.store import parquet as storage
from adagrad_lab.sweep.report_keys import REPORT_FORMATS

PROG = "adagrad-lab-report"


@quiet_when_the_reader_leaves
def main(argv: Sequence[str] | None = None) -> None:
    """``adagrad-lab-report PATH [PATH...] [--out DIR] [--max-diverged F] [--format F]``: write
    the report, print index.html. matplotlib and pandas load once the arguments are checked."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Write the figures and index.html of runs or multiruns.",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="run or multirun directories")
    parser.add_argument("--out", type=Path, help="output folder (default: PATH/report, one path)")
    parser.add_argument(
        "--max-diverged",
        type=float,
        metavar="FRACTION",
        help="the largest fraction of seeds diverged at which a step size can be a group's "
        "best (default: the run's report.max_diverged, 0)",
    )
    parser.add_argument(
        "--format",
        metavar="|".join(REPORT_FORMATS),
        help="the figures' files: png, svg or both (default: the run's report.format, png)",
    )
    add_recursive(parser)
    args = parser.parse_args(argv)
    if args.max_diverged is not None and not 0 <= args.max_diverged <= 1:
        fail(f"--max-diverged: a fraction in [0, 1], e.g. 0.1 (got {args.max_diverged})", prog=PROG)
    if args.format is not None and args.format not in REPORT_FORMATS:
        fail(f"--format: one of {', '.join(REPORT_FORMATS)} (got {args.format!r})", prog=PROG)
    try:
        found = discover.find_all(args.paths, args.recursive)
    except discover.NoRunError as exc:
        fail(str(exc), prog=PROG)
    out = args.out or (args.paths[0] / "report" if len(args.paths) == 1 else Path("report"))
    problem = out_problem(out)
    if problem is not None:
        fail(problem, prog=PROG)
    for job in (job for jobs in found.missing.values() for job in jobs):
        print(f"{PROG}: warning: {job.line}; the report covers the other jobs", file=sys.stderr)
    if not found.runs:
        fail(f"{' '.join(map(str, found.missing))}: no job of the multirun is left", prog=PROG)
    announce(PROG, found.runs)
    from adagrad_lab.report.page import write_report  # matplotlib, pandas: only from here on

    try:
        index = write_report(found.runs, out, args.max_diverged, args.format)
    except storage.RunDataError as exc:
        fail(str(exc), prog=PROG)
    print(index)


def out_problem(out: Path) -> str | None:
    """Why no report can be written into the folder ``out`` (checked before any work), or None."""
    for folder in (out, *out.parents):
        if folder.is_dir():
            return None
        if folder.exists() or folder.is_symlink():
            where = f"{out}:" if folder == out else f"{out}: {folder}"
            return f"{where} exists and is not a directory; choose another folder with --out"
    return None


if __name__ == "__main__":
    main()
