"""The statistics the field reports: bootstrap intervals, aRT, aggregated ECDFs and their
area, the fixed-budget view. Each against a frame small enough to compute by hand."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FAST

import adagrad_lab as al
from adagrad_lab import analysis
from adagrad_lab.analysis import bootstrap
from adagrad_lab.commands.run import run

INF = np.inf
NA = pd.NA
ROOT = Path(__file__).resolve().parents[1]
STATS = ("median", "mean")


def _trajectories(rows: list[tuple], extra: dict[str, list] | None = None) -> pd.DataFrame:
    """trajectory, seed, optimizer, step_size, status, iters_to_target, diverged_at,
    f_final, f_best; the types the store gives them."""
    columns = ["trajectory", "seed", "optimizer", "step_size", "status"]
    columns += ["iters_to_target", "diverged_at", "f_final", "f_best"]
    df = pd.DataFrame(rows, columns=columns).assign(**(extra or {}))
    return df.astype(
        {
            "optimizer": "category",
            "status": "category",
            "iters_to_target": "Int32",
            "diverged_at": "Int32",
        }
    )


def _history(curves: dict[int, dict[int, float]]) -> pd.DataFrame:
    rows = [(t, i, f) for t, fs in curves.items() for i, f in fs.items()]
    return pd.DataFrame(rows, columns=["trajectory", "iter", "f"])


# -- bootstrap --------------------------------------------------------------------------------


def test_one_resample_is_the_statistic_of_the_indices_the_generator_draws():
    # default_rng(3).integers(0, 5, (1, 5)) is [4, 0, 0, 1, 0]: 50, 10, 10, 20, 10 -> median 10
    # default_rng(1) draws [2, 2, 3, 4, 0]: 30, 30, 40, 50, 10 -> median 30, mean 32
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert analysis.bootstrap_interval(values, resamples=1, seed=3) == (10.0, 10.0)
    assert analysis.bootstrap_interval(values, resamples=1, seed=1) == (30.0, 30.0)
    assert analysis.bootstrap_interval(values, "mean", resamples=1, seed=1) == (32.0, 32.0)


def test_the_bootstrap_is_deterministic_under_a_seed_and_differs_between_seeds():
    values = np.linspace(0.0, 1.0, 41) ** 2
    for statistic in ("median", "mean"):
        first = analysis.bootstrap_interval(values, statistic, seed=11)
        assert analysis.bootstrap_interval(values, statistic, seed=11) == first
        lo, hi = first
        assert 0.0 <= lo < np.median(values) < hi <= 1.0
    # a median's ends are data values, often the same under another seed; a mean's are not
    assert analysis.bootstrap_interval(values, "mean", seed=12) != first


def test_drawing_in_blocks_gives_the_intervals_of_one_draw(monkeypatch):
    values = np.random.default_rng(0).lognormal(size=37)
    whole = [analysis.bootstrap_interval(values, s, resamples=500, seed=9) for s in STATS]
    monkeypatch.setattr(bootstrap, "_BLOCK", 37 * 7)  # 7 resamples a block, the last short
    assert [analysis.bootstrap_interval(values, s, resamples=500, seed=9) for s in STATS] == whole


def test_constant_data_and_infinities_give_exact_intervals():
    assert analysis.bootstrap_interval([2.5] * 9) == (2.5, 2.5)
    assert analysis.bootstrap_interval([INF] * 4) == (INF, INF)
    # 4 of 5 diverged: every resample's median is +inf unless it draws >= 3 of the one finite
    assert analysis.bootstrap_interval([1.0, INF, INF, INF, INF], seed=0)[1] == INF


def test_the_interval_covers_a_known_median_about_as_often_as_its_level():
    rng = np.random.default_rng(2024)
    groups, n = 300, 40
    frame = _trajectories(
        [
            (g * n + i, i, "adagrad", float(g), "max_iter", NA, NA, f, f)
            for g in range(groups)
            for i, f in enumerate(rng.standard_normal(n))
        ]
    )
    # standard normal samples: the true median is 0 in every group
    ci = analysis.bootstrap_median(frame, by=["step_size"], resamples=1000, level=0.9, seed=5)
    covered = ((ci["lower"] <= 0.0) & (ci["upper"] >= 0.0)).mean()
    assert len(ci) == groups and 0.84 <= covered <= 0.96, covered


SWEEP = _trajectories(
    [
        # step 0.1: seeds 0-3, finals 4, 1, 3, 2 (median 2.5), one diverged (best 7)
        (0, 0, "adagrad", 0.1, "max_iter", NA, NA, 4.0, 4.0),
        (1, 1, "adagrad", 0.1, "converged", 5, NA, 1.0, 1.0),
        (2, 2, "adagrad", 0.1, "max_iter", NA, NA, 3.0, 3.0),
        (3, 3, "adagrad", 0.1, "diverged", NA, 6, INF, 7.0),
        # step 1.0: every seed ends at 0.5
        (4, 0, "adagrad", 1.0, "converged", 2, NA, 0.5, 0.5),
        (5, 1, "adagrad", 1.0, "converged", 3, NA, 0.5, 0.5),
        (6, 2, "adagrad", 1.0, "converged", 4, NA, 0.5, 0.5),
        (7, 3, "adagrad", 1.0, "converged", 1, NA, 0.5, 0.5),
    ]
)


def test_bootstrap_median_per_step_size_counts_diverged_as_inf():
    ci = analysis.bootstrap_median(SWEEP, seed=0)
    columns = ["optimizer", "step_size", "n", "median", "lower", "upper", "level"]
    assert list(ci.columns) == columns and (ci["level"] == 0.95).all()
    assert ci["step_size"].tolist() == [0.1, 1.0] and ci["n"].tolist() == [4, 4]
    # finals 4, 1, 3, +inf: the median is (3 + 4) / 2
    assert ci["median"].tolist() == [3.5, 0.5]
    assert ci.loc[1, ["lower", "upper"]].tolist() == [0.5, 0.5]
    lo, hi = ci.loc[0, ["lower", "upper"]]
    assert 1.0 <= lo <= 3.5 <= hi <= INF
    best = analysis.bootstrap_median(SWEEP, column="best", seed=0)
    assert best["median"].tolist() == [3.5, 0.5]  # bests 4, 1, 3, 7
    # the rows line up with sensitivity's
    table = analysis.sensitivity(SWEEP)
    assert table["final_q0.5"].tolist() == ci["median"].tolist()


def test_groups_of_one_size_resample_the_same_seeds():
    """Seed order, then the same indices: a group's interval is that of its values alone."""
    shuffled = SWEEP.iloc[[3, 1, 0, 2, 7, 6, 5, 4]]
    pd.testing.assert_frame_equal(
        analysis.bootstrap_median(shuffled, seed=4), analysis.bootstrap_median(SWEEP, seed=4)
    )
    alone = analysis.bootstrap_median(SWEEP[SWEEP["step_size"] == 0.1], seed=4)
    both = analysis.bootstrap_median(SWEEP, seed=4)
    assert alone.iloc[0].tolist() == both.iloc[0].tolist()
    by_hand = analysis.bootstrap_interval([4.0, 1.0, 3.0, INF], seed=4)
    assert tuple(both.loc[0, ["lower", "upper"]]) == by_hand


