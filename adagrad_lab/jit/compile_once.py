"""One compile of a cached kernel variant, however many processes need it at once.

Numba checks its on-disk cache only when a call finds no compiled overload, and
processes that start together (a joblib multirun, the test suite's workers) all
miss it and compile the same variant side by side, each for many seconds. Here
the first call of a variant in a process takes a file lock named after the
variant, its argument types and the cache stamp: one process compiles and saves,
the others wait and then load what it saved. Without POSIX file locks (Windows)
every process compiles, as Numba alone would.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from adagrad_lab.jit.stamp import _digest

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


def lock_path(name: str, signature: Sequence[object]) -> Path:
    """The lock file of one variant compiled for one signature, under the user's temp dir."""
    cache = os.environ.get("NUMBA_CACHE_DIR", "")
    key = "\0".join([name, *map(str, signature), cache]).encode() + _digest()
    user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    folder = Path(tempfile.gettempdir()) / f"adagrad-lab-jit-{user}"
    return folder / f"{name}-{hashlib.sha256(key).hexdigest()[:16]}.lock"


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover - not POSIX
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def compile_once(dispatcher: Any, args: Sequence[object]) -> None:
    """Compile or load ``dispatcher``'s overload for ``args``, one process at a time.

    A no-op once this process has the overload. Call it just before the call it
    prepares, with the same arguments, so the call finds the overload it made.
    """
    signature = tuple(dispatcher.typeof_pyval(a) for a in args)
    if signature in dispatcher.overloads:
        return
    with _exclusive(lock_path(dispatcher.py_func.__name__, signature)):
        dispatcher.compile(signature)
