"""Nothing silently wrong: reruns, one writer per directory, checked resumes, a strict verify."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import FAST, run_cli

from adagrad_lab import read_history, read_manifest, read_trajectories
from adagrad_lab.commands import rerun
from adagrad_lab.commands import verify as verify_mod
from adagrad_lab.commands.run import run
from adagrad_lab.run import runner
from adagrad_lab.store import rundir
from adagrad_lab.store.integrity import same_bits
from adagrad_lab.store.parquet import RunDataError
from adagrad_lab.store.rundir import RunDirError

CHUNKED = [*FAST, "run.chunk_size=2", "record.points=true", "sweep.target=1e-3"]


def _tables(run_dir: Path) -> tuple[pa.Table, pa.Table | None]:
    def read(dataset: str, keys: list[str]) -> pa.Table | None:
        if not (run_dir / dataset).exists():
            return None
        table = pq.read_table(run_dir / dataset).replace_schema_metadata(None)
        return table.sort_by([(k, "ascending") for k in keys])

    return read("trajectories", ["trajectory"]), read("history", ["trajectory", "iter"])


def assert_same_results(a: Path, b: Path) -> None:
    """Both tables of two runs hold the same rows, bit for bit."""
    for left, right in zip(_tables(a), _tables(b), strict=True):
        assert (left is None) == (right is None)
        if left is not None:
            assert left.num_rows > 0
            assert same_bits(left, right) == []


# -- rerun ----------------------------------------------------------------------------------


def test_rerun_of_the_tutorial_reruns_the_tutorial_bit_for_bit(make_cfg, tmp_path, capsys):
    run(make_cfg(["experiment=tutorial", "run.progress=false"]), tmp_path / "tutorial")
    first = capsys.readouterr().out
    assert rerun.main([str(tmp_path / "tutorial"), "--out", str(tmp_path / "again")]) == 0
    again = capsys.readouterr().out
    assert_same_results(tmp_path / "tutorial", tmp_path / "again")
    assert len(read_trajectories(tmp_path / "again")) == 1  # not the 1,300 of the default sweep
    assert first.splitlines()[:52] == again.splitlines()[:52]  # the tutorial's printed lines
    assert f"rerun of {tmp_path / 'tutorial'}: {tmp_path / 'again'}" in again
    assert read_manifest(tmp_path / "again")["rerun_of"] == str((tmp_path / "tutorial").resolve())


def test_rerun_of_a_sweep_and_of_a_multirun_with_an_override(make_cfg, tmp_path, monkeypatch):
    sweep = [*CHUNKED, "objective=rosenbrock", "optimizer=gd", "optimizer.step_size=[1e-4,1e-3]"]
    for job, seeds in (("0", 3), ("1", 4)):
        run(make_cfg([*sweep, f"sweep.seeds={seeds}"]), tmp_path / "multi" / job)
    assert rerun.main([str(tmp_path / "multi" / "1"), f"hydra.run.dir={tmp_path}/one"]) == 0
    assert_same_results(tmp_path / "multi" / "1", tmp_path / "one")
    assert rerun.main([str(tmp_path / "multi"), "--out", str(tmp_path / "again")]) == 0
    for job in ("0", "1"):
        assert_same_results(tmp_path / "multi" / job, tmp_path / "again" / job)
    monkeypatch.chdir(tmp_path)
    assert rerun.main([str(tmp_path / "multi" / "0"), "sweep.n_iter=7"]) == 0
    (made,) = (tmp_path / "outputs").glob("*/*-rerun-*")  # a new directory by default
    assert read_manifest(made)["config"]["sweep"]["n_iter"] == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sweep.nope=1"], "sweep.nope: not a key"),
        (["objective=sphere"], "cannot swap a config group"),
        (["sweep.n_iter=ten"], "sweep.n_iter"),
        (["sweep.n_iter=0"], "sweep.n_iter"),
    ],
)
def test_rerun_refuses_bad_overrides_in_one_line(make_cfg, tmp_path, capsys, args, message):
    run(make_cfg(FAST), tmp_path / "run")
    capsys.readouterr()
    assert rerun.main([str(tmp_path / "run"), *args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_rerun_refuses_its_own_directory_and_a_non_run(make_cfg, tmp_path, capsys):
    run(make_cfg(FAST), tmp_path / "run")
    assert rerun.main([str(tmp_path / "run"), "--out", str(tmp_path / "run")]) == 2
    assert rerun.main([str(tmp_path / "nothing")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2


# -- one writer per directory ---------------------------------------------------------------


def test_a_locked_run_directory_is_refused_whatever_the_config(make_cfg, tmp_path):
    tmp_path.mkdir(exist_ok=True)
    with rundir.locked(tmp_path):
        for overrides in (FAST, [*FAST, "sweep.n_iter=7"]):
            with pytest.raises(RunDirError, match=r"another run .* is writing here"):
                run(make_cfg(overrides), tmp_path)
    assert not (tmp_path / "manifest.json").exists()
    run(make_cfg(FAST), tmp_path)  # released: the directory is usable again
    assert not (tmp_path / rundir.LOCK).exists()


def test_a_second_process_on_a_locked_directory_stops_at_once(tmp_path):
    (tmp_path / "out").mkdir()
    with rundir.locked(tmp_path / "out"):
        done = run_cli([*FAST, "hydra.run.dir=out"], tmp_path)
    assert done.returncode == 2
    assert "is writing here" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []


def test_temporary_names_differ_between_processes(tmp_path):
    table = pa.table({"trajectory": pa.array([0], pa.int64())})
    from adagrad_lab.store import parquet as storage

    tmp, record = storage._write_tmp(tmp_path / "part-000000.parquet", table)
    assert str(os.getpid()) in tmp.name and record["bytes"] == tmp.stat().st_size


# -- files no manifest accounts for ---------------------------------------------------------


def test_parts_without_a_manifest_are_refused_unless_overwrite(make_cfg, tmp_path):
    run(make_cfg([*FAST, "sweep.seeds=4"]), tmp_path)
    (tmp_path / "manifest.json").unlink()
    with pytest.raises(RunDirError, match=r"no manifest.json accounts for"):
        run(make_cfg(FAST), tmp_path)
    run(make_cfg([*FAST, "run.overwrite=true"]), tmp_path)
    assert len(read_trajectories(tmp_path)) == 6


def test_a_stray_part_file_is_refused(make_cfg, tmp_path):
    run(make_cfg(CHUNKED), tmp_path)
    shutil.copy(tmp_path / "trajectories/part-000000.parquet", tmp_path / "trajectories/x.parquet")
    with pytest.raises(RunDirError, match=r"x.parquet: a file this run did not write"):
        run(make_cfg(CHUNKED), tmp_path)


@pytest.mark.parametrize("content", ['{"config_hash": "abc", "chu', "[]", ""])
def test_a_malformed_manifest_is_one_line_and_overwrite_gets_past_it(
    make_cfg, tmp_path, capsys, content
):
    run(make_cfg(FAST), tmp_path / "run")
    (tmp_path / "run" / "manifest.json").write_text(content)
    done = run_cli([*FAST, "hydra.run.dir=run"], tmp_path)
    assert done.returncode == 2 and "manifest.json" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert verify_mod.main([str(tmp_path / "run")]) == 2
    assert "manifest.json" in capsys.readouterr().err
    assert run_cli([*FAST, "hydra.run.dir=run", "run.overwrite=true"], tmp_path).returncode == 0
    assert verify_mod.main([str(tmp_path / "run")]) == 0


# -- resume checks what it keeps ------------------------------------------------------------


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


DAMAGE = {
    "flipped byte": _flip,
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "emptied": lambda p: p.write_bytes(b""),
    "deleted": lambda p: p.unlink(),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("dataset", ["trajectories", "history"])
def test_resume_recomputes_damaged_chunks(make_cfg, tmp_path, capsys, damage, dataset):
    run(make_cfg(CHUNKED), tmp_path / "clean")
    run(make_cfg(CHUNKED), tmp_path / "run")
    victim = sorted((tmp_path / "run" / dataset).glob("part-000001*.parquet"))[0]
    DAMAGE[damage](victim)
    assert verify_mod.main([str(tmp_path / "run")]) == 1
    assert "chunk 1" in capsys.readouterr().out
    run(make_cfg(CHUNKED), tmp_path / "run")
    assert "chunk 1:" in capsys.readouterr().err  # says what it recomputes
    assert_same_results(tmp_path / "clean", tmp_path / "run")
    assert verify_mod.main([str(tmp_path / "run")]) == 0
    records = [c["files"] for c in read_manifest(tmp_path / "run")["chunks"]]
    assert all(len(r["sha256"]) == 64 for files in records for r in files.values())


def test_parquet_page_checksums_are_written(make_cfg, tmp_path):
    run(make_cfg(FAST), tmp_path)
    part = next((tmp_path / "trajectories").glob("*.parquet"))
    column = pq.ParquetFile(part).metadata.row_group(0).column(0)
    # a page whose bytes changed is refused when read with verification, not returned
    data = bytearray(part.read_bytes())
    data[column.data_page_offset + column.total_compressed_size - 1] ^= 0x01
    part.write_bytes(bytes(data))
    with pytest.raises(RunDataError, match="unreadable part file"):
        read_trajectories(tmp_path)


# -- verify --------------------------------------------------------------------------------


def test_verify_fails_on_an_incomplete_run_and_recomputes_only_what_was_asked(
    make_cfg, tmp_path, capsys
):
    run(make_cfg(CHUNKED), tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    for chunk in manifest["chunks"][1:]:
        chunk["status"] = "pending"
        rundir.remove_chunk_files(tmp_path, chunk["index"])
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert verify_mod.main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.count("missing (never finished") == len(manifest["chunks"]) - 1
    assert "FAILED: 2 trajectories recomputed" in out  # only the finished chunk
    assert verify_mod.main([str(tmp_path), "--sample", "1"]) == 1
    assert "FAILED: 1 trajectories recomputed" in capsys.readouterr().out


def test_verify_fails_on_extra_rows_and_extra_files(make_cfg, tmp_path, capsys):
    run(make_cfg(CHUNKED), tmp_path)
    shutil.copy(
        tmp_path / "history/part-000000-0.parquet", tmp_path / "history/part-000001-7.parquet"
    )
    assert verify_mod.main([str(tmp_path)]) == 1
    assert "part-000001-7.parquet is not one of the chunk's files" in capsys.readouterr().out
    (tmp_path / "history/part-000001-7.parquet").unlink()
    (tmp_path / "trajectories/notes.txt").write_text("hello")
    assert verify_mod.main([str(tmp_path)]) == 1
    assert "notes.txt: a file this run did not write" in capsys.readouterr().out


def test_verify_on_a_multirun_directory_checks_every_job(make_cfg, tmp_path, capsys):
    for job in ("0", "1"):
        run(make_cfg(CHUNKED), tmp_path / job)
    assert verify_mod.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("OK: 6 trajectories recomputed") == 2
    _flip(next((tmp_path / "1" / "trajectories").glob("*.parquet")))
    assert verify_mod.main([str(tmp_path)]) == 1


def test_verify_on_a_file_or_an_empty_directory_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert verify_mod.main([str(tmp_path / "file")]) == 2
    (tmp_path / "empty").mkdir()
    assert verify_mod.main([str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("adagrad-lab-verify: error:") for line in err)


# -- faults end in one line -----------------------------------------------------------------


def test_a_full_disk_is_one_line_that_says_how_to_resume(make_cfg, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(runner.storage, "write_chunk", full)
    with pytest.raises(RunDirError, match=r"No space left on device.*resume"):
        run(make_cfg(FAST), tmp_path)


def test_a_directory_that_cannot_be_made_is_one_line(make_cfg, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunDirError, match="is not a directory"):
        run(make_cfg(FAST), tmp_path / "file")

    def denied(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(Path, "mkdir", denied)
    with pytest.raises(RunDirError, match="cannot create the run directory"):
        run(make_cfg(FAST), tmp_path / "new")


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["sweep.n_iter=ten"], "sweep.n_iter"),
        (["objective=nosuch"], "objective"),
        (["hydra.run.dir="], "hydra.run.dir"),
    ],
)
def test_hydras_own_errors_exit_2_in_one_line(tmp_path, args, key):
    done = run_cli([*FAST, *args], tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"adagrad-lab: error: {key}")
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_stops_in_one_line_and_the_same_command_resumes(tmp_path):
    args = ["objective=sphere", "optimizer.step_size=[0.01,0.1]", "sweep.seeds=3000"]
    args += [
        "sweep.n_iter=3000",
        "run.chunk_size=500",
        "run.progress=false",
        "echo=none",
        "report.enabled=false",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "adagrad_lab", *args, "hydra.run.dir=run"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    manifest = tmp_path / "run" / "manifest.json"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if any(c["status"] == "done" for c in json.loads(manifest.read_text())["chunks"]):
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0] and "resume" in lines[0]
    kept = sum(c["status"] == "done" for c in json.loads(manifest.read_text())["chunks"])
    resumed = run_cli([*args, "hydra.run.dir=run"], tmp_path)
    assert resumed.returncode == 0
    said = f"resuming: kept {kept} of 12 chunks (their files match the manifest); computing"
    assert said in resumed.stderr, resumed.stderr
    assert run_cli([*args, "hydra.run.dir=clean"], tmp_path).returncode == 0
    assert_same_results(tmp_path / "clean", tmp_path / "run")


def test_running_a_finished_run_again_says_it_kept_everything(make_cfg, tmp_path, capsys):
    chunked = [*FAST, "run.chunk_size=2"]
    run(make_cfg(chunked), tmp_path / "run")
    assert "resuming" not in capsys.readouterr().err  # a fresh run resumes nothing
    run(make_cfg(chunked), tmp_path / "run")
    err = capsys.readouterr().err
    assert "resuming: kept 3 of 3 chunks" in err and "nothing left to compute" in err, err


def test_the_compile_notice_says_what_the_wait_is_for(make_cfg, monkeypatch, capsys):
    from adagrad_lab.sweep.validate import make_plan

    monkeypatch.setattr(runner, "COMPILE_NOTICE_S", 0.0)
    with runner._slow_compile_notice(make_plan(make_cfg(FAST))):
        time.sleep(0.2)
    assert "compiling the kernel (first run" in capsys.readouterr().err


def test_counters_read_as_nullable_integers_and_a_missing_history_is_one_line(make_cfg, tmp_path):
    run(
        make_cfg([*FAST, "objective=sphere", "sweep.target=0.5", "record.schedule=final"]), tmp_path
    )
    traj = read_trajectories(tmp_path)
    assert traj["iters_to_target"].dtype == pd.Int32Dtype()
    assert traj["diverged_at"].dtype == pd.Int32Dtype()
    assert traj["diverged_at"].isna().all() and traj["iters_to_target"].notna().any()
    with pytest.raises(RunDataError, match="no history"):
        read_history(tmp_path)


OBJECTIVE = """
def value_and_grad(x, grad):
    f = 0.0
    for i in range(x.shape[0]):
        f += SCALE * x[i] * x[i]
        grad[i] = 2.0 * SCALE * x[i]
    return f