def test_bootstrap_fraction_of_converged_and_diverged():
    conv = analysis.bootstrap_fraction(SWEEP, seed=0)
    columns = ["optimizer", "step_size", "n", "converged", "lower", "upper", "level"]
    assert list(conv.columns) == columns
    assert conv["converged"].tolist() == [0.25, 1.0]
    assert conv.loc[1, ["lower", "upper"]].tolist() == [1.0, 1.0]
    # a resample's fraction is k / 4
    lo, hi = conv.loc[0, ["lower", "upper"]]
    assert lo in (0.0, 0.25) and hi in (0.5, 0.75, 1.0)
    div = analysis.bootstrap_fraction(SWEEP, outcome="diverged", seed=0)
    assert div["diverged"].tolist() == [0.25, 0.0]
    assert div.loc[1, ["lower", "upper"]].tolist() == [0.0, 0.0]
    # default_rng(3).integers(0, 4, (1, 4)) draws [3, 0, 0, 0]: seed 3 (diverged) once in 4
    one = analysis.bootstrap_fraction(SWEEP, outcome="diverged", resamples=1, seed=3)
    assert one.loc[0, ["lower", "upper"]].tolist() == [0.25, 0.25]


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: analysis.bootstrap_interval([1.0], resamples=0), "resamples"),
        (lambda: analysis.bootstrap_interval([1.0], level=1.0), "level"),
        (lambda: analysis.bootstrap_interval([1.0], seed=None), "seed"),  # type: ignore[arg-type]
        (lambda: analysis.bootstrap_interval([1.0], statistic="mode"), "statistic"),
        (lambda: analysis.bootstrap_interval([], seed=1), "values"),
        (lambda: analysis.bootstrap_interval([1.0, np.nan]), "values"),
        (lambda: analysis.bootstrap_median(SWEEP, by=["beta1"]), "by"),
        (lambda: analysis.bootstrap_median(SWEEP, column="worst"), "column"),
        (lambda: analysis.bootstrap_median(SWEEP, value="fx"), "value"),
        (lambda: analysis.bootstrap_median([1, 2]), "data"),  # type: ignore[arg-type]
        (lambda: analysis.bootstrap_fraction(SWEEP, outcome="stalled"), "outcome"),
        (lambda: analysis.bootstrap_fraction(SWEEP, resamples=2.5), "resamples"),
    ],
)
def test_bad_arguments_are_refused_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}: "):
        call()


