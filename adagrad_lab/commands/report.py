"""The `adagrad-lab-report` command: the figures and index.html of runs or multiruns."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from adagrad_lab.commands.exits import fail
from adagrad_lab.report.page import write_report
from adagrad_lab.store import parquet as storage


def main(argv: Sequence[str] | None = None) -> None:
    """``adagrad-lab-report PATH [PATH...] [--out DIR]``: write the report, print index.html."""
    parser = argparse.ArgumentParser(
        prog="adagrad-lab-report",
        description="Write the figures and index.html of runs or multiruns.",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="run or multirun directories")
    parser.add_argument("--out", type=Path, help="output folder (default: PATH/report, one path)")
    args = parser.parse_args(argv)
    out = args.out or (args.paths[0] / "report" if len(args.paths) == 1 else Path("report"))
    try:
        index = write_report(args.paths, out)
    except storage.RunDataError as exc:
        fail(str(exc), prog="adagrad-lab-report")
    print(index)


if __name__ == "__main__":
    main()
