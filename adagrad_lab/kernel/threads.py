"""The kernel's groups of blocks on threads: a variant is compiled serial, without the GIL,
and called once per group from a pool of Python threads, each taking the next group as it
comes free.

Numba's parallel lowering (``prange`` as parfors) was over half of every variant's compile
(sphere with AdaGrad, first call: 8.0 s parallel, 3.5 s serial on an Intel Xeon), paid per
variant; a call per group costs tens of microseconds against milliseconds of work. Which
thread runs a group changes no result: every block writes only its own rows.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_POOLS: dict[int, ThreadPoolExecutor] = {}

WAKE_S = 0.1  # how often the waiting caller looks for Ctrl-C


def _pool(threads: int) -> ThreadPoolExecutor:
    """One pool per thread count, kept for the next call (starting threads costs ~0.1 ms)."""
    if threads not in _POOLS:
        _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="adagrad-lab-kernel")
    return _POOLS[threads]


def run_groups(
    kernel: Callable[..., object],
    args: Sequence[object],
    n_groups: int,
    group: int,
    threads: int,
) -> None:
    """Call ``kernel(*args, lo, hi)`` for every group's iterations ``[lo, hi)``, ``group``
    of them each, ``n_groups`` groups, on up to ``threads`` threads.

    Returns when every group has run. An error in a group, or Ctrl-C while waiting, stops
    the groups not yet started, waits for the running ones (they write into the caller's
    arrays) and is raised here.
    """
    if threads <= 1 or n_groups <= 1:
        kernel(*args, np.int64(0), np.int64(n_groups * group))
        return
    taken = itertools.count()  # next() on it is atomic under the GIL
    stop = threading.Event()
    ended: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()

    def work() -> None:
        try:
            while not stop.is_set() and (g := next(taken)) < n_groups:
                kernel(*args, np.int64(g * group), np.int64((g + 1) * group))
        except BaseException as exc:
            stop.set()
            ended.put(exc)
            return
        ended.put(None)

    workers = min(threads, n_groups)
    for _ in range(workers):
        _pool(threads).submit(work)
    try:
        while workers:
            error = _next_end(ended)
            workers -= error is not _STILL_RUNNING
            if isinstance(error, BaseException):
                raise error
    except BaseException:
        stop.set()
        while workers:  # the running groups write into the caller's arrays
            workers -= _next_end(ended) is not _STILL_RUNNING
        raise


_STILL_RUNNING = object()


def _next_end(ended: queue.SimpleQueue[BaseException | None]) -> object:
    """A worker's end (None, or its error), or `_STILL_RUNNING` after `WAKE_S`. The caller
    waits in short naps because SIGINT may land on a worker thread: only a main thread that
    wakes runs Python's handler, and then between these calls, not inside a lock."""
    try:
        return ended.get(timeout=WAKE_S)
    except queue.Empty:
        return _STILL_RUNNING