# -- expected running time (aRT) ------------------------------------------------------------

# n_iter 10, no run target; f recorded at every iteration but for t5 (every 2nd)
RUNS = _trajectories(
    [
        (0, 0, "adagrad", 0.1, "max_iter", NA, NA, 8 / 2**10, 8 / 2**10),
        (1, 1, "adagrad", 0.1, "diverged", NA, 4, INF, 1.5),
        (2, 2, "adagrad", 0.1, "max_iter", NA, NA, 2.0, 2.0),
        (3, 0, "adagrad", 1.0, "max_iter", NA, NA, 0.5**10, 0.5**10),
        (4, 1, "adagrad", 1.0, "max_iter", NA, NA, 1.5 * 0.5**10, 1.5 * 0.5**10),
        (5, 2, "adagrad", 1.0, "max_iter", NA, NA, 0.01, 0.01),
    ]
)
RUN_HISTORY = _history(
    {
        0: {i: 8 / 2**i for i in range(11)},  # <= 1 at 3, <= 0.1 at 7
        1: {0: 5.0, 1: 3.0, 2: 2.0, 3: 1.5},  # diverged at 4: never
        2: {i: 2.0 if i % 2 == 0 else 4.0 for i in range(11)},  # never
        3: {i: 0.5**i for i in range(11)},  # at 0 and 4
        4: {i: 1.5 * 0.5**i for i in range(11)},  # at 1 and 4
        5: {0: 3.0, 2: 1.2, 4: 0.9, 6: 0.3, 8: 0.05, 10: 0.01},  # at 4 and 8
    }
)


def test_expected_runtime_sums_every_trajectorys_iterations_over_the_successes():
    art = analysis.expected_runtime((RUNS, RUN_HISTORY), targets=[1.0, 0.1, 1e-9], value="f")
    assert list(art.columns) == [
        *["optimizer", "step_size", "target", "n", "successes", "success"],
        *["evaluations", "art", "median_runtime"],
    ]
    # step 0.1, target 1: t0 takes 3, t1 fails after its 4, t2 after its 10
    # step 1.0, target 0.1: 4 + 4 + 8 over three successes
    expected = pd.DataFrame(
        [
            (0.1, 1.0, 3, 1, 1 / 3, 17.0, 17.0, INF),
            (0.1, 0.1, 3, 1, 1 / 3, 21.0, 21.0, INF),
            (0.1, 1e-9, 3, 0, 0.0, 24.0, INF, INF),
            (1.0, 1.0, 3, 3, 1.0, 5.0, 5 / 3, 1.0),
            (1.0, 0.1, 3, 3, 1.0, 16.0, 16 / 3, 4.0),
            (1.0, 1e-9, 3, 0, 0.0, 30.0, INF, INF),
        ],
        columns=[
            *["step_size", "target", "n", "successes", "success"],
            *["evaluations", "art", "median_runtime"],
        ],
    )
    pd.testing.assert_frame_equal(art.drop(columns="optimizer"), expected, check_dtype=False)


