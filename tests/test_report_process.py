"""The report process forked at the command's start answers what the command would have
computed itself, a process that is gone or fails changes nothing the user sees, and
Ctrl-C during its report stops it with the command, leaving no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FAST

from adagrad_lab.commands import report_process
from adagrad_lab.commands.run import run, write_report_safely
from adagrad_lab.report import summary
from adagrad_lab.report.page import write_report

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no report process without fork")


def _small_run(make_cfg, where: Path) -> Path:
    run(make_cfg([*FAST, "objective=rosenbrock"]), where)
    return where


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_process_answers_what_this_process_computes(make_cfg, tmp_path):
    source = _small_run(make_cfg, tmp_path / "run")
    tutorial = tmp_path / "tutorial"
    run(
        make_cfg(
            ["experiment=tutorial", "run.progress=false", "echo=none", "report.enabled=false"]
        ),
        tutorial,
    )
    ahead = report_process.ReportProcess.fork()
    assert ahead is not None
    try:
        assert ahead.echo(source, "summary") == summary.summary_text(source)
        assert ahead.echo(tutorial, "tutorial") == "\n".join(summary.tutorial_lines(tutorial))
        forked = ahead.report(source, tmp_path / "forked")
    finally:
        ahead.stop()
    assert _gone(ahead.pid)
    here = write_report(source, tmp_path / "here")
    assert forked == (tmp_path / "forked" / "index.html").resolve()
    assert forked.read_text() == here.read_text()
    names = sorted(p.name for p in here.parent.iterdir())
    assert names == sorted(p.name for p in forked.parent.iterdir()) and "index.html" in names
    for name in names:
        if name.endswith(".png"):
            assert (here.parent / name).read_bytes() == (forked.parent / name).read_bytes()


def test_a_killed_process_leaves_the_report_to_the_command(make_cfg, tmp_path, capsys):
    source = _small_run(make_cfg, tmp_path / "run")
    ahead = report_process.ReportProcess.fork()
    assert ahead is not None
    os.kill(ahead.pid, signal.SIGKILL)
    index = write_report_safely(source, tmp_path / "r", ahead)
    assert index is not None and index.read_text().startswith("<!DOCTYPE html>")
    assert capsys.readouterr().out.strip() == f"report: {index}"
    assert _gone(ahead.pid)


def test_a_failing_report_warns_as_it_does_in_the_command(tmp_path, capsys):
    missing = tmp_path / "no-run"
    assert write_report_safely(missing, tmp_path / "r1") is None
    here = capsys.readouterr().err
    ahead = report_process.ReportProcess.fork()
    assert ahead is not None
    assert write_report_safely(missing, tmp_path / "r2", ahead) is None
    forked = capsys.readouterr().err
    assert forked.replace("r2", "r1") == here and len(here.strip().splitlines()) == 1
    assert "no report (" in here and f"adagrad-lab-report {missing} retries" in here
    assert _gone(ahead.pid)


def _session(sid: int) -> list[int]:
    """The processes of session ``sid`` still alive (zombies count as gone)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="processes listed from /proc")
def test_a_finished_command_leaves_no_process_behind(tmp_path):
    report_on = [a for a in FAST if not a.startswith("report.")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "adagrad_lab", *report_on, "hydra.run.dir=run"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert f"report: {tmp_path}/run/report/index.html" in out
    assert _session(proc.pid) == []


# the report process (forked from this script) renders for a minute: only Ctrl-C ends it
SLOW_REPORT = """
import os, time
from pathlib import Path
import adagrad_lab.report.page as page

command = os.getpid()
def slow(source, out_dir):
    if os.getpid() != command:
        time.sleep(60)
    return Path(out_dir) / "index.html"

page.write_report = slow
from adagrad_lab.commands.run import main
main()
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="processes listed from /proc")
def test_ctrl_c_during_the_report_stops_the_report_process(tmp_path):
    report_on = [a for a in FAST if not a.startswith(("report.", "echo="))]
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_REPORT, *report_on, "hydra.run.dir=run"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # the echo is written: the report is asked for next
        if line.startswith("results:"):
            break
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGINT)  # the command alone, as a terminal's Ctrl-C would
    started = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "results in" in lines[0] and "are complete" in lines[0]
    assert _session(proc.pid) == []


@pytest.mark.parametrize("off", ["report.enabled=false", "run.dry_run=true"])
def test_a_run_without_a_report_stops_the_process(make_cfg, tmp_path, off):
    report_process.prepare()
    ahead = report_process._PREPARED
    assert ahead is not None
    run(make_cfg([*FAST, off]), tmp_path / "run")
    assert report_process._PREPARED is None and _gone(ahead.pid)
    assert not (tmp_path / "run" / "report").exists()


def test_a_stopped_process_is_never_signalled_again(monkeypatch):
    # its pid, reaped, may be another process's by then
    ahead = report_process.ReportProcess.fork()
    assert ahead is not None
    ahead.stop()
    assert _gone(ahead.pid)
    sent = []
    monkeypatch.setattr(os, "killpg", lambda *args: sent.append(args))
    monkeypatch.setattr(os, "kill", lambda *args: sent.append(args))
    ahead.stop()
    assert sent == []
