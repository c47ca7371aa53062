"""The package's shape: layers as subpackages, imports in one direction, no cycle, no
private name taken from another layer. Read from the sources (ast), not by importing."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import adagrad_lab

PACKAGE = Path(adagrad_lab.__file__).resolve().parent
# bottom to top: a module may import from its own layer and the layers before it
LAYERS = (
    "jit", "catalog", "data", "kernel", "sweep", "store", "run", "analysis", "plots", "report",
    "commands", "bench",
)  # fmt: skip
TOP_LEVEL = {"__init__", "__main__"}  # the facade and `python -m adagrad_lab`
MAX_LINES = 420  # the house's "about 400"
DRAWING = ("analysis", "plots", "report")  # drawn from stored data


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(("adagrad_lab", *parts))] = path
    return found


MODULES = modules()


def imports(name: str) -> Iterator[tuple[str, list[str], ast.stmt]]:
    """(module imported, names taken from it, statement) for every import in ``name``,
    at any depth (a lazy import inside a function counts)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield (sub, [], node) if sub in MODULES else (base, [alias.name], node)


def layer(name: str) -> str:
    """The layer of a module: its first package under adagrad_lab, or '' at the top."""
    parts = name.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else ""


def package_imports(name: str) -> set[str]:
    return {m for m, _, _ in imports(name) if m == "adagrad_lab" or m.startswith("adagrad_lab.")}


def test_every_module_is_in_a_layer():
    loose = {n for n in MODULES if layer(n) == "" and n.rpartition(".")[2] not in TOP_LEVEL}
    assert loose == {"adagrad_lab"}, (
        f"modules outside every layer: {sorted(loose - {'adagrad_lab'})}"
    )
    assert {layer(n) for n in MODULES} - {""} == set(LAYERS)


@pytest.mark.parametrize("name", [n for n in MODULES if layer(n)])
def test_imports_run_down_the_layers_only(name):
    rank = LAYERS.index(layer(name))
    for target in package_imports(name):
        assert target != "adagrad_lab", f"{name} imports the package facade"
        above = LAYERS.index(layer(target)) > rank
        assert not above, (
            f"{name} ({layer(name)}) imports {target} ({layer(target)}), a layer above"
        )


def test_nothing_imports_the_commands_or_the_bench():
    for name in MODULES:
        for target in package_imports(name):
            for top in ("commands", "bench"):
                if layer(target) == top and layer(name) != top:
                    assert name.endswith("__main__"), f"{name} imports {target}"


@pytest.mark.parametrize("name", list(MODULES))
def test_no_private_name_of_another_layer(name):
    for target, names, node in imports(name):
        if not target.startswith("adagrad_lab") or layer(target) == layer(name):
            continue
        private = [n for n in names if n.startswith("_")]
        private += [target.rpartition(".")[2]] if target.rpartition(".")[2].startswith("_") else []
        assert not private, f"{name}: {ast.unparse(node)}"


def test_no_import_cycle():
    graph = {n: {t for t in package_imports(n) if t in MODULES} - {n} for n in MODULES}
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = [*path[path.index(node) :], node]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        for nxt in sorted(graph[node]):
            if not (nxt == "adagrad_lab" or node == "adagrad_lab"):
                visit(nxt, [*path, node])
        done.add(node)

    for name in sorted(graph):
        visit(name, [])


@pytest.mark.parametrize("name", list(MODULES))
def test_modules_stay_short(name):
    n = len(MODULES[name].read_text().splitlines())
    assert n <= MAX_LINES, f"{name}: {n} lines, over the house's ~400; split it by what it holds"


# drawing modules that still read the catalog's records (display names, settings), which
# would better come from the run's manifest, as f* and the landscape do
READS_THE_CATALOG = {"adagrad_lab.plots.labels"}


@pytest.mark.parametrize("name", [n for n in MODULES if layer(n) in DRAWING])
def test_the_drawing_layers_never_reach_the_kernel(name):
    """Analysis, plots and report read what the store wrote: never the kernel, the jit
    tools or numba itself, nor the catalog (whose records are jitted code: f* and the
    2-D landscape come from the run directory); nor a module of the sweep layer that
    imports the catalog."""
    for target in package_imports(name) | {m for m, _, _ in imports(name)}:
        assert target.split(".")[0] != "numba", f"{name} imports numba"
        assert layer(target) not in ("jit", "kernel", "run"), f"{name} imports {target}"
        if name not in READS_THE_CATALOG:
            assert layer(target) != "catalog", f"{name} imports {target}"
            if layer(target) == "sweep" and target in MODULES:
                assert "catalog" not in {layer(t) for t in _closure(target)}, (
                    f"{name} imports {target}, which imports the catalog"
                )


def _closure(name: str) -> set[str]:
    """The package modules ``name`` imports, directly or through others."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        for target in package_imports(todo.pop()):
            if target in MODULES and target not in seen and target != "adagrad_lab":
                seen.add(target)
                todo.append(target)
    return seen


def test_pyarrow_is_imported_in_the_store_only():
    for name in MODULES:
        uses = {m.split(".")[0] for m, _, _ in imports(name)}
        if "pyarrow" in uses:
            assert layer(name) in ("store", "bench"), f"{name} imports pyarrow"