def test_run_lengths_from_the_settings_the_columns_or_the_history():
    traj = _trajectories(
        [
            (0, 0, "adagrad", 0.1, "converged", 2, NA, 0.0, 0.0),  # reached the run's target at 2
            (1, 1, "adagrad", 0.1, "diverged", NA, 4, INF, 1.0),
            (2, 2, "adagrad", 0.1, "max_iter", NA, NA, 1.0, 1.0),
        ]
    )
    assert analysis.run_lengths(traj, n_iter=10).tolist() == [10, 4, 10]
    assert analysis.run_lengths(traj, n_iter=10, stop_at_target=True).tolist() == [2, 4, 10]
    two_jobs = traj.assign(**{"sweep.n_iter": [10, 20, 30], "sweep.stop_at_target": [True] * 3})
    assert analysis.run_lengths(two_jobs).tolist() == [2, 4, 30]
    # from the history: stopped at 2 (last recorded 0), diverged, ran to its last row
    hist = _history({0: {0: 1.0}, 1: {0: 1.0, 2: 2.0}, 2: {0: 1.0, 2: 1.0, 3: 1.0}})
    assert analysis.run_lengths((traj, hist)).tolist() == [2, 4, 3]
    with pytest.raises(ValueError, match=r"^n_iter: "):
        analysis.run_lengths(traj)
    with pytest.raises(ValueError, match=r"^n_iter: "):
        analysis.run_lengths(traj, n_iter=-1)
    with pytest.raises(ValueError, match=r"^stop_at_target: "):
        analysis.run_lengths(traj, n_iter=3, stop_at_target="yes")  # type: ignore[arg-type]


def test_expected_runtime_refuses_bad_targets_and_frames_without_history():
    with pytest.raises(ValueError, match=r"^targets: "):
        analysis.expected_runtime((RUNS, RUN_HISTORY), targets=[])
    with pytest.raises(ValueError, match=r"^targets: "):
        analysis.expected_runtime((RUNS, RUN_HISTORY), targets=[np.nan])
    with pytest.raises(ValueError, match=r"^data: this needs the history"):
        analysis.expected_runtime(RUNS)
    with pytest.raises(ValueError, match=r"^by: "):
        analysis.expected_runtime((RUNS, RUN_HISTORY), by=["eps"])


# -- runtime ECDFs over problems ------------------------------------------------------------


def _runtimes(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["trajectory", "optimizer", "objective", "dim", "runtime"])
    return df.assign(target=1.0).astype({"optimizer": "category", "objective": "category"})


# sphere: adagrad's one trajectory at 10, gd's at 0; rosenbrock: adagrad's four at 1, 100,
# never, never (gd did not run it)
PROBLEMS = _runtimes(
    [
        (0, "adagrad", "sphere", 2, 10.0),
        (1, "adagrad", "rosenbrock", 2, 1.0),
        (2, "adagrad", "rosenbrock", 2, 100.0),
        (3, "adagrad", "rosenbrock", 2, np.nan),
        (4, "adagrad", "rosenbrock", 2, np.nan),
        (5, "gd", "sphere", 2, 0.0),
    ]
)


