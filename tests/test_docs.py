"""The documents say what the code does: docs/optimizers.md is generated from the catalog's
records, the help lists the catalog's options by itself, and the README's and docs' links
and figures point at files that exist."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adagrad_lab.catalog import OBJECTIVES, OPTIMIZERS
from adagrad_lab.commands import help_text, reference

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_optimizer_reference_is_the_generated_one():
    doc = ROOT / "docs" / "optimizers.md"
    assert doc.read_text() == reference.render(), (
        f"docs/optimizers.md differs from the catalog's records: run `{reference.COMMAND}`"
    )
    for name, opt in OPTIMIZERS.items():
        assert f"### `{name}`" in doc.read_text() and opt.formula, name


def test_the_reference_shows_each_hyperparameters_default_and_rule():
    text = reference.render()
    for opt in OPTIMIZERS.values():
        for h in opt.hyperparameters:
            row = f"| `{h.name}` | {reference.default(h)} | {h.rule} | {h.summary} |"
            assert row in text, (opt.name, h.name)
        for c in opt.choices:
            assert f"`optimizer.{c.name}`: {c.summary}" in text, (opt.name, c.name)
            for value, meaning in c.meanings.items():
                assert f"| `{value}`" in text and f"| {meaning} |" in text, (c.name, value)
    for name in OBJECTIVES:
        assert f"| `{name}` |" in text, name


def help_command() -> list[str]:
    """`adagrad-lab --help` as installed beside this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("adagrad-lab")
    found = str(script) if script.exists() else shutil.which("adagrad-lab")
    return [found, "--help"] if found else [sys.executable, "-m", "adagrad_lab", "--help"]


@pytest.fixture(scope="module")
def help_page(tmp_path_factory) -> str:
    cwd = tmp_path_factory.mktemp("help")
    done = subprocess.run(
        help_command(), cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert list(cwd.iterdir()) == []  # the help writes nothing
    return done.stdout


def test_the_help_names_every_rule_objective_and_experiment(help_page):
    words = set(help_page.split())
    for name in [*OPTIMIZERS, *OBJECTIVES, *help_text.names("experiment")]:
        assert name in words, f"{name} is not in adagrad-lab --help"
    assert "${" not in help_page.replace("${logspace:", "")  # every list was filled in
    assert "docs/optimizers.md" in help_page


def test_a_new_rule_is_in_the_help_without_an_edit(monkeypatch):
    """The lists come from the catalog when the help is printed, wrapped to its column."""
    rules = {**OPTIMIZERS, "adagrad_new": OPTIMIZERS["adagrad"]}
    monkeypatch.setattr(help_text, "OPTIMIZERS", rules)
    listed = help_text.options("optimizer")
    assert listed.split() == list(rules)
    lines = listed.splitlines()
    assert len(lines) > 1 and all(line.startswith(" " * help_text.COLUMN) for line in lines[1:])
    assert max(help_text.COLUMN + len(line.strip()) for line in lines) <= help_text.WIDTH
    with pytest.raises(ValueError, match="no such group"):
        help_text.options("optimiser")


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", DOCS, ids=[p.name for p in DOCS])
def test_links_and_figures_point_at_files(doc):
    for target in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (doc.parent / target.partition("#")[0]).resolve()
        assert path.exists(), f"{doc.name} links to {target}, which does not exist"


def test_the_readme_links_every_docs_page():
    readme = (ROOT / "README.md").read_text()
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{page.name}" in readme, page.name
