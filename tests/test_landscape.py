"""Landscapes: a run writes its 2-D objective's values on a grid (landscape.npz) and its f*
(manifest.json); the contour and surface draw from those arrays, never from the objective;
analysis reads f* from what the store loaded."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, run_cli
from matplotlib.contour import QuadContourSet
from test_plots import _gid, _legend_texts, _render

import adagrad_lab as al
from adagrad_lab import analysis, plots
from adagrad_lab.commands.run import run
from adagrad_lab.report import page as report_page
from adagrad_lab.store.landscape import LANDSCAPE, Landscape, read_landscape, write_landscape

INF = np.inf

# Himmelblau's four global minima (value 0), from the literature
HIMMELBLAU_MINIMA = [
    (3.0, 2.0),
    (-2.805118, 3.131312),
    (-3.779310, -3.283186),
    (3.584428, -1.848126),
]


def _himmelblau(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _run(make_cfg, run_dir, extra):
    overrides = [*FAST, *extra]
    run(make_cfg(overrides), run_dir, overrides)
    return run_dir


def test_a_run_writes_the_values_on_a_grid_and_f_star(make_cfg, tmp_path):
    run_dir = _run(make_cfg, tmp_path / "run", ["objective=himmelblau"])
    found = read_landscape(run_dir)
    assert found is not None and found.objective == "himmelblau"
    assert found.bounds == ((-5.0, 5.0), (-5.0, 5.0)) and found.f.shape == (201, 201)
    xs, ys = np.meshgrid(found.x, found.y)
    np.testing.assert_allclose(found.f, _himmelblau(xs, ys), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(found.minima, HIMMELBLAU_MINIMA, atol=1e-6)
    assert found.f_star == 0.0 and found.linthresh == (0.0, 0.0)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["f_star"] == 0.0


def test_styblinski_tang_records_its_minimum_and_analysis_reads_it(make_cfg, tmp_path):
    run_dir = _run(make_cfg, tmp_path / "run", ["objective=styblinski_tang", "objective.dim=3"])
    f_star = 3 * -39.16616570377142  # -39.166 d, at x_i = -2.9035...
    assert json.loads((run_dir / "manifest.json").read_text())["f_star"] == pytest.approx(f_star)
    assert not (run_dir / LANDSCAPE).exists()  # 3-D: no contour to draw
    res = al.load(run_dir)
    assert res.trajectories["f_star"].tolist() == pytest.approx([f_star] * 6)
    best = analysis.convergence(res, by=[], value="gap", quantiles=(0.5,))["q0.5"].iloc[-1]
    plain = analysis.convergence(res, by=[], value="f", quantiles=(0.5,))["q0.5"].iloc[-1]
    assert best == pytest.approx(plain - f_star)


def test_a_run_made_before_f_star_was_recorded_falls_back(make_cfg, tmp_path):
    run_dir = _run(make_cfg, tmp_path / "run", ["objective=styblinski_tang"])
    path = run_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["f_star"]
    path.write_text(json.dumps(manifest))
    res = al.load(run_dir)
    assert res.trajectories["f_star"].isna().all()
    auto = analysis.convergence(res, by=[], quantiles=(0.5,))
    plain = analysis.convergence(res, by=[], value="f", quantiles=(0.5,))
    pd.testing.assert_frame_equal(auto, plain)  # "auto": f itself where f* is unknown
    with pytest.raises(ValueError, match="the minimum of styblinski_tang is not known"):
        analysis.convergence(res, value="gap")


def test_an_ill_conditioned_ellipsoid_gets_a_symlog_axis_that_resolves_its_level_sets(
    make_cfg, tmp_path
):
    run_dir = _run(make_cfg, tmp_path / "run", ["objective=ellipsoid"])  # condition 1e6
    found = read_landscape(run_dir)
    assert found is not None
    # the level set that spans the box along x1 (f = 1) spans x2 in +-1/sqrt(1e6)
    assert found.linthresh[0] == 0.0 and found.linthresh[1] == pytest.approx(1e-3, rel=1e-3)
    np.testing.assert_allclose(found.x, np.linspace(-1, 1, 201))
    assert found.y[0] == -1.0 and found.y[-1] == 1.0 and np.all(np.diff(found.y) > 0)
    core = np.abs(found.y) <= 1e-3
    assert core.sum() >= 40  # an even grid on [-1, 1] has 1 point there
    xs, ys = np.meshgrid(found.x, found.y)
    np.testing.assert_allclose(found.f, xs**2 + 1e6 * ys**2, rtol=1e-12)
    # in the core, the ellipses f = 1e-2 .. 1 each cross x2 = 0 and the x2 axis: closed
    assert set(np.unique(np.floor(np.log10(found.f[core][:, 100].clip(1e-12))))) >= {-2, -1, 0}
    fig = plots.contour(found)
    _render(fig)
    ax = fig.axes[0]
    assert ax.get_yscale() == "symlog" and ax.get_xscale() == "linear"
    assert ax.get_ylim() == (-1.0, 1.0)


def test_the_contour_draws_every_minimum_and_every_path_point():
    good = np.array([[-4.0, -4.0], [-1.0, 0.0], [1.0, 1.0], [2.5, 1.8], [3.0, 2.0]])
    lost = np.array([[4.0, -4.0], [4.5, -4.5], [INF, -INF], [np.nan, np.nan]])
    fig = plots.contour(al.landscape("himmelblau"), paths=[good, lost], labels=["seed 0", "seed 1"])
    _render(fig)
    ax = fig.axes[0]
    assert any(isinstance(c, QuadContourSet) for c in ax.collections)
    (minima,) = _gid(ax, "minimum")
    marked = sorted(zip(minima.get_xdata(), minima.get_ydata(), strict=True))
    np.testing.assert_allclose(marked, sorted(HIMMELBLAU_MINIMA), atol=1e-6)
    paths = _gid(ax, "path")
    assert [len(p.get_xdata()) for p in paths] == [5, 4]  # every iterate, non-finite as gaps
    assert len(_gid(ax, "start")) == 2 and len(_gid(ax, "end")) == 1
    (diverged,) = _gid(ax, "diverged")
    assert diverged.get_xdata().tolist() == [4.5]  # the last finite point of the lost path
    assert ax.get_xlim() == (-5.0, 5.0) and ax.get_xlabel() == "$x_1$"
    texts = _legend_texts(ax)
    assert {"seed 0", "seed 1", "start", "end", "the 4 global minima x*"} <= set(texts)
    # one path as an array, explicit bounds, a linear colour scale; one minimum
    fig = plots.contour(al.landscape("booth", ((-2.0, 4.0), (0.0, 6.0))), paths=good, log=False)
    ax = fig.axes[0]
    assert len(_gid(ax, "path")) == 1 and ax.get_ylim() == (0.0, 6.0)
    assert "minimum x*" in _legend_texts(ax)
    with pytest.raises(ValueError, match="not one of"):
        al.landscape("nope")
    with pytest.raises(ValueError, match="bounds"):
        al.landscape("rosenbrock", bounds=(1.0, 0.0))
    with pytest.raises(ValueError, match=r"\(k, 2\)"):
        plots.contour(al.landscape("booth"), paths=[np.zeros((3, 3))])


def test_the_grid_is_the_objective():
    found = al.landscape("booth", bounds=(-10.0, 10.0), resolution=7)
    xs, ys = np.meshgrid(found.x, found.y)
    np.testing.assert_allclose(found.f, (xs + 2 * ys - 7) ** 2 + (2 * xs + ys - 5) ** 2, rtol=1e-12)
    np.testing.assert_allclose(found.x, [-10.0, -20 / 3, -10 / 3, 0.0, 10 / 3, 20 / 3, 10.0])
    found = al.landscape("ellipsoid", bounds=(-1.0, 1.0), resolution=5, log10_condition=1.0)
    xs, ys = np.meshgrid(found.x, found.y)
    np.testing.assert_allclose(found.f, xs**2 + 10 * ys**2, rtol=1e-12)
    assert found.linthresh == (0.0, 0.0)  # condition 10: both axes linear


def test_a_landscape_reads_back_as_written(tmp_path):
    x, y = np.linspace(0, 1, 3), np.linspace(-1, 1, 4)
    written = Landscape(x, y, np.arange(12.0).reshape(4, 3), np.nan, [(0.5, 0.0)], "mine", (0, 0.1))
    write_landscape(tmp_path, written)
    back = read_landscape(tmp_path)
    assert back is not None and np.isnan(back.f_star) and back.linthresh == (0.0, 0.1)
    assert back.objective == "mine" and back.conditioned
    for name in ("x", "y", "f", "minima"):
        np.testing.assert_array_equal(getattr(back, name), getattr(written, name))
    assert read_landscape(tmp_path / "elsewhere") is None
    with pytest.raises(ValueError, match=r"f must be \(len\(y\), len\(x\)\)"):
        Landscape(x, y, np.zeros((3, 4)), 0.0, [])
    # f* unknown: the colour bar measures from the grid's minimum
    fig = plots.contour(back)
    assert "min f on the grid 0" in fig.axes[-1].get_ylabel()


def test_surface_is_3d():
    fig = plots.surface(al.landscape("sphere", resolution=21))
    _render(fig)
    (ax,) = fig.axes
    assert ax.name == "3d" and ax.get_zlabel() == "f(x)" and ax.collections
    (ax,) = plots.surface(al.landscape("rosenbrock", resolution=21), log=True).axes
    assert ax.get_zlabel() == "log10(f(x) - f*)"


def test_the_report_draws_no_surface_of_an_ill_conditioned_objective(tmp_path):
    report = [o for o in FAST if not o.startswith("report.")]
    for name in ("ellipsoid", "sphere"):
        done = run_cli([*report, f"objective={name}", f"hydra.run.dir={tmp_path / name}"], tmp_path)
        assert done.returncode == 0, done.stderr
    ellipsoid = {p.name for p in (tmp_path / "ellipsoid" / "report").iterdir()}
    assert "contour_ellipsoid.png" in ellipsoid and "surface_ellipsoid.png" not in ellipsoid
    text = (tmp_path / "ellipsoid" / "report" / "index.html").read_text()
    assert "symmetric-log" in text
    sphere = {p.name for p in (tmp_path / "sphere" / "report").iterdir()}
    assert {"contour_sphere.png", "surface_sphere.png"} <= sphere


def test_a_run_without_a_landscape_is_reported_without_contour(make_cfg, tmp_path):
    run_dir = _run(make_cfg, tmp_path / "run", ["objective=booth"])
    (run_dir / LANDSCAPE).unlink()
    text = report_page.write_report(run_dir, tmp_path / "r").read_text()
    assert f"booth: no contour, {run_dir} has no {LANDSCAPE}" in text
    assert not list((tmp_path / "r").glob("contour_*"))