def test_the_aggregated_ecdf_weights_each_problem_and_target_equally():
    ecdf = analysis.aggregated_ecdf(PROBLEMS)
    assert list(ecdf.columns) == ["optimizer", "iter", "fraction", "pairs"]
    adagrad = ecdf[ecdf["optimizer"] == "adagrad"]
    assert adagrad["iter"].tolist() == [0.0, 1.0, 10.0, 100.0]
    # (sphere's share + rosenbrock's share) / 2; pooled, the last would be 3 / 5
    assert adagrad["fraction"].tolist() == [0.0, 0.125, 0.625, 0.75]
    # gd solves sphere at once and never ran rosenbrock: unsolved, half of the pairs
    assert ecdf[ecdf["optimizer"] == "gd"]["fraction"].tolist() == [0.5] * 4
    assert set(ecdf["pairs"]) == {2}
    # two targets: four pairs, the looser one solved by everyone at 0
    both = pd.concat([PROBLEMS, PROBLEMS.assign(target=10.0, runtime=0.0)], ignore_index=True)
    at = analysis.aggregated_ecdf(both, iters=[0, 100])
    assert at[at["optimizer"] == "adagrad"]["fraction"].tolist() == [0.5, 0.875]


def test_the_aggregated_ecdf_refuses_a_problem_key_as_a_solver():
    with pytest.raises(ValueError, match=r"^by: objective is a problem key"):
        analysis.aggregated_ecdf(PROBLEMS, by=["optimizer", "objective"])
    with pytest.raises(ValueError, match=r"^iters: "):
        analysis.aggregated_ecdf(PROBLEMS, iters=[-1, 2])
    with pytest.raises(ValueError, match=r"^problem: "):
        analysis.aggregated_ecdf(PROBLEMS, problem=["function"])


def test_the_area_under_the_ecdf_on_a_log_axis():
    ecdf = pd.DataFrame({"iter": [0, 9, 99], "fraction": [0.0, 0.5, 1.0]})
    # log10(iter + 1) at 0, 1, 2: 0 on [0, 1), 0.5 on [1, 2), 1 from 2 on
    area = analysis.ecdf_area(ecdf)
    assert area.to_dict("records") == [{"auc": 0.25, "lower": 0, "upper": 99}]
    assert analysis.ecdf_area(ecdf, upper=999)["auc"].tolist() == [0.5]  # (0.5 + 1) / 3
    assert analysis.ecdf_area(ecdf, lower=9, upper=99)["auc"].tolist() == [0.5]
    per = analysis.ecdf_area(analysis.aggregated_ecdf(PROBLEMS))
    u = np.log10([1.0, 2.0, 11.0, 101.0])  # adagrad's steps: 0.125 from 1, 0.625 from 10
    adagrad = (0.125 * (u[2] - u[1]) + 0.625 * (u[3] - u[2])) / u[3]
    assert per["optimizer"].tolist() == ["adagrad", "gd"]
    np.testing.assert_allclose(per["auc"], [adagrad, 0.5], rtol=1e-12)
    with pytest.raises(ValueError, match=r"^upper: "):
        analysis.ecdf_area(ecdf, lower=99, upper=9)
    with pytest.raises(ValueError, match=r"^ecdf: "):
        analysis.ecdf_area(ecdf.drop(columns="fraction"))
    with pytest.raises(ValueError, match=r"^by: "):
        analysis.ecdf_area(analysis.aggregated_ecdf(PROBLEMS), by=[])


# -- fixed budget ---------------------------------------------------------------------------


def test_fixed_budget_takes_the_last_recorded_value_and_inf_after_divergence():
    each = analysis.fixed_budget(
        (RUNS, RUN_HISTORY), budgets=[0, 3, 5, 20], by=["trajectory"], value="f", quantiles=[0.5]
    )
    wide = each.pivot(index="trajectory", columns="budget", values="q0.5")
    # t1 diverged at 4; t5 is recorded every 2nd iteration (3 -> its value at 2); 20 is past
    # the end of every run: the final value
    expected = [
        [8.0, 1.0, 0.25, 8 / 2**10],
        [5.0, 1.5, INF, INF],
        [2.0, 4.0, 4.0, 2.0],
        [1.0, 0.125, 0.5**5, 0.5**10],
        [1.5, 0.1875, 1.5 * 0.5**5, 1.5 * 0.5**10],
        [3.0, 1.2, 0.9, 0.01],
    ]
    np.testing.assert_array_equal(wide.to_numpy(), expected)
    groups = analysis.fixed_budget((RUNS, RUN_HISTORY), budgets=[3], value="f")
    quartiles = ["q0.25", "q0.5", "q0.75"]
    assert list(groups.columns) == ["optimizer", "step_size", "budget", "n", *quartiles]
    # step 0.1 at 3: 1, 1.5, 4 -> quartiles 1.25, 1.5, 2.75
    assert groups.loc[0, ["n", "q0.25", "q0.5", "q0.75"]].tolist() == [3, 1.25, 1.5, 2.75]


