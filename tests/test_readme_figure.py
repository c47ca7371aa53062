"""The README's first figure is one the code beside it draws: its snippet under "Analyse" runs
as written on a run of this package, and the committed image has the size that code gives."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from conftest import FAST
from matplotlib.image import imread

from adagrad_lab.commands.run import run

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
RUN_LINE = re.compile(r'^run = "([^"]+)"$', re.MULTILINE)


def _snippet() -> str:
    """The python block of the README's "Analyse" section."""
    analyse = README[README.index("## Analyse") :]
    found = re.search(r"```python\n(.*?)```", analyse, re.DOTALL)
    assert found, "no python block under ## Analyse"
    return found.group(1)


def _first_figure() -> Path:
    found = re.search(r"!\[[^\]]*\]\(([^)\s]+\.png)\)", README)
    assert found, "the README shows no figure"
    return ROOT / found.group(1)


def test_the_readmes_snippet_draws_its_first_figure(make_cfg, tmp_path, monkeypatch):
    code = _snippet()
    assert len(RUN_LINE.findall(code)) == 1, "the snippet names its run in one line"
    figure = _first_figure()
    saved = re.search(r'savefig\("([^"]+)"', code)
    assert saved and Path(saved.group(1)).name == figure.name  # the file the README shows
    run_dir = tmp_path / "run"
    run(make_cfg([*FAST, "sweep.n_iter=30"]), run_dir)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(RUN_LINE.sub(f'run = "{run_dir}"', code), namespace)  # the code exactly, its run ours
    drawn = imread(tmp_path / saved.group(1))
    committed = imread(figure)
    assert drawn.shape == committed.shape  # one figure size and dpi: the same code drew both
    fig = namespace["fig"]
    lines = [a for a in fig.axes[0].get_lines() if a.get_gid() == "median"]
    assert [line.get_label() for line in lines] == ["0.01", "0.1"]  # FAST's two step sizes
    assert "ellipsoid, d = 2" in fig.axes[0].get_title()  # what ran, under the title
