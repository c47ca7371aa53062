"""Hydra multirun through launchers: the same data as single runs, no oversubscribed cores."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import FAST, run_cli

from adagrad_lab.store.integrity import same_bits

pytest.importorskip("hydra_plugins.hydra_joblib_launcher")

OBJECTIVES = ("sphere", "booth", "rosenbrock")


def _table(run_dir: Path, dataset: str = "trajectories", keys=("trajectory",)):
    table = pq.read_table(run_dir / dataset).replace_schema_metadata(None)
    return table.sort_by([(k, "ascending") for k in keys])


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


def _ray_missing() -> str | None:
    """Why the Ray test cannot run here, or None (found without importing Ray)."""
    for module in ("ray", "hydra_plugins.hydra_ray_launcher"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[ray]'; .ci/run tries it)"
    return None


@pytest.mark.slow
@pytest.mark.skipif(_ray_missing() is not None, reason=str(_ray_missing()))
def test_ray_local_shards(tmp_path):
    """Two shards through hydra-ray-launcher on a local Ray instance: their union is the run."""
    import pyarrow as pa

    base = [*FAST, "run.threads=1"]
    done = run_cli(
        ["-m", "hydra/launcher=ray", "++hydra.launcher.ray.init.num_cpus=2",
         "++hydra.launcher.ray.init.include_dashboard=false", "hydra.sweep.dir=sweep",
         "shard.index=0,1", "shard.count=2", *base],
        tmp_path,
        env={"RAY_USAGE_STATS_ENABLED": "0"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    whole = run_cli([*base, "hydra.run.dir=whole"], tmp_path)
    assert whole.returncode == 0, whole.stderr
    shards = [m.parent for m in sorted((tmp_path / "sweep").glob("*/manifest.json"))]
    assert len(shards) == 2
    for dataset, keys in (("trajectories", ("trajectory",)), ("history", ("trajectory", "iter"))):
        union = pa.concat_tables([_table(s, dataset, keys) for s in shards])
        union = union.sort_by([(k, "ascending") for k in keys])
        assert same_bits(union, _table(tmp_path / "whole", dataset, keys)) == []
