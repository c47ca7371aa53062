"""The report's statistics (adagrad_lab.report.statistics): one bootstrap pass for the
summary's medians and fractions, their cells on the page, the intervals drawn on the
sensitivity figure, aRT from a runtimes frame at hand. Each against numbers by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from adagrad_lab import analysis, plots
from adagrad_lab.report import html as report_html
from adagrad_lab.report import statistics


def _trajectories() -> pd.DataFrame:
    """Five seeds of one step size: final f 10..50, the last diverged (+inf), two converged."""
    return pd.DataFrame(
        {
            "trajectory": range(5),
            "seed": range(5),
            "optimizer": pd.Categorical(["adagrad"] * 5),
            "step_size": [0.1] * 5,
            "status": pd.Categorical(["converged"] * 2 + ["max_iter"] * 2 + ["diverged"]),
            "iters_to_target": pd.array([3, 5, None, None, None], dtype="Int32"),
            "diverged_at": pd.array([None] * 4 + [3], dtype="Int32"),
            "f_final": [10.0, 20.0, 30.0, 40.0, np.inf],
            "f_best": [10.0, 20.0, 30.0, 40.0, 50.0],
        }
    )


def test_one_pass_gives_the_medians_and_fractions_of_the_drawn_indices():
    # default_rng(1).integers(0, 5, (1, 5)) is [2, 2, 3, 4, 0]: finals 30, 30, 40, inf, 10
    # (median 30); converged at those indices: only trajectory 0 (1/5); diverged: 4 (1/5)
    found = analysis.bootstrap_outcomes(_trajectories(), resamples=1, seed=1)
    row = found.iloc[0]
    assert (row["n"], row["median"], row["converged"], row["diverged"]) == (5, 30.0, 0.4, 0.2)
    assert (row["median_lower"], row["median_upper"]) == (30.0, 30.0)
    assert (row["converged_lower"], row["converged_upper"]) == (0.2, 0.2)
    assert (row["diverged_lower"], row["diverged_upper"]) == (0.2, 0.2)


def test_one_pass_equals_the_median_and_fraction_intervals_drawn_apart():
    two = pd.concat(
        [_trajectories(), _trajectories().assign(step_size=1.0, trajectory=range(5, 10))],
        ignore_index=True,
    )
    both = analysis.bootstrap_outcomes(two, seed=7)
    median = analysis.bootstrap_median(two, seed=7)
    assert both[["median", "median_lower", "median_upper"]].to_numpy().tolist() == (
        median[["median", "lower", "upper"]].to_numpy().tolist()
    )
    for outcome in ("converged", "diverged"):
        apart = analysis.bootstrap_fraction(two, outcome=outcome, seed=7)
        columns = [outcome, f"{outcome}_lower", f"{outcome}_upper"]
        assert (
            both[columns].to_numpy().tolist()
            == apart[[outcome, "lower", "upper"]].to_numpy().tolist()
        )


def test_the_summary_carries_each_interval_and_the_page_writes_it_in_brackets():
    table, _ = report_html._summary(_trajectories())
    row = table.iloc[0]
    assert row["median_f_final"] == 30.0 and row["converged"] == 0.4 and row["diverged"] == 0.2
    assert row["median_iters_to_target"] == 4.0  # of 3 and 5
    lo, hi = analysis.bootstrap_interval([10.0, 20.0, 30.0, 40.0, np.inf], seed=statistics.SEED)
    assert (row["median_f_final_lower"], row["median_f_final_upper"]) == (lo, hi)
    shown = statistics.with_intervals(
        pd.DataFrame(
            {
                "step_size": [0.1, 1.0],
                "converged": [0.4, np.nan],
                "converged_lower": [0.2, np.nan],
                "converged_upper": [0.6, np.nan],
                "median_f_final": [30.0, 1.23456e-9],
                "median_f_final_lower": [20.0, 0.0],
                "median_f_final_upper": [np.inf, 2e-9],
            }
        )
    )
    assert shown.columns.tolist() == ["step_size", "converged", "median_f_final"]
    assert shown["converged"].tolist() == ["40.0% [20.0%, 60.0%]", "-"]
    assert shown["median_f_final"].tolist() == ["30 [20, inf]", "1.235e-09 [0, 2e-09]"]


def _two_objectives() -> pd.DataFrame:
    """2 objectives x 2 optimizers x 2 step sizes x 4 seeds; gd diverges at step 1 on booth."""
    rows = []
    for objective in ("booth", "sphere"):
        for optimizer in ("adagrad", "gd"):
            for step in (0.1, 1.0):
                for seed in range(4):
                    gone = objective == "booth" and optimizer == "gd" and step == 1.0 and seed < 3
                    f = np.inf if gone else (seed + 1) * step * (2.0 if optimizer == "gd" else 1.0)
                    rows.append((objective, optimizer, step, seed, f, gone))
    frame = pd.DataFrame(
        rows, columns=["objective", "optimizer", "step_size", "seed", "f_final", "gone"]
    )
    return frame.assign(
        trajectory=range(len(frame)),
        f_best=frame["f_final"].where(~frame["gone"], 1.0),
        status=np.where(frame["gone"], "diverged", "max_iter"),
        diverged_at=pd.array([2 if g else None for g in frame["gone"]], dtype="Int32"),
        iters_to_target=pd.array([None] * len(frame), dtype="Int32"),
    ).drop(columns="gone")


def test_each_interval_lands_on_its_curve_in_its_colour_and_panel():
    traj = _two_objectives()
    table = analysis.sensitivity(traj)
    fig = plots.sensitivity(table, hue=["optimizer"], facet="objective")
    ci = analysis.bootstrap_outcomes(traj, resamples=200, seed=0)
    drawn = plots.sensitivity_intervals(fig, ci, ["optimizer"], facet="objective")
    assert len(drawn) == 2 * 2 * 2  # panels x curves x (median, fraction diverged)
    tops = [ax for ax in fig.axes if any(line.get_gid() == "median" for line in ax.lines)]
    for ax, objective in zip(tops, ("booth", "sphere"), strict=True):
        lines = {line.get_label(): line for line in ax.lines if line.get_gid() == "median"}
        bars = [c for c in ax.collections if c.get_gid() == "ci"]
        assert len(bars) == 2
        bottom, top = ax.get_ylim()
        pairs = (("adagrad", "AdaGrad"), ("gd", "gradient descent"))
        for bar, (name, label) in zip(bars, pairs, strict=True):
            rows = ci[(ci["objective"] == objective) & (ci["optimizer"] == name)]
            segments = bar.get_segments()
            assert [s[0][0] for s in segments] == rows["step_size"].tolist()
            want = np.clip(rows[["median_lower", "median_upper"]].to_numpy(), bottom, top)
            assert np.allclose([[s[0][1], s[1][1]] for s in segments], want)
            colour = np.asarray(bar.get_colors())[0][:3]
            assert np.allclose(colour, to_rgb(lines[label].get_color()))
    # booth's gd at step 1: 3 of 4 diverged, a median of +inf drawn at the axes' top
    booth = [c for c in tops[0].collections if c.get_gid() == "ci"][1].get_segments()
    assert booth[1][1][1] == tops[0].get_ylim()[1]


def test_intervals_for_another_figure_are_refused_in_one_line():
    traj = _two_objectives()
    fig = plots.sensitivity(analysis.sensitivity(traj), hue=["optimizer"], facet="objective")
    booth = traj[traj["objective"] == "booth"]
    ci = analysis.bootstrap_outcomes(booth, ["objective", "optimizer", "step_size"], resamples=10)
    with pytest.raises(ValueError, match=r"^fig: 1 panels expected"):
        plots.sensitivity_intervals(fig, ci, ["optimizer"], facet="objective")


def test_art_from_a_runtimes_frame_at_hand_equals_art_from_the_history():
    traj = _trajectories().assign(f_star=0.0)
    curves = {0: [50, 20, 12, 9], 1: [50, 30, 25, 19], 2: [60, 40, 35, 30], 3: [45, 41, 40, 40]}
    curves |= {4: [50, 60, 70]}
    hist = pd.DataFrame(
        [(t, i, float(f)) for t, fs in curves.items() for i, f in enumerate(fs)],
        columns=["trajectory", "iter", "f"],
    )
    times = analysis.runtimes((traj, hist), targets=[20.0, 10.0], by=["step_size"])
    at_hand = analysis.expected_runtime((traj, hist), by=["step_size"], n_iter=3, times=times)
    # f <= 20: trajectories 0 (at 1) and 1 (at 3); the others ran 3, 3 and 3 (diverged at 3)
    assert at_hand["art"].tolist() == [(1 + 3 + 3 + 3 + 3) / 2, (3 + 3 + 3 + 3 + 3) / 1]
    again = analysis.expected_runtime((traj, hist), [20.0, 10.0], by=["step_size"], n_iter=3)
    pd.testing.assert_frame_equal(at_hand, again)


def _long_art(steps: list[float]) -> pd.DataFrame:
    """A `runtime_table` by hand: per step size and the 11 default targets 1e2..1e-8, aRT
    10 * (decade + 1) / step and success 1 down to 0 (target 1e-8 never reached)."""
    rows = []
    for step in steps:
        for decade, target in enumerate(analysis.DEFAULT_TARGETS):
            success = 1.0 - decade / 10
            art = 10.0 * (decade + 1) / step if success > 0 else np.inf
            rows.append(("adagrad", step, float(target), 8, success, art, art))
    columns = ["optimizer", "step_size", "target", "n", "success", "art", "median_runtime"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"optimizer": "category"})


def test_the_art_table_is_one_row_per_curve_at_six_of_the_targets():
    table = _long_art([0.1, 0.5, 1.0, 2.0])  # 44 rows: more than a page shows unfolded
    grid = statistics.runtime_grid(table)
    targets = ["1e2", "1e0", "1e-2", "1e-4", "1e-6", "1e-8"]  # every other one, both ends
    assert list(grid.columns) == ["optimizer", "step_size", "n", *targets]
    assert grid["step_size"].tolist() == [0.1, 0.5, 1.0, 2.0] and grid["n"].tolist() == [8] * 4
    # step 0.5 at 1e0 (decade 2): aRT 10 * 3 / 0.5 = 60, success 0.8; at 1e-8: none
    row = grid.iloc[1]
    assert (row["1e2"], row["1e0"], row["1e-6"], row["1e-8"]) == (
        "20 (100%)",
        "60 (80%)",
        "180 (20%)",
        "inf (0%)",
    )
    assert grid["optimizer"].dtype == "category"
    few = statistics.runtime_grid(table[table["target"].isin([1.0, 1e-3])])
    assert list(few.columns)[3:] == ["1e0", "1e-3"]  # two targets: both shown
    parts = report_html._runtimes(table)
    text = "\n".join(parts)
    first = text[text.index("<table") : text.index("</table>")]
    assert first.count("<tr") == 1 + 4  # header and one row per curve
    assert "at some of its 11 targets" in text
    assert "<details><summary>Every target, 44 rows (show)</summary>" in text
    folded = text[text.index("<details>") :]
    assert folded.count("<tr") == 1 + 44
