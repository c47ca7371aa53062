"""Nothing incomplete called OK (issue 20): a multirun lacking jobs, a report into a file, a
rerun of a run whose manifest is damaged, a user objective that fills no gradient."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FAST, run_cli

from adagrad_lab import read_manifest
from adagrad_lab.commands import report as report_mod
from adagrad_lab.commands import rerun as rerun_mod
from adagrad_lab.commands import verify as verify_mod
from adagrad_lab.store import sweep_dir
from adagrad_lab.store.sweep_dir import MissingJob, missing_jobs

# four jobs: two seed counts (a sweep of a key FAST sets too: the last override wins, as in
# Hydra's basic sweeper) times two objectives
SWEEP = [*FAST, "sweep.seeds=2,3", "objective=sphere,booth"]
JOBS = 4


def tree(path: Path) -> dict[str, bytes | None]:
    """Every file under ``path`` with its bytes, and every folder (None), to tell that nothing
    changed and nothing was made."""
    return {
        str(p.relative_to(path)): p.read_bytes() if p.is_file() else None for p in path.rglob("*")
    }


@pytest.fixture(scope="module")
def multirun(tmp_path_factory) -> Path:
    """A real four-job Hydra multirun (basic sweeper, jobs in folders 0..3); copy before use."""
    where = tmp_path_factory.mktemp("multirun")
    done = run_cli(["-m", "hydra.sweep.dir=sweep", *SWEEP], where)
    assert done.returncode == 0, done.stderr
    sweep = where / "sweep"
    assert sorted(p.parent.name for p in sweep.glob("*/manifest.json")) == ["0", "1", "2", "3"]
    return sweep


@pytest.fixture
def damaged(multirun, tmp_path) -> Path:
    """A copy of the multirun whose job 1 folder is gone and whose job 2 lost its manifest."""
    sweep = tmp_path / "sweep"
    shutil.copytree(multirun, sweep)
    shutil.rmtree(sweep / "1")
    (sweep / "2" / "manifest.json").unlink()
    return sweep


def assert_names_the_missing_jobs(lines: list[str], sweep: Path) -> None:
    """One line for job 1 (no folder) and one for job 2 (no manifest), each with its path."""
    assert len(lines) == 2, lines
    gone, empty = lines
    assert f"job 1 of {JOBS} is missing ({sweep / '1'}): no such folder" in gone
    assert f"job 2 of {JOBS} is missing ({sweep / '2'}): no manifest.json in it" in empty


# -- verify ------------------------------------------------------------------------------------


def test_verify_of_the_whole_multirun_is_ok(multirun, capsys):
    assert verify_mod.main([str(multirun)]) == 0
    out = capsys.readouterr().out
    assert "PROBLEM" not in out and "missing" not in out
    assert out.count(": OK: ") == JOBS


def test_verify_fails_on_a_multirun_lacking_jobs_and_checks_the_others(damaged, capsys):
    assert verify_mod.main([str(damaged)]) == 1
    out = capsys.readouterr().out.splitlines()
    problems = [line for line in out if line.startswith(f"{damaged}: PROBLEM")]
    assert_names_the_missing_jobs(problems, damaged)
    for job in ("0", "3"):  # the other jobs are still recomputed, and are OK
        assert any(line.startswith(f"{damaged / job}: OK: ") for line in out), out
    assert out[-1] == f"{damaged}: FAILED: 2 job(s) missing from the multirun"


@pytest.mark.parametrize("damage", ["folder", "manifest"])
def test_one_missing_job_alone_fails_verify(multirun, tmp_path, capsys, damage):
    sweep = tmp_path / "sweep"
    shutil.copytree(multirun, sweep)
    if damage == "folder":
        shutil.rmtree(sweep / "3")  # the last job: only multirun.yaml says it should be there
    else:
        (sweep / "3" / "manifest.json").unlink()
    assert verify_mod.main([str(sweep)]) == 1
    out = capsys.readouterr().out
    assert out.count("PROBLEM") == 1 and f"job 3 of {JOBS} is missing ({sweep / '3'})" in out
    assert out.count(": OK: ") == JOBS - 1


def test_verify_of_a_multirun_with_no_job_left_fails(multirun, tmp_path, capsys):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    shutil.copy(multirun / "multirun.yaml", sweep)
    assert verify_mod.main([str(sweep)]) == 1
    out = capsys.readouterr().out
    assert out.count("PROBLEM") == JOBS and f"FAILED: {JOBS} job(s) missing" in out


# -- report ------------------------------------------------------------------------------------


def test_report_of_a_multirun_lacking_jobs_warns_and_reports_the_others(damaged, tmp_path, capsys):
    out = tmp_path / "report"
    assert report_mod.main([str(damaged), "--out", str(out)]) is None  # exit 0
    done = capsys.readouterr()
    warnings = [line for line in done.err.splitlines() if "missing" in line]
    assert all(line.startswith("adagrad-lab-report: warning: ") for line in warnings)
    assert all(line.endswith("the report covers the other jobs") for line in warnings)
    assert_names_the_missing_jobs(warnings, damaged)
    index = out / "index.html"
    assert done.out.strip() == str(index) and index.is_file()
    text = index.read_text()
    for job in ("0", "3"):
        assert f"{damaged / job}<" in text
    for job in ("1", "2"):
        assert f"{damaged / job}<" not in text


@pytest.mark.parametrize("where", ["out", "out/sub", "default"])
def test_report_into_an_existing_file_is_one_line_and_writes_nothing(
    multirun, tmp_path, capsys, where
):
    run_dir = tmp_path / "run"
    shutil.copytree(multirun / "0", run_dir)
    blocker = run_dir / "report" if where == "default" else tmp_path / "out"
    blocker.write_text("not a folder\n")
    before = tree(tmp_path)
    args = [run_dir] if where == "default" else [run_dir, "--out", tmp_path / where]
    with pytest.raises(SystemExit) as exit_:
        report_mod.main([str(a) for a in args])
    assert exit_.value.code == 2
    done = capsys.readouterr()
    lines = done.err.strip().splitlines()
    assert len(lines) == 1, done.err
    named = run_dir / "report" if where == "default" else tmp_path / where
    assert lines[0].startswith(f"adagrad-lab-report: error: {named}:")
    assert "exists and is not a directory" in lines[0]
    assert done.out == ""
    assert tree(tmp_path) == before  # the file untouched, nothing else written


# -- rerun -------------------------------------------------------------------------------------


def test_rerun_of_a_multirun_lacking_jobs_warns_and_reruns_the_others(damaged, tmp_path, capsys):
    out = tmp_path / "again"
    assert rerun_mod.main([str(damaged), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    found = [f"adagrad-lab-rerun: found run {damaged / job}" for job in ("0", "3")]
    assert [line for line in lines if "found run" in line] == found
    warnings = [line for line in lines if "found run" not in line]
    assert all(line.startswith("adagrad-lab-rerun: warning: ") for line in warnings)
    assert all(line.endswith("rerunning the other jobs") for line in warnings)
    assert_names_the_missing_jobs(warnings, damaged)
    assert sorted(p.name for p in out.iterdir()) == ["0", "3"]
    for job in ("0", "3"):
        assert f"rerun of {damaged / job}: {out / job}" in captured.out
        manifest = read_manifest(out / job)
        assert manifest["rerun_of"] == str((damaged / job).resolve())
        assert manifest["config"] == read_manifest(damaged / job)["config"]


def test_rerun_of_a_multirun_with_no_job_left_is_refused(multirun, tmp_path, capsys):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    shutil.copy(multirun / "multirun.yaml", sweep)
    assert rerun_mod.main([str(sweep), "--out", str(tmp_path / "again")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == JOBS + 1 and "no job of the multirun is left" in err[-1]
    assert not (tmp_path / "again").exists()


GARBAGE = {
    "truncated": lambda text: text[: len(text) // 3],
    "garbage": lambda text: "\x00\x01 not json at all",
    "empty": lambda text: "",
    "not a mapping": lambda text: "[]",
}


@pytest.mark.parametrize("damage", list(GARBAGE))
def test_rerun_of_a_run_with_an_unreadable_manifest_says_so_and_records_it(
    multirun, tmp_path, capsys, damage
):
    run_dir = tmp_path / "run"
    shutil.copytree(multirun / "0", run_dir)
    config = read_manifest(run_dir)["config"]
    manifest = run_dir / "manifest.json"
    manifest.write_text(GARBAGE[damage](manifest.read_text()))
    out = tmp_path / "again"
    assert rerun_mod.main([str(run_dir), "--out", str(out)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[1:] == [f"adagrad-lab-rerun: found run {run_dir}"]  # then the run is named
    assert len(err) == 2, err
    assert err[0].startswith("adagrad-lab-rerun: warning: could not read the manifest")
    assert str(manifest) in err[0] and f"used {run_dir / 'config.yaml'} instead" in err[0]
    new = read_manifest(out)
    assert new["config"] == config  # from config.yaml alone, the same run
    origin = new["rerun_of"]
    assert origin["run"] == str(run_dir.resolve())
    assert origin["note"] == "manifest unreadable: used config.yaml"
    assert str(manifest) in origin["reason"] and "\n" not in origin["reason"]
    assert verify_mod.main([str(out)]) == 0


# -- a user objective that fills no gradient ----------------------------------------------------

USER = """
import numba


