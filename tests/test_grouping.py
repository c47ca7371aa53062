"""No swept setting pooled: every hyperparameter the run swept is its own column and its own
rows in the console summary, the report's tables and the figures' legends; two paths of one
run count once; two runs that share every coordinate stay apart by ``job``."""

from __future__ import annotations

import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, run_cli
from test_report import _capture

from adagrad_lab import analysis, load, plots
from adagrad_lab.commands.run import run
from adagrad_lab.report import compare
from adagrad_lab.report import page as report_page
from adagrad_lab.report.summary import summary_table
from adagrad_lab.store.results import SameRunWarning

SEEDS = 3
INF = float("inf")
SWEEPS = {  # (overrides, the swept keys besides the step size, their combinations)
    "beta1": (["optimizer=adam", "optimizer.beta1=[0.5,0.9]"], ["beta1"], 2),
    "lr_decay": (["optimizer=adagrad_torch", "optimizer.lr_decay=[0,0.01]"], ["lr_decay"], 2),
    "amsgrad_beta2": (
        ["optimizer=adam", "optimizer.amsgrad=[false,true]", "optimizer.beta2=[0.99,0.999]"],
        ["beta2", "amsgrad"],
        4,
    ),
}


class _Tables(HTMLParser):
    """The page's tables as frames of text: a header row, then the body's rows."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _tables(index: Path) -> list[pd.DataFrame]:
    parser = _Tables()
    parser.feed(index.read_text())
    return [pd.DataFrame(rows[1:], columns=rows[0]) for rows in parser.tables]


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> dict[str, Path]:
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    from adagrad_lab.sweep.schema import register

    register()
    dirs = {}
    for name, (overrides, _, _) in SWEEPS.items():
        GlobalHydra.instance().clear()
        with initialize_config_module(config_module="adagrad_lab.conf", version_base="1.3"):
            cfg = compose(config_name="config", overrides=[*FAST, *overrides])
        dirs[name] = tmp_path_factory.mktemp(name)
        run(cfg, dirs[name])
    GlobalHydra.instance().clear()
    return dirs


@pytest.mark.parametrize("name", list(SWEEPS))
def test_the_summary_has_a_row_per_combination_of_the_swept_settings(swept, name):
    _, keys, combos = SWEEPS[name]
    table = summary_table(swept[name])
    assert table.index.names == ["step_size", *keys]
    assert len(table) == 2 * combos and (table["n"] == SEEDS).all()


@pytest.mark.parametrize("name", list(SWEEPS))
def test_the_report_tables_and_legends_tell_every_combination_apart(
    swept, name, tmp_path, monkeypatch
):
    _, keys, combos = SWEEPS[name]
    drawn = _capture(monkeypatch)
    index = report_page.write_report(swept[name], tmp_path)
    summaries = [t for t in _tables(index) if "median_f_final" in t.columns]
    best, every = summaries[0], summaries[-1]  # best per group, then every row
    for key in keys:
        assert key in best.columns and key in every.columns
    assert len(best) == combos and len(every) == 2 * combos
    assert (every["n"] == str(SEEDS)).all()
    for figure in ("convergence", "sensitivity"):
        fig = drawn[figure]
        labels = {
            str(line.get_label())
            for ax in fig.axes
            for line in ax.get_lines()
            if line.get_gid() not in ("floor", "ceiling") and not line.get_label().startswith("_")
        }
        assert len(labels) == combos, (figure, sorted(labels))
        if len(keys) > 1:  # each label names every key
            assert all(all(k in label for k in keys) for label in labels), sorted(labels)


def test_two_paths_of_one_run_count_its_seeds_once(make_cfg, tmp_path):
    overrides = [*FAST, "optimizer=gd"]
    a, b = tmp_path / "a", tmp_path / "b"
    run(make_cfg(overrides), a)
    run(make_cfg([*overrides, "run.threads=1"]), b)  # how it ran: the same run
    with pytest.warns(SameRunWarning, match="the same run as"):
        res = load([a, b])
    table = analysis.sensitivity(res)
    assert (table["n"] == SEEDS).all() and len(res.trajectories) == 2 * SEEDS


def test_two_runs_that_share_every_coordinate_stay_apart_by_job(make_cfg, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run(make_cfg([*FAST, "optimizer=gd"]), a)
    run(make_cfg([*FAST, "optimizer=gd", "sweep.seeds=[10,11,12]"]), b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = load([a, b])
    assert "job" in analysis.default_by(res.trajectories)
    table = analysis.sensitivity(res)
    assert len(table) == 4 and (table["n"] == SEEDS).all()
    # runs told apart by a coordinate need no job key
    both = pd.concat([res.trajectories.assign(objective="sphere")], ignore_index=True)
    both.loc[both["job"] == both["job"].cat.categories[1], "objective"] = "booth"
    assert "job" not in analysis.default_by(both)


def _frame(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    """optimizer, step_size, f_final (+inf: diverged), one trajectory per row."""
    df = pd.DataFrame(rows, columns=["optimizer", "step_size", "f_final"])
    dead = np.isposinf(df["f_final"])
    return df.assign(
        trajectory=np.arange(len(df)),
        seed=np.arange(len(df)) % 2,
        f_best=df["f_final"].where(~dead, 1.0),
        status=np.where(dead, "diverged", "max_iter"),
        diverged_at=pd.array([5 if d else None for d in dead], "Int32"),
        iters_to_target=pd.array([None] * len(df), "Int32"),
    )


def test_a_group_that_diverges_at_every_step_size_is_not_drawn_at_its_best():
    traj = _frame(
        [
            *(("adagrad", s, f) for s in (0.1, 1.0) for f in (1e-3, 2e-3)),
            *(("gd", s, f) for s, f in ((0.1, 1e-9), (0.1, 1e-9), (0.1, INF), (1.0, INF))),
        ]
    )
    chosen = compare._compared(traj, None)
    assert set(chosen.trajectories["optimizer"]) == {"adagrad"}
    assert "not drawn" in chosen.caption and "gradient descent" in chosen.caption
    lax = compare._compared(traj, None, max_diverged=0.5)  # gd at 0.1: 1 of 3 diverged
    assert (
        set(lax.trajectories["optimizer"]) == {"adagrad", "gd"} and "not drawn" not in lax.caption
    )


def test_a_diverging_curve_does_not_stretch_the_value_axis():
    iters = np.arange(6)
    stable = pd.DataFrame({"step_size": 0.1, "iter": iters, "q0.5": 10.0**-iters})
    wild = pd.DataFrame(
        {"step_size": 10.0, "iter": iters, "q0.5": [1, 1e50, 1e120, 1e200, INF, INF]}
    )
    curves = pd.concat([stable, wild], ignore_index=True).assign(n=2)
    stretched = plots.convergence(curves, hue="step_size")
    assert stretched.axes[0].get_ylim()[1] > 1e100
    fig = plots.convergence(curves, hue="step_size", scale_by=pd.DataFrame({"step_size": [0.1]}))
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert low < 1e-5 and high < 1e3  # the stable curve's decades fill the axis
    wild_line = next(line for line in ax.get_lines() if line.get_label() == "10")
    assert (np.asarray(wild_line.get_ydata()) <= high).all()  # drawn clipped into the axis
    ceiling = [line for line in ax.get_lines() if line.get_gid() == "ceiling"]
    assert ceiling and "off the scale" in str(ceiling[0].get_label())


def test_report_max_diverged_is_a_fraction(tmp_path):
    bad = run_cli([*FAST, "report.max_diverged=1.5", f"hydra.run.dir={tmp_path / 'r'}"], tmp_path)
    assert bad.returncode == 2 and not (tmp_path / "r").exists()
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "report.max_diverged" in lines[0], bad.stderr


def test_the_report_command_takes_max_diverged(swept, tmp_path, capsys):
    from adagrad_lab.commands import report as report_command

    with pytest.raises(SystemExit) as bad:
        report_command.main(
            [str(swept["beta1"]), "--out", str(tmp_path / "a"), "--max-diverged", "2"]
        )
    assert bad.value.code == 2 and not (tmp_path / "a").exists()
    assert "--max-diverged" in capsys.readouterr().err
    report_command.main(
        [str(swept["beta1"]), "--out", str(tmp_path / "b"), "--max-diverged", "0.5"]
    )
    assert "at most 50% of the seeds diverged" in (tmp_path / "b" / "index.html").read_text()
