"""What verify, rerun and report share about their paths: the --recursive flag, and the
line per run found that each prints before it acts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

RECURSIVE_HELP = (
    "also use every run in the folders below the path (without it, the path must be a run "
    "directory, or a multirun directory whose job folders hold the runs)"
)


def add_recursive(parser: argparse.ArgumentParser) -> None:
    """Add ``--recursive``: searching below a path is asked for, never done by itself."""
    parser.add_argument("--recursive", "-r", action="store_true", help=RECURSIVE_HELP)


def announce(prog: str, runs: Iterable[Path]) -> None:
    """Name every run the command found, one line each on stderr, before it acts on them."""
    for run in runs:
        print(f"{prog}: found run {run}", file=sys.stderr)
