"""Which runs verify, rerun and report act on (issue 18): a run, a multirun, or, only with
--recursive, every run below a folder; each command names every run it found first."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FAST

from adagrad_lab.commands import report as report_mod
from adagrad_lab.commands import rerun as rerun_mod
from adagrad_lab.commands import verify as verify_mod
from adagrad_lab.commands.run import run


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> list[Path]:
    """Four finished runs of the FAST sweep, with 3, 4, 5 and 6 seeds; copy before use."""
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    from adagrad_lab.sweep.schema import register

    register()
    where = tmp_path_factory.mktemp("made")
    for seeds in (3, 4, 5, 6):
        GlobalHydra.instance().clear()
        with initialize_config_module(config_module="adagrad_lab.conf", version_base="1.3"):
            cfg = compose(config_name="config", overrides=[*FAST, f"sweep.seeds={seeds}"])
        run(cfg, where / str(seeds))
    GlobalHydra.instance().clear()
    return [where / str(seeds) for seeds in (3, 4, 5, 6)]


@pytest.fixture(scope="module")
def one_run(made) -> Path:
    return made[0]


def tree(path: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(path)): p.read_bytes() if p.is_file() else None for p in path.rglob("*")
    }


def found_lines(err: str, prog: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(f"{prog}: found run ")]


@pytest.fixture
def stray(one_run, tmp_path) -> Path:
    """A folder that is not a run, with a run in a folder below it (as /tmp may hold one)."""
    shutil.copytree(one_run, tmp_path / "other")
    return tmp_path


def call(prog: str, argv: list[str]) -> int:
    """The command's exit code, whether it returns it or exits with it."""
    main = {"verify": verify_mod.main, "rerun": rerun_mod.main, "report": report_mod.main}[prog]
    try:
        code = main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return int(code or 0)


@pytest.mark.parametrize("prog", ["verify", "rerun", "report"])
def test_a_folder_that_is_not_a_run_is_one_line_exit_2_nothing_written(stray, capsys, prog):
    before = tree(stray)
    argv = [str(stray)] + (["--out", str(stray / "out")] if prog != "verify" else [])
    assert call(prog, argv) == 2
    done = capsys.readouterr()
    lines = done.err.strip().splitlines()
    assert len(lines) == 1, done.err
    assert lines[0].startswith(f"adagrad-lab-{prog}: error: {stray}: ")
    assert "--recursive" in lines[0]  # says what to pass instead
    assert done.out == "" and "OK" not in done.out
    assert tree(stray) == before


@pytest.mark.parametrize("prog", ["verify", "rerun", "report"])
def test_recursive_finds_the_run_below_and_names_it_first(stray, tmp_path, capsys, prog):
    argv = [str(stray), "--recursive"]
    if prog != "verify":
        argv += ["--out", str(tmp_path / "out")]
    assert call(prog, argv) == 0
    done = capsys.readouterr()
    assert found_lines(done.err, f"adagrad-lab-{prog}") == [
        f"adagrad-lab-{prog}: found run {stray / 'other'}"
    ]
    if prog == "rerun":  # the rerun keeps the path below the folder searched
        assert (tmp_path / "out" / "other" / "manifest.json").is_file()


@pytest.mark.parametrize("prog", ["verify", "rerun", "report"])
def test_each_job_of_a_multirun_is_named(made, tmp_path, capsys, prog):
    sweep = tmp_path / "sweep"
    for job, source in zip(("0", "1", "10", "2"), made, strict=True):
        shutil.copytree(source, sweep / job)
    argv = [str(sweep)] + (["--out", str(tmp_path / "out")] if prog != "verify" else [])
    assert call(prog, argv) == 0
    names = found_lines(capsys.readouterr().err, f"adagrad-lab-{prog}")
    assert names == [f"adagrad-lab-{prog}: found run {sweep / j}" for j in ("0", "1", "2", "10")]


def test_a_run_itself_is_named_too(one_run, capsys):
    assert verify_mod.main([str(one_run)]) == 0
    done = capsys.readouterr()
    found = found_lines(done.err, "adagrad-lab-verify")
    assert found == [f"adagrad-lab-verify: found run {one_run}"]
    assert "OK: 6 trajectories recomputed" in done.out


def test_job_folders_need_numbers_without_multirun_yaml(one_run, tmp_path):
    from adagrad_lab.store import discover

    shutil.copytree(one_run, tmp_path / "0")
    shutil.copytree(one_run, tmp_path / "notes" / "deep")  # not a job number: not a job
    assert discover.find_runs(tmp_path).runs == [tmp_path / "0"]
    recursive = discover.find_runs(tmp_path, recursive=True).runs
    assert recursive == [tmp_path / "0", tmp_path / "notes" / "deep"]


def test_recursive_reports_the_missing_jobs_of_each_multirun_below(one_run, tmp_path, capsys):
    for sweep in ("a", "b"):
        for job in ("0", "1"):
            shutil.copytree(one_run, tmp_path / sweep / job)
        (tmp_path / sweep / "multirun.yaml").write_text("hydra: {}\n")
    shutil.rmtree(tmp_path / "b" / "0")
    assert verify_mod.main([str(tmp_path), "--recursive"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith(f"{tmp_path / 'b'}: PROBLEM job 0 of at least 2") for line in out)
    assert out[-1] == f"{tmp_path / 'b'}: FAILED: 1 job(s) missing from the multirun"
    assert sum(": OK: " in line for line in out) == 3


@pytest.mark.parametrize("prog", ["verify", "rerun", "report"])
def test_the_help_says_what_recursive_does(capsys, prog):
    assert call(prog, ["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--recursive" in text and "below" in text
