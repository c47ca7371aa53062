"""What makes the report cheap keeps its results: figures rendered in child processes are
the figures rendered in the process, a failing child changes nothing, figures share their
parsed mathtext, and the frames computed by position are the hand-computed ones."""

from __future__ import annotations

import os
from functools import partial

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.artist import Artist

from adagrad_lab import analysis, plots
from adagrad_lab.plots import style
from adagrad_lab.plots.style import _figure, warm_up
from adagrad_lab.report import render
from adagrad_lab.store.landscape import Landscape

INF = np.inf
NA = pd.NA


def _log_figure(title: str = "f"):
    fig = _figure((4.0, 3.0))
    ax = fig.subplots()
    ax.plot([1, 10, 100, 1000], [1e-8, 1e-4, 1.0, 1e4], label="AdaGrad")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend(title="optimizer", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig


class _FailsInAChild(Artist):
    """Draws nothing in the process that made it; raises in any other (a forked child)."""

    def __init__(self) -> None:
        super().__init__()
        self.parent = os.getpid()

    def draw(self, renderer) -> None:
        if os.getpid() != self.parent:
            raise RuntimeError("drawn in a child")


def test_figures_rendered_in_child_processes_are_those_rendered_here(tmp_path):
    # a child renders while this process renders the next figure with the fonts and the
    # parsed labels it had when it forked: without a fresh parser in the child, both read
    # the same font files at one offset and FreeType fails or draws other glyphs
    warm_up()
    here = render.Shelf(tmp_path / "here", ("png", "svg"), spare=0)
    forked = render.Shelf(tmp_path / "forked", ("png", "svg"), spare=1)
    for shelf in (here, forked):
        shelf.out.mkdir()
        for i in range(6):
            shelf.save(_log_figure(f"figure {i}"), f"fig{i}", f"caption {i}")
        shelf.finish()
    assert here.figures == forked.figures == [(f"fig{i}", f"caption {i}") for i in range(6)]
    for i in range(6):
        png = (here.out / f"fig{i}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and png == (forked.out / f"fig{i}.png").read_bytes()
        assert (forked.out / f"fig{i}.svg").stat().st_size > 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no child processes without os.fork")
def test_a_figure_whose_child_fails_is_rendered_here(tmp_path):
    fig = _log_figure()
    fig.add_artist(_FailsInAChild())
    shelf = render.Shelf(tmp_path, ("png",), spare=1)
    shelf.save(fig, "fig", "a caption")
    shelf.finish()
    assert (tmp_path / "fig.png").read_bytes().startswith(b"\x89PNG")
    assert shelf.figures == [("fig", "a caption")]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no child processes without os.fork")
def test_figures_built_in_child_processes_are_those_built_here(tmp_path):
    # a build is handed to a child at once, up to one per core, the report's own included
    warm_up()
    here = render.Shelf(tmp_path / "here", ("png",), spare=0)
    forked = render.Shelf(tmp_path / "forked", ("png",), spare=1)
    for shelf in (here, forked):
        shelf.out.mkdir()
        for i in range(5):
            shelf.save(partial(_log_figure, f"figure {i}"), f"fig{i}", f"caption {i}")
            assert len(shelf._running) <= 2
        shelf.finish()
    assert here.figures == forked.figures == [(f"fig{i}", f"caption {i}") for i in range(5)]
    for i in range(5):
        png = (here.out / f"fig{i}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and png == (forked.out / f"fig{i}.png").read_bytes()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no child processes without os.fork")
def test_a_build_that_fails_in_its_child_is_built_here(tmp_path):
    parent = os.getpid()

    def build():
        if os.getpid() != parent:
            raise RuntimeError("built in a child")
        return _log_figure()

    shelf = render.Shelf(tmp_path, ("png",), spare=1)
    shelf.save(build, "fig", "a caption")
    shelf.finish()
    assert (tmp_path / "fig.png").read_bytes().startswith(b"\x89PNG")


def test_a_build_that_fails_raises_here(tmp_path):
    def build():
        raise RuntimeError("cannot build")

    shelf = render.Shelf(tmp_path, ("png",), spare=1)
    with pytest.raises(RuntimeError, match="cannot build"):
        shelf.save(build, "fig", "")
        shelf.finish()


def test_a_figure_that_cannot_be_rendered_raises_here(tmp_path):
    class Broken(Artist):
        def draw(self, renderer) -> None:
            raise RuntimeError("cannot draw")

    fig = _log_figure()
    fig.add_artist(Broken())
    shelf = render.Shelf(tmp_path, ("png",), spare=1)
    with pytest.raises(RuntimeError, match="cannot draw"):
        shelf.save(fig, "fig", "")
        shelf.finish()


class _CountsDraws(Artist):
    """Draws nothing; counts the walks over the figure's artists that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.draws = 0

    def draw(self, renderer) -> None:
        self.draws += 1


def _sphere() -> Landscape:
    x = np.linspace(-2.0, 2.0, 41)
    return Landscape(x, x, np.add.outer(x**2, x**2), 0.0, [(0.0, 0.0)], "sphere")


FIGURES = {
    "log axes, legend right": _log_figure,
    "contour, colour bar": lambda: plots.contour(_sphere(), title="sphere"),
    "3-D surface": lambda: plots.surface(_sphere(), title="sphere"),
}


@pytest.mark.parametrize("make", FIGURES.values(), ids=FIGURES.keys())
def test_a_png_laid_out_once_is_the_png_savefig_writes(tmp_path, make):
    render.save_png(make(), tmp_path / "once.png")
    make().savefig(tmp_path / "savefig.png", dpi=render.PNG_DPI)
    assert (tmp_path / "once.png").read_bytes() == (tmp_path / "savefig.png").read_bytes()


def test_a_png_laid_out_once_walks_the_artists_once(tmp_path):
    # savefig of a figure with a layout engine walks them twice: a dry draw to lay out
    fig, counter = _log_figure(), _CountsDraws()
    fig.add_artist(counter)
    render.save_png(fig, tmp_path / "once.png")
    assert counter.draws == 1
    fig.savefig(tmp_path / "savefig.png", dpi=render.PNG_DPI)
    assert counter.draws == 3


def test_a_png_laid_out_once_leaves_the_figure_as_it_was(tmp_path):
    # report.format=both writes the SVG after the PNG: it must be the one written today
    matplotlib.rcParams["svg.hashsalt"] = "fixed"  # the same element ids in both files
    try:
        ours, theirs = _log_figure(), _log_figure()
        engine, dpi = ours.get_layout_engine(), ours.dpi
        render.save_png(ours, tmp_path / "a.png")
        assert ours.get_layout_engine() is engine and ours.dpi == dpi
        theirs.savefig(tmp_path / "b.png", dpi=render.PNG_DPI)
        for fig, name in ((ours, "a.svg"), (theirs, "b.svg")):
            fig.savefig(tmp_path / name, dpi="figure", metadata={"Date": None})
    finally:
        matplotlib.rcParams["svg.hashsalt"] = None
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_figures_share_one_mathtext_parser_and_its_cache():
    first, second = _log_figure(), _log_figure()
    parsers = {id(fig.canvas.get_renderer().mathtext_parser) for fig in (first, second)}
    assert len(parsers) == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no child processes without os.fork")
def test_a_forked_child_parses_mathtext_with_its_own_fonts():
    warm_up()  # parsed labels holding this process's fonts
    mine = style.MATHTEXT
    pid = os.fork()
    if pid == 0:
        os._exit(0 if style.MATHTEXT is not mine else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert style.MATHTEXT is mine


# -- the frames computed by position: hand-computed ---------------------------------------

TRAJ = pd.DataFrame(
    {
        "job": pd.Categorical(["a", "a", "b", "b"]),
        "trajectory": [0, 1, 0, 1],
        "step_size": [0.1, 0.1, 0.1, 1.0],
        "diverged_at": pd.array([NA, NA, 2, NA], dtype="Int32"),
    }
)
# shuffled rows; job a's trajectory 1 records iterations 0 and 2 only; job b's trajectory 1
# has no history; job c is not among the trajectories
HISTORY = pd.DataFrame(
    {
        "job": ["b", "a", "a", "c", "a", "b", "a", "b", "a"],
        "trajectory": [0, 1, 0, 0, 0, 0, 1, 0, 0],
        "iter": [1, 2, 2, 0, 1, 0, 0, 2, 0],
        "f": [3.0, 0.5, 1.0, 9.0, 2.0, 4.0, 6.0, 1.0, 4.0],
    }
)


def test_convergence_by_position_joins_fills_forward_and_counts_diverged():
    out = analysis.convergence((TRAJ, HISTORY), by=["step_size"], quantiles=(0.0, 0.5, 1.0))
    # step 0.1: a/0 [4, 2, 1], a/1 [6, 6 (kept from 0), 0.5], b/0 [4, 3, inf (diverged at 2)]
    expected = pd.DataFrame(
        {
            "step_size": [0.1] * 3,
            "iter": [0, 1, 2],
            "n": [3, 3, 3],
            "q0": [4.0, 2.0, 0.5],
            "q0.5": [4.0, 3.0, 1.0],
            "q1": [6.0, 6.0, INF],
        }
    )
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)


def test_runtimes_by_position_reach_targets_at_recorded_iterations():
    out = analysis.runtimes((TRAJ, HISTORY), targets=[2.0, 0.5], by=["step_size"])
    expected = pd.DataFrame(
        {
            "job": pd.Categorical(["a", "a", "b", "b"] * 2),
            "trajectory": [0, 1, 0, 1] * 2,
            "step_size": [0.1, 0.1, 0.1, 1.0] * 2,
            "target": [2.0] * 4 + [0.5] * 4,
            # b/0 reaches 1.0 only at 2, where it has diverged; b/1 has no history
            "runtime": [1.0, 2.0, np.nan, np.nan, np.nan, 2.0, np.nan, np.nan],
        }
    )
    pd.testing.assert_frame_equal(out, expected)


def test_a_trajectory_listed_twice_is_refused_not_counted_twice():
    twice = pd.concat([TRAJ, TRAJ.iloc[:1]], ignore_index=True)
    with pytest.raises(ValueError, match="appears more than once"):
        analysis.runtimes((twice, HISTORY), targets=[1.0])
    with pytest.raises(ValueError, match="appears more than once"):
        analysis.convergence((twice, HISTORY))
