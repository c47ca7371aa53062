"""The analysis layer: `load` over runs, multiruns and shards; aggregations on hand-made frames."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FAST

import adagrad_lab as al
from adagrad_lab import analysis
from adagrad_lab.commands.run import run
from adagrad_lab.store.parquet import RunDataError
from adagrad_lab.store.results import IncompleteRunWarning

INF = np.inf
NA = pd.NA


def _run(make_cfg, run_dir: Path, extra: list[str]) -> None:
    overrides = [*FAST, *extra]
    run(make_cfg(overrides), run_dir, overrides)


def _outcomes(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without its list columns (numpy arrays per cell) and job, for comparisons."""
    return frame.drop(columns=["job", "x0", "x_final"])


# -- load -----------------------------------------------------------------------------------


def test_load_a_single_run(make_cfg, tmp_path):
    _run(make_cfg, tmp_path / "run", [])
    res = al.load(tmp_path / "run")
    traj = res.trajectories
    assert len(traj) == 6 and list(traj.columns[:2]) == ["job", "trajectory"]
    assert traj["job"].dtype == "category" and set(traj["job"]) == {"run"}
    assert traj["step_size"].dtype == np.float64 and pd.api.types.is_integer_dtype(traj["dim"])
    assert traj["optimizer"].dtype == "category" and traj["objective"].dtype == "category"
    assert res.coordinates == ["step_size"]  # the only swept coordinate
    (job,) = res.jobs
    assert job.paths == (tmp_path / "run",) and job.complete
    assert job.config == al.read_manifest(tmp_path / "run")["config"] == job.manifest["config"]
    hist = res.history()
    assert list(hist.columns[:3]) == ["job", "trajectory", "iter"] and len(hist) == 6 * 21
    pd.testing.assert_frame_equal(
        hist.drop(columns="job"), al.read_history(tmp_path / "run"), check_dtype=False
    )
    joined = hist.merge(traj[["job", "trajectory", "step_size"]], on=["job", "trajectory"])
    assert len(joined) == len(hist)


def test_history_reads_only_the_columns_and_rows_asked_for(make_cfg, tmp_path):
    _run(make_cfg, tmp_path / "run", [])
    res = al.load(tmp_path / "run")
    five = res.history(["trajectory", "iter", "f"], filters=[("iter", "==", 5)])
    assert list(five.columns) == ["job", "trajectory", "iter", "f"]
    assert (five["iter"] == 5).all() and list(five["trajectory"]) == list(range(6))
    assert list(res.history(["f"]).columns) == ["job", "f"]


def test_load_a_multirun_with_a_column_per_override(make_cfg, tmp_path):
    _run(make_cfg, tmp_path / "sweep" / "0", ["objective=sphere", "sweep.n_iter=20"])
    _run(make_cfg, tmp_path / "sweep" / "1", ["objective=booth", "sweep.n_iter=10"])
    res = al.load(tmp_path / "sweep")
    traj = res.trajectories
    assert [j.name for j in res.jobs] == ["0", "1"] and len(traj) == 12
    assert list(traj["job"].cat.categories) == ["0", "1"]
    assert set(res.coordinates) == {"objective", "sweep.n_iter", "step_size"}
    assert traj["objective"].dtype == "category"
    assert set(traj["objective"].cat.categories) == {"sphere", "booth"}
    assert traj["sweep.n_iter"].dtype == np.int64
    assert traj.groupby("job", observed=True)["sweep.n_iter"].first().tolist() == [20, 10]
    assert "sweep.target" not in traj and "sweep.seeds" not in traj  # the same in both jobs
    strings = [c for c in traj if traj[c].dtype == object]
    assert strings == ["x0", "x_final"]  # the points; never a number as text
    assert "objective=booth" in res.jobs[1].manifest["overrides"]
    assert res.jobs[1].config["objective"]["name"] == "booth"
    hist = res.history(["trajectory", "iter"])
    assert hist.groupby("job", observed=True)["iter"].max().tolist() == [20, 10]
    # a list of runs is the same as the multirun directory
    again = al.load([tmp_path / "sweep" / "0", tmp_path / "sweep" / "1"])
    pd.testing.assert_frame_equal(_outcomes(again.trajectories), _outcomes(traj))


