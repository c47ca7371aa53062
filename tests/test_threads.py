"""The kernel's groups on threads (`kernel.threads.run_groups`): every group runs once, on
several threads at once, and an error stops the rest but waits for the running groups."""

from __future__ import annotations

import threading
import time

import pytest

from adagrad_lab.kernel.threads import run_groups


class Recorder:
    """A stand-in kernel: records each call's (lo, hi) and the thread that made it."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []
        self.threads: set[int] = set()
        self.lock = threading.Lock()

    def __call__(self, *args: object) -> None:
        lo, hi = (int(a) for a in args[-2:])  # type: ignore[call-overload]
        with self.lock:
            self.calls.append((lo, hi))
            self.threads.add(threading.get_ident())


@pytest.mark.parametrize(("n_groups", "group", "threads"), [(1, 5, 4), (7, 3, 1), (40, 2, 3)])
def test_every_group_runs_once_and_the_groups_cover_the_iterations(n_groups, group, threads):
    kernel = Recorder()
    run_groups(kernel, ("args",), n_groups, group, threads)
    if threads == 1 or n_groups == 1:
        assert kernel.calls == [(0, n_groups * group)]  # one call, in this thread
        assert kernel.threads == {threading.get_ident()}
    else:
        assert sorted(kernel.calls) == [(g * group, (g + 1) * group) for g in range(n_groups)]


def test_groups_run_on_several_threads_at_once():
    # each of the first two calls waits for the other: on one thread this times out
    barrier = threading.Barrier(2, timeout=10)
    kernel = Recorder()

    def meet(*args: object) -> None:
        kernel(*args)
        if len(kernel.calls) <= 2:
            barrier.wait()

    run_groups(meet, (), 6, 1, 2)
    assert len(kernel.threads) == 2 and len(kernel.calls) == 6


def test_an_error_stops_the_groups_not_started_and_waits_for_the_running_ones():
    started, finished = threading.Event(), threading.Event()
    calls: list[int] = []

    def kernel(lo, hi) -> None:
        calls.append(int(lo))
        if lo == 0:  # the first worker's group: fails while the other's is running
            assert started.wait(10)
            raise KeyboardInterrupt  # what Ctrl-C would raise
        if lo == 1:
            started.set()
            time.sleep(0.3)
            finished.set()

    with pytest.raises(KeyboardInterrupt):
        run_groups(kernel, (), 50, 1, 2)
    assert finished.is_set()  # the running group ended before run_groups raised
    assert sorted(calls) == [0, 1]  # none started after the error


def test_an_error_in_a_group_is_raised_in_the_caller():
    def kernel(lo, hi) -> None:
        if lo == 4:
            raise ValueError("group 4 failed")

    with pytest.raises(ValueError, match="group 4 failed"):
        run_groups(kernel, (), 8, 1, 2)
