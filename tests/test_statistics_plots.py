"""The statistics' figures (`adagrad_lab.plots.aggregate`, `plots.intervals`), rendered
headless from small hand-made analysis frames."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure

from adagrad_lab import analysis, plots
from adagrad_lab.plots import aggregate, intervals

INF = np.inf
ADAGRAD, GD = (plots.OPTIMIZER_LABELS.get(name, name) for name in ("adagrad", "gd"))


def _render(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getvalue().startswith(b"\x89PNG")


def _gid(ax, gid: str) -> list:
    return [a for a in ax.get_children() if a.get_gid() == gid]


def _legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


ECDF = pd.DataFrame(
    {
        "optimizer": pd.Categorical(["adagrad"] * 3 + ["gd"] * 3),
        "iter": [0.0, 9.0, 99.0] * 2,
        "fraction": [0.0, 0.5, 1.0, 0.5, 0.5, 0.5],
        "pairs": 2,
    }
)


def test_the_aggregated_ecdf_puts_each_curves_area_in_the_legend():
    fig = aggregate.aggregated_ecdf(ECDF, targets=[1e-2, 1e-4])
    _render(fig)
    (ax,) = fig.axes
    lines = _gid(ax, "ecdf")
    # areas over log10(iter + 1) in [0, 2]: (0.5 + 0) / 2 and (0.5 + 0.5) / 2
    assert [line.get_label() for line in lines] == [f"{ADAGRAD} (AUC 0.25)", f"{GD} (AUC 0.50)"]
    assert _legend_texts(ax) == [f"{ADAGRAD} (AUC 0.25)", f"{GD} (AUC 0.50)"]
    assert "iterations 0-99" in ax.get_legend().get_title().get_text()
    assert lines[0].get_drawstyle() == "steps-post" and lines[0].get_xdata()[0] == 1.0
    assert ax.get_xscale() == "log" and ax.get_ylabel().startswith("fraction of (problem")
    (note,) = _gid(ax, "note")
    assert "targets 0.01, 0.0001 (2)" in note.get_text() and "2 (problem, target) pairs" in (
        note.get_text()
    )
    # areas computed elsewhere (another range) are the ones shown
    areas = analysis.ecdf_area(ECDF, upper=999)
    fig = aggregate.aggregated_ecdf(ECDF, areas)
    (ax,) = fig.axes
    assert _legend_texts(ax) == [f"{ADAGRAD} (AUC 0.50)", f"{GD} (AUC 0.50)"]
    with pytest.raises(ValueError, match="lacks"):
        aggregate.aggregated_ecdf(ECDF.drop(columns="fraction"))


BUDGET = pd.DataFrame(
    {
        "optimizer": pd.Categorical(["adagrad"] * 3),
        "step_size": [0.1] * 3,
        "budget": [1, 10, 100] * 1,
        "n": 4,
        "q0.25": [1.0, 1e-3, 0.0],
        "q0.5": [2.0, 1e-2, 1e-9],
        "q0.75": [3.0, INF, INF],
    }
)


def test_the_fixed_budget_view_draws_medians_bars_floor_and_divergence():
    frame = pd.concat(
        [BUDGET, BUDGET.assign(step_size=1.0, **{"q0.5": [1.0, INF, INF]})], ignore_index=True
    )
    fig = aggregate.fixed_budget(frame)
    _render(fig)
    (ax,) = fig.axes
    medians = _gid(ax, "median")
    assert [m.get_label() for m in medians] == ["0.1", "1"]
    bars = _gid(ax, "ci")
    assert len(bars) == 2 and all(isinstance(b, LineCollection) for b in bars)
    assert len(_gid(ax, "floor")) == 1 and len(_gid(ax, "ceiling")) == 1
    (marks,) = _gid(ax, "diverged")  # step 1's medians are +inf at 10 and 100
    assert len(marks.get_offsets()) == 2
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "budget k (iterations)" and ax.get_ylabel().startswith("f(x) - f*")
    texts = _legend_texts(ax)
    assert texts[:3] == ["0.1", "1", "25-75% of seeds"]
    assert ax.get_legend().get_title().get_text() == plots.AXIS_LABELS["step_size"]
    # the two groups' points stand apart, in budget order
    x0, x1 = (m.get_xdata() for m in medians)
    assert (x0 < x1).all() and np.allclose(x0 * x1, [1, 100, 10000])


def test_intervals_draw_a_median_band_or_fraction_bars_per_group():
    medians = pd.DataFrame(
        {
            "optimizer": pd.Categorical(["adagrad"] * 3 + ["gd"] * 3),
            "step_size": [0.01, 0.1, 1.0] * 2,
            "n": 10,
            "median": [1.0, 1e-3, 0.0, 2.0, 1e-1, INF],
            "lower": [0.5, 1e-4, 0.0, 1.0, 1e-2, 5.0],
            "upper": [2.0, 1e-2, 1e-20, 3.0, INF, INF],
            "level": 0.95,
        }
    )
    fig = intervals.bootstrap_intervals(medians)
    _render(fig)
    (ax,) = fig.axes
    assert [m.get_label() for m in _gid(ax, "median")] == [ADAGRAD, GD]
    bands = _gid(ax, "ci")
    assert len(bands) == 2 and all(isinstance(b, PolyCollection) for b in bands)
    assert "95% bootstrap interval" in _legend_texts(ax)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(_gid(ax, "diverged")) == 1 and ax.get_ylabel() == "median final f"
    (ax,) = intervals.bootstrap_intervals(medians[medians["optimizer"] == "adagrad"]).axes
    assert [m.get_label() for m in _gid(ax, "median")] == [ADAGRAD]  # one curve: its name

    fractions = medians.drop(columns="median").assign(
        diverged=[0.0, 0.1, 0.5] * 2, lower=[0.0, 0.0, 0.2] * 2, upper=[0.0, 0.3, 0.8] * 2
    )
    fig = intervals.bootstrap_intervals(fractions, kind="bars")
    _render(fig)
    (ax,) = fig.axes
    assert len(_gid(ax, "fraction")) == 2 and ax.get_ylabel() == "fraction diverged"
    assert all(isinstance(b, LineCollection) for b in _gid(ax, "ci"))
    assert ax.get_ylim() == (-0.02, 1.02)


def test_interval_band_draws_on_any_axes_and_checks_its_arguments():
    fig = Figure()
    ax = fig.subplots()
    band = intervals.interval_band(ax, [1, 2, 3], [0, 1, 2], [1, 2, 3], color="#0072B2")
    assert isinstance(band, PolyCollection) and band.get_gid() == "ci"
    clipped = intervals.interval_band(
        ax, [1, 2], [0.0, 1.0], [INF, 2.0], kind="bars", clip=lambda v: np.minimum(v, 10.0)
    )
    (segment, _) = clipped.get_segments()
    assert segment.tolist() == [[1.0, 0.0], [1.0, 10.0]]
    with pytest.raises(ValueError, match=r"^kind: "):
        intervals.interval_band(ax, [1], [0], [1], kind="dots")
    with pytest.raises(ValueError, match=r"^lower: "):
        intervals.interval_band(ax, [1, 2], [0], [1, 2])