def test_shards_of_one_sweep_are_one_job(make_cfg, tmp_path):
    for i in (0, 1):
        _run(make_cfg, tmp_path / "sweep" / str(i), [f"shard.index={i}", "shard.count=2"])
    _run(make_cfg, tmp_path / "full", [])
    res, full = al.load(tmp_path / "sweep"), al.load(tmp_path / "full")
    assert [j.name for j in res.jobs] == ["0+1"] and len(res.jobs[0].paths) == 2
    assert "shard.index" not in res.trajectories
    pd.testing.assert_frame_equal(_outcomes(res.trajectories), _outcomes(full.trajectories))
    pd.testing.assert_frame_equal(
        res.history().drop(columns="job"), full.history().drop(columns="job")
    )
    with pytest.warns(IncompleteRunWarning, match=r"shard\(s\) 1 of 2 not loaded"):
        assert len(al.load(tmp_path / "sweep" / "0").trajectories) == 3


def test_load_reads_some_columns_and_the_first_seeds_of_each_grid_point(make_cfg, tmp_path):
    # 2 step sizes x 5 seeds, in 3 chunks and 2 shards: the sample is the first 2 seeds of each
    overrides = ["sweep.seeds=5", "run.chunk_size=4", "shard.count=2"]
    for i in (0, 1):
        _run(make_cfg, tmp_path / "sweep" / str(i), [*overrides, f"shard.index={i}"])
    full = al.load(tmp_path / "sweep")
    res = al.load(tmp_path / "sweep", columns=["seed", "step_size", "f_final"], seeds_per_point=2)
    traj = res.trajectories
    grid = ["step_size", "eps", "initial_accumulator"]  # AdaGrad's: read whether asked or not
    assert list(traj.columns) == ["job", "trajectory", "seed", *grid, "f_final"]
    assert traj["trajectory"].tolist() == [0, 1, 5, 6] and traj["seed"].tolist() == [0, 1] * 2
    assert res.seeds_per_point == 2
    hist, every = (
        res.history(["trajectory", "iter", "f"]),
        full.history(["trajectory", "iter", "f"]),
    )
    pd.testing.assert_frame_equal(
        hist, every[every["trajectory"].isin([0, 1, 5, 6])].reset_index(drop=True)
    )
    late = res.history(["trajectory", "iter"], filters=[("iter", ">=", 19)])
    assert sorted(set(late["trajectory"])) == [0, 1, 5, 6] and late["iter"].min() == 19
    # gradient descent has no eps column: a name a job's tables lack is skipped
    _run(make_cfg, tmp_path / "gd", ["optimizer=gd"])
    assert "eps" not in al.load(tmp_path / "gd", columns=["eps", "f_final"]).trajectories


def test_a_killed_run_loads_its_finished_chunks_and_says_so(make_cfg, tmp_path):
    run_dir = tmp_path / "killed"
    _run(make_cfg, run_dir, ["run.chunk_size=2"])  # 3 chunks of 2 trajectories
    manifest = json.loads((run_dir / "manifest.json").read_text())
    chunk = manifest["chunks"][1]
    for name in chunk.pop("files"):
        (run_dir / name).unlink()
    chunk["status"] = "pending"
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(IncompleteRunWarning, match=r"killed: chunk\(s\) 1 of 3 not finished") as w:
        res = al.load(run_dir)
    assert str(run_dir) in str(w[0].message)
    assert list(res.trajectories["trajectory"]) == [0, 1, 4, 5]
    assert sorted(set(res.history()["trajectory"])) == [0, 1, 4, 5]
    assert res.jobs[0].missing == {run_dir: (1,)} and not res.jobs[0].complete


@pytest.mark.parametrize("what", ["empty", "file", "absent"])
def test_a_path_that_is_not_a_run_is_refused_in_one_line(tmp_path, what):
    path = tmp_path / what
    if what == "empty":
        (path / "sub").mkdir(parents=True)
    elif what == "file":
        path.write_text("x")
    with pytest.raises(RunDataError) as info:
        al.load(path)
    assert str(path) in str(info.value) and len(str(info.value).splitlines()) == 1


# -- aggregations on hand-computed frames ---------------------------------------------------


