"""A reader that goes away (``adagrad-lab | head``) ends a command quietly: exit 141, as a
shell tool killed by SIGPIPE, no traceback, the files already written kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FAST

from adagrad_lab.commands.exits import EXIT_BROKEN_PIPE
from adagrad_lab.store import parquet as storage

PRINTING = [*(a for a in FAST if not a.startswith("echo=")), "echo=summary"]


def closed_reader(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` with its stdout a pipe whose reading end is closed at once."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first write
    try:
        return subprocess.run(
            [sys.executable, *args],
            cwd=cwd,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    finally:
        os.close(write)


def quiet(done: subprocess.CompletedProcess) -> bool:
    return "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


@pytest.fixture(scope="module")
def stored_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("pipes")
    done = closed_reader(["-m", "adagrad_lab", *PRINTING, "hydra.run.dir=run"], tmp)
    assert (done.returncode, quiet(done)) == (EXIT_BROKEN_PIPE, True), done.stderr
    return tmp / "run"


def test_the_run_ends_quietly_and_keeps_its_results(stored_run):
    manifest = storage.read_manifest(stored_run)
    assert all(c["status"] == "done" for c in manifest["chunks"])
    assert len(storage.read_trajectories(stored_run)) == 6


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "adagrad_lab.commands.verify"],
        ["-m", "adagrad_lab.commands.report", "--out", "report_copy"],
        ["-m", "adagrad_lab.commands.rerun", "--out", "rerun_copy"],
    ],
    ids=["verify", "report", "rerun"],
)
def test_the_other_commands_end_quietly(stored_run, command):
    done = closed_reader([*command[:2], str(stored_run), *command[2:]], stored_run.parent)
    assert (done.returncode, quiet(done)) == (EXIT_BROKEN_PIPE, True), done.stderr
