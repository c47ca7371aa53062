"""The figures of `adagrad_lab.plots`, rendered headless from small analysis frames."""

from __future__ import annotations

import io
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import matplotlib

matplotlib.use("Agg")  # the figures need no backend; this keeps any stray pyplot headless

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from adagrad_lab import analysis, plots

INF = np.inf
NA = pd.NA


def _render(fig: Figure) -> bytes:
    """Draw the whole figure (PNG): layout, ticks, legends all computed."""
    assert isinstance(fig, Figure)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    assert buf.getvalue().startswith(b"\x89PNG")
    return buf.getvalue()


def _gid(ax, gid: str) -> list:
    return [a for a in ax.get_children() if a.get_gid() == gid]


def _legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


def _trajectories(rows: list[tuple]) -> pd.DataFrame:
    """trajectory, optimizer, step_size, status, diverged_at, f_final, f_best."""
    df = pd.DataFrame(
        rows,
        columns=[
            "trajectory",
            "optimizer",
            "step_size",
            "status",
            "diverged_at",
            "f_final",
            "f_best",
        ],
    )
    df["optimizer"] = df["optimizer"].astype("category")
    df["diverged_at"] = df["diverged_at"].astype("Int32")
    df["status"] = df["status"].astype("category")
    return df


def _history(curves: dict[int, list[float]]) -> pd.DataFrame:
    rows = [(t, i, f) for t, fs in curves.items() for i, f in enumerate(fs)]
    return pd.DataFrame(rows, columns=["trajectory", "iter", "f"])


# step 0.1: two of three diverge by iteration 2 (median +inf there); step 0.01 reaches 0
CURVES = _trajectories(
    [
        (0, "adagrad", 0.1, "max_iter", NA, 1.0, 1.0),
        (1, "adagrad", 0.1, "diverged", 2, INF, 3.0),
        (2, "adagrad", 0.1, "diverged", 1, INF, 5.0),
        (3, "adagrad", 0.01, "converged", NA, 0.0, 0.0),
        (4, "adagrad", 0.01, "max_iter", NA, 1e-6, 1e-6),
        (5, "adagrad", 0.01, "converged", NA, 0.0, 0.0),
    ]
)
CURVES_HISTORY = _history(
    {0: [10, 3, 1], 1: [8, 3, INF], 2: [9, INF], 3: [5, 1e-3, 0.0], 4: [6, 1e-2, 1e-6], 5: [4, 0.0]}
)


def test_convergence_draws_a_median_and_band_per_step_size_with_floor_and_divergence():
    curves = analysis.convergence((CURVES, CURVES_HISTORY), by=["step_size"])
    assert curves["q0.5"].isin([INF]).any() and (curves["q0.25"] == 0).any()
    fig = plots.convergence(curves, hue="step_size")
    _render(fig)
    (ax,) = fig.axes
    medians = _gid(ax, "median")
    assert len(medians) == 2 and len(_gid(ax, "band")) == 2
    assert ax.get_xlabel() == "iteration" and "f(x)" in ax.get_ylabel()
    assert ax.get_yscale() == "log"  # 1e-6 .. 10: decades
    texts = _legend_texts(ax)
    assert {"0.01", "0.1"} <= set(texts) and ax.get_legend().get_title().get_text() == "step size"
    # the 0 is drawn at the floor, marked and labelled; the +inf median at the ceiling with an X
    (floor,) = _gid(ax, "floor")
    assert floor.get_ydata()[0] == 1e-16 and "<= 1e-16 (floor)" in texts
    (ceiling,) = _gid(ax, "ceiling")
    (x_mark,) = _gid(ax, "diverged")
    assert isinstance(x_mark, PathCollection) and "median diverged" in texts
    top = ceiling.get_ydata()[0]
    assert x_mark.get_offsets().tolist() == [[2.0, top]]
    by_label = {line.get_label(): line for line in medians}
    # nothing dropped: every iteration has a point, +inf at the ceiling
    assert by_label["0.1"].get_ydata().tolist() == [9.0, 3.0, top]
    assert len(by_label["0.01"].get_xdata()) == 3
    assert ax.get_ylim()[0] < 1e-16 and ax.get_ylim()[1] > top


