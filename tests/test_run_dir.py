"""The run directory contract: Parquet columns and types, metadata, manifest, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import FAST, run_cli, run_cut
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adagrad_lab import read_history, read_manifest, read_trajectories
from adagrad_lab.commands.run import run
from adagrad_lab.run.provenance import config_hash

TRAJECTORY_COLUMNS = {
    "trajectory": pa.int64(),
    "seed": pa.int64(),
    "step_size": pa.float64(),
    "eps": pa.float64(),
    "initial_accumulator": pa.float64(),
    "dim": pa.int32(),
    "x0": pa.list_(pa.float64()),
    "x_final": pa.list_(pa.float64()),
    "f_final": pa.float64(),
    "f_best": pa.float64(),
    "iters_to_target": pa.int32(),
    "diverged_at": pa.int32(),
}


def _schema(run_dir: Path, dataset: str) -> pa.Schema:
    return pq.read_schema(sorted((run_dir / dataset).glob("part-*.parquet"))[0])


def _bytes(df) -> bytes:
    """Every value of a results frame, as exact bytes (lists flattened)."""
    parts = []
    for col in df.columns:
        if df[col].dtype == "category" or (
            df[col].dtype.kind in "OUT" and isinstance(df[col].iloc[0], str)
        ):
            parts.append("|".join(df[col].astype(str)).encode())
            continue
        values = df[col].to_numpy()
        if values.dtype == object:
            values = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in values])
        parts.append(np.asarray(values).tobytes())
    return b"".join(parts)


def test_trajectories_and_history_columns(make_cfg, tmp_path):
    cfg = make_cfg([*FAST, "record.points=true", "sweep.target=1e-3"])
    run(cfg, tmp_path)
    schema = _schema(tmp_path, "trajectories")
    for name, typ in TRAJECTORY_COLUMNS.items():
        assert schema.field(name).type == typ, name
    for name in ("optimizer", "objective", "status"):
        assert pa.types.is_dictionary(schema.field(name).type), name
    hist = _schema(tmp_path, "history")
    assert hist.names == ["trajectory", "iter", "f", "grad_norm", "x"]
    assert hist.field("iter").type == pa.int32()
    traj = read_trajectories(tmp_path)
    assert len(traj) == 6 and traj["trajectory"].tolist() == list(range(6))
    assert set(traj["status"].astype(str)) <= {"converged", "max_iter", "diverged"}
    history = read_history(tmp_path)
    assert len(history) == 6 * 21
    start = history[history["iter"] == 0].set_index("trajectory")
    for t, row in traj.set_index("trajectory").iterrows():
        assert np.array_equal(start.loc[t, "x"], row["x0"])
        last = history[(history["trajectory"] == t) & (history["iter"] == 20)].iloc[0]
        assert np.array_equal(last["x"], row["x_final"]) and last["f"] == row["f_final"]
        hits = history[(history["trajectory"] == t) & (history["f"] <= 1e-3)]["iter"]
        expected = hits.min() if len(hits) else None
        got = row["iters_to_target"]
        assert (expected is None and pd.isna(got)) or got == expected


def test_metadata_and_manifest_hold_the_config(make_cfg, tmp_path):
    cfg = make_cfg(FAST)
    run(cfg, tmp_path)
    manifest = read_manifest(tmp_path)
    assert manifest["config_hash"] == config_hash(manifest["config"])
    assert manifest["config"]["optimizer"]["step_size"] == [0.01, 0.1]
    assert {"numpy", "numba", "llvmlite", "pandas", "pyarrow", "hydra-core"} <= set(
        manifest["versions"]
    )
    assert all(c["status"] == "done" for c in manifest["chunks"])
    assert {"compile_s", "run_s"} <= set(manifest["timings"])
    for dataset in ("trajectories", "history"):
        meta = json.loads(_schema(tmp_path, dataset).metadata[b"adagrad_lab"])
        assert meta["config_hash"] == manifest["config_hash"]
        assert meta["config"]["sweep"]["n_iter"] == 20
    assert (tmp_path / "config.yaml").exists()


def test_divergence_is_data(make_cfg, tmp_path):
    cfg = make_cfg(
        [
            "objective=rosenbrock",
            "optimizer=gd",
            "optimizer.step_size=[1e-4,10.0]",
            "sweep.seeds=4",
            "sweep.n_iter=100",
            "run.progress=false",
        ]
    )
    run(cfg, tmp_path)
    traj = read_trajectories(tmp_path)
    big = traj[traj["step_size"] == 10.0]
    small = traj[traj["step_size"] == 1e-4]
    assert (big["status"].astype(str) == "diverged").all()
    assert big["diverged_at"].notna().all()
    assert not np.isfinite(big["f_final"]).any()
    assert np.isfinite(big["f_best"]).all()
    assert (small["status"].astype(str) != "diverged").all() and small["diverged_at"].isna().all()
    history = read_history(tmp_path)
    for t, row in big.set_index("trajectory").iterrows():
        iters = history.loc[history["trajectory"] == t, "iter"]
        assert iters.max() == row["diverged_at"]


def test_stop_at_target_ends_history_there(make_cfg, tmp_path):
    cfg = make_cfg([*FAST, "objective=sphere", "sweep.target=1e-2", "sweep.stop_at_target=true"])
    run(cfg, tmp_path)
    traj = read_trajectories(tmp_path)
    history = read_history(tmp_path)
    last = history.groupby("trajectory")["iter"].max()
    hit = traj.set_index("trajectory")["iters_to_target"]
    assert (last[hit.notna()] == hit[hit.notna()]).all()
    assert (last[hit.isna()] == 20).all()


@pytest.mark.slow
def test_custom_objective_from_a_users_module(make_cfg, tmp_path, monkeypatch):
    monkeypatch.chdir(Path(__file__).parents[1] / "examples")
    cfg = make_cfg(
        [
            *FAST,
            "objective=custom",
            "objective.target=my_objective.shifted_quadratic",
            "objective.dim=3",
            "objective.bounds=[-2,2]",
            "sweep.n_iter=300",
            "optimizer.step_size=[0.5]",
        ]
    )
    run(cfg, tmp_path)
    traj = read_trajectories(tmp_path)
    assert (traj["objective"].astype(str) == "custom").all()
    assert np.allclose(np.stack(traj["x_final"].to_numpy()), 1.0, atol=1e-3)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    chunk=st.integers(1, 40),
    block=st.sampled_from([1, 3, 8, 64]),
    threads=st.sampled_from([1, 2]),
    shards=st.integers(1, 4),
)
def test_results_do_not_depend_on_chunk_block_threads_or_shards(
    make_cfg, tmp_path_factory, chunk, block, threads, shards
):
    base = [*FAST, "objective=rastrigin", "record.points=true", "sweep.seeds=7"]
    ref_dir, dirs = run_cut(make_cfg, tmp_path_factory, base, chunk, block, threads, shards)
    if shards == 1:
        assert len(read_manifest(dirs[0])["chunks"]) == -(-14 // chunk)
    union_traj = pd.concat([read_trajectories(d) for d in dirs], ignore_index=True)
    union_hist = pd.concat([read_history(d) for d in dirs], ignore_index=True)
    assert _bytes(read_trajectories(ref_dir)) == _bytes(union_traj)
    assert _bytes(read_history(ref_dir)) == _bytes(union_hist)


@pytest.mark.slow
def test_results_do_not_depend_on_the_thread_count(tmp_path):
    args = [*FAST, "objective=ackley", "objective.dim=5", "sweep.seeds=50", "record.points=true"]
    for threads in (1, 2):
        done = run_cli(
            [*args, f"hydra.run.dir=t{threads}"], tmp_path, {"NUMBA_NUM_THREADS": str(threads)}
        )
        assert done.returncode == 0, done.stderr
        assert read_manifest(tmp_path / f"t{threads}")["threads"] == threads
    assert _bytes(read_trajectories(tmp_path / "t1")) == _bytes(read_trajectories(tmp_path / "t2"))
    assert _bytes(read_history(tmp_path / "t1")) == _bytes(read_history(tmp_path / "t2"))