SCALE = 1.0
"""


def test_an_edited_custom_objective_is_another_config(tmp_path):
    (tmp_path / "my_obj.py").write_text(OBJECTIVE)
    args = [*FAST, "objective=custom", "objective.target=my_obj.value_and_grad"]
    args += ["objective.bounds=[-1,1]", "hydra.run.dir=run"]
    assert run_cli(args, tmp_path).returncode == 0
    source = read_manifest(tmp_path / "run")["objective_source"]
    assert source["file"] == str((tmp_path / "my_obj.py").resolve())
    assert source["target"] == "my_obj.value_and_grad" and len(source["sha256"]) == 64
    before = read_trajectories(tmp_path / "run")
    (tmp_path / "my_obj.py").write_text(OBJECTIVE.replace("SCALE = 1.0", "SCALE = 2.0"))
    done = run_cli(args, tmp_path)
    assert done.returncode == 2 and "another config" in done.stderr
    assert read_trajectories(tmp_path / "run").equals(before)
    assert run_cli([*args, "run.overwrite=true"], tmp_path).returncode == 0
    after = read_trajectories(tmp_path / "run")
    assert (after["f_final"] != before["f_final"]).any()


# the report of a finished run interrupted by a real SIGINT: write_report raises it on call N
INTERRUPT_REPORT = """
import os, signal, time
from pathlib import Path
import adagrad_lab.report.page as page