def test_convergence_loglog_per_optimizer_without_zeros_or_divergence():
    curves = pd.DataFrame(
        {
            "optimizer": pd.Categorical(["adagrad"] * 3 + ["gd"] * 3),
            "iter": [0, 10, 100] * 2,
            "n": [4] * 6,
            "q0.25": [1.0, 1e-2, 1e-5, 1.0, 0.5, 0.1],
            "q0.5": [2.0, 1e-1, 1e-4, 2.0, 1.0, 0.5],
            "q0.75": [3.0, 1.0, 1e-3, 3.0, 2.0, 1.0],
        }
    )
    fig = plots.convergence(curves, hue="optimizer", value="gap", logx=True)
    _render(fig)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "iteration + 1" and ax.get_ylabel().startswith("f(x) - f*")
    lines = _gid(ax, "median")
    assert [line.get_label() for line in lines] == ["AdaGrad", "gradient descent"]
    assert lines[0].get_xdata().tolist() == [1.0, 11.0, 101.0]  # iteration 0 has a place
    assert not _gid(ax, "floor") and not _gid(ax, "ceiling") and not _gid(ax, "diverged")
    # linear data stay linear
    flat = curves.assign(**{c: curves[c] * 0 + 1.0 + curves.index % 3 for c in ("q0.25", "q0.5")})
    (ax,) = plots.convergence(flat.drop(columns="q0.75")).axes
    assert ax.get_yscale() == "linear" and not _gid(ax, "band")


def test_convergence_refuses_groups_that_hue_would_mix():
    curves = analysis.convergence((CURVES, CURVES_HISTORY), by=["step_size"])
    with pytest.raises(ValueError, match="more than one row per iter"):
        plots.convergence(curves, hue=[])
    with pytest.raises(ValueError, match=r"lacks q0\.5"):
        plots.convergence(curves.drop(columns="q0.5"))


def _sweep() -> pd.DataFrame:
    """AdaGrad flat over 4 decades of step sizes; gd good at 0.1, diverging from 1 on."""
    rows = []
    t = 0
    for step, ada, gd, gd_diverged in (
        (1e-3, 1e-4, 0.9, 0),
        (1e-2, 1e-6, 0.3, 0),
        (1e-1, 1e-8, 0.0, 0),
        (1.0, 1e-7, 1.0, 2),
        (10.0, 1e-5, 1.0, 3),
    ):
        for seed in range(3):
            rows.append((t, "adagrad", step, "max_iter", NA, ada * (1 + seed), ada))
            t += 1
            if seed < gd_diverged:
                rows.append((t, "gd", step, "diverged", 3, INF, 1.0))
            else:
                rows.append((t, "gd", step, "max_iter", NA, gd * (1 + seed), gd))
            t += 1
    return _trajectories(rows)


def test_sensitivity_shows_the_step_size_claim_with_diverged_fractions():
    table = analysis.sensitivity(_sweep(), by=["optimizer"])
    fig = plots.sensitivity(table)
    _render(fig)
    top, bottom = fig.axes
    assert top.get_xscale() == "log" and bottom.get_xscale() == "log"
    assert bottom.get_xlabel() == "step size" and top.get_ylabel() == "median final f(x)"
    assert bottom.get_ylabel() == "fraction diverged"
    lines = _gid(top, "median")
    assert [line.get_label() for line in lines] == ["AdaGrad", "gradient descent"]
    assert {"AdaGrad", "gradient descent", "+inf (diverged)"} <= set(_legend_texts(top))
    assert top.get_yscale() == "log" and _gid(top, "floor")  # gd's 0 at step 0.1
    # gd's median is +inf at step 10 (3 of 3) and at 1 (2 of 3): two X markers at the ceiling
    (marks,) = _gid(top, "diverged")
    (ceiling,) = _gid(top, "ceiling")
    assert marks.get_offsets().tolist() == [
        [1.0, ceiling.get_ydata()[0]],
        [10.0, ceiling.get_ydata()[0]],
    ]
    fractions = {tuple(line.get_ydata()) for line in _gid(bottom, "diverged_fraction")}
    assert fractions == {(0, 0, 0, 0, 0), (0, 0, 0, 2 / 3, 1)}
    # several frames (one per optimizer) stack into the same figure
    parts = [table[table["optimizer"] == o] for o in ("adagrad", "gd")]
    again = plots.sensitivity(parts, which="best")
    assert len(_gid(again.axes[0], "median")) == 2
    assert again.axes[0].get_ylabel() == "median best f(x)"


