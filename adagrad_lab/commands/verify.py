"""The `adagrad-lab-verify` command: recompute stored trajectories and compare every bit."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from adagrad_lab.commands.exits import EXIT_BAD_INPUT, error_line, quiet_when_the_reader_leaves
from adagrad_lab.commands.found import add_recursive, announce
from adagrad_lab.run.verify import verify
from adagrad_lab.store import discover
from adagrad_lab.store import parquet as storage
from adagrad_lab.sweep.plan import ConfigError

PROG = "adagrad-lab-verify"


@quiet_when_the_reader_leaves
def main(argv: list[str] | None = None) -> int:
    """Console entry point: print the verdict, return the exit code."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="a run directory or a multirun directory")
    parser.add_argument("--sample", type=int, default=None, help="check K random trajectories")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random sample")
    add_recursive(parser)
    args = parser.parse_args(argv)
    if args.sample is not None and args.sample < 1:
        parser.error("--sample must be >= 1")
    try:
        found = discover.find_runs(args.run_dir, args.recursive)
    except discover.NoRunError as exc:
        return _error(str(exc))
    announce(PROG, found.runs)
    for sweep, jobs in found.missing.items():  # a job the multirun should hold is a problem
        for job in jobs:
            print(f"{sweep}: PROBLEM {job.line}")
    failed = bool(found.missing)
    named = len(found.runs) > 1 or bool(found.missing)
    for run_dir in found.runs:
        try:
            checked, problems = verify(run_dir, args.sample, args.seed)
        except (storage.RunDataError, ConfigError) as exc:
            return _error(f"{run_dir}: {exc}" if isinstance(exc, ConfigError) else str(exc))
        prefix = f"{run_dir}: " if named else ""
        for line in problems:
            print(f"{prefix}PROBLEM {line}")
        verdict = "FAILED" if problems else "OK"
        print(f"{prefix}{verdict}: {checked} trajectories recomputed, {len(problems)} problem(s)")
        failed = failed or bool(problems)
    for sweep, jobs in found.missing.items():
        print(f"{sweep}: FAILED: {len(jobs)} job(s) missing from the multirun")
    return 1 if failed else 0


def _error(message: str) -> int:
    print(error_line(PROG, message), file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
