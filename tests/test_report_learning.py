"""The report of a learning problem (adagrad_lab.report.learning): the data set in the
header, convergence in f - f*, the held-out error, regret and Polyak-average figures, and
jobs that differ by their data set alone named by it."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, run_cli
from matplotlib.figure import Figure

import adagrad_lab as al
from adagrad_lab import plots
from adagrad_lab.report import compare, learning, render
from adagrad_lab.report import page as report_page

pytest.importorskip("sklearn", reason="the bundled data sets come with scikit-learn")

LEARNING = [
    *(o for o in FAST if not o.startswith(("report.", "optimizer.step_size"))),
    "objective=logistic",
    "objective.batch_size=32",
    "optimizer.step_size=[0.01,0.1]",
    "record.test=true",
    "record.regret=true",
    "record.average=true",
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One run on breast_cancer (its report written by the run), a multirun over two data sets."""
    tmp = tmp_path_factory.mktemp("learning")
    single = run_cli(
        [*LEARNING, "objective.data=sklearn:breast_cancer", f"hydra.run.dir={tmp / 'run'}"], tmp
    )
    multi = run_cli(
        [
            "-m",
            *LEARNING,
            "objective.data=sklearn:breast_cancer,sklearn:wine",
            "optimizer=adagrad,gd",
            f"hydra.sweep.dir={tmp / 'm'}",
        ],
        tmp,
    )
    assert single.returncode == 0, single.stderr
    assert multi.returncode == 0, multi.stderr
    return tmp


def _capture(monkeypatch) -> list[Figure]:
    """Every figure `plots.convergence` draws, in order (in this process: see
    test_report._capture)."""
    monkeypatch.setattr(render, "spare_cores", lambda: 0)
    drawn: list[Figure] = []
    original = plots.convergence

    def draw(*args: Any, **kwargs: Any) -> Figure:
        fig = original(*args, **kwargs)
        drawn.append(fig)
        return fig

    monkeypatch.setattr(plots, "convergence", draw)
    return drawn


def _medians(fig: Figure) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """label -> (x, y) of each median line of a one-panel figure."""
    (ax,) = [a for a in fig.axes if any(line.get_gid() == "median" for line in a.lines)]
    return {
        str(line.get_label()): (np.asarray(line.get_xdata()), np.asarray(line.get_ydata()))
        for line in ax.lines
        if line.get_gid() == "median"
    }


def test_the_header_names_the_data_set_as_the_manifest_holds_it(runs):
    index = runs / "run" / "report" / "index.html"
    text = index.read_text()
    data = json.loads((runs / "run" / "manifest.json").read_text())["data"]
    head = text[: text.index("<h2>Command")]
    line = (
        f"Data set sklearn:breast_cancer: {data['n_train']} training samples, "
        f"{data['n_test']} held out, 30 features, density {data['density']:.3g}, dense"
    )
    assert line in head
    # what was run: the data set, not the synthetic data's condition knob (1 by default)
    assert (
        '<p id="what">logistic, d = 30, data sklearn:breast_cancer, batch 32; 20 iterations, '
        "3 seeds, target f - f* &lt;= 1e-8</p>" in head
    )
    assert data["n_train"] + data["n_test"] == 569  # scikit-learn's breast_cancer


def test_a_learning_run_draws_f_minus_f_star_and_its_recorded_curves(runs, tmp_path, monkeypatch):
    drawn = _capture(monkeypatch)
    index = report_page.write_report(runs / "run", tmp_path / "r")
    text = index.read_text()
    for stem in ("convergence", "test_error", "regret", "f_avg"):
        assert f'src="{stem}.png"' in text and (tmp_path / "r" / f"{stem}.png").is_file(), stem
    assert "Convergence: median f - f* across seeds" in text
    assert "Step-size sensitivity: median final f - f*" in text
    convergence, test_error, regret, f_avg = drawn
    # the medians drawn, against the history by hand: at step 0.1, at every recorded iteration
    res = al.load(runs / "run")
    traj = res.trajectories
    mine = traj.loc[np.isclose(traj["step_size"], 0.1), ["trajectory", "f_star"]]
    hist = res.history(["trajectory", "iter", "f", "test_error", "regret", "f_avg"])
    hist = hist.merge(mine, on="trajectory")
    by_hand = {
        convergence: (hist["f"] - hist["f_star"]),
        test_error: hist["test_error"],
        regret: hist["regret"],
        f_avg: (hist["f_avg"] - hist["f_star"]),
    }
    for fig, values in by_hand.items():
        x, y = _medians(fig)["0.1"]
        want = values.groupby(hist["iter"]).median()
        assert np.array_equal(x - 1, want.index.to_numpy())  # iteration + 1 on the log axis
        finite = want.to_numpy() > plots.FLOOR
        assert np.allclose(y[finite], want.to_numpy()[finite], rtol=1e-12)
    labels = {fig.axes[0].get_ylabel() for fig in drawn}
    assert labels == {
        "f(x) - f* (median and band)",
        "held-out error (median and band)",
        "cumulative regret (median and band)",
        "f(Polyak average) - f* (median and band)",
    }