def test_fixed_budget_best_so_far_and_a_run_stopped_at_its_target():
    best = analysis.fixed_budget(
        (RUNS, RUN_HISTORY), budgets=[3, 5], by=["trajectory"], value="f", quantiles=[0.5]
    )
    assert best["q0.5"].tolist()[4:6] == [4.0, 4.0]  # t2's iterate at odd budgets
    best = analysis.fixed_budget((RUNS, RUN_HISTORY), [3, 5], ["trajectory"], "f", [0.5], best=True)
    assert best["q0.5"].tolist()[4:6] == [2.0, 2.0]  # its best so far
    assert best["q0.5"].tolist()[2:4] == [1.5, INF]  # t1: diverged at 4 all the same
    # stopped at its target at 3, recorded at 0 and 2 only: at 3 and later its final value
    stopped = _trajectories([(0, 0, "adagrad", 0.1, "converged", 3, NA, 0.5, 0.5)])
    hist = _history({0: {0: 4.0, 2: 2.0}})
    at = analysis.fixed_budget((stopped, hist), [2, 3, 9], value="f", quantiles=[0.5])
    assert at["q0.5"].tolist() == [2.0, 0.5, 0.5]


def test_fixed_budget_defaults_to_decades_and_checks_its_arguments():
    out = analysis.fixed_budget((RUNS, RUN_HISTORY), value="f")
    assert sorted(set(out["budget"])) == [1, 10]
    with pytest.raises(ValueError, match=r"^budgets: "):
        analysis.fixed_budget((RUNS, RUN_HISTORY), budgets=[1.5])
    with pytest.raises(ValueError, match=r"^quantiles: "):
        analysis.fixed_budget((RUNS, RUN_HISTORY), quantiles=[50])
    with pytest.raises(ValueError, match=r"^best: "):
        analysis.fixed_budget((RUNS, RUN_HISTORY), best="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^data: this needs the history"):
        analysis.fixed_budget(RUNS)


# -- on a stored run --------------------------------------------------------------------------


def test_a_stored_run_gives_the_same_statistics_as_its_frames(make_cfg, tmp_path):
    overrides = [*FAST, "sweep.n_iter=30", "record.every=4"]
    run(make_cfg(overrides), tmp_path / "run", overrides)
    res = al.load(tmp_path / "run")
    frames = (res.trajectories, res.history(["trajectory", "iter", "f"]))
    assert analysis.run_lengths(res).tolist() == [30] * 6  # from the job's config
    assert analysis.run_lengths(frames).tolist() == [30] * 6  # from its history
    targets = [1e5, 1e4]
    pd.testing.assert_frame_equal(
        analysis.expected_runtime(res, targets), analysis.expected_runtime(frames, targets)
    )
    budget = analysis.fixed_budget(res, [30, 31], value="f")  # both past the end: the finals
    finals = analysis.sensitivity(res)
    assert budget[budget["budget"] == 30]["q0.5"].tolist() == finals["final_q0.5"].tolist()
    ecdf = analysis.aggregated_ecdf(res, targets=targets)
    assert (ecdf["pairs"] == 2).all() and ecdf["fraction"].between(0, 1).all()


def test_the_analysis_pages_worked_example_runs_as_written():
    """docs/analysis.md's ``>>>`` lines, run as doctests (numbers to the digits shown)."""
    text = (ROOT / "docs" / "analysis.md").read_text()
    test = doctest.DocTestParser().get_doctest(text, {}, "analysis.md", "docs/analysis.md", 0)
    assert len(test.examples) >= 10
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    result = runner.run(test, out=out.append)
    assert result.failed == 0, "".join(out)
