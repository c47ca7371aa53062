"""The `adagrad-lab-report` command: the figures and index.html of runs or multiruns."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from adagrad_lab.commands.exits import fail, quiet_when_the_reader_leaves
from adagrad_lab.report.page import write_report
from adagrad_lab.store import parquet as storage
from adagrad_lab.store import sweep_dir

PROG = "adagrad-lab-report"


@quiet_when_the_reader_leaves
def main(argv: Sequence[str] | None = None) -> None:
    """``adagrad-lab-report PATH [PATH...] [--out DIR]``: write the report, print index.html."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Write the figures and index.html of runs or multiruns.",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="run or multirun directories")
    parser.add_argument("--out", type=Path, help="output folder (default: PATH/report, one path)")
    args = parser.parse_args(argv)
    out = args.out or (args.paths[0] / "report" if len(args.paths) == 1 else Path("report"))
    problem = out_problem(out) if args.out or out.parent.is_dir() else None  # else not a run
    if problem is not None:
        fail(problem, prog=PROG)
    for path in args.paths:  # a multirun lacking jobs: say which, report the others
        for job in sweep_dir.missing_jobs(path):
            print(f"{PROG}: warning: {job.line}; the report covers the other jobs", file=sys.stderr)
    try:
        index = write_report(args.paths, out)
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
