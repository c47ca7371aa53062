"""Progress from inside the kernel: a thread sums the kernel's per-block counts while it runs.

The kernel stores each block's trajectory count into its own slot of an
int64 array as the block finishes, and releases the GIL while it runs, so a
Python thread can read the array meanwhile. `watch` runs such a thread for
the length of a ``with`` block::

    done = np.zeros(n_blocks(n, block), np.int64)
    with watch(done, bar):
        advance(x0, hp, ..., block=block, progress=done)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import cast

import numpy as np

POLL_S = 0.25  # seconds between reads of the array


def watch(progress: np.ndarray, report: object, interval: float = POLL_S) -> Watcher:
    """A `Watcher` of ``progress`` reporting to ``report`` (a tqdm bar or a callable)."""
    return Watcher(progress, report, interval)


class Watcher:
    """Report the running sum of ``progress`` every ``interval`` seconds while the block runs.

    ``report`` is a tqdm bar, advanced by what was done since its last report,
    or a callable given the running total. On exit the total is read once
    more, so the report ends at the final count (all of it, when the kernel
    finished). A disabled bar starts no thread.
    """

    def __init__(self, progress: np.ndarray, report: object, interval: float = POLL_S) -> None:
        self.progress = progress
        self.interval = interval
        self.total = 0  # the last total reported
        self._report = report
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Watcher:
        if not getattr(self._report, "disable", False):
            self._thread = threading.Thread(target=self._run, name="adagrad-lab-progress")
            self._thread.daemon = True
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.poll()

    def poll(self) -> int:
        """Read the array and report its total if it changed; return the total."""
        total = int(self.progress.sum())
        if total != self.total:
            if hasattr(self._report, "update"):  # a tqdm bar: advance it by the difference
                self._report.update(total - self.total)
            else:  # a callable given the running total
                cast("Callable[[int], object]", self._report)(total)
            self.total = total
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()