def _trajectories(rows: list[tuple]) -> pd.DataFrame:
    """trajectory, step_size, status, diverged_at, f_final, f_best (optimizer adagrad)."""
    df = pd.DataFrame(
        rows, columns=["trajectory", "step_size", "status", "diverged_at", "f_final", "f_best"]
    )
    df.insert(1, "optimizer", pd.Categorical(["adagrad"] * len(df)))
    df["diverged_at"] = df["diverged_at"].astype("Int32")
    df["status"] = df["status"].astype("category")
    return df


def _history(curves: dict[int, list[float]]) -> pd.DataFrame:
    rows = [(t, i, f) for t, fs in curves.items() for i, f in enumerate(fs)]
    return pd.DataFrame(rows, columns=["trajectory", "iter", "f"])


# 5 trajectories with step 0.1 (3 diverge: at 1, at 1 with a NaN, at 2), 2 with step 0.01
# (trajectory 5 stopped at its target at iteration 1, with f exactly 0)
CURVES = _trajectories(
    [
        (0, 0.1, "max_iter", NA, 1.0, 1.0),
        (1, 0.1, "max_iter", NA, 0.0, 0.0),
        (2, 0.1, "diverged", 1, INF, 5.0),
        (3, 0.1, "diverged", 1, np.nan, 6.0),
        (4, 0.1, "diverged", 2, INF, 2.0),
        (5, 0.01, "converged", NA, 0.0, 0.0),
        (6, 0.01, "max_iter", NA, 0.5, 0.5),
    ]
)
CURVES_HISTORY = _history(
    {
        0: [4, 2, 1],
        1: [3, 1, 0.0],
        2: [5, INF],
        3: [6, np.nan],
        4: [2, 3, INF],
        5: [1, 0.0],
        6: [2, 1, 0.5],
    }
)


def test_convergence_counts_diverged_as_inf_and_keeps_stopped_values():
    out = analysis.convergence((CURVES, CURVES_HISTORY), by=["step_size"])
    expected = pd.DataFrame(
        {
            "step_size": [0.01] * 3 + [0.1] * 3,
            "iter": [0, 1, 2] * 2,
            "n": [2] * 3 + [5] * 3,
            # step 0.01: [1, 2], [0, 1], [0 (kept from iteration 1), 0.5]
            "q0.25": [1.25, 0.25, 0.125, 3.0, 2.0, 1.0],
            # step 0.1 at 2: [1, 0, inf, inf, inf]: 3 of 5 diverged, so the median is +inf
            "q0.5": [1.5, 0.5, 0.25, 4.0, 3.0, INF],
            "q0.75": [1.75, 0.75, 0.375, 5.0, INF, INF],
        }
    )
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)
    assert analysis.default_by(CURVES) == ["optimizer", "step_size"]
    default = analysis.convergence((CURVES, CURVES_HISTORY))
    assert list(default.columns[:3]) == ["optimizer", "step_size", "iter"]
    assert default["optimizer"].dtype == "category"


def test_convergence_of_the_gap_uses_the_known_minimum():
    # f*: the f_star column the store loads from the run's manifest
    f_star = -39.16616570377142  # -39.166 d, at x_i = -2.9035...
    traj = CURVES.iloc[:1].assign(objective="styblinski_tang", dim=1, f_star=f_star)
    hist = _history({0: [f_star + 1.0, f_star + 0.25, f_star]})
    out = analysis.convergence((traj, hist), by=[], value="gap", quantiles=(0.5,))
    assert out["q0.5"].tolist() == pytest.approx([1.0, 0.25, 0.0], abs=1e-12)
    unknown = traj.assign(objective="custom", f_star=np.nan)
    with pytest.raises(ValueError, match="minimum of custom is not known"):
        analysis.convergence((unknown, hist), value="gap")


SENSITIVITY = _trajectories(
    [
        (0, 0.1, "converged", NA, 0.5, 0.5),
        (1, 0.1, "converged", NA, 0.0, 0.0),
        (2, 0.1, "max_iter", NA, 2.0, 1.0),
        (3, 0.1, "diverged", 7, np.nan, 3.0),
        (4, 1.0, "diverged", 3, INF, 4.0),
        (5, 1.0, "diverged", 2, INF, 6.0),
    ]
)


