"""The report (adagrad_lab.report.page): every file index.html names exists, the summary and
the command are there; the run and the multirun write theirs; a bad path exits 2."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, run_cli
from matplotlib.figure import Figure

from adagrad_lab import plots
from adagrad_lab.report import compare, reading, render
from adagrad_lab.report import html as report_html
from adagrad_lab.report import page as report_page

# FAST turns reports off (each costs ~2 s); these runs turn them on again
TINY = [*(o for o in FAST if not o.startswith("report.")), "sweep.n_iter=10"]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img" and a.get("src"):
            self.images.append(str(a["src"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))


def _named(index: Path) -> _Links:
    parser = _Links()
    parser.feed(index.read_text())
    return parser


def _check_page(index: Path) -> _Links:
    assert index.is_file()
    names = _named(index)
    assert names.images
    for name in names.images + names.links:
        assert (index.parent / name).is_file(), name
    text = index.read_text()
    assert '<div id="summary">' in text and "<table" in text and "converged" in text
    assert "adagrad-lab " in text
    return names


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A tiny 2-D run with points (report written by the run) and a tiny multirun."""
    tmp = tmp_path_factory.mktemp("report")
    single = run_cli(
        [*TINY, "objective=himmelblau", "record.points=true", f"hydra.run.dir={tmp / 'run'}"],
        tmp,
    )
    multi = run_cli(
        [
            "-m",
            *TINY,
            "objective=sphere,booth",
            "optimizer=adagrad,gd",
            "report.format=both",
            f"hydra.sweep.dir={tmp}/m",
        ],
        tmp,
    )
    return tmp, single, multi


def test_a_run_writes_its_report_and_prints_its_path(runs):
    tmp, single, _ = runs
    assert single.returncode == 0, single.stderr
    index = tmp / "run" / "report" / "index.html"
    assert f"report: {index}" in single.stdout
    names = _check_page(index)
    for stem in ("convergence", "sensitivity", "runtime_ecdf", "contour_himmelblau"):
        assert f"{stem}.png" in names.images
    assert "surface_himmelblau.png" in names.images
    # PNG only by default: every figure written once, none that the page does not show
    assert sorted(p.name for p in index.parent.iterdir()) == sorted([*names.images, "index.html"])
    assert not names.links
    text = index.read_text()
    assert "with 2 trajectories" in text  # record.points=true: paths drawn on the contour
    assert 'class="dataset"' not in text  # a test function: no data set in the header
    assert "sweep.seeds=3" in text and "objective=himmelblau" in text


def test_a_multirun_writes_one_comparison_report(runs):
    tmp, _, multi = runs
    assert multi.returncode == 0, multi.stderr
    index = tmp / "m" / "report" / "index.html"
    assert f"report: {index}" in multi.stdout
    names = _check_page(index)
    assert "performance_profile.png" in names.images
    assert {"contour_sphere.png", "contour_booth.png"} <= set(names.images)
    # report.format=both: each figure shown as PNG, its SVG linked beside it
    assert names.links == [name.replace(".png", ".svg") for name in names.images]
    text = index.read_text()
    assert "adagrad-lab -m " in text
    # the tables name the optimizers as the figures do
    assert "<td>gradient descent</td>" in text and "<td>AdaGrad</td>" in text
    assert "<td>gd</td>" not in text and "<td>adagrad</td>" not in text


def test_the_header_says_what_was_run_and_wraps_the_multirun_command(runs):
    tmp, _, _ = runs
    single = (tmp / "run" / "report" / "index.html").read_text()
    assert '<p id="what">himmelblau, d = 2; 10 iterations, 3 seeds, target f &lt;= 1e-8' in single
    text = (tmp / "m" / "report" / "index.html").read_text()
    head = text[: text.index("<h2>Data")]
    assert "booth, sphere" in head or "sphere, booth" in head
    block = head[head.index("<pre><code>") + 11 : head.index("</code></pre>")]
    lines = html.unescape(block).splitlines()
    assert len(lines) > 1 and all(len(line) <= report_html.WIDTH for line in lines)
    assert all(line.endswith(" \\") for line in lines[:-1])
    typed = " ".join(line.removesuffix(" \\").strip() for line in lines)
    assert typed.startswith("adagrad-lab -m ") and "objective=sphere,booth" in typed
    assert "report.format=both" in typed and "optimizer=adagrad,gd" in typed


