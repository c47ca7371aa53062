"""The named studies of experiments/: they compose, and hold what their headers promise.

Composition (Hydra's compose API, as the CLI composes them), and dry runs: no study runs here.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from conftest import run_cli
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

import adagrad_lab as al
from adagrad_lab import analysis
from adagrad_lab.commands import help_text
from adagrad_lab.sweep.schema import register


@pytest.fixture
def compose_with_hydra():
    """compose(overrides) -> the config with its ``hydra`` node, from the packaged tree."""
    register()

    def _compose(overrides=()):
        GlobalHydra.instance().clear()
        with initialize_config_module(config_module="adagrad_lab.conf", version_base="1.3"):
            return compose("config", overrides=list(overrides), return_hydra_config=True)

    yield _compose
    GlobalHydra.instance().clear()


def test_lr_sensitivity_is_one_multirun_over_optimizers_objectives_and_step_sizes(
    compose_with_hydra,
):
    # `adagrad-lab -m experiment=lr_sensitivity` is the whole command: the sweep is inside
    cfg = compose_with_hydra(["experiment=lr_sensitivity"])
    params = OmegaConf.to_container(cfg.hydra.sweeper.params)
    assert isinstance(params, dict)
    axes = {key: [v.strip() for v in str(value).split(",")] for key, value in params.items()}
    assert sorted(axes["optimizer"]) == ["adagrad", "gd"]
    assert sorted(axes["objective"]) == ["ellipsoid", "rosenbrock", "sphere"]
    # each job of the multirun: the sweep's values for its optimizer and objective
    for optimizer, objective in itertools.product(axes["optimizer"], axes["objective"]):
        job = compose_with_hydra(
            ["experiment=lr_sensitivity", f"optimizer={optimizer}", f"objective={objective}"]
        )
        assert job.optimizer.name == optimizer and job.objective.name == objective
        steps = np.asarray(OmegaConf.to_container(job.optimizer.step_size, resolve=True))
        assert steps.size >= 13
        assert steps.min() < 1e-6 and steps.max() > 1  # gd's range on the ellipsoid, AdaGrad's
        ratios = steps[1:] / steps[:-1]
        assert np.allclose(ratios, ratios[0]) and ratios[0] > 1  # log-spaced, increasing
        assert job.sweep.seeds == 100
        assert job.objective.dim == 2
    ellipsoid = compose_with_hydra(["experiment=lr_sensitivity", "objective=ellipsoid"])
    assert ellipsoid.objective.log10_condition == 6  # the condition gd's 1e-6 bound is for


def _sweeps(cfg) -> bool:
    return bool(OmegaConf.select(cfg, "hydra.sweeper.params", default=None))


@pytest.mark.parametrize("name", help_text.names("experiment"))
def test_an_experiment_that_sweeps_is_a_multirun_by_itself(compose_with_hydra, name):
    cfg = compose_with_hydra([f"experiment={name}"])
    mode = OmegaConf.select(cfg, "hydra.mode", default=None)
    assert (str(mode) == "RunMode.MULTIRUN" or mode == "MULTIRUN") == _sweeps(cfg), name


@pytest.mark.parametrize(
    ("name", "jobs"),
    [
        ("lr_sensitivity", 6),
        ("conventions", 24),
        ("sparse_logistic", 3),
        ("real_data", 10),
        ("b0_robustness", 2),
    ],
)
def test_a_multirun_experiment_runs_all_its_jobs_without_dash_m(tmp_path, name, jobs):
    # a dry run: every job composes and prints its size, nothing is computed or kept
    done = run_cli([f"experiment={name}", "run.dry_run=true"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("dry run: ") == jobs
    assert list(tmp_path.iterdir()) == []


def test_one_job_of_a_sweeping_config_is_one_warning_line(tmp_path):
    done = run_cli(["experiment=lr_sensitivity", "hydra.mode=RUN", "run.dry_run=true"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("dry run: ") == 1
    (line,) = [line for line in done.stderr.splitlines() if "warning" in line]
    assert line.startswith("adagrad-lab: warning: ") and "hydra.sweeper.params" in line
    assert "-m" in line


def _axes(cfg) -> dict[str, list[str]]:
    params = OmegaConf.to_container(cfg.hydra.sweeper.params)
    assert isinstance(params, dict)
    return {key: [v.strip() for v in str(value).split(",")] for key, value in params.items()}


def test_sparse_logistic_compares_three_rules_on_sparse_minibatched_data(compose_with_hydra):
    cfg = compose_with_hydra(["experiment=sparse_logistic"])
    axes = _axes(cfg)
    assert axes["objective"] == ["logistic"] and sorted(axes["optimizer"]) == [
        "adagrad",
        "adam",
        "gd",
    ]
    for optimizer in axes["optimizer"]:
        job = compose_with_hydra(
            ["experiment=sparse_logistic", "objective=logistic", f"optimizer={optimizer}"]
        )
        assert job.objective.data == "synthetic" and job.objective.density == 0.01
        assert job.objective.batch_size == 32 and job.record.test
        steps = np.asarray(OmegaConf.to_container(job.optimizer.step_size, resolve=True))
        assert steps.min() <= 1e-3 and steps.max() >= 1e3


def test_real_data_runs_the_four_conventions_and_adam_on_two_datasets(compose_with_hydra):
    cfg = compose_with_hydra(["experiment=real_data"])
    axes = _axes(cfg)
    assert sorted(axes["objective.data"]) == ["sklearn:breast_cancer", "sklearn:digits"]
    conventions = {"adagrad", "adagrad_torch", "adagrad_keras", "adagrad_optax"}
    assert set(axes["optimizer"]) == conventions | {"adam"}
    job = compose_with_hydra(["experiment=real_data", "objective=logistic", "optimizer=adam"])
    assert job.objective.standardize and job.objective.intercept and job.record.test


def _resolved(job, key: str) -> np.ndarray:
    """An optimizer hyperparameter of a composed job, interpolations resolved, as an array."""
    value = OmegaConf.to_container(job.optimizer, resolve=True)[key]
    return np.asarray(value, dtype=np.float64).reshape(-1)


def test_b0_robustness_pairs_each_rule_with_its_own_axis(compose_with_hydra, tmp_path):
    # one sweep axis, a group whose options each set the rule and its axis: 2 jobs, not 2 x 2
    cfg = compose_with_hydra(["experiment=b0_robustness"])
    assert _axes(cfg) == {"experiment/b0_rule": ["adagrad_norm", "gd"]}
    norm = compose_with_hydra(["experiment=b0_robustness", "experiment/b0_rule=adagrad_norm"])
    gd = compose_with_hydra(["experiment=b0_robustness", "experiment/b0_rule=gd"])
    assert norm.optimizer.name == "adagrad_norm" and gd.optimizer.name == "gd"
    for job in (norm, gd):
        assert job.objective.name == "least_squares" and job.objective.data == "synthetic"
        assert list(job.objective.batch_size) == [None, 16]  # full batch and minibatches, one job
        assert job.sweep.seeds == 10
    # AdaGrad-Norm: eta = 1 fixed, b0^2 log-spaced over at least 8 decades
    eta = _resolved(norm, "step_size")
    assert eta.tolist() == [1.0]
    b0_squared = _resolved(norm, "initial_accumulator")
    ratios = b0_squared[1:] / b0_squared[:-1]
    assert np.allclose(ratios, ratios[0]) and ratios[0] > 1
    assert np.log10(b0_squared[-1] / b0_squared[0]) >= 8
    # gradient descent: the step eta / b0 at every b0 of that grid, nothing else
    steps = np.sort(_resolved(gd, "step_size"))
    assert len(steps) == len(b0_squared)
    assert np.allclose(steps, np.sort(1.0 / np.sqrt(b0_squared)), rtol=1e-12)
    assert "initial_accumulator" not in gd.optimizer
    # the multirun's jobs, as the sweeper launches them: each rule once, 17 x 2 x 10 each
    done = run_cli(["experiment=b0_robustness", "run.dry_run=true"], tmp_path)
    assert done.returncode == 0, done.stderr
    launched = re.findall(r"#\d+ : (.*)", done.stdout + done.stderr)
    rules = sorted(re.search(r"experiment/b0_rule=(\w+)", job).group(1) for job in launched)
    assert rules == ["adagrad_norm", "gd"]
    assert done.stdout.count(f"dry run: {17 * 2 * 10} trajectories") == 2


@pytest.mark.slow  # two jobs of 680 short trajectories, and the comparison report
def test_b0_robustness_report_keeps_each_rule_on_its_own_axis(tmp_path):
    sweep = tmp_path / "sweep"
    args = ["experiment=b0_robustness", "sweep.seeds=2", "sweep.n_iter=20", "run.progress=false"]
    done = run_cli([*args, f"hydra.sweep.dir={sweep}"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no report" not in done.stdout + done.stderr
    assert (sweep / "report" / "index.html").exists()
    traj = al.load(sweep).trajectories
    norm, gd = traj[traj["optimizer"] == "adagrad_norm"], traj[traj["optimizer"] == "gd"]
    b0 = 10.0 ** np.arange(-4.0, 4.25, 0.5)  # the 17 values, two per decade
    assert np.allclose(np.sort(norm["initial_accumulator"].unique()), b0**2)
    assert norm["step_size"].unique().tolist() == [1.0]
    assert np.allclose(np.sort(gd["step_size"].unique()), 1.0 / b0[::-1])
    assert gd["initial_accumulator"].isna().all()
    assert sorted(traj["batch_size"].unique()) == [0, 16]
    # the report's groups: every grid point of each rule apart, its 2 seeds and no more
    by = analysis.default_by(traj)
    assert {"optimizer", "step_size", "initial_accumulator", "batch_size"} <= set(by)
    sizes = traj.groupby(by, dropna=False).size()
    assert len(sizes) == 2 * 17 * 2 and (sizes == 2).all()
    # its best step per group: gradient descent tuned over its steps, AdaGrad-Norm per b0
    best = analysis.best_step_size(traj)
    assert len(best[best["optimizer"] == "gd"]) == 2  # one per batch size
    assert len(best[best["optimizer"] == "adagrad_norm"]) == 17 * 2
