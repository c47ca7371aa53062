"""Shared fixtures: Hydra's compose API on the packaged configs, pointed at tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from numba.core import event

from adagrad_lab.commands.run import run
from adagrad_lab.sweep.schema import register

# a small but real sweep, quick enough for every test
FAST = [
    "sweep.seeds=3",
    "sweep.n_iter=20",
    "optimizer.step_size=[0.01,0.1]",
    "run.progress=false",
    "echo=none",
    "report.enabled=false",  # a report costs ~2 s per run (matplotlib); tests/test_report.py
]


# -- the suite's compile time, printed apart -------------------------------------------------
# Numba fires "numba:compile" around every real compile (never for a load from its cache);
# each test process sums the outermost ones and names the kernel variants it compiled, and
# xdist workers send theirs to the controller, which prints the total and the variants
# compiled by more than one process (a cache entry another worker was still writing).
class CompileTimer(event.Listener):
    def __init__(self) -> None:
        self.depth, self.seconds, self.started = 0, 0.0, 0.0
        self.kernels: list[str] = []
        self.test = ""  # the test running now, to which a compile is charged
        self.by_test: dict[str, float] = {}

    def on_start(self, ev: event.Event) -> None:
        if self.depth == 0:
            self.started = time.perf_counter()
            name = getattr(getattr(ev.data.get("dispatcher"), "py_func", None), "__name__", "")
            if name.startswith("_advance"):
                self.kernels.append(name)
        self.depth += 1

    def on_end(self, ev: event.Event) -> None:
        self.depth -= 1
        if self.depth == 0:
            spent = time.perf_counter() - self.started
            self.seconds += spent
            self.by_test[self.test] = self.by_test.get(self.test, 0.0) + spent


TOP_COMPILERS = 10  # the tests that compiled most, named in the summary
COMPILING = CompileTimer()
event.register("numba:compile", COMPILING)
COMPILE_KEY = "numba_compile"
WORKERS_KEY = pytest.StashKey[list]()


def _mine() -> dict:
    timer = COMPILING
    return {"seconds": timer.seconds, "kernels": timer.kernels, "by_test": timer.by_test}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    COMPILING.test = item.nodeid
    try:
        return (yield)
    finally:
        COMPILING.test = ""


def pytest_sessionfinish(session):
    output = getattr(session.config, "workeroutput", None)  # set on an xdist worker only
    if output is not None:
        output[COMPILE_KEY] = _mine()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    mine = getattr(node, "workeroutput", {}).get(COMPILE_KEY)
    if mine is not None:
        node.config.stash.setdefault(WORKERS_KEY, []).append(mine)


def pytest_terminal_summary(terminalreporter, config):
    parts = config.stash.get(WORKERS_KEY, []) or [_mine()]
    seconds = sum(p["seconds"] for p in parts)
    kernels = [k for p in parts for k in set(p["kernels"])]
    twice = sorted({k for k in kernels if kernels.count(k) > 1})
    terminalreporter.write_line(
        f"numba: {seconds:.1f} s compiling in {len(parts)} test process(es), "
        f"{len(set(kernels))} kernel variants, {len(twice)} of them in more than one "
        "process (runs in subprocesses not counted)"
    )
    charged: dict[str, float] = {}
    for part in parts:
        for test, spent in part.get("by_test", {}).items():
            charged[test] = charged.get(test, 0.0) + spent
    top = sorted(charged.items(), key=lambda kv: -kv[1])[:TOP_COMPILERS]
    for test, spent in top:
        terminalreporter.write_line(f"  {spent:6.1f} s compiling  {test or '(collection)'}")


@pytest.fixture
def make_cfg():
    """compose(overrides) -> DictConfig from the packaged config tree."""
    register()

    def _compose(overrides=()):
        GlobalHydra.instance().clear()
        with initialize_config_module(config_module="adagrad_lab.conf", version_base="1.3"):
            return compose(config_name="config", overrides=list(overrides))

    yield _compose
    GlobalHydra.instance().clear()


def run_cut(make_cfg, tmp_path_factory, base, chunk, block, threads, shards):
    """Run the sweep ``base`` whole, then again cut by chunk size, block and threads and
    split into ``shards`` shards: (the whole run's directory, the shards' directories)."""
    ref_dir = tmp_path_factory.mktemp("ref")
    run(make_cfg(base), ref_dir)
    cut = [f"run.chunk_size={chunk}", f"run.block={block}", f"run.threads={threads}"]
    dirs = []
    for index in range(shards):
        dirs.append(tmp_path_factory.mktemp(f"shard{index}"))
        run(make_cfg([*base, *cut, f"shard.index={index}", f"shard.count={shards}"]), dirs[-1])
    return ref_dir, dirs


def run_cli(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m adagrad_lab ARGS` in ``cwd`` as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "adagrad_lab", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
