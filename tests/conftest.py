"""Shared fixtures: Hydra's compose API on the packaged configs, pointed at tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra

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