def test_sensitivity_per_step_size():
    out = analysis.sensitivity(SENSITIVITY, by=["optimizer"])
    expected = pd.DataFrame(
        {
            "optimizer": pd.Categorical(["adagrad", "adagrad"]),
            "step_size": [0.1, 1.0],
            "n": [4, 2],
            # final at 0.1: 0, 0.5, 2, +inf (the diverged one)
            "final_q0.25": [0.375, INF],
            "final_q0.5": [1.25, INF],
            "final_q0.75": [INF, INF],
            # best at 0.1: 0, 0.5, 1, 3; at 1.0: 4, 6
            "best_q0.25": [0.375, 4.5],
            "best_q0.5": [0.75, 5.0],
            "best_q0.75": [1.5, 5.5],
            "converged": [0.5, 0.0],
            "diverged": [0.25, 1.0],
        }
    )
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)


def test_best_step_size_at_the_end_and_at_a_budget():
    # step 0.1: finals 0.5, 0, 2, +inf (1 of 4 diverged), median 1.25; step 1.0: both diverged
    none = analysis.best_step_size(SENSITIVITY, by=["optimizer"])
    assert np.isnan(none["step_size"].iloc[0]) and np.isnan(none["median"].iloc[0])
    assert none["diverged"].iloc[0] == 0.25  # the least any step size diverged
    final = analysis.best_step_size(SENSITIVITY, by=["optimizer"], max_diverged=0.25)
    assert final[["step_size", "median", "diverged"]].values.tolist() == [[0.1, 1.25, 0.25]]
    assert final["optimizer"].tolist() == ["adagrad"]
    # at iteration 0: medians 4 (step 0.1) and 1.5 (step 0.01); at 1: 3 and 0.5
    for budget, median in ((0, 1.5), (1, 0.5)):
        out = analysis.best_step_size((CURVES, CURVES_HISTORY), by=[], budget=budget)
        assert out[["step_size", "median"]].values.tolist() == [[0.01, median]]
    # by iteration 2, step 0.1 has three of five at +inf: median +inf; 0.01 has 0, 0.5
    out = analysis.best_step_size((CURVES, CURVES_HISTORY), by=[], budget=5)
    assert out[["step_size", "median"]].values.tolist() == [[0.01, 0.25]]
    with pytest.raises(ValueError, match="max_diverged"):
        analysis.best_step_size(SENSITIVITY, max_diverged=1.5)


def _ruled(rows: list[tuple]) -> pd.DataFrame:
    """objective, step_size, f_final, iters_to_target (None: not reached; f +inf: diverged)."""
    df = pd.DataFrame(rows, columns=["objective", "step_size", "f_final", "iters_to_target"])
    dead = np.isposinf(df["f_final"])
    return df.assign(
        trajectory=np.arange(len(df)),
        optimizer="adagrad",
        status=np.where(dead, "diverged", "converged"),
        diverged_at=pd.array(np.where(dead, 5, -1), "Int32").astype("Int32"),
        f_best=df["f_final"].where(~dead, 1.0),
        iters_to_target=df["iters_to_target"].astype("Float64"),
    ).assign(diverged_at=lambda d: d["diverged_at"].where(dead, pd.NA))


RULED = _ruled(
    [
        *(("a", 0.01, f, None) for f in (1e-3, 2e-3, 3e-3)),  # median 2e-3
        *(("a", 0.1, 0.0, n) for n in (50, 60, 70)),  # median 0, 60 iterations
        *(("a", 1.0, f, n) for f, n in ((1e-49, 10), (1e-50, 20), (0.0, 30))),  # 1e-50, 20
        *(("a", 10.0, f, n) for f, n in ((1e-60, 5), (1e-60, 5), (INF, None))),  # 1 of 3 died
        *(("b", 0.1, 1e-2, None) for _ in range(3)),
        *(("b", 1.0, f, None) for f in (1e-6, 1e-6, INF)),  # median 1e-6, 1 of 3 died
    ]
)


