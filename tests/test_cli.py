"""The command line: the tutorial's output, the default sweep, bad input, another directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import FAST, run_cli
from naive import tutorial_adagrad, tutorial_derivative, tutorial_objective

import adagrad_lab
from adagrad_lab import read_history, read_trajectories
from adagrad_lab.commands.run import run
from adagrad_lab.sweep.plan import ConfigError
from adagrad_lab.sweep.validate import make_plan

# the tutorial's first and last printed lines, as the tutorial printed them
FIRST = ">0 f([-0.06595599  0.34064899]) = 0.12039"
LAST = ">49 f([-5.90360555e-19  3.21927835e-04]) = 0.00000"


def test_tutorial_prints_the_tutorial_lines_and_stores_its_iterates(make_cfg, tmp_path, capsys):
    run(make_cfg(["experiment=tutorial", "run.progress=false"]), tmp_path)
    out = capsys.readouterr().out.splitlines()
    np.random.seed(1)
    bounds = np.asarray([[-1.0, 1.0], [-1.0, 1.0]])
    expected_lines: list[str] = []
    *_, solutions = tutorial_adagrad(
        tutorial_objective, tutorial_derivative, bounds, 50, 0.1, report=expected_lines.append
    )
    assert out[0] == FIRST and out[49] == LAST
    assert out[:50] == expected_lines
    assert out[50] == "Done!"
    assert out[51] == "f([-5.90360555e-19  3.21927835e-04]) = 0.000000"
    hist = read_history(tmp_path)
    stored = np.stack(hist["x"].to_numpy()[1:])
    assert stored.tobytes() == np.asarray(solutions).tobytes()


def test_default_sweep_runs_and_writes_the_contract(make_cfg, tmp_path, capsys):
    cfg = make_cfg(["run.progress=false", "sweep.n_iter=50"])
    result = run(cfg, tmp_path)
    traj = read_trajectories(tmp_path)
    assert result.n_trajectories == 100 * 13 == len(traj)
    assert traj["step_size"].nunique() == 13
    assert (traj.groupby("seed")["x0"].apply(lambda s: len({tuple(x) for x in s})) == 1).all()
    assert "results:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["objective.name=nosuch"], "objective.name"),
        (["optimizer.step_size=-1"], "optimizer.step_size"),
        (["optimizer.step_size=0"], "optimizer.step_size"),
        (["optimizer.step_size=nan"], "optimizer.step_size"),
        (["optimizer.step_size=inf"], "optimizer.step_size"),
        (["optimizer.step_size=[]"], "optimizer.step_size"),
        (["optimizer.step_size=[0.1,-2]"], "optimizer.step_size"),
        (["optimizer.step_size=abc"], "optimizer.step_size"),
        (["optimizer.eps=-1e-8"], "optimizer.eps"),
        (["sweep.seeds=0"], "sweep.seeds"),
        (["sweep.seeds=[]"], "sweep.seeds"),
        (["sweep.seeds=[1,1]"], "sweep.seeds"),
        (["sweep.n_iter=0"], "sweep.n_iter"),
        (["objective.bounds=[1,-1]"], "objective.bounds"),
        (["objective.bounds=[1,1]"], "objective.bounds"),
        (["objective.bounds=[0,1,2]"], "objective.bounds"),
        (["objective=beale", "objective.dim=3"], "objective.dim"),
        (["objective=rosenbrock", "objective.dim=1"], "objective.dim"),
        (["objective.dim=0"], "objective.dim"),
        (["start=fixed", "start.point=[1,2,3]"], "start.point"),
        (["start.point=[1,2]"], "start.point"),
        (["record.every=0"], "record.every"),
        (["record.schedule=sometimes"], "record.schedule"),
        (["record.points_per_decade=0"], "record.points_per_decade"),
        (["sweep.target=inf"], "sweep.target"),
        (["run.threads=100000"], "run.threads"),
        (["run.chunk_size=0"], "run.chunk_size"),
        (["echo=loud"], "echo"),
        (["echo=tutorial"], "echo"),
        (["objective=sphere", "objective.log10_condition=3"], "objective.log10_condition"),
        (["objective=custom"], "objective.target"),
        (["objective=custom", "objective.target=no.such.module.fn"], "objective.target"),
        (
            ["objective=custom", "objective.target=math.nosuch", "objective.bounds=[0,1]"],
            "objective.target",
        ),
        (["optimizer=gd", "optimizer.step_size=${logspace:1,0.1,0}"], "optimizer.step_size"),
    ],
)
def test_bad_values_name_their_key(make_cfg, overrides, key):
    with pytest.raises(ConfigError) as err:
        make_plan(make_cfg(overrides))
    assert err.value.key == key
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["optimizer.step_size=-1"], 2, "optimizer.step_size"),
        (["objective=booth", "objective.dim=5"], 2, "objective.dim"),
        (["sweep.seeds=[]"], 2, "sweep.seeds"),
        (["no_such_key=1"], 2, "no_such_key"),
        (["sweep.n_iter=abc"], 2, "sweep.n_iter"),
        (["objective=nosuch"], 2, "objective"),
    ],
)
def test_bad_input_exit_code_one_line_nothing_written(tmp_path, args, code, text):
    """Ours and Hydra's own errors alike: exit code 2, one line naming the key, no files."""
    done = run_cli(args, cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert text in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_console_script_runs_from_another_directory(tmp_path):
    script = Path(sys.executable).with_name("adagrad-lab")
    assert script.exists(), "the console script is installed with the package"
    done = run_cli([*FAST, "objective=booth", "hydra.run.dir=out"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    import subprocess

    same = subprocess.run(
        [str(script), *FAST, "objective=booth", "hydra.run.dir=out2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert same.returncode == 0, same.stderr
    a, b = read_trajectories(tmp_path / "out"), read_trajectories(tmp_path / "out2")
    assert a.equals(b)
    shutil.rmtree(tmp_path / "out")


def test_the_command_starts_without_pandas_and_the_library_still_offers_it():
    """pandas (0.3 s) loads when results are read, not when the command starts; the
    package's pandas-backed names are there on first use."""
    code = (
        "import sys, adagrad_lab.commands.run\n"
        "before = 'pandas' in sys.modules\n"
        "import adagrad_lab\n"
        "print(before, adagrad_lab.load.__module__, adagrad_lab.Results.__name__,\n"
        "      adagrad_lab.analysis.__name__, 'pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [
        "False", "adagrad_lab.store.results", "Results", "adagrad_lab.analysis", "True",
    ]  # fmt: skip
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        adagrad_lab.nope  # noqa: B018


FIXED = [*FAST, "start=fixed", "start.point=[0.5,-0.25]"]


@pytest.mark.parametrize("dry", [False, True])
def test_a_fixed_start_with_many_seeds_says_they_are_identical(make_cfg, tmp_path, capsys, dry):
    run(make_cfg([*FIXED, f"run.dry_run={str(dry).lower()}"]), tmp_path / "run")
    lines = [line for line in capsys.readouterr().err.splitlines() if "start=fixed" in line]
    assert len(lines) == 1, lines
    assert lines[0].startswith("adagrad-lab: warning: start=fixed with sweep.seeds=3")
    assert "identical" in lines[0] and "sweep.seeds=1" in lines[0] and "start=uniform" in lines[0]


@pytest.mark.parametrize(
    "overrides", [[*FIXED, "sweep.seeds=1"], [*FIXED, "sweep.seeds=[7]"], FAST]
)
def test_no_identical_seed_warning_where_seeds_differ_or_there_is_one(
    make_cfg, tmp_path, capsys, overrides
):
    run(make_cfg(overrides), tmp_path / "run")
    assert "warning" not in capsys.readouterr().err