def test_a_multirun_writes_no_job_reports_unless_asked(runs, tmp_path):
    tmp, _, multi = runs
    assert multi.returncode == 0, multi.stderr
    jobs = sorted(p.parent for p in (tmp / "m").glob("*/manifest.json"))
    assert len(jobs) == 4 and not any((job / "report").exists() for job in jobs)
    assert multi.stdout.count("report: ") == 1  # the sweep's comparison report, once
    sweep = tmp_path / "m"
    asked = run_cli(
        ["-m", *TINY, "objective=sphere,booth", "report.jobs=true", f"hydra.sweep.dir={sweep}"],
        tmp_path,
    )
    assert asked.returncode == 0, asked.stderr
    for job in ("0", "1"):
        _check_page(sweep / job / "report" / "index.html")
    assert asked.stdout.count("report: ") == 3  # each job's, then the comparison
    assert asked.stdout.rstrip().endswith(f"report: {sweep / 'report' / 'index.html'}")


def test_a_rerun_of_a_multirun_writes_its_comparison_report(runs, tmp_path):
    from adagrad_lab.commands import rerun

    tmp, _, _ = runs
    out = tmp_path / "again"
    assert rerun.main([str(tmp / "m"), "--out", str(out)]) == 0
    assert not any((job / "report").exists() for job in out.glob("[0-9]"))
    names = _check_page(out / "report" / "index.html")
    assert {"contour_sphere.png", "contour_booth.png", "performance_profile.png"} <= set(
        names.images
    )


def test_the_command_writes_a_report_where_asked(runs, tmp_path):
    tmp, _, _ = runs
    out = tmp_path / "r"
    done = subprocess.run(
        [sys.executable, "-m", "adagrad_lab.commands.report", str(tmp / "run"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out / "index.html")
    _check_page(out / "index.html")


def test_a_path_that_is_not_a_run_exits_2_in_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "adagrad_lab.commands.report", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("adagrad-lab-report: error:")


def test_a_large_history_is_read_at_log_spaced_iterations(runs, tmp_path, monkeypatch):
    tmp, _, _ = runs
    monkeypatch.setattr(reading, "HISTORY_LIMIT", 10)
    monkeypatch.setattr(reading, "SAMPLED_ITERS", 4)  # the run records iterations 0..10
    index = report_page.write_report(tmp / "run", tmp_path / "r")
    assert "log-spaced iterations of the 11 recorded in 0..10 were read" in index.read_text()
    _check_page(index)


def test_a_large_history_of_few_iterations_is_read_whole_and_the_page_says_so(
    runs, tmp_path, monkeypatch
):
    tmp, _, _ = runs
    monkeypatch.setattr(reading, "HISTORY_LIMIT", 10)  # 11 recorded iterations < 60
    text = report_page.write_report(tmp / "run", tmp_path / "r").read_text()
    assert "every recorded iteration (11 of 0..10" in text
    assert "log-spaced iterations" not in text and "only" not in text.split("Used:")[1][:300]


def test_a_large_run_is_reported_from_a_deterministic_sample(runs, tmp_path, monkeypatch):
    tmp, _, _ = runs
    monkeypatch.setattr(reading, "TRAJECTORY_LIMIT", 2)  # the run has 2 x 3 trajectories
    monkeypatch.setattr(reading, "SAMPLED_SEEDS", 1)
    index = report_page.write_report(tmp / "run", tmp_path / "r")
    text = index.read_text()
    assert "a deterministic sample of 2 of the 6 trajectories" in text
    assert "the first 1 seeds of each grid point" in text
    _check_page(index)


def test_a_failing_report_does_not_fail_the_run(tmp_path):
    # echo=none prints nothing else; an unwritable report folder (a file in its place) fails
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "report").write_text("in the way")
    done = run_cli([*TINY, f"hydra.run.dir={run_dir}"], tmp_path)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "no report" in line]
    assert len(warnings) == 1
    assert (run_dir / "manifest.json").is_file()


