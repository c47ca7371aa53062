"""How every command ends on bad input: one line on stderr, a fixed exit code."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # the shell's code for Ctrl-C
EXIT_BROKEN_PIPE = 141  # the shell's code for a writer whose reader went away (SIGPIPE)

P = ParamSpec("P")
R = TypeVar("R")


def error_line(prog: str, message: str) -> str:
    """``prog: error: message`` on one line, whitespace in ``message`` collapsed."""
    return f"{prog}: error: {' '.join(message.split())}"


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message, or its type's name where it has none."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def fail(message: str, code: int = EXIT_BAD_INPUT, prog: str = "adagrad-lab") -> NoReturn:
    """Print ``message`` as one error line on stderr and exit with ``code``."""
    print(error_line(prog, message), file=sys.stderr)
    sys.exit(code)


def quiet_when_the_reader_leaves(main: Callable[P, R]) -> Callable[P, R]:
    """A command whose stdout reader went away (``adagrad-lab | head``) ends quietly with
    exit code 141, as a shell tool killed by SIGPIPE does, instead of a traceback.

    Its output is flushed before it returns, so a pipe that breaks on the last
    write is caught here and not at interpreter exit. Files already written stay.
    """

    @functools.wraps(main)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = main(*args, **kwargs)
            sys.stdout.flush()
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error at exit
            sys.exit(EXIT_BROKEN_PIPE)
        return result

    return wrapped
