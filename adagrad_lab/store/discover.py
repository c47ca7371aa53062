"""Which runs a path given to verify, rerun or report names, so that no command guesses.

A path names a run (it holds ``manifest.json``) or a multirun: a Hydra sweep
directory (``multirun.yaml``), whose job folders hold the runs, or a folder
whose runs are job folders named by number (0, 1, ...), as Hydra names them.
Any other folder names no run. Runs deeper below are found only on request
(``recursive``): a stray run below a folder is never taken for the one meant.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from adagrad_lab.store import parquet as storage
from adagrad_lab.store.sweep_dir import MULTIRUN_YAML, MissingJob, missing_jobs

JOB_NUMBER = re.compile(r"0|[1-9]\d*")


class NoRunError(storage.RunDataError):
    """The path names no run; the message says what to pass instead."""


@dataclass(frozen=True)
class Found:
    """The run directories found, in order, and the jobs each multirun among them lacks."""

    runs: list[Path] = field(default_factory=list)
    missing: dict[Path, list[MissingJob]] = field(default_factory=dict)


def find_runs(path: Path, recursive: bool = False) -> Found:
    """The runs ``path`` names (every run below it with ``recursive``); NoRunError if none.

    A multirun whose jobs are all gone holds no run but its missing jobs: that
    is returned, not raised, so that each command can say which jobs are gone.
    """
    path = Path(path)
    if not path.is_dir():
        why = "no such directory" if not path.exists() else "not a directory"
        raise NoRunError(f"{path}: {why}; pass a run directory or a multirun directory")
    try:
        found = _below(path) if recursive else _named(path)
    except OSError as exc:
        raise NoRunError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not found.runs and not found.missing:
        raise NoRunError(_nothing(path, recursive))
    return found


def find_all(paths: Iterable[Path], recursive: bool = False) -> Found:
    """`find_runs` of each path, merged: each run once, in the order the paths were given."""
    runs: list[Path] = []
    missing: dict[Path, list[MissingJob]] = {}
    seen: set[Path] = set()
    for path in paths:
        found = find_runs(path, recursive)
        for run in found.runs:
            if run.resolve() not in seen:
                seen.add(run.resolve())
                runs.append(run)
        missing.update(found.missing)
    return Found(runs, missing)


def _named(path: Path) -> Found:
    """The run ``path`` is, or the jobs of the multirun it is; nothing below that."""
    if (path / storage.MANIFEST).exists():
        return Found([path])
    sweep = (path / MULTIRUN_YAML).is_file()
    jobs = [
        child
        for child in path.iterdir()
        if (child / storage.MANIFEST).exists() and (sweep or JOB_NUMBER.fullmatch(child.name))
    ]
    gone = missing_jobs(path)
    return Found(sorted(jobs, key=_natural), {path: gone} if gone else {})


def _below(path: Path) -> Found:
    """Every run in or below ``path`` (a run's own folders are not searched), and the
    missing jobs of every Hydra sweep directory on the way."""
    runs: list[Path] = []
    missing: dict[Path, list[MissingJob]] = {}
    for folder, subfolders, files in os.walk(path):
        here = Path(folder)
        if storage.MANIFEST in files:
            runs.append(here)
            subfolders[:] = []
        elif MULTIRUN_YAML in files and (gone := missing_jobs(here)):
            missing[here] = gone
    return Found(sorted(runs, key=_natural), missing)


def _natural(path: Path) -> tuple[tuple[int, int, str], ...]:
    """Sort key: job folders in number order (2 before 10), other names alphabetically."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in path.parts)


def _nothing(path: Path, recursive: bool) -> str:
    if recursive:
        return (
            f"{path}: no run in it or below it (no {storage.MANIFEST}); pass a run "
            "directory or a multirun directory"
        )
    return (
        f"{path}: not a run (no {storage.MANIFEST}) nor a multirun (no {MULTIRUN_YAML}, no "
        "job folders 0, 1, ...); pass a run or multirun directory, or add --recursive to "
        "use every run below it"
    )
