"""Hydra multirun through launchers: the same data as single runs, no oversubscribed cores."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import FAST, run_cli

from adagrad_lab.verify import same_bits

pytest.importorskip("hydra_plugins.hydra_joblib_launcher")

OBJECTIVES = ("sphere", "booth", "rosenbrock")


def _table(run_dir: Path):
    return (
        pq.read_table(run_dir / "trajectories").replace_schema_metadata(None).sort_by("trajectory")
    )


def _jobs(sweep_dir: Path) -> dict[str, Path]:
    jobs = {}
    for manifest in sweep_dir.glob("*/manifest.json"):
        jobs[json.loads(manifest.read_text())["config"]["objective"]["name"]] = manifest.parent
    return jobs


def test_joblib_multirun_of_three_jobs(tmp_path):
    done = run_cli(
        ["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweep.dir=sweep",
         f"objective={','.join(OBJECTIVES)}", *FAST],
        tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    jobs = _jobs(tmp_path / "sweep")
    assert sorted(jobs) == sorted(OBJECTIVES)
    for name, job in jobs.items():
        manifest = json.loads((job / "manifest.json").read_text())
        assert manifest["threads"] == 1, "a joblib worker must not take every core"
        single = run_cli([f"objective={name}", *FAST, f"hydra.run.dir=single_{name}"], tmp_path)
        assert single.returncode == 0, single.stderr
        assert same_bits(_table(job), _table(tmp_path / f"single_{name}")) == []


@pytest.mark.slow
def test_submitit_local_shards(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    done = run_cli(
        ["-m", "hydra/launcher=local", "hydra.sweep.dir=sweep", "shard.index=0,1",
         "shard.count=2", *FAST],
        tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    whole = run_cli([*FAST, "hydra.run.dir=whole"], tmp_path)
    assert whole.returncode == 0
    shards = sorted((tmp_path / "sweep").glob("*/manifest.json"))
    assert len(shards) == 2
    import pyarrow as pa

    union = pa.concat_tables([_table(m.parent) for m in shards]).sort_by("trajectory")
    assert same_bits(union, _table(tmp_path / "whole")) == []