calls = []
def interrupted(paths, out_dir):
    calls.append(1)
    if len(calls) == int(os.environ["INTERRUPT_CALL"]):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    return Path(out_dir) / "index.html"  # no figures in this test

page.write_report = interrupted
from adagrad_lab.commands.run import main
main()
"""


@pytest.mark.parametrize(
    ("flags", "args", "call", "where"),
    [
        ([], ["hydra.run.dir=run"], 1, "run"),  # a run's own report
        # the multirun's (its jobs write none: report.jobs=false)
        (["-m"], ["hydra.sweep.dir=sweep", "sweep.seeds=2,3"], 1, "sweep"),
    ],
)
def test_ctrl_c_during_the_report_says_the_results_are_complete(tmp_path, flags, args, call, where):
    report_on = [a for a in FAST if not a.startswith("report.")]
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPT_REPORT, *flags, *report_on, *args],
        cwd=tmp_path,
        env={**os.environ, "INTERRUPT_CALL": str(call)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 130, done.stderr
    lines = done.stderr.replace(f"{tmp_path}/", "").strip().splitlines()  # paths as given
    assert len(lines) == 1, done.stderr
    assert "interrupted" in lines[0] and "resume" not in lines[0]
    assert f"results in {where} are complete" in lines[0]
    assert f"adagrad-lab-report {where} writes the report" in lines[0]
    manifests = list(tmp_path.glob("**/manifest.json"))
    assert manifests and all(
        all(c["status"] == "done" for c in json.loads(m.read_text())["chunks"]) for m in manifests
    )
    assert verify_mod.main([str(tmp_path / where)]) == 0


def test_ctrl_c_during_a_reruns_report_says_how_to_write_it(
    make_cfg, tmp_path, monkeypatch, capsys
):
    import adagrad_lab.report.page as page

    run(make_cfg(FAST), tmp_path / "run")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(page, "write_report", interrupted)
    out = tmp_path / "again"
    capsys.readouterr()
    assert rerun.main([str(tmp_path / "run"), "report.enabled=true", "--out", str(out)]) == 130
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("adagrad-lab-rerun: error: interrupted"), lines
    assert f"results in {out} are complete" in lines[-1] and "resume" not in lines[-1]
    assert f"adagrad-lab-report {out} writes the report" in lines[-1]
    assert verify_mod.main([str(out)]) == 0
