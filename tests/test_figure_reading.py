"""Figures people read correctly (issue 18): ordered colours for a numeric setting, labels to
3 significant digits, one display name per optimizer, a subtitle saying what was run, legend
entries with the chosen step size, band swatches in the bands' colours, the ECDF's targets."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from adagrad_lab import plots
from adagrad_lab.catalog import OPTIMIZERS

STEPS = np.geomspace(1e-3, 10, 13)  # the default sweep's: 0.001, 0.00215, ..., 4.64, 10


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast_on_white(colour: str) -> float:
    return 1.05 / (_luminance(colour) + 0.05)


def _significant(text: str) -> int:
    """Significant digits of a number written as text: '0.00215' 3, '1e-08' 1, '10' 2."""
    mantissa = text.lower().split("e")[0].replace("-", "").replace(".", "").lstrip("0")
    return len(mantissa) or 1


def _curves(keys: dict[str, list], iters: int = 3) -> pd.DataFrame:
    """A convergence frame: one curve per row of ``keys``, decreasing medians and a band."""
    rows = []
    for i, values in enumerate(zip(*keys.values(), strict=True)):
        for it in range(iters):
            q = 10.0 ** -(it + i / 10)
            rows.append((*values, it, 3, q / 2, q, q * 2))
    return pd.DataFrame(rows, columns=[*keys, "iter", "n", "q0.25", "q0.5", "q0.75"])


def _medians(fig: Figure, gid: str = "median") -> list:
    return [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == gid]


def _texts(fig: Figure) -> list[str]:
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


# --- a numeric setting: ordered colours, rounded labels -------------------------------------


@pytest.mark.parametrize("column", ["step_size", "batch_size"])
def test_a_numeric_setting_is_drawn_dark_to_light_every_curve_visible(column):
    values = list(STEPS) if column == "step_size" else [1, 4, 16, 64, 256]
    fig = plots.convergence(_curves({column: values}), hue=column)
    lines = _medians(fig)
    assert len(lines) == len(values)
    by_value = sorted(zip(values, lines, strict=True), key=lambda p: p[0])
    lightness = [_luminance(line.get_color()) for _, line in by_value]
    assert all(a < b for a, b in itertools.pairwise(lightness)), lightness
    assert min(_contrast_on_white(line.get_color()) for line in lines) >= 2.0
    pairs = {(to_rgba(line.get_color()), line.get_linestyle()) for line in lines}
    assert len(pairs) == len(lines)


def test_step_size_legend_labels_have_at_most_3_significant_digits():
    fig = plots.convergence(_curves({"step_size": list(STEPS)}), hue="step_size")
    labels = [line.get_label() for line in _medians(fig)]
    assert labels[:3] == ["0.001", "0.00215", "0.00464"] and labels[-1] == "10"
    assert max(_significant(label) for label in labels) <= 3
    legend = _texts(fig)
    assert set(labels) <= set(legend)


def test_labels_take_more_digits_only_where_3_would_merge_two_values():
    fig = plots.convergence(_curves({"step_size": [0.1001, 0.1002, 0.5]}), hue="step_size")
    assert [line.get_label() for line in _medians(fig)] == ["0.1001", "0.1002", "0.5"]


def test_no_colour_and_style_pair_repeats_and_no_faint_yellow_among_many_groups():
    names = [f"run {chr(97 + i)}" for i in range(20)]
    fig = plots.convergence(_curves({"job": names}), hue="job")
    lines = _medians(fig)
    pairs = [(to_rgba(line.get_color()), line.get_linestyle()) for line in lines]
    assert len(set(pairs)) == len(names)
    assert min(_contrast_on_white(line.get_color()) for line in lines) >= 2.0


def test_the_runtime_ecdf_of_several_step_sizes_is_ordered_too():
    ecdf = pd.DataFrame(
        {
            "step_size": np.repeat(STEPS[:5], 2),
            "iter": [0, 10] * 5,
            "fraction": [0.0, 0.5] * 5,
        }
    )
    lines = _medians(plots.runtime_ecdf(ecdf, hue="step_size"), "ecdf")
    lightness = [_luminance(line.get_color()) for line in lines]
    assert lightness == sorted(lightness) and len(set(lightness)) == 5


# --- what was run ----------------------------------------------------------------------------


def _config(n_iter: int = 1000, target: float | None = 1e-8, **objective) -> dict:
    obj = {"name": "ellipsoid", "dim": 2, "log10_condition": 6.0, **objective}
    return {"objective": obj, "sweep": {"seeds": 3, "n_iter": n_iter, "target": target}}


def _trajectories(objective: str = "ellipsoid", seeds: int = 3, **columns) -> pd.DataFrame:
    frame = pd.DataFrame({"seed": np.arange(seeds), "objective": objective, "dim": 2})
    return frame.assign(**columns)


def test_describe_run_says_objective_dimension_condition_iterations_seeds_target():
    line = plots.describe_run(_trajectories(), _config())
    assert line == "ellipsoid, d = 2, condition 1e6; 1000 iterations, 3 seeds, target f <= 1e-8"
    # no condition for an objective without one, no target where none was set
    sphere = plots.describe_run(_trajectories("sphere", seeds=1), _config(50, None))
    assert sphere == "sphere, d = 2; 50 iterations, 1 seed"
    # a multirun: what differs between the jobs listed; a swept condition from its column
    jobs = _trajectories(**{"objective.log10_condition": [2.0, 6.0, 6.0]})
    both = plots.describe_run(jobs, [_config(100), _config(1000)])
    assert both == (
        "ellipsoid, d = 2, condition 100, 1e6; 100, 1000 iterations, 3 seeds, target f <= 1e-8"
    )
    # from the frame alone
    assert plots.describe_run(_trajectories()) == "ellipsoid, d = 2, condition 1e6; 3 seeds"


def test_describe_run_names_the_batch_sizes_of_an_axis():
    # objective.batch_size=[null,16]: the grid's batch_size column (0: the full batch)
    config = {
        "objective": {
            "name": "least_squares",
            "dim": None,
            "log10_condition": 2.0,
            "data": "synthetic",
            "batch_size": [None, 16],
        },
        "sweep": {"seeds": 2, "n_iter": 100, "target": None},
    }
    frame = _trajectories("least_squares", seeds=4, batch_size=[0.0, 16.0, 0.0, 16.0])
    line = "least_squares, d = 2, condition 100, data synthetic, batch full, 16; 100 iterations"
    assert plots.describe_run(frame, [config]) == f"{line}, 4 seeds"
    # without the column, from the config's list
    assert plots.describe_run(frame.drop(columns="batch_size"), [config]) == f"{line}, 4 seeds"
    # the full batch alone is not mentioned
    full = _trajectories("least_squares", seeds=1, batch_size=0.0)
    assert plots.describe_run(full, [config]) == (
        "least_squares, d = 2, condition 100, data synthetic; 100 iterations, 1 seed"
    )


def test_every_figure_takes_a_subtitle_under_its_title():
    curves = _curves({"optimizer": ["adagrad", "gd"]})
    fig = plots.convergence(curves, title="Convergence", subtitle="sphere, d = 2; 3 seeds")
    assert fig.get_suptitle() == "Convergence"
    assert fig.axes[0].get_title() == "sphere, d = 2; 3 seeds"
    faceted = plots.convergence(
        pd.concat([curves.assign(objective=o) for o in ("booth", "sphere")]),
        facet="objective",
        title="Convergence",
        subtitle="two objectives",
    )
    assert faceted.get_suptitle() == "Convergence\ntwo objectives"
    assert [ax.get_title() for ax in faceted.axes] == ["objective booth", "objective sphere"]
    table = pd.DataFrame(
        {
            "optimizer": ["adagrad", "adagrad"],
            "step_size": [0.1, 1.0],
            "eps": [1e-8, 1e-8],
            "final_q0.5": [1.0, 0.5],
            "diverged": [0.0, 0.0],
        }
    )
    sens = plots.sensitivity(table, title="Sensitivity", subtitle="what ran")
    assert sens.get_suptitle() == "Sensitivity" and sens.axes[0].get_title() == "what ran"
    heat = plots.heatmap(table.assign(eps=[1e-8, 1e-4]), subtitle="what ran")
    assert heat.axes[0].get_title() == "what ran"
    ecdf = pd.DataFrame({"optimizer": ["adagrad"] * 2, "iter": [0, 5], "fraction": [0.0, 1.0]})
    assert plots.runtime_ecdf(ecdf, subtitle="what ran").axes[0].get_title() == "what ran"
    profile = ecdf.rename(columns={"iter": "tau"}).assign(tau=[1.0, 2.0])
    assert plots.performance_profile(profile, subtitle="x").axes[0].get_title() == "x"
    long = "word " * 60  # wrapped to the figure's width
    assert "\n" in plots.convergence(curves, subtitle=long).axes[0].get_title()


def test_a_long_subtitle_beside_a_legend_stays_inside_the_figure():
    # the sensitivity figure of a learning problem cut its subtitle's first letters off
    table = pd.DataFrame(
        {
            "optimizer": ["adagrad", "adagrad", "gd", "gd"],
            "step_size": [0.1, 1.0, 0.1, 1.0],
            "final_q0.5": [1.0, 0.5, 2.0, 0.7],
            "diverged": [0.0, 0.0, 0.0, 0.0],
        }
    )
    what = (
        "logistic, d = 30, data sklearn:breast_cancer, batch 32; 1000 iterations, "
        "100 seeds, target f - f* <= 1e-8"
    )
    curves = _curves({"optimizer": ["adagrad", "gd"]})
    for fig in (plots.sensitivity(table, subtitle=what), plots.convergence(curves, subtitle=what)):
        fig.draw_without_rendering()
        box = fig.axes[0].title.get_window_extent()
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width, (box, fig.bbox.width)


# --- one display name per optimizer ---------------------------------------------------------


def test_every_optimizer_has_one_display_name_used_by_legends_and_ticks():
    names = {name: plots.display_name(name) for name in OPTIMIZERS}
    assert names["adagrad"] == "AdaGrad" and names["gd"] == "gradient descent"
    assert names["adam"] == "Adam" and names["adagrad_optax"] == "AdaGrad (Optax)"
    assert len(set(names.values())) == len(names)  # no two rules read alike
    assert all(display != name for name, display in names.items() if name != "momentum")
    assert plots.display_name("my_rule") == "my_rule"  # not in the catalog: as it is
    fig = plots.convergence(_curves({"optimizer": ["adam", "adagrad_optax", "rmsprop"]}))
    assert [line.get_label() for line in _medians(fig)] == ["AdaGrad (Optax)", "Adam", "RMSprop"]
    table = pd.DataFrame(
        {
            "optimizer": ["adam", "adam", "adagrad_torch", "adagrad_torch"],
            "step_size": [0.1, 1.0] * 2,
            "final_q0.5": [1.0, 2.0, 3.0, 4.0],
        }
    )
    heat = plots.heatmap(table, x="step_size", y="optimizer")
    assert [t.get_text() for t in heat.axes[0].get_yticklabels()] == ["AdaGrad (PyTorch)", "Adam"]


def test_the_display_names_come_without_matplotlib():
    code = (
        "import sys; from adagrad_lab.report.summary import summary_heading; "
        "from adagrad_lab.plots import display_name; "
        "print(display_name('adam'), 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["Adam", "False"]


# --- legend entries that say what a curve is --------------------------------------------------


def test_a_curve_at_its_chosen_step_size_says_it_in_the_legend():
    # each optimizer at one step size: the step is no curve key, the legend entry carries it
    curves = _curves({"optimizer": ["adagrad", "gd"], "step_size": [0.0316228, 0.1]})
    fig = plots.convergence(curves, hue="optimizer")
    texts = _texts(fig)
    assert texts[:2] == ["AdaGrad (step 0.0316)", "gradient descent (step 0.1)"]
    default = plots.convergence(curves)  # the step size determined by the optimizer
    assert _texts(default)[:2] == texts[:2]
    ecdf = pd.DataFrame(
        {
            "optimizer": ["adagrad"] * 2 + ["gd"] * 2,
            "step_size": [0.0316228] * 2 + [0.1] * 2,
            "iter": [0, 5] * 2,
            "fraction": [0.0, 1.0] * 2,
        }
    )
    assert _texts(plots.runtime_ecdf(ecdf))[:2] == texts[:2]


def test_a_step_size_that_differs_between_panels_is_named_in_each_panel():
    booth = _curves({"optimizer": ["adagrad", "gd"], "step_size": [0.1, 0.01]})
    sphere = _curves({"optimizer": ["adagrad", "gd"], "step_size": [1.0, 0.01]})
    stacked = pd.concat([booth.assign(objective="booth"), sphere.assign(objective="sphere")])
    fig = plots.convergence(stacked, hue="optimizer", facet="objective")
    (legend,) = fig.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[:2] == ["AdaGrad (step per panel)", "gradient descent (step 0.01)"]
    per_panel = [[t.get_text() for t in ax.get_legend().get_texts()] for ax in fig.axes]
    assert per_panel == [["step 0.1"], ["step 1"]]
    labels = [[line.get_label() for line in _medians_of(ax)] for ax in fig.axes]
    assert labels[1] == ["AdaGrad (step 1)", "gradient descent (step 0.01)"]


def _medians_of(ax) -> list:
    return [a for a in ax.get_children() if a.get_gid() == "median"]


def test_the_band_swatch_is_in_the_bands_colours():
    curves = _curves({"optimizer": ["adagrad", "gd"]})
    fig = plots.convergence(curves)
    (ax,) = fig.axes
    bands = [a for a in ax.get_children() if a.get_gid() == "band"]
    drawn = [tuple(np.round(b.get_facecolor()[0], 6)) for b in bands]
    legend = ax.get_legend()
    assert "25-75% of seeds" in _texts(fig)
    # the swatches the legend draws (the only rectangles in it): one per band's colour
    patches = [p for p in legend.findobj(Rectangle) if p is not legend.get_frame()]
    shown = [tuple(np.round(to_rgba(p.get_facecolor()), 6)) for p in patches]
    assert sorted(shown) == sorted(drawn) and len(set(shown)) == 2
    grey = to_rgba(plots.GREY)[:3]
    assert all(s[:3] != tuple(np.round(grey, 6)) for s in shown)


def test_the_sensitivity_figure_says_fraction_diverged():
    table = pd.DataFrame(
        {
            "optimizer": ["gd"] * 2,
            "step_size": [0.1, 1.0],
            "final_q0.5": [1.0, np.inf],
            "diverged": [0.0, 1.0],
        }
    )
    fig = plots.sensitivity(table)
    assert fig.axes[1].get_ylabel() == "fraction diverged"
    assert plots.heatmap(table.assign(eps=1e-8), column="diverged").axes[1].get_ylabel() == (
        "fraction diverged"
    )


def test_the_runtime_ecdf_shows_its_targets():
    ecdf = pd.DataFrame({"optimizer": ["adagrad"] * 2, "iter": [0, 5], "fraction": [0.0, 1.0]})
    targets = 10.0 ** np.arange(2, -9, -1)
    texts = _texts(plots.runtime_ecdf(ecdf, targets=targets))
    assert "targets on f(x) - f*: 100, 10, ..., 1e-8 (11)" in texts
    few = _texts(plots.runtime_ecdf(ecdf, targets=[1e-2, 1e-6], value="f"))
    assert "targets on f(x): 0.01, 1e-6" in few
    assert not any(re.match("targets", t) for t in _texts(plots.runtime_ecdf(ecdf)))
