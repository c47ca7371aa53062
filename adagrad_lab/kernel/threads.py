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
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait

import numpy as np

_POOLS: dict[int, ThreadPoolExecutor] = {}


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

    def work() -> None:
        while not stop.is_set() and (g := next(taken)) < n_groups:
            try:
                kernel(*args, np.int64(g * group), np.int64((g + 1) * group))
            except BaseException:
                stop.set()
                raise

    pool = _pool(threads)
    futures: list[Future[None]] = [pool.submit(work) for _ in range(min(threads, n_groups))]
    try:
        for future in futures:
            future.result()
    except BaseException:
        stop.set()
        wait(futures)
        raise