def test_sensitivity_facets_one_panel_per_objective_with_one_legend():
    table = analysis.sensitivity(_sweep(), by=["optimizer"])
    # three objectives: gd runs only on two of them; a finite median near the float maximum
    parts = [table.assign(objective=o) for o in ("sphere", "ellipsoid")]
    parts.append(table[table["optimizer"] == "adagrad"].assign(objective="rosenbrock"))
    stacked = pd.concat(parts, ignore_index=True)
    stacked.loc[stacked.index[-1], "final_q0.75"] = 1e307  # matplotlib's log ticks overflow
    fig = plots.sensitivity(stacked, hue="optimizer", facet="objective", title="claim")
    _render(fig)
    assert len(fig.axes) == 6
    tops, bottoms = fig.axes[:3], fig.axes[3:]  # row by row
    assert [ax.get_title() for ax in tops] == [
        "objective ellipsoid",
        "objective rosenbrock",
        "objective sphere",
    ]
    assert [len(_gid(ax, "median")) for ax in tops] == [2, 1, 2]  # gd: not on rosenbrock
    # a curve keeps its colour from panel to panel; one legend for the figure, below
    colours = {line.get_label(): line.get_color() for ax in tops for line in _gid(ax, "median")}
    assert colours["AdaGrad"] != colours["gradient descent"]
    for ax in tops:
        for line in _gid(ax, "median"):
            assert line.get_color() == colours[line.get_label()]
        assert ax.get_legend() is None and ax.get_yscale() == "log"
    (legend,) = fig.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[:2] == ["AdaGrad", "gradient descent"] and "+inf (diverged)" in texts
    assert all(ax.get_ylim()[1] < 1e300 for ax in tops)  # drawn at plots.HUGE at most
    assert {len(_gid(ax, "diverged_fraction")) for ax in bottoms} == {1, 2}
    with pytest.raises(ValueError, match="facet"):
        plots.sensitivity(stacked, facet="dim")


def _grid_table() -> pd.DataFrame:
    steps, epss = [0.01, 0.1, 1.0], [1e-8, 1e-4]
    rows = [(e, s, 10.0 ** -(i + 2 * j)) for j, e in enumerate(epss) for i, s in enumerate(steps)]
    table = pd.DataFrame(rows, columns=["eps", "step_size", "final_q0.5"])
    table.loc[0, "final_q0.5"] = 0.0  # drawn at the floor
    table.loc[5, "final_q0.5"] = INF  # hatched
    return table


def test_heatmap_log_colours_hatches_diverged_cells_and_marks_the_floor():
    fig = plots.heatmap(_grid_table(), x="step_size", y="eps")
    _render(fig)
    ax, bar = fig.axes
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    # the colours span the values above the floor (1e-3 .. 0.1); the 0 is dotted, below the scale
    assert isinstance(mesh.norm, LogNorm) and (mesh.norm.vmin, mesh.norm.vmax) == (1e-3, 0.1)
    (at_floor,) = _gid(ax, "floor")
    assert at_floor.get_xy() == (-0.5, -0.5) and at_floor.get_hatch()
    assert "median final f(x)" in bar.get_ylabel()
    hatched = [p for p in _gid(ax, "diverged") if isinstance(p, Rectangle)]
    assert len(hatched) == 1 and hatched[0].get_xy() == (1.5, 0.5) and hatched[0].get_hatch()
    (legend,) = fig.legends  # below the axes
    assert {"+inf (diverged)", "<= 1e-16 (floor)"} <= {t.get_text() for t in legend.get_texts()}
    assert ax.get_xlabel() == "step size" and ax.get_ylabel().startswith("eps")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.01", "0.1", "1"]
    assert "diverged" in [t.get_text() for t in ax.texts]
    # from trajectories: analysis.sensitivity per (eps, step size) first
    traj = _sweep().query("optimizer == 'adagrad'").assign(eps=1e-8)
    traj = pd.concat([traj, traj.assign(eps=1e-4, trajectory=traj["trajectory"] + 100)])
    assert len(plots.heatmap(traj).axes) == 2
    with pytest.raises(ValueError, match="more than one row per"):
        plots.heatmap(_sweep().assign(eps=1e-8))  # two optimizers per cell


def test_runtime_ecdf_and_performance_profile_step_curves():
    traj = _trajectories(
        [
            (0, "adagrad", 0.1, "converged", NA, 0.05, 0.05),
            (1, "adagrad", 0.1, "converged", NA, 0.0, 0.0),
            (2, "gd", 0.1, "diverged", 1, INF, 2.0),
            (3, "gd", 0.1, "converged", NA, 0.05, 0.05),
        ]
    )
    hist = _history({0: [5, 0.5, 0.05], 1: [0.0], 2: [2, INF], 3: [5, 2, 0.5, 0.05]})
    ecdf = analysis.runtime_ecdf((traj, hist), by=["optimizer"], targets=[1.0, 0.1])
    fig = plots.runtime_ecdf(ecdf)
    _render(fig)
    (ax,) = fig.axes
    lines = _gid(ax, "ecdf")
    assert [line.get_label() for line in lines] == ["AdaGrad", "gradient descent"]
    assert ax.get_xscale() == "log" and "iteration" in ax.get_xlabel()
    assert lines[0].get_drawstyle() == "steps-post" and lines[0].get_xdata()[0] == 1.0
    assert {"AdaGrad", "gradient descent"} <= set(_legend_texts(ax))

    profile = pd.DataFrame(
        {
            "optimizer": pd.Categorical(["adagrad", "adagrad", "gd", "gd"]),
            "tau": [1.0, 2.5, 1.0, 2.5],
            "fraction": [1 / 3, 1 / 3, 1 / 3, 2 / 3],
        }
    )
    fig = plots.performance_profile(profile)
    _render(fig)
    (ax,) = fig.axes
    assert len(_gid(ax, "profile")) == 2 and ax.get_xscale() == "log"
    assert ax.get_xlabel().startswith("tau") and ax.get_ylabel() == "fraction of problems"
    single = plots.performance_profile(profile[profile["tau"] == 1.0])  # one tau: finite limits
    _render(single)


