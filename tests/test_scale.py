"""Sweeps at scale: shards, resume after SIGKILL, refusal, dry run, verify, bounded memory."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import FAST, run_cli

from adagrad_lab import read_history, read_manifest, read_trajectories
from adagrad_lab.commands.run import run
from adagrad_lab.commands.verify import main as verify_main
from adagrad_lab.run.runner import RunDirError
from adagrad_lab.store.integrity import same_bits


def _tables(run_dirs: list[Path]) -> tuple[pa.Table, pa.Table]:
    """Union of the trajectories and history tables of several run directories, sorted."""

    def read(dataset: str, keys: list[str]) -> pa.Table:
        parts = [pq.read_table(d / dataset).replace_schema_metadata(None) for d in run_dirs]
        return pa.concat_tables(parts).sort_by([(k, "ascending") for k in keys])

    return read("trajectories", ["trajectory"]), read("history", ["trajectory", "iter"])


def _assert_same(a_dirs: list[Path], b_dirs: list[Path]) -> None:
    for a, b in zip(_tables(a_dirs), _tables(b_dirs), strict=True):
        assert same_bits(a, b) == []


@pytest.mark.parametrize("count", [2, 3, 5])
def test_union_of_shards_equals_the_unsharded_run(make_cfg, tmp_path, count):
    base = [*FAST, "sweep.seeds=5", "objective=himmelblau", "run.chunk_size=4"]
    run(make_cfg(base), tmp_path / "all")
    shards = []
    for i in range(count):
        shards.append(tmp_path / f"shard{i}")
        run(make_cfg([*base, f"shard.index={i}", f"shard.count={count}"]), shards[-1])
    _assert_same([tmp_path / "all"], shards)
    spans = [read_manifest(s)["shard"] for s in shards]
    assert spans[0]["start"] == 0 and spans[-1]["stop"] == 10
    assert all(a["stop"] == b["start"] for a, b in itertools.pairwise(spans))


def test_another_config_in_the_same_directory_is_refused(make_cfg, tmp_path):
    run(make_cfg(FAST), tmp_path)
    before = read_trajectories(tmp_path)
    with pytest.raises(RunDirError, match="another config"):
        run(make_cfg([*FAST, "sweep.n_iter=21"]), tmp_path)
    assert read_trajectories(tmp_path).equals(before)
    run(make_cfg([*FAST, "sweep.n_iter=21", "run.overwrite=true"]), tmp_path)
    assert read_manifest(tmp_path)["config"]["sweep"]["n_iter"] == 21


def test_refusal_from_the_command_line_is_one_line_and_exit_2(tmp_path):
    assert run_cli([*FAST, "hydra.run.dir=r"], tmp_path).returncode == 0
    done = run_cli([*FAST, "sweep.n_iter=5", "hydra.run.dir=r"], tmp_path)
    assert done.returncode == 2
    assert "another config" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_dry_run_prints_sizes_and_writes_nothing(tmp_path):
    done = run_cli([*FAST, "run.dry_run=true", "run.chunk_size=4"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "6 trajectories in 2 chunk(s)" in done.stdout
    assert "126 history rows" in done.stdout
    assert list(tmp_path.iterdir()) == []


def test_rerunning_the_same_command_skips_finished_chunks(make_cfg, tmp_path):
    cfg = make_cfg([*FAST, "run.chunk_size=2"])
    run(cfg, tmp_path)
    stamp = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "trajectories").iterdir()}
    run(cfg, tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "trajectories").iterdir()} == stamp


@pytest.mark.slow
def test_resume_after_sigkill_equals_an_uninterrupted_run(tmp_path):
    args = [
        "objective=sphere",
        "sweep.seeds=400",
        "optimizer.step_size=[0.01,0.1,1.0]",
        "sweep.n_iter=300",
        "record.every=3",
        "run.chunk_size=8",
        "run.progress=false",
        "echo=none",
        "report.enabled=false",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "adagrad_lab", *args, "hydra.run.dir=killed"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    manifest = tmp_path / "killed" / "manifest.json"
    done = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            done = sum(c["status"] == "done" for c in json.loads(manifest.read_text())["chunks"])
        except (OSError, ValueError):
            done = 0
        if done >= 5:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    chunks = json.loads(manifest.read_text())["chunks"]
    assert 5 <= sum(c["status"] == "done" for c in chunks) < len(chunks), "killed mid-run"
    assert run_cli([*args, "hydra.run.dir=killed"], tmp_path).returncode == 0
    assert run_cli([*args, "hydra.run.dir=clean"], tmp_path).returncode == 0
    assert all(c["status"] == "done" for c in read_manifest(tmp_path / "killed")["chunks"])
    _assert_same([tmp_path / "killed"], [tmp_path / "clean"])
    assert len(read_history(tmp_path / "killed", columns=["iter"])) == 1200 * 101


def test_verify_passes_on_a_good_run_and_fails_on_a_tampered_one(make_cfg, tmp_path, capsys):
    run(make_cfg([*FAST, "run.chunk_size=3", "record.points=true"]), tmp_path)
    assert verify_main([str(tmp_path)]) == 0
    assert verify_main([str(tmp_path), "--sample", "2"]) == 0
    part = tmp_path / "history" / "part-000001-0.parquet"
    table = pq.read_table(part)
    f = table["f"].to_numpy().copy()
    f[7] = f[7] * (1 + 2**-52)
    pq.write_table(table.set_column(table.column_names.index("f"), "f", pa.array(f)), part)
    assert verify_main([str(tmp_path)]) == 1
    assert "history differs in f" in capsys.readouterr().out
    assert verify_main([str(tmp_path / "nothing")]) == 2


PEAK_RSS = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.mark.slow
def test_memory_is_bounded_by_the_chunk_not_the_sweep(tmp_path):
    """History of 8 chunks (~8 x 48 MiB) runs in about the peak memory of one chunk."""
    base = [
        "objective=sphere",
        "optimizer.step_size=0.1",
        "sweep.n_iter=1000",
        "run.chunk_size=3000",
    ]
    base += ["echo=none", "report.enabled=false"]

    def peak_kib(seeds: int, name: str) -> int:
        cmd = [
            sys.executable,
            "-m",
            "adagrad_lab",
            *base,
            f"sweep.seeds={seeds}",
            f"hydra.run.dir={name}",
        ]
        out = subprocess.run(
            [sys.executable, "-c", PEAK_RSS, *cmd], cwd=tmp_path, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        return int(out.stdout.strip())

    one = peak_kib(3000, "one")
    eight = peak_kib(24000, "eight")
    history_mib = 24000 * 1001 * 16 / 2**20
    assert eight / 1024 < one / 1024 + 0.25 * history_mib, (one, eight, history_mib)


def test_rewriting_a_chunk_in_fewer_pieces_leaves_no_stale_piece(make_cfg, tmp_path, monkeypatch):
    """A rerun with fewer threads than the killed run must not keep the old run's extra pieces."""
    from adagrad_lab.store import parquet as storage

    run(make_cfg(FAST), tmp_path)
    hist = pq.read_table(tmp_path / "history").replace_schema_metadata(None)
    traj = pq.read_table(tmp_path / "trajectories").replace_schema_metadata(None)
    monkeypatch.setattr(storage, "PIECE_ROWS", 10)
    storage.write_chunk(tmp_path, 0, traj, hist, workers=2)
    assert len(list((tmp_path / "history").glob("part-000000-*.parquet"))) == 2
    storage.write_chunk(tmp_path, 0, traj, hist, workers=1)
    assert [p.name for p in (tmp_path / "history").iterdir()] == ["part-000000-0.parquet"]
    assert pq.read_table(tmp_path / "history").num_rows == hist.num_rows
