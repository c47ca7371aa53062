"""How every command ends on bad input: one line on stderr, a fixed exit code."""

from __future__ import annotations

import sys
from typing import NoReturn

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # the shell's code for Ctrl-C


def error_line(prog: str, message: str) -> str:
    """``prog: error: message`` on one line, whitespace in ``message`` collapsed."""
    return f"{prog}: error: {' '.join(message.split())}"


def fail(message: str, code: int = EXIT_BAD_INPUT, prog: str = "adagrad-lab") -> NoReturn:
    """Print ``message`` as one error line on stderr and exit with ``code``."""
    print(error_line(prog, message), file=sys.stderr)
    sys.exit(code)
