"""A report process forked as the command starts, so that the report's libraries load
while Hydra composes the config and the kernel runs, not after.

pandas and matplotlib take about half a second to import, as long as a small run's
report takes to write. The command forks this process first thing; it imports them,
builds the mathtext grammar, and waits. When the results are written the command asks
it for the printed summary and then for the report, and prints what it answers; the
process prints nothing itself. Where there is no `os.fork`, or the run writes no
report (``report.enabled=false``, a dry run, a job of a multirun until the comparison
report), it is not started or is stopped, and the command does the work itself. A
process that is gone (killed, out of memory) is replaced by the command doing the
work itself: `GoneError`.

It runs in its own process group, so Ctrl-C reaches the command alone, which stops
the process and its children (the figures rendering) with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Any

from adagrad_lab.commands.exits import first_line


class GoneError(Exception):
    """The report process ended before it answered: do the work in this process."""


class ReportError(Exception):
    """The report process raised: ``kind`` is the exception's type name, the message its
    first line."""

    def __init__(self, kind: str, line: str) -> None:
        super().__init__(line)
        self.kind = kind


class ReportProcess:
    """The forked process, and the pipe to it."""

    def __init__(self, pid: int, conn: Connection) -> None:
        self.pid = pid
        self._conn = conn
        self._stopped = False

    @classmethod
    def fork(cls) -> ReportProcess | None:
        """Start the process (None where `os.fork` is missing or fails)."""
        if not hasattr(os, "fork"):
            return None
        ours, theirs = Pipe()
        try:
            pid = os.fork()
        except OSError:
            return None
        if pid == 0:
            ours.close()
            _serve(theirs)  # never returns
        theirs.close()
        with contextlib.suppress(OSError):  # the child does the same: whichever runs first
            os.setpgid(pid, pid)
        return cls(pid, ours)

    def echo(self, run_dir: Path, kind: str) -> str:
        """What the run prints for ``echo=kind`` (``summary`` or ``tutorial``)."""
        return str(self._ask("echo", str(Path(run_dir).resolve()), kind))

    def report(self, source: Path, out_dir: Path) -> Path:
        """Write the report of ``source`` into ``out_dir``; the path of its index.html."""
        return Path(self._ask("report", str(Path(source).resolve()), str(Path(out_dir).resolve())))

    def _ask(self, *request: str) -> Any:
        try:
            self._conn.send(request)
            status, *answer = self._conn.recv()
        except (EOFError, OSError) as exc:
            self.stop()
            raise GoneError(str(exc)) from None
        if status == "error":
            raise ReportError(*answer)
        return answer[0]

    def stop(self) -> None:
        """End the process and its children now, and reap it (once: the pid, reaped, may
        be another process's by a second call)."""
        if self._stopped:
            return
        self._stopped = True
        self._conn.close()
        for kill in (os.killpg, os.kill):  # before its setpgid, the group is not there yet
            try:
                kill(self.pid, signal.SIGKILL)
                break
            except OSError:
                continue
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _serve(conn: Connection) -> None:
    """The child: load the report, then answer requests until the pipe closes; exits."""
    code = 1
    try:
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
        from adagrad_lab.plots.style import warm_up
        from adagrad_lab.report import summary
        from adagrad_lab.report.page import write_report

        warm_up()
        while True:
            try:
                what, *args = conn.recv()
            except EOFError:
                break
            try:
                if what == "echo":
                    conn.send(("ok", summary.echo_text(Path(args[0]), args[1])))
                else:
                    conn.send(("ok", str(write_report(args[0], args[1]))))
            except Exception as exc:
                conn.send(("error", type(exc).__name__, first_line(exc)))
        code = 0
    finally:
        os._exit(code)  # not the command's exit handlers, nor its buffered output


_PREPARED: ReportProcess | None = None


def prepare() -> None:
    """Fork the report process for this command (once)."""
    global _PREPARED
    if _PREPARED is None:
        _PREPARED = ReportProcess.fork()


def claim() -> ReportProcess | None:
    """The prepared process for one report (None where there is none); the caller stops it."""
    global _PREPARED
    taken, _PREPARED = _PREPARED, None
    return taken


def discard() -> None:
    """Stop the prepared process, if any: no report will use it."""
    if (taken := claim()) is not None:
        taken.stop()