def test_the_best_step_size_is_admissible_values_below_the_floor_tie_and_robust_wins():
    best = analysis.best_step_size(RULED, by=["objective"])
    # a: 0 (step 0.1) and 1e-50 (step 1) tie below the floor; step 1 takes 20 iterations, not
    # 60; step 10 (lower still) lost a seed; b: step 1 (median 1e-6) lost a seed
    assert best[["objective", "step_size"]].values.tolist() == [["a", 1.0], ["b", 0.1]]
    assert best["diverged"].tolist() == [0.0, 0.0] and best["iters"].tolist()[0] == 20
    lax = analysis.best_step_size(RULED, by=["objective"], max_diverged=0.5)
    # a: step 10 ties with step 1 below the floor and loses on the fraction diverged
    assert lax["step_size"].tolist() == [1.0, 1.0]
    floorless = analysis.best_step_size(RULED, by=["objective"], floor=0.0)
    assert floorless["step_size"].tolist() == [0.1, 0.1]  # median 0 beats 1e-50


# recorded at 0, 1, 2, 4, 8 (a log schedule); step 1.0's trajectory 2 diverges at
# iteration 3, between two records, so its last row at or before 3 is a finite 1e-4
SPARSE = _trajectories(
    [
        (0, 0.1, "max_iter", NA, 0.01, 0.01),
        (1, 0.1, "max_iter", NA, 0.02, 0.02),
        (2, 1.0, "diverged", 3, INF, 1e-4),
        (3, 1.0, "max_iter", NA, 1e-6, 1e-6),
        (4, 1.0, "max_iter", NA, 1e-6, 1e-6),
    ]
)
SPARSE_HISTORY = pd.DataFrame(
    [
        (t, i, f)
        for t, fs in {
            0: [1, 0.5, 0.25, 0.1, 0.01],
            1: [2, 1, 0.5, 0.2, 0.02],
            2: [1, 1e-3, 1e-4],
            3: [1, 1e-3, 1e-4, 1e-5, 1e-6],
            4: [1, 1e-3, 2e-4, 1e-5, 1e-6],
        }.items()
        for i, f in zip((0, 1, 2, 4, 8), fs, strict=False)
    ],
    columns=["trajectory", "iter", "f"],
)


def test_the_best_step_at_a_budget_counts_a_divergence_between_two_records():
    data = (SPARSE, SPARSE_HISTORY)
    columns = ["step_size", "median", "diverged"]
    # at 3: step 0.1 has 0.25 and 0.5 (median 0.375); step 1.0 has +inf (diverged at 3),
    # 1e-4 and 2e-4: median 2e-4, a third diverged, so it is not admissible
    strict = analysis.best_step_size(data, by=[], budget=3)
    assert strict[columns].values.tolist() == [[0.1, 0.375, 0.0]]
    lax = analysis.best_step_size(data, by=[], budget=3, max_diverged=0.5)
    assert lax[columns].values.tolist() == [[1.0, 2e-4, pytest.approx(1 / 3)]]
    # at 2 nothing has diverged yet: step 1.0's 1e-4, 1e-4, 2e-4 (median 1e-4) wins
    early = analysis.best_step_size(data, by=[], budget=2)
    assert early[columns].values.tolist() == [[1.0, 1e-4, 0.0]]
    tuned = analysis.at_best_step_size(data, by=[], budget=3)
    assert tuned["trajectory"].tolist() == [0, 1]


RUNTIME = _trajectories(
    [
        (0, 0.1, "converged", NA, 0.05, 0.05),
        (1, 0.1, "diverged", 1, INF, 2.0),
        (2, 0.1, "converged", NA, 0.0, 0.0),
    ]
)
RUNTIME_HISTORY = _history({0: [5, 0.5, 0.05], 1: [2, INF], 2: [0.0]})


def test_runtimes_and_their_ecdf_count_unreached_targets():
    rt = analysis.runtimes((RUNTIME, RUNTIME_HISTORY), targets=[1.0, 0.1], by=[])
    expected = pd.DataFrame(
        {
            "trajectory": [0, 1, 2, 0, 1, 2],
            "target": [1.0, 1.0, 1.0, 0.1, 0.1, 0.1],
            "runtime": [1.0, np.nan, 0.0, 2.0, np.nan, 0.0],
        }
    )
    pd.testing.assert_frame_equal(rt, expected, check_dtype=False)
    ecdf = analysis.runtime_ecdf(rt, by=[])
    # 6 (trajectory, target) pairs: 2 solved at 0, 1 more at 1, 1 more at 2, 2 never
    expected = pd.DataFrame({"iter": [0.0, 1.0, 2.0], "fraction": [2 / 6, 3 / 6, 4 / 6]})
    pd.testing.assert_frame_equal(ecdf, expected)
    again = analysis.runtime_ecdf((RUNTIME, RUNTIME_HISTORY), by=[], targets=[1.0, 0.1])
    pd.testing.assert_frame_equal(again, expected)