def no_grad(x, grad):
    f = 0.0
    for i in range(x.shape[0]):
        f += x[i] * x[i]
    return f


def accumulates(x, grad):
    f = 0.0
    for i in range(x.shape[0]):
        f += x[i] * x[i]
        grad[i] += 2.0 * x[i]
    return f


def first_only(x, grad):
    grad[0] = 2.0 * x[0]
    return x[0] * x[0]


@numba.njit
def five_dims(x, grad):
    for i in range(5):
        grad[i] = 2.0 * i
    return 1.0


def five_dims_plain(x, grad):
    for i in range(5):
        grad[i] = 2.0 * i
    return 1.0


def infinite(x, grad):
    for i in range(x.shape[0]):
        grad[i] = float("inf")
    return 0.0
"""

BAD_GRADIENTS = {
    "no_grad": "left every entry of grad unwritten",
    "accumulates": "left every entry of grad unwritten",  # += reads the marked NaN
    "first_only": "left grad[1], grad[2] of 3 unwritten",
    "five_dims": "wrote past the end of grad (length 3: is it written for another dimension?)",
    "five_dims_plain": "raised IndexError",
    "infinite": "wrote a non-finite gradient (grad[0] = inf",
}


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("user")
    (where / "bad_gradients.py").write_text(USER)
    return where


@pytest.mark.parametrize("function", list(BAD_GRADIENTS))
def test_a_user_objective_that_fills_no_gradient_is_refused_in_one_line(user_dir, function):
    target = f"bad_gradients.{function}"
    out = user_dir / f"out_{function}"
    args = [*FAST, "objective=custom", f"objective.target={target}", "objective.dim=3"]
    done = run_cli([*args, "objective.bounds=[-1,1]", f"hydra.run.dir={out}"], user_dir)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("adagrad-lab: error: objective.target: ")
    assert BAD_GRADIENTS[function] in lines[0]
    if function == "five_dims_plain":  # plain Python: numpy's bounds check tells first
        assert f"calling {target} at x=" in lines[0] and "length d = 3" in lines[0]
    else:
        assert f"objective.target: {target} " in lines[0]
        assert "it must write the gradient into grad in place" in lines[0]
    assert not out.exists()  # nothing written


# -- which jobs a multirun should hold ---------------------------------------------------------


def test_a_run_directory_and_a_folder_without_multirun_yaml_have_no_missing_jobs(
    multirun, tmp_path
):
    assert missing_jobs(multirun / "0") == []
    assert missing_jobs(multirun) == []
    plain = tmp_path / "plain"
    shutil.copytree(multirun / "0", plain / "0")  # jobs 1.. never were: nothing says they should
    assert missing_jobs(plain) == []
    assert missing_jobs(tmp_path / "nothing") == []


def test_missing_jobs_of_the_real_multirun(damaged):
    jobs = missing_jobs(damaged)
    assert [(j.number, j.path) for j in jobs] == [(1, damaged / "1"), (2, damaged / "2")]
    assert all(isinstance(j, MissingJob) and "\n" not in j.line for j in jobs)


def _fake_multirun(path: Path, hydra: dict, jobs: list[str]) -> Path:
    """A multirun.yaml with this hydra section, and job folders holding a manifest.json."""
    path.mkdir(parents=True)
    (path / sweep_dir.MULTIRUN_YAML).write_text(json.dumps({"hydra": hydra}))
    for job in jobs:
        (path / job).mkdir()
        (path / job / "manifest.json").write_text("{}")
    return path


BASIC = {"_target_": sweep_dir.BASIC_SWEEPER, "params": None}


@pytest.mark.parametrize(
    ("hydra", "jobs", "lines"),
    [
        # the basic sweeper: its overrides say how many jobs, the last one included
        (
            {"sweeper": BASIC, "overrides": {"task": ["a=1,2,3", "b=x,y"]}},
            ["0", "1", "2", "3", "4"],
            ["job 5 of 6 is missing"],
        ),
        # the sweeper's params sweep too; a later override of the same key wins
        (
            {
                "sweeper": {**BASIC, "params": {"a": "1,2", "b": "3,4"}},
                "overrides": {"task": ["b=5"]},
            },
            ["1"],
            ["job 0 of 2 is missing"],
        ),
        # an experiment's params: group choices times list values
        (
            {
                "sweeper": {
                    **BASIC,
                    "params": {"optimizer": "a,b", "objective.bounds": "[-1.0,1.0],[-0.1,0.1]"},
                },
                "overrides": {"task": ["experiment=conventions"]},
            },
            ["0", "1", "2"],
            ["job 3 of 4 is missing"],
        ),
        # another sweeper: the numbering alone, up to the highest job found
        (
            {"sweeper": {"_target_": "x.Other"}, "overrides": {"task": ["a=1,2,3"]}},
            ["0", "2"],
            ["job 1 of at least 3 is missing"],
        ),
        # folders named job_N
        (
            {
                "sweeper": BASIC,
                "overrides": {"task": ["a=1,2"]},
                "sweep": {"subdir": "job_${hydra.job.num}"},
            },
            ["job_0"],
            ["job 1 of 2 is missing"],
        ),
        # not named by number: only how many are missing
        (
            {
                "sweeper": BASIC,
                "overrides": {"task": ["a=1,2,3"]},
                "sweep": {"subdir": "${hydra.job.override_dirname}"},
            },
            ["a=1", "a=3"],
            ["1 of 3 jobs are missing"],
        ),
        # every job there
        ({"sweeper": BASIC, "overrides": {"task": ["a=1,2"]}}, ["0", "1"], []),
    ],
)
def test_missing_jobs_from_multirun_yaml(tmp_path, hydra, jobs, lines):
    sweep = _fake_multirun(tmp_path / "sweep", hydra, jobs)
    found = missing_jobs(sweep)
    assert len(found) == len(lines)
    for job, line in zip(found, lines, strict=True):
        assert line in job.line and "\n" not in job.line


def test_a_damaged_multirun_yaml_falls_back_on_the_numbering(tmp_path):
    sweep = _fake_multirun(tmp_path / "sweep", {}, ["0", "2"])
    (sweep / sweep_dir.MULTIRUN_YAML).write_text("hydra: [unclosed\n")
    (job,) = missing_jobs(sweep)
    assert job.number == 1 and "of at least 3" in job.line


def test_a_multirun_not_named_by_number_is_one_count_line(tmp_path, capsys):
    """A real multirun into ${hydra.job.override_dirname} folders, one of them deleted."""
    subdir = "hydra.sweep.subdir=${hydra.job.override_dirname}"
    done = run_cli(
        ["-m", "hydra.sweep.dir=sweep", subdir, *FAST, "objective=sphere,booth"], tmp_path
    )
    assert done.returncode == 0, done.stderr
    sweep = tmp_path / "sweep"
    folders = sorted(p.parent for p in sweep.glob("*/manifest.json"))
    assert len(folders) == 2 and not any(p.name.isdigit() for p in folders)
    assert missing_jobs(sweep) == []
    shutil.rmtree(folders[0])
    (job,) = missing_jobs(sweep)
    assert job.number is None and job.path == sweep
    assert job.line.startswith(f"1 of 2 jobs are missing ({sweep}): only 1 hold a manifest.json")
    assert "hydra.sweep.subdir=${hydra.job.override_dirname} does not say which" in job.line
    assert verify_mod.main([str(sweep)]) == 1
    out = capsys.readouterr().out
    assert f"{sweep}: PROBLEM {job.line}" in out and out.count(": OK: ") == 1