def test_the_held_out_error_is_drawn_on_a_linear_axis(runs, tmp_path, monkeypatch):
    # a share of samples, exactly 0 on some seeds once the model fits: on a log axis its
    # band fell to the 1e-16 floor and squeezed every curve into the top tenth
    original = learning.curves

    def zero_quartile(*args: Any, **kwargs: Any) -> pd.DataFrame:
        frame = original(*args, **kwargs)
        late = frame["iter"] >= frame["iter"].max() // 2
        fitted = {"q0.25": 0.0, "q0.5": 0.01}  # a quarter of the seeds classify all right
        return frame.assign(**{q: frame[q].where(~late, v) for q, v in fitted.items()})

    monkeypatch.setattr(learning, "curves", zero_quartile)
    drawn = _capture(monkeypatch)
    report_page.write_report(runs / "run", tmp_path / "r")
    convergence, test_error, regret, _ = drawn
    assert test_error.axes[0].get_yscale() == "linear"
    assert test_error.axes[0].get_ylim()[0] > -0.1
    assert regret.axes[0].get_yscale() == "log"  # the others as their data ask
    assert convergence.axes[0].get_yscale() == "log"


def test_jobs_of_two_data_sets_are_panels_named_by_their_data_set(runs, tmp_path, monkeypatch):
    drawn = _capture(monkeypatch)
    text = report_page.write_report(runs / "m", tmp_path / "r").read_text()
    assert "Data set sklearn:breast_cancer: " in text and "Data set sklearn:wine: " in text
    assert "one panel per data set" in text
    assert len(drawn) == 4  # convergence, held-out error, regret, Polyak average
    for fig in drawn:
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        assert titles == ["data set sklearn:breast_cancer", "data set sklearn:wine"]
        legend = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
        assert not any("dimension" in t for t in legend), legend
        assert any(t.startswith("AdaGrad (step ") for t in legend), legend
    for stem in ("test_error", "regret", "f_avg", "aggregated_ecdf", "fixed_budget"):
        assert f'src="{stem}.png"' in text, stem


def test_groups_that_differ_by_data_set_alone_are_named_by_it():
    # two jobs: breast_cancer (30 features) and wine (13), two step sizes, two seeds each
    rows = [
        (job, data, dim, step, seed)
        for job, (data, dim) in enumerate((("sklearn:breast_cancer", 30), ("sklearn:wine", 13)))
        for step in (0.1, 1.0)
        for seed in range(2)
    ]
    traj = pd.DataFrame(rows, columns=["job", "objective.data", "dim", "step_size", "seed"])
    traj = traj.assign(
        trajectory=range(len(traj)),
        optimizer="adagrad",
        f_final=traj["step_size"] * (traj["seed"] + 1),
        f_best=traj["step_size"],
        status="max_iter",
        iters_to_target=pd.array([None] * len(traj), dtype="Int32"),
    ).astype({"job": "category", "objective.data": "category"})
    chosen = compare._compared(traj, None)
    assert chosen.hue == ["objective.data"]
    assert compare._hue(al.analysis.sensitivity(traj), None) == ["objective.data"]


def test_the_polyak_average_is_drawn_as_recorded_where_an_optimum_is_unknown():
    (average,) = [e for e in learning.EXTRAS if e.column == "f_avg"]
    known = pd.DataFrame({"f_star": [0.1, 0.2]})
    assert average.drawn(known)[:2] == ("gap", "f(Polyak average) - f*")
    value, label, caption = average.drawn(known.assign(f_star=[0.1, np.nan]))
    assert (value, label) == ("f", "f(Polyak average)")
    assert caption.startswith("f at the Polyak average") and "not known" in caption


def test_a_learning_problems_target_is_named_on_the_gap():
    assert plots.describe_target(["logistic"], [1e-8]) == "target f - f* <= 1e-8"
    assert plots.describe_target(["least_squares"], [1e-3, 1e-6]) == "target f - f* <= 0.001, 1e-6"
    assert plots.describe_target(["sphere"], [1e-8]) == "target f <= 1e-8"
    mixed = plots.describe_target(["sphere", "logistic"], [1e-8])
    assert mixed == "target f (f - f* for learning problems) <= 1e-8"
    traj = pd.DataFrame({"objective": ["least_squares"], "dim": [5], "seed": [0]})
    line = plots.describe_run(traj, {"sweep": {"n_iter": 10, "target": 1e-4}})
    assert line.endswith("; 10 iterations, 1 seed, target f - f* <= 0.0001"), line