def test_paths_from_history():
    hist = pd.DataFrame(
        {
            "trajectory": [1, 0, 0, 1],
            "iter": [0, 1, 0, 1],
            "x": [np.array([5.0, 6.0]), np.array([1.0, 2.0]), np.array([0.0, 0.0]), [7.0, 8.0]],
        }
    )
    paths = plots.paths_from_history(hist)
    assert [p.tolist() for p in paths] == [[[0, 0], [1, 2]], [[5, 6], [7, 8]]]


def test_figures_render_in_threads_without_pyplot():
    curves = analysis.convergence((CURVES, CURVES_HISTORY), by=["step_size"])
    with ThreadPoolExecutor(4) as pool:
        images = list(pool.map(lambda _: _render(plots.convergence(curves)), range(4)))
    assert len(set(images)) == 1


def test_importing_the_package_does_not_import_matplotlib_nor_plots_pyplot():
    code = (
        "import sys, adagrad_lab; print('matplotlib' in sys.modules); "
        "import adagrad_lab.plots; print('matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_convergence_and_ecdf_facet_one_panel_per_objective_with_one_legend():
    import warnings

    curves = analysis.convergence((CURVES, CURVES_HISTORY), by=["optimizer"])
    # four objectives: a second row of panels; gd only on two of them
    parts = [curves.assign(objective=o) for o in ("booth", "ellipsoid", "rosenbrock", "sphere")]
    parts += [curves.assign(objective=o, optimizer="gd") for o in ("booth", "sphere")]
    stacked = pd.concat(parts, ignore_index=True)
    stacked["optimizer"] = stacked["optimizer"].astype("category")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plots.convergence(stacked, facet="objective", logx=True, title="best steps")
        _render(fig)
    assert [ax.get_title() for ax in fig.axes] == [
        "objective booth",
        "objective ellipsoid",
        "objective rosenbrock",
        "objective sphere",
    ]
    assert fig.get_suptitle() == "best steps"
    assert [len(_gid(ax, "median")) for ax in fig.axes] == [2, 1, 1, 2]
    colours = {line.get_label(): line.get_color() for ax in fig.axes for line in _gid(ax, "median")}
    for ax in fig.axes:
        assert ax.get_legend() is None
        for line in _gid(ax, "median"):
            assert line.get_color() == colours[line.get_label()]
    (legend,) = fig.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[:2] == ["AdaGrad", "gradient descent"] and len(texts) <= 12
    # x labels under the last panel of each column, y labels at the start of each row
    assert [bool(ax.get_xlabel()) for ax in fig.axes] == [False, True, True, True]
    assert [bool(ax.get_ylabel()) for ax in fig.axes] == [True, False, False, True]
    width, height = fig.get_size_inches()
    assert width < 14 and height < 10

    ecdf = pd.DataFrame(
        {
            "objective": ["booth"] * 4 + ["sphere"] * 4,
            "optimizer": pd.Categorical(["adagrad", "adagrad", "gd", "gd"] * 2),
            "iter": [0, 5] * 4,
            "fraction": [0.1, 0.5, 0.0, 1.0] * 2,
        }
    )
    fig = plots.runtime_ecdf(ecdf, hue="optimizer", facet="objective")
    _render(fig)
    assert [len(_gid(ax, "ecdf")) for ax in fig.axes] == [2, 2]
    assert len(fig.legends) == 1 and fig.axes[0].get_legend() is None
    with pytest.raises(ValueError, match="facet"):
        plots.runtime_ecdf(ecdf, facet="dim")


def test_a_heatmap_of_many_step_sizes_stays_readable():
    steps = np.geomspace(1e-8, 1e2, 21)
    table = pd.DataFrame(
        [(o, s, s * (i + 1)) for i, o in enumerate(("adagrad", "gd")) for s in steps],
        columns=["optimizer", "step_size", "final_q0.5"],
    )
    fig = plots.heatmap(table, x="step_size", y="optimizer")
    _render(fig)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) <= 12 and labels[0] == "1e-08" and not ax.texts  # too narrow to annotate
    assert fig.get_size_inches()[0] <= 14