def test_report_enabled_false_writes_none(tmp_path):
    done = run_cli([*FAST, f"hydra.run.dir={tmp_path / 'run'}"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "run" / "report").exists()
    assert "report:" not in done.stdout


def test_report_format_svg_shows_svg_and_writes_no_png(runs, tmp_path):
    tmp, _, _ = runs
    index = report_page.write_report(tmp / "run", tmp_path / "r", figure_format="svg")
    names = _check_page(index)
    assert names.images and all(name.endswith(".svg") for name in names.images)
    assert not list((tmp_path / "r").glob("*.png")) and not names.links


@pytest.mark.parametrize(
    "args",
    [["report.format=jpeg"], ["report.format=[png,svg]"]],
    ids=["unknown", "a list"],
)
def test_a_bad_report_format_stops_the_run_in_one_line(tmp_path, args):
    done = run_cli([*FAST, *args, f"hydra.run.dir={tmp_path / 'run'}"], tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "report.format" in lines[0], lines
    assert not (tmp_path / "run").exists()


def test_the_report_command_refuses_a_bad_format_before_loading_matplotlib(runs, tmp_path):
    tmp, _, _ = runs
    code = (
        "import sys\n"
        "from adagrad_lab.commands.report import main\n"
        "try:\n"
        f"    main([{str(tmp / 'run')!r}, '--out', {str(tmp_path / 'r')!r}, '--format', 'gif'])\n"
        "except SystemExit as exc:\n"
        "    print(exc.code, 'matplotlib' in sys.modules, 'pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["2", "False", "False"], done.stderr
    assert done.stderr.count("\n") == 1 and "--format" in done.stderr
    assert not (tmp_path / "r").exists()


def test_a_run_without_a_report_never_loads_matplotlib_or_pandas(tmp_path):
    overrides = [*FAST, f"hydra.run.dir={tmp_path / 'run'}"]
    code = (
        "import sys\n"
        f"sys.argv = ['adagrad-lab', *{overrides!r}]\n"
        "from adagrad_lab.commands.run import main\n"
        "main()\n"
        "print('matplotlib' in sys.modules, 'pandas' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["False", "False"]
    assert (tmp_path / "run" / "manifest.json").is_file()


# what the browser reports for each <img> and <a> of the page, after its load event
_ELEMENTS = """() => ({
    images: [...document.images].map(i => ({src: i.getAttribute("src"), url: i.currentSrc,
                                             complete: i.complete, width: i.naturalWidth})),
    links: [...document.links].map(a => ({href: a.getAttribute("href"), url: a.href})),
})"""


def _chromium() -> str:
    """The system Chromium (the OS package), or skip: playwright drives it, downloads none."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.skip(
        "no chromium on PATH (apt-get install chromium; .ci/run installs it when it can): "
        "the report is not opened in a real browser"
    )


def test_the_page_opens_in_a_headless_browser(runs):
    """index.html in headless Chromium: every image decodes (naturalWidth > 0), every link
    loads (a local file that exists and opens, an anchor that names an element)."""
    browser_path = _chromium()
    from playwright.sync_api import sync_playwright

    tmp, _, _ = runs
    pages = [tmp / "run" / "report" / "index.html", tmp / "m" / "report" / "index.html"]
    with sync_playwright() as pw:
        # --no-sandbox: CI runs as root, where Chromium refuses its sandbox
        browser = pw.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            for index in pages:
                page.goto(index.as_uri(), wait_until="load")
                found = page.evaluate(_ELEMENTS)
                names = _named(index)
                assert [i["src"] for i in found["images"]] == names.images
                assert [a["href"] for a in found["links"]] == names.links
                for image in found["images"]:
                    assert image["complete"] and image["width"] > 0, (index, image)
                for link in found["links"]:
                    url = urlparse(link["url"])
                    if url.scheme == "file":
                        target = Path(unquote(url.path))
                        assert target.is_file(), (index, link)
                        other = browser.new_page()
                        other.goto(link["url"], wait_until="load")  # raises if it cannot load
                        assert other.evaluate("document.documentElement !== null"), link
                        if target.suffix == ".svg":
                            root = other.evaluate("document.documentElement.localName")
                            assert root == "svg", (index, link, root)
                        other.close()
                    elif link["href"].startswith("#"):
                        assert page.query_selector(link["href"]) is not None, (index, link)
                    else:  # no network in the tests: an outside link is only checked for form
                        assert url.scheme in ("http", "https") and url.netloc, (index, link)
        finally:
            browser.close()


def test_every_png_the_page_names_decodes(runs):
    # the same without a browser: decode each PNG (runs where Chromium is missing)
    from matplotlib.image import imread

    tmp, _, _ = runs
    for index in (tmp / "run" / "report" / "index.html", tmp / "m" / "report" / "index.html"):
        for src in _named(index).images:
            image = imread(index.parent / src)
            assert image.ndim == 3 and image.shape[1] > 0, src


def _capture(monkeypatch) -> dict[str, Figure]:
    """The figures `write_report` draws, by function name (built in this process: a
    child process would build them where this test cannot see them)."""
    monkeypatch.setattr(render, "spare_cores", lambda: 0)
    drawn: dict[str, Figure] = {}

    def drawing(name: str) -> Callable[..., Figure]:
        original = getattr(plots, name)

        def draw(*args: Any, **kwargs: Any) -> Figure:
            drawn[name] = fig = original(*args, **kwargs)
            return fig

        return draw

    names = ("convergence", "sensitivity", "runtime_ecdf", "performance_profile")
    for name in (*names, "aggregated_ecdf", "fixed_budget"):
        monkeypatch.setattr(plots, name, drawing(name))
    return drawn


def _texts(fig: Figure) -> str:
    """Every title of ``fig``: the figure's and each axes', one per line."""
    titles = [fig.get_suptitle()]
    titles += [ax.get_title(loc) for ax in fig.axes for loc in ("left", "center", "right")]
    return "\n".join(t for t in titles if t)


def _legend_texts(fig: Figure) -> list[str]:
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def _legend_entries(fig: Figure) -> int:
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    return sum(len(legend.get_texts()) for legend in legends)


def test_a_multirun_report_compares_each_group_at_its_best_step_size_per_objective(
    runs, tmp_path, monkeypatch
):
    from matplotlib.image import imread

    tmp, _, multi = runs
    assert multi.returncode == 0, multi.stderr
    drawn = _capture(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "constrained_layout not applied", nothing else
        index = report_page.write_report(tmp / "m", tmp_path / "r")
    text = index.read_text()
    assert set(drawn) == {
        *("convergence", "sensitivity", "runtime_ecdf", "performance_profile"),
        *("aggregated_ecdf", "fixed_budget"),
    }
    for name, fig in drawn.items():
        assert _legend_entries(fig) <= 12, name
        png = imread(tmp_path / "r" / f"{name}.png")
        assert png.shape[0] < 1500 and png.shape[1] < 2000, (name, png.shape)
    for name in ("convergence", "runtime_ecdf"):
        fig = drawn[name]
        # one panel per objective, one curve per optimizer in each, at its best step size
        assert [ax.get_title() for ax in fig.axes] == ["objective booth", "objective sphere"]
        gid = "median" if name == "convergence" else "ecdf"
        for ax in fig.axes:
            labels = [a.get_label() for a in ax.get_children() if a.get_gid() == gid]
            assert len(labels) == 2, (name, labels)
            for label, optimizer in zip(labels, ["AdaGrad", "gradient descent"], strict=True):
                assert label.startswith(optimizer), (name, labels)
                # each curve at its best step size, which its legend entry names
                assert re.fullmatch(rf"{optimizer} \(step 0\.1\)|{optimizer} \(step 0\.01\)", label)
        assert "each at its best step size" in fig.get_suptitle()
    # every figure says what was run under its title
    what = "booth, sphere, d = 2; 10 iterations, 3 seeds, target f <= 1e-8"
    for name, fig in drawn.items():
        assert what in _texts(fig).replace("\n", " "), name
    ecdf_legend = _legend_texts(drawn["runtime_ecdf"])
    assert "targets on f(x) - f*: 100, 10, ..., 1e-8 (11)" in ecdf_legend
    assert "each at its best step size" in text
    assert len([a for a in drawn["sensitivity"].axes if a.get_title()]) == 2  # one per objective
    # the best step size per group comes first: 2 optimizers x 2 objectives
    best = text.index("Best step size per group")
    assert best < text.index("Every group and step size") < text.index("<h2>Figures")


def test_the_curves_of_one_group_are_thinned_and_many_groups_capped():
    steps = np.geomspace(1e-3, 10, 13)
    rows = [
        (t, "adagrad", s, seed, (seed + 1) / s)
        for t, (s, seed) in enumerate((s, seed) for s in steps for seed in range(3))
    ]
    traj = pd.DataFrame(rows, columns=["trajectory", "optimizer", "step_size", "seed", "f_final"])
    traj = traj.assign(f_best=traj["f_final"], status="max_iter", iters_to_target=pd.NA)
    one = compare._compared(traj, None)
    assert one.hue == ["step_size"] and "8 of 13 step sizes" in one.title
    kept = np.sort(one.trajectories["step_size"].unique())
    assert len(kept) == compare.MAX_STEP_CURVES and kept[0] == steps[0] and kept[-1] == steps[-1]
    # 12 optimizer x eps groups: the 8 with the lowest median final f, each at one step size
    many = pd.concat(
        [traj.assign(eps=e, f_final=traj["f_final"] * (1 + e)) for e in range(12)],
        ignore_index=True,
    )
    capped = compare._compared(many, None)
    assert capped.hue == ["eps"] and "each at its best step size" in capped.title
    assert sorted(capped.trajectories["eps"].unique()) == list(range(8))
    assert (capped.trajectories.groupby("eps")["step_size"].nunique() == 1).all()
    assert "8 of the 12 groups" in capped.dropped


def test_a_group_left_out_for_diverging_is_named_as_the_figures_name_it():
    rows = [
        (t, optimizer, step, seed)
        for t, (optimizer, step, seed) in enumerate(
            (o, s, seed) for o in ("adagrad", "gd") for s in (0.1, 1.0) for seed in range(2)
        )
    ]
    traj = pd.DataFrame(rows, columns=["trajectory", "optimizer", "step_size", "seed"])
    gd = traj["optimizer"] == "gd"
    traj = traj.assign(
        f_final=np.where(gd, np.inf, 0.5),
        f_best=0.5,
        status=np.where(gd, "diverged", "max_iter"),
        diverged_at=pd.array([3 if g else None for g in gd], dtype="Int32"),
        iters_to_target=pd.NA,
    )
    chosen = compare._compared(traj, None)
    assert set(chosen.trajectories["optimizer"]) == {"adagrad"}
    assert chosen.dropped.endswith("seeds diverged: gradient descent")
    assert chosen.by_step == ["optimizer", "step_size"]


def _table_after(text: str, heading: str) -> list[list[str]]:
    """The cells of the first table after ``heading`` on a page, row by row (header first)."""
    table = text[text.index(heading) :]
    table = table[table.index("<table") : table.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    return [[html.unescape(c) for c in re.findall(r"<t[dh]>(.*?)</t[dh]>", r, re.S)] for r in rows]


def test_the_summary_shows_bootstrap_intervals_and_the_runtimes_per_target(runs):
    import adagrad_lab as al

    tmp, _, _ = runs
    text = (tmp / "run" / "report" / "index.html").read_text()
    assert (
        "95% percentile bootstrap interval over the seeds of each row (1000 resamples, seed 0"
        in text
    )
    rows = _table_after(text, "Every group and step size")
    header, body = rows[0], rows[1:]
    assert header[:3] == ["optimizer", "step_size", "n"]
    converged = header.index("converged")
    median = header.index("median_f_final")
    res = al.load(tmp / "run")
    for row in body:
        step = float(row[1])
        finals = res.trajectories.loc[np.isclose(res.trajectories["step_size"], step), "f_final"]
        assert row[median].startswith(f"{np.median(finals):.4g} [")
        assert re.fullmatch(r"[0-9.]+% \[[0-9.]+%, [0-9.]+%\]", row[converged])
    # aRT per (step size, target), against the history by hand: f* of himmelblau is 0, every
    # trajectory ran its 10 iterations unless it diverged
    art = _table_after(text, "<summary>Every target,")
    assert art[0] == ["optimizer", "step_size", "target", "n", "success", "aRT", "median_runtime"]
    # shown first: one row per step size, aRT (success) at six of the targets
    grid = _table_after(text, "Runtime per target")
    assert grid[0] == ["optimizer", "step_size", "n", "1e2", "1e0", "1e-2", "1e-4", "1e-6", "1e-8"]
    assert len(grid) == 1 + 2
    cells = {(float(r[1]), float(r[2])): f"{r[5]} ({float(r[4][:-1]):.0f}%)" for r in art[1:]}
    for row in grid[1:]:
        for name, cell in zip(grid[0][3:], row[3:], strict=True):
            assert cell == cells[(float(row[1]), float(name))], (row, name)
    hist = res.history(["trajectory", "iter", "f"])
    checked = 0
    for row in art[1:]:
        step, target = float(row[1]), float(row[2])
        mine = res.trajectories[np.isclose(res.trajectories["step_size"], step)]
        spent, wins = 0, 0
        for t, died in zip(mine["trajectory"], mine["diverged_at"], strict=True):
            f = hist.loc[hist["trajectory"] == t].set_index("iter")["f"]
            hit = [i for i, v in f.items() if v <= target and (pd.isna(died) or i < died)]
            wins += bool(hit)
            spent += hit[0] if hit else (10 if pd.isna(died) else int(died))
        assert row[4] == f"{wins / len(mine):.1%}"
        assert row[5] == ("inf" if not wins else f"{spent / wins:.4g}"), row
        checked += bool(wins)
    assert len(art) - 1 == 2 * 11 and checked  # two step sizes, 11 targets, some reached
    assert "aggregated_ecdf" not in text and "fixed_budget" not in text  # one problem


def test_a_multirun_over_problems_adds_the_aggregated_ecdf_and_the_fixed_budget(
    runs, tmp_path, monkeypatch
):
    tmp, _, _ = runs
    drawn = _capture(monkeypatch)
    text = report_page.write_report(tmp / "m", tmp_path / "r").read_text()
    names = _named(tmp_path / "r" / "index.html")
    assert {"aggregated_ecdf.png", "fixed_budget.png"} <= set(names.images)
    entries = _legend_texts(drawn["aggregated_ecdf"])
    assert any(e.startswith("AdaGrad (AUC 0.") or e == "AdaGrad (AUC 1.00)" for e in entries)
    assert any(e.startswith("gradient descent (AUC ") for e in entries)
    assert "22 (problem, target) pairs" in text  # 2 objectives x 11 targets
    budget = [line for ax in drawn["fixed_budget"].axes for line in ax.lines]
    assert {tuple(line.get_xdata().round()) for line in budget if line.get_gid() == "median"} == {
        (10.0,)
    }  # 10 iterations: the budget of 10 alone
    bars = [c for ax in drawn["sensitivity"].axes for c in ax.collections if c.get_gid() == "ci"]
    assert len(bars) == 2 * 4  # median and fraction diverged, per optimizer and objective
    assert "bars: the 95% bootstrap interval of each median and fraction" in text