def _runtime_rows(problem: str, solver: str, times: list[float]) -> list[tuple]:
    return [(problem, 1e-6, solver, t) for t in times]


PROFILE = pd.DataFrame(
    [
        *_runtime_rows("A", "adagrad", [10, 20, 30]),  # median 20
        *_runtime_rows("A", "gd", [40, np.nan, 50]),  # 40, 50, inf: median 50
        *_runtime_rows("B", "adagrad", [np.nan, np.nan, 5]),  # median inf
        *_runtime_rows("B", "gd", [8, 8, np.nan]),  # median 8
        *_runtime_rows("C", "adagrad", [np.nan]),  # solved by nobody
        *_runtime_rows("C", "gd", [np.nan]),
    ],
    columns=["objective", "target", "optimizer", "runtime"],
).astype({"objective": "category", "optimizer": "category"})


def test_performance_ratios_and_profile():
    ratios = analysis.performance_ratios(PROFILE)
    expected = pd.DataFrame(
        {
            "objective": pd.Categorical(["A", "A", "B", "B", "C", "C"]),
            "target": [1e-6] * 6,
            "optimizer": pd.Categorical(["adagrad", "gd"] * 3),
            "cost": [20.0, 50.0, INF, 8.0, INF, INF],
            "ratio": [1.0, 2.5, INF, 1.0, INF, INF],
        }
    )
    pd.testing.assert_frame_equal(ratios, expected)
    profile = analysis.performance_profile(PROFILE)
    expected = pd.DataFrame(
        {
            "optimizer": pd.Categorical(["adagrad", "adagrad", "gd", "gd"]),
            "tau": [1.0, 2.5, 1.0, 2.5],
            # adagrad: best on A only; gd: best on B, within 2.5 on A; nobody on C
            "fraction": [1 / 3, 1 / 3, 1 / 3, 2 / 3],
        }
    )
    pd.testing.assert_frame_equal(profile, expected)
    pd.testing.assert_frame_equal(analysis.performance_profile(ratios), expected)
    at = analysis.performance_profile(PROFILE, taus=[3.0])
    assert at["fraction"].tolist() == [1 / 3, 2 / 3]


def test_column_quantiles_understand_infinities():
    values = np.array([[1.0, INF, 0.0], [2.0, INF, np.nan], [INF, INF, np.nan]])
    out = analysis.column_quantiles(values, [0.0, 0.5, 1.0])
    assert out.tolist() == [[1.0, INF, 0.0], [2.0, INF, 0.0], [INF, INF, 0.0]]


def test_at_best_step_size_keeps_each_groups_trajectories_at_its_best_step():
    # two objectives, one with a parameter the other lacks (NaN: a key all the same)
    frame = pd.concat(
        [
            SENSITIVITY.assign(objective="ellipsoid", **{"objective.log10_condition": 6.0}),
            SENSITIVITY.assign(objective="sphere", **{"objective.log10_condition": np.nan}),
        ],
        ignore_index=True,
    )
    by = ["objective", "objective.log10_condition", "optimizer"]
    assert analysis.at_best_step_size(frame, by=by).empty  # step 0.1 lost 1 of 4 seeds
    best = analysis.at_best_step_size(frame, by=by, max_diverged=0.25)
    assert best["objective"].value_counts().to_dict() == {"ellipsoid": 4, "sphere": 4}
    assert (best["step_size"] == 0.1).all() and (best["median"] == 1.25).all()
    assert (
        best["trajectory"].tolist() == frame.loc[frame["step_size"] == 0.1, "trajectory"].tolist()
    )
    # a group with no admissible step size is not drawn at a diverging one
    assert (
        analysis.at_best_step_size(RULED, by=["objective"])["step_size"] == [1.0] * 3 + [0.1] * 3
    ).all()
    lost = analysis.at_best_step_size(frame[frame["step_size"] == 1.0], by=by, max_diverged=0.25)
    assert lost.empty
