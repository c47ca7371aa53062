"""Shared fixtures: Hydra's compose API on the packaged configs, pointed at tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra

from adagrad_lab.config import register

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
