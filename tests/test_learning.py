"""Learning problems: the counter-based generator, the oracle's gradients (full batch,
minibatches, noise) against plain-NumPy references, f* against independent solvers, the
bits under any cut of the run, and every bad value refused with its key."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, run_cut
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from learning_reference import BATCH, NOISE, batch, gradient, normal, stream, uniform

from adagrad_lab import read_history, read_manifest, read_trajectories
from adagrad_lab.catalog import N_HP, OBJECTIVES, OPTIMIZERS
from adagrad_lab.catalog.objectives import full_batch, logistic
from adagrad_lab.commands.run import run
from adagrad_lab.data import optimum
from adagrad_lab.data.matrix import as_dense
from adagrad_lab.data.problem import DataSpec, build, pack
from adagrad_lab.jit import counter
from adagrad_lab.kernel.driver import advance
from adagrad_lab.sweep.plan import ConfigError
from adagrad_lab.sweep.validate import make_plan

GD = OPTIMIZERS["gd"].code
STEP = 0.5


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**40 + 7])
def test_the_counter_generator_is_the_plain_python_one(seed):
    for domain in (BATCH, NOISE):
        for k in (0, 1, 999):
            key = counter.stream(np.int64(seed), np.uint64(domain), np.int64(k))
            assert int(key) == stream(seed, domain, k)
            for c in (0, 1, 31, 10**6):
                assert counter.uniform(np.uint64(key), np.int64(c)) == uniform(int(key), c)
            assert counter.normal(np.uint64(key), np.int64(3)) == normal(int(key), 3)


def _data(kind, density, intercept=False, n=60, d=4):
    spec = DataSpec(kind=kind, n_samples=n, n_features=d, density=density, intercept=intercept)
    return build(spec)


def _steps(ds, kind, rows, n_iter, replacement=False, noise="none", start=0.3):
    """Run gradient descent with step STEP; the recorded points of every lane."""
    p, ip = pack(ds, replacement, noise)
    n = len(rows["seed"])
    hp = np.zeros((N_HP + 4, n))
    hp[0] = STEP
    for r, name in enumerate(("seed", "batch_size", "noise_sigma", "objective_l2")):
        hp[N_HP + r] = rows[name]
    x0 = np.full((n, ds.dim), start) + 0.01 * np.arange(ds.dim)
    out = advance(
        x0, hp, rule=GD, n_iter=n_iter, code=OBJECTIVES[kind].code, params=p, iparams=ip,
        rec_iters=np.arange(n_iter + 1), rec_points=True, block=4,
    )  # fmt: skip
    return out["h_x"], out["h_f"]


@pytest.mark.parametrize("kind", ["least_squares", "logistic"])
@pytest.mark.parametrize("density", [1.0, 0.3])
@pytest.mark.parametrize("intercept", [False, True])
def test_full_batch_gradient_and_value_are_numpys(kind, density, intercept):
    ds = _data(kind, density, intercept)
    rows = {"seed": [0, 1], "batch_size": [0, 0], "noise_sigma": [0, 0], "objective_l2": [0, 0.3]}
    points, values = _steps(ds, kind, rows, 3)
    a, y = as_dense(ds.train), ds.y_train
    for lane, l2 in enumerate(rows["objective_l2"]):
        for k in range(3):
            f, g = gradient(kind, a, y, points[lane, k], l2, intercept)
            assert values[lane, k] == pytest.approx(f, rel=1e-13)
            step = (points[lane, k] - points[lane, k + 1]) / STEP
            np.testing.assert_allclose(step, g, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("replacement", [False, True])
@pytest.mark.parametrize("density", [1.0, 0.3])
def test_minibatch_gradients_use_the_generators_batches(replacement, density):
    ds = _data("logistic", density)
    seeds = [0, 5, 5, 9]
    rows = {
        "seed": seeds,
        "batch_size": [7, 7, 3, 7],
        "noise_sigma": [0] * 4,
        "objective_l2": [0.1] * 4,
    }
    points, values = _steps(ds, "logistic", rows, 3, replacement)
    a, y = as_dense(ds.train), ds.y_train
    for lane, seed in enumerate(seeds):
        size = rows["batch_size"][lane]
        for k in range(3):
            picks = batch(seed, k, size, ds.n_train, replacement)
            _, g = gradient("logistic", a[picks], y[picks], points[lane, k], 0.1, False)
            step = (points[lane, k] - points[lane, k + 1]) / STEP
            np.testing.assert_allclose(step, g, rtol=1e-9, atol=1e-13)
            # recorded values are the training objective, not the batch's
            f, _ = gradient("logistic", a, y, points[lane, k], 0.1, False)
            assert values[lane, k] == pytest.approx(f, rel=1e-13)


def test_a_seed_sees_the_same_batches_at_every_lane():
    ds = _data("least_squares", 1.0)
    rows = {"seed": [3, 3], "batch_size": [5, 5], "noise_sigma": [0, 0], "objective_l2": [0, 0]}
    points, _ = _steps(ds, "least_squares", rows, 4)
    assert np.array_equal(points[0], points[1])


@pytest.mark.parametrize("noise", ["additive", "multiplicative"])
def test_gradient_noise_is_the_generators_normals(noise):
    ds = _data("least_squares", 1.0)
    rows = {"seed": [2, 4], "batch_size": [0, 0], "noise_sigma": [0.5, 0.1], "objective_l2": [0, 0]}
    points, _ = _steps(ds, "least_squares", rows, 2, noise=noise)
    a, y = as_dense(ds.train), ds.y_train
    for lane, seed in enumerate(rows["seed"]):
        sigma = rows["noise_sigma"][lane]
        for k in range(2):
            _, g = gradient("least_squares", a, y, points[lane, k], 0.0, False)
            key = stream(seed, NOISE, k)
            z = np.array([normal(key, i) for i in range(ds.dim)])
            want = g + sigma * z if noise == "additive" else g * (1.0 + sigma * z)
            step = (points[lane, k] - points[lane, k + 1]) / STEP
            np.testing.assert_allclose(step, want, rtol=1e-9, atol=1e-13)


def test_a_full_sized_batch_without_noise_gives_the_full_batch_bits():
    ds = _data("logistic", 0.3)
    n = ds.n_train
    rows = {
        "seed": [0, 1, 2],
        "batch_size": [0, n, 0],
        "noise_sigma": [0, 0, 0],
        "objective_l2": [0] * 3,
    }
    rows_mixed = {**rows, "batch_size": [0, n, 7]}  # one sampled lane: every lane per lane
    for r in (rows, rows_mixed):
        points, values = _steps(ds, "logistic", r, 5, noise="additive")
        assert np.array_equal(points[0], points[1]) and np.array_equal(values[0], values[1])


@pytest.mark.parametrize("kind", ["least_squares", "logistic"])
@pytest.mark.parametrize(("d", "intercept"), [(1, False), (2, False), (3, True), (5, False)])
def test_the_grouped_full_batch_gives_the_per_lane_bits(kind, d, intercept):
    # dense rows go four samples at a time and the n % 4 left over one by one, features
    # two at a time and an odd one last: each lane's bits are still those of a lane alone
    ds = _data(kind, 1.0, intercept, n=63, d=d)
    assert ds.n_train % full_batch.GROUP != 0
    p, ip = pack(ds, False, "none")
    hp = np.zeros((N_HP + 4, 4))
    hp[0], hp[N_HP + 3] = STEP, 0.2
    hp[N_HP + 1] = [0, 0, 0, 7]  # in blocks of 2, lane 3's batches send lane 2 one by one
    x0 = np.tile(np.random.default_rng(3).normal(0.0, 0.7, ds.dim), (4, 1))
    runs = {}
    for block in (1, 2):
        out = advance(
            x0, hp, rule=GD, n_iter=4, code=OBJECTIVES[kind].code, params=p, iparams=ip,
            rec_iters=np.arange(5), rec_points=True, block=block,
        )  # fmt: skip
        runs[block] = out["h_x"], out["h_f"]
    alone_x, alone_f = runs[2][0][2], runs[2][1][2]
    for h_x, h_f in runs.values():  # a full pass of one lane, and of two
        assert np.array_equal(h_x[0], alone_x) and np.array_equal(h_f[0], alone_f)
    assert not np.array_equal(runs[2][0][3], alone_x)


def _exp(t: float) -> float:
    """C's exp: infinity past the largest double (Python's raises)."""
    try:
        return math.exp(t)
    except OverflowError:
        return math.inf


def test_the_logistic_loss_is_the_textbooks_bit_for_bit():
    # the branch-free loss against log1p(exp(-m)) for m > 0, else -m + log1p(exp(m))
    rng = np.random.default_rng(0)
    special = [0.0, -0.0, 5e-324, -5e-324, 1e-300, 36.0, 709.0, 710.0, -745.0, -746.0]
    margins = [*special, *rng.normal(0.0, 1.0, 300), *rng.normal(0.0, 300.0, 300)]
    for m in [*margins, math.inf, -math.inf]:
        for y in (-1.0, 1.0):
            got = logistic.loss(m * y, y)  # the margin y * (m y) is m
            value = math.log1p(_exp(-m)) if m > 0 else -m + math.log1p(_exp(m))
            want = (value, -y / (1.0 + _exp(m)))
            assert np.array(got).tobytes() == np.array(want).tobytes(), m


def test_logistic_f_star_is_scikit_learns():
    linear_model = pytest.importorskip("sklearn.linear_model")
    ds = build(DataSpec(kind="logistic", data="sklearn:breast_cancer", standardize=True))
    l2 = 0.01
    f_star, _ = optimum.solve("logistic", ds.train, ds.y_train, l2, False)
    n = ds.n_train
    model = linear_model.LogisticRegression(
        C=1.0 / (n * l2), fit_intercept=False, tol=1e-14, max_iter=10_000
    )
    model.fit(ds.train, ds.y_train)
    f_sklearn = optimum.logistic_value(ds.train, ds.y_train, model.coef_[0], l2, np.ones(ds.dim))
    assert f_star == pytest.approx(f_sklearn, rel=1e-8)
    assert f_star <= f_sklearn + 1e-15


@pytest.mark.parametrize("density", [1.0, 0.2])
def test_least_squares_f_star_is_lstsqs(density):
    ds = _data("least_squares", density, intercept=True, n=80, d=6)
    a, y = as_dense(ds.train), ds.y_train
    w = np.linalg.lstsq(a, y, rcond=None)[0]
    f_star, _ = optimum.solve("least_squares", ds.train, y, 0.0, True)
    assert f_star == pytest.approx(0.5 * np.mean((a @ w - y) ** 2), rel=1e-10)
    # with the penalty: the gradient vanishes at x*
    f_pen, x_pen = optimum.solve("least_squares", ds.train, y, 0.2, True)
    _, g = gradient("least_squares", a, y, x_pen, 0.2, True)
    assert np.linalg.norm(g) < 1e-12 and f_pen >= f_star


STOCHASTIC = [
    *FAST,
    "objective=logistic",
    "optimizer=gd",  # the kernel variant the gradient tests compile
    "objective.n_samples=50",
    "objective.n_features=5",
    "objective.density=0.4",
    "objective.batch_size=[4,null]",
    "noise.kind=additive",
    "noise.sigma=[0,0.2]",
    "sweep.seeds=3",
]


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    chunk=st.integers(1, 12),
    block=st.sampled_from([1, 3, 8]),
    threads=st.sampled_from([1, 2]),
    shards=st.integers(1, 3),
)
def test_noisy_minibatch_bits_do_not_depend_on_the_cut(
    make_cfg, tmp_path_factory, chunk, block, threads, shards
):
    ref_dir, dirs = run_cut(make_cfg, tmp_path_factory, STOCHASTIC, chunk, block, threads, shards)
    union = pd.concat([read_trajectories(d) for d in dirs], ignore_index=True)
    ref = read_trajectories(ref_dir)
    for column in ("x_final", "f_final", "f_best", "f_star"):
        assert np.array_equal(np.stack(ref[column].to_numpy()), np.stack(union[column].to_numpy()))
    union_h = pd.concat([read_history(d) for d in dirs], ignore_index=True)
    assert np.array_equal(read_history(ref_dir)["f"].to_numpy(), union_h["f"].to_numpy())


def test_a_run_records_the_data_and_f_star(make_cfg, tmp_path):
    run(make_cfg([*STOCHASTIC, "objective.l2=[0.001,0.01]"]), tmp_path)
    traj = read_trajectories(tmp_path)
    assert {"batch_size", "noise_sigma", "objective_l2", "f_star"} <= set(traj.columns)
    assert len(traj) == 2 * 2 * 2 * 2 * 3  # steps x batches x sigmas x l2 x seeds
    about = read_manifest(tmp_path)["data"]
    assert about["n_train"] + about["n_test"] == 50 and about["sparse"]
    solved = {float(k): v for k, v in about["f_star"].items()}
    for l2, group in traj.groupby("objective_l2"):
        assert (group["f_star"] == solved[l2]).all()
    assert (traj["f_final"] >= traj["f_star"] - 1e-12).all()


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["noise.kind=additive", "noise.sigma=-1"], "noise.sigma"),
        (["objective.batch_size=10000"], "objective.batch_size"),
        (["objective.density=0"], "objective.density"),
        (["objective.density=1.5"], "objective.density"),
        (["noise.kind=loud"], "noise.kind"),
        (["noise.sigma=0.1"], "noise.sigma"),
        (["objective.data=sklearn:iris"], "objective.data"),
        (["objective.data=no/such/file.svm"], "objective.data"),
        (["objective.test_fraction=1"], "objective.test_fraction"),
        (["objective.test_fraction=-0.1"], "objective.test_fraction"),
        (["objective.dim=3"], "objective.dim"),
        (["objective.l2=-1"], "objective.l2"),
    ],
)
def test_bad_learning_values_name_their_key(make_cfg, overrides, key):
    with pytest.raises(ConfigError) as err:
        make_plan(make_cfg(["objective=logistic", *overrides]))
    assert err.value.key == key


@pytest.mark.parametrize(
    "override",
    ["objective.l2=0.1", "objective.batch_size=4", "noise.kind=additive", "objective.data=x.svm"],
)
def test_a_test_function_refuses_the_learning_keys(make_cfg, override):
    with pytest.raises(ConfigError, match="least_squares and logistic"):
        make_plan(make_cfg(["objective=sphere", override]))


def test_a_malformed_svmlight_file_names_its_line(make_cfg, tmp_path):
    path = tmp_path / "bad.svm"
    path.write_text("1 1:0.5 2:1\n-1 3:0.25\n+1 2:x\n")
    with pytest.raises(ConfigError, match="line 3: '2:x' is not INDEX:VALUE"):
        make_plan(make_cfg(["objective=logistic", f"objective.data={path}"]))


def test_logistic_refuses_labels_that_are_not_binary(make_cfg, tmp_path):
    path = tmp_path / "three.npz"
    np.savez(path, X=np.eye(3), y=np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ConfigError, match="binary labels, got 3 values"):
        make_plan(make_cfg(["objective=logistic", f"objective.data={path}"]))


def test_an_edited_data_file_is_another_config(make_cfg, tmp_path):
    pytest.importorskip("sklearn")
    path = tmp_path / "d.svm"
    path.write_text("".join(f"{1 if i % 2 else -1} 1:{i / 10} 3:{1 - i / 20}\n" for i in range(20)))
    base = [*FAST, "objective=logistic", "optimizer=gd", f"objective.data={path}"]
    base += ["objective.test_fraction=0"]
    run(make_cfg(base), tmp_path / "a")
    path.write_text(path.read_text().replace("1:0.5 ", "1:0.6 "))
    run(make_cfg(base), tmp_path / "b")
    a, b = read_manifest(tmp_path / "a"), read_manifest(tmp_path / "b")
    assert a["data"]["sha256"] != b["data"]["sha256"]
    assert a["config_hash"] != b["config_hash"]
    assert a["data"]["n_train"] == 20 and a["data"]["n_features"] == 3


@pytest.mark.parametrize("kind", ["least_squares", "logistic"])
def test_held_out_metrics_are_those_of_the_recorded_points(make_cfg, tmp_path, kind):
    base = [*STOCHASTIC[:-1], f"objective={kind}", "record.test=true", "record.points=true"]
    base += ["objective.test_fraction=0.3", "record.schedule=log", "sweep.n_iter=40"]
    run(make_cfg(base), tmp_path)
    hist = read_history(tmp_path)
    plan = make_plan(make_cfg(base))
    test, y = plan.problem.heldout
    z = np.stack(hist["x"].to_numpy()) @ as_dense(test).T
    if kind == "logistic":
        loss = np.logaddexp(0.0, -y * z).mean(axis=1)
        error = (np.sign(z) != y).mean(axis=1)
    else:
        loss = 0.5 * ((z - y) ** 2).mean(axis=1)
        error = np.sqrt(((z - y) ** 2).mean(axis=1))
    np.testing.assert_allclose(hist["test_loss"], loss, rtol=1e-12)
    np.testing.assert_allclose(hist["test_error"], error, rtol=1e-12)
    assert len(y) == 15


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["objective=sphere"], "only least_squares and logistic"),
        (["objective=logistic", "objective.test_fraction=0"], "holds out no rows"),
    ],
)
def test_record_test_needs_a_test_set(make_cfg, overrides, message):
    with pytest.raises(ConfigError, match=message) as err:
        make_plan(make_cfg([*overrides, "record.test=true"]))
    assert err.value.key == "record.test"


@pytest.mark.parametrize("batch_size", ["null", "6"])
def test_regret_and_the_polyak_average_are_direct_computations(make_cfg, tmp_path, batch_size):
    base = [*STOCHASTIC[:-4], f"objective.batch_size={batch_size}", "sweep.seeds=2"]
    base += ["record.regret=true", "record.average=true", "record.points=true", "sweep.n_iter=12"]
    run(make_cfg(base), tmp_path)
    plan = make_plan(make_cfg(base))
    traj, hist = read_trajectories(tmp_path), read_history(tmp_path)
    about = read_manifest(tmp_path)["data"]
    n, l2 = about["n_train"], 1e-3  # logistic's default l2
    ds = build(DataSpec(kind="logistic", n_samples=50, n_features=5, density=0.4))
    a, y = as_dense(ds.train), ds.y_train
    assert a.shape[0] == n
    f_star, x_star = optimum.solve("logistic", ds.train, y, l2, False)
    for t, rows in hist.groupby("trajectory"):
        seed = int(traj.loc[traj["trajectory"] == t, "seed"].iloc[0])
        points = np.stack(rows["x"].to_numpy())
        regret = 0.0
        for k, x in enumerate(points):
            picks = np.arange(n) if batch_size == "null" else np.array(batch(seed, k, 6, n, False))
            f_x, _ = gradient("logistic", a[picks], y[picks], x, l2, False)
            f_opt, _ = gradient("logistic", a[picks], y[picks], x_star, l2, False)
            regret += f_x - f_opt
            assert rows["regret"].iloc[k] == pytest.approx(regret, rel=1e-9, abs=1e-12)
            f_avg, _ = gradient("logistic", a, y, points[: k + 1].mean(axis=0), l2, False)
            assert rows["f_avg"].iloc[k] == pytest.approx(f_avg, rel=1e-12)
        mean = np.stack(traj.loc[traj["trajectory"] == t, "x_avg"].to_numpy())[0]
        np.testing.assert_allclose(mean, points.mean(axis=0), rtol=1e-12)
    assert plan.output.extras == ("regret", "average")
    assert f_star == pytest.approx(float(next(iter(about["f_star"].values()))))


@pytest.mark.parametrize("key", ["regret", "average"])
def test_a_test_function_refuses_the_learning_records(make_cfg, key):
    with pytest.raises(ConfigError) as err:
        make_plan(make_cfg(["objective=sphere", f"record.{key}=true"]))
    assert err.value.key == f"record.{key}"


@pytest.mark.parametrize(
    "overrides",
    [
        ["objective=sphere", "objective.instance=2"],
        ["objective=rotated_ellipsoid", "objective.instance=-1"],
        ["objective=logistic", "objective.density=0.5", "objective.instance=1"],
    ],
)
def test_bad_instances_name_their_key(make_cfg, overrides):
    with pytest.raises(ConfigError) as err:
        make_plan(make_cfg(overrides))
    assert err.value.key == "objective.instance"


def test_rotated_synthetic_features_have_rotated_principal_axes():
    plain = build(DataSpec(kind="least_squares", n_samples=4000, n_features=4, log10_condition=2))
    turned = build(
        DataSpec(kind="least_squares", n_samples=4000, n_features=4, log10_condition=2, instance=1)
    )
    for ds, aligned in ((plain, True), (turned, False)):
        cov = np.cov(as_dense(ds.train).T)
        off = np.abs(cov - np.diag(np.diag(cov))).max() / np.abs(cov).max()
        assert (off < 0.05) == aligned
        eig = np.linalg.eigvalsh(cov)
        assert eig.max() / eig.min() == pytest.approx(100.0, rel=0.2)  # the same spectrum


def test_verify_and_rerun_reproduce_a_noisy_minibatch_run(make_cfg, tmp_path):
    from adagrad_lab.commands import rerun
    from adagrad_lab.run.verify import verify

    base = [*STOCHASTIC, "record.test=true", "record.regret=true", "record.average=true"]
    run(make_cfg([*base, "run.chunk_size=5"]), tmp_path / "a")
    checked, problems = verify(tmp_path / "a")
    assert problems == [] and checked == len(read_trajectories(tmp_path / "a"))
    assert verify(tmp_path / "a", sample=3)[1] == []
    assert rerun.main([str(tmp_path / "a"), "--out", str(tmp_path / "b")]) == 0
    for read in (read_trajectories, read_history):
        a, b = read(tmp_path / "a"), read(tmp_path / "b")
        assert list(a.columns) == list(b.columns)
        for column in a.columns:
            values = a[column].to_numpy()
            if values.dtype == object:
                assert all(
                    np.array_equal(x, y) for x, y in zip(values, b[column].to_numpy(), strict=True)
                )
            else:
                assert np.array_equal(
                    values, b[column].to_numpy(), equal_nan=values.dtype.kind == "f"
                )


def test_the_console_summary_gives_the_distance_to_f_star(make_cfg, tmp_path):
    from adagrad_lab.report.summary import summary_heading, summary_table

    run(make_cfg(STOCHASTIC), tmp_path)
    traj = read_trajectories(tmp_path)
    table = summary_table(tmp_path)
    for (step, size, sigma), row in table.iterrows():
        mine = traj[
            (traj.step_size == step) & (traj.batch_size == size) & (traj.noise_sigma == sigma)
        ]
        assert row["median_f_minus_f_star"] == pytest.approx(np.median(mine.f_final - mine.f_star))
    heading = summary_heading(tmp_path)
    assert heading.startswith("logistic (synthetic, dim 5)")
    assert heading.endswith("trajectories; target f - f* <= 1e-8")  # what "converged" counts
    sphere = tmp_path / "sphere"
    run(make_cfg([*FAST, "objective=sphere"]), sphere)
    assert "median_f_minus_f_star" not in summary_table(sphere)
    assert "target" not in summary_heading(sphere)


@pytest.mark.parametrize("name", ["breast_cancer", "digits", "wine"])
def test_every_bundled_classification_gets_its_f_star_unscaled(name):
    pytest.importorskip("sklearn")
    ds = build(DataSpec(kind="logistic", data=f"sklearn:{name}", intercept=True))
    f_star, x_star = optimum.solve("logistic", ds.train, ds.y_train, 1e-3, True)
    assert np.isfinite(f_star) and np.isfinite(x_star).all()
    _, g = gradient("logistic", as_dense(ds.train), ds.y_train, x_star, 1e-3, True)
    assert np.linalg.norm(g) < 1e-6  # raw wine's features reach 1,680: rounding floors g


@pytest.mark.parametrize("stop", [False, True])
def test_a_learning_target_is_on_f_minus_f_star(make_cfg, tmp_path, stop):
    base = [*FAST, "objective=least_squares", "optimizer=gd", "objective.n_samples=50"]
    base += ["objective.n_features=5", "objective.l2=[0,0.1]", "optimizer.step_size=[0.05,0.5]"]
    base += ["sweep.n_iter=60", "sweep.target=1e-3", "record.schedule=every"]
    run(make_cfg([*base, f"sweep.stop_at_target={str(stop).lower()}"]), tmp_path)
    traj, hist = read_trajectories(tmp_path), read_history(tmp_path)
    # f* > target at both l2 values (f <= target is never met) and differs between them
    stars = traj.groupby("objective_l2")["f_star"].first()
    assert len(set(stars)) == 2 and (stars > 1e-3).all()
    hits = 0
    for t, rows in hist.groupby("trajectory"):
        me = traj[traj["trajectory"] == t].iloc[0]
        gap = rows["f"].to_numpy() - me["f_star"]
        reached = rows["iter"].to_numpy()[gap <= 1e-3]
        want = int(reached[0]) if len(reached) else None
        got = None if pd.isna(me["iters_to_target"]) else int(me["iters_to_target"])
        assert got == want, (t, got, want)
        assert (me["status"] == "converged") == (want is not None)
        if stop and want is not None:
            assert rows["iter"].max() == want  # stopped there
        hits += want is not None
    assert 0 < hits < len(traj)  # the small step misses the target in 60 iterations
