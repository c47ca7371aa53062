"""The on-disk cache stamp (`jit.stamp`): a cached function of the package is recompiled
when any source under the stamped folders (jit/, catalog/, kernel/) is added, moved or
edited, not only its own file; an edit of a docstring keeps the cache.

Each test works on a copy of the package in tmp_path and runs it in fresh
processes with NUMBA_CACHE_DIR unset, so Numba writes its cache next to the
copied sources and the repository's own cache is never touched. The function
is the sphere's block evaluator (called directly, so it is compiled and cached
on its own); it calls `square` from `jit/tools.py`, and the edit triples what
that helper returns: sphere's value at (1.5, -2) goes from 6.25 to 18.75. The
last test does the same for a whole kernel variant and an edit of a record's module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import adagrad_lab
from adagrad_lab.jit import stamp

PACKAGE = Path(adagrad_lab.__file__).resolve().parent
HELPER = "jit/tools.py"  # a stamped module other than the function's own file
BEFORE, AFTER = "return xm * xm\n", "return xm * xm * 3.0\n"  # in square's jitted form
VALUE, EDITED_VALUE = 6.25, 18.75  # sphere at (1.5, -2): 1.5^2 + 2^2, and 3 times that

# Runs in the child. With "stock", the package's locators are taken out of Numba's list
# and sphere's cache is rebuilt, so it is stamped as Numba stamps it by default.
WORKER = """
import json, sys
import numpy as np
import adagrad_lab
from adagrad_lab.catalog.objectives import sphere
from adagrad_lab.jit import stamp

evaluate = sphere.evaluate
if sys.argv[1] == "stock":
    from numba.core import caching
    kept = [c for c in caching.CacheImpl._locator_classes if not issubclass(c, stamp._PackageStamp)]
    caching.CacheImpl._locator_classes[:] = kept
    evaluate.enable_caching()
x = np.array([[1.5], [-2.0]])  # one point of dimension 2, as a (d, B) block
g = np.zeros_like(x)
f = np.zeros(1)
evaluate(x, g, f, np.zeros(1))
print(json.dumps({
    "file": adagrad_lab.__file__,
    "f": float(f[0]),
    "hits": sum(evaluate.stats.cache_hits.values()),
    "misses": sum(evaluate.stats.cache_misses.values()),
}))
"""


def copy_package(root: Path) -> Path:
    """A copy of the package's sources (no __pycache__, so no cache) under root/pkg."""
    dest = root / "pkg" / "adagrad_lab"
    shutil.copytree(PACKAGE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def run_copy(pkg: Path, mode: str = "package", script: str = WORKER) -> dict:
    """Run ``script`` on the copy in a fresh process; its last line of output, as JSON.
    A child that fails raises RuntimeError, so a failed check reads as an AssertionError."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["PYTHONPATH"] = str(pkg.parent)
    proc = subprocess.run(
        [sys.executable, "-c", script, mode],
        cwd=pkg.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if Path(result["file"]).resolve().parent != pkg.resolve():
        raise RuntimeError(f"the repository's package ran, not the copy: {result['file']}")
    return result


def edit(pkg: Path, name: str, before: str, after: str) -> None:
    path = pkg / name
    text = path.read_text()
    if text.count(before) != 1:
        raise RuntimeError(f"update this test: {before!r} is not once in {name}")
    path.write_text(text.replace(before, after))


def edit_helper(pkg: Path) -> None:
    edit(pkg, HELPER, BEFORE, AFTER)


def test_the_stamp_covers_every_source_of_the_stamped_folders():
    """Found by walking the folders, not listed by hand: every .py of jit/, catalog/, kernel/."""
    found = {p.relative_to(PACKAGE).as_posix() for p in stamp.stamped_files()}
    expected = {
        p.relative_to(PACKAGE).as_posix()
        for folder in ("jit", "catalog", "kernel")
        for p in (PACKAGE / folder).rglob("*.py")
    }
    assert found == expected
    assert {HELPER, "catalog/objectives/sphere.py", "kernel/driver.py"} <= found


def test_editing_an_inlined_helper_recompiles(tmp_path):
    pkg = copy_package(tmp_path)

    cold = run_copy(pkg)
    assert cold["f"] == VALUE
    assert cold["hits"] == 0 and cold["misses"] == 1
    assert list((pkg / "catalog/objectives/__pycache__").glob("sphere.evaluate-*.nbi"))

    warm = run_copy(pkg)  # nothing edited: loaded from the cache, not compiled
    assert warm["f"] == VALUE
    assert warm["hits"] == 1 and warm["misses"] == 0

    edit_helper(pkg)
    edited = run_copy(pkg)  # a stale cache would still say 6.25
    assert edited["f"] == EDITED_VALUE
    assert edited["hits"] == 0 and edited["misses"] == 1

    again = run_copy(pkg)  # and the recompiled version is cached in turn
    assert again["f"] == EDITED_VALUE
    assert again["hits"] == 1


def test_without_the_package_stamp_the_edit_would_be_missed(tmp_path):
    """The premise of the hook: Numba's own stamp (the function's file only) misses the edit.

    If this starts failing after a Numba upgrade, Numba tracks the files a cached
    function depends on by itself, and the hook may no longer be needed."""
    pkg = copy_package(tmp_path)
    assert run_copy(pkg, "stock")["f"] == VALUE
    edit_helper(pkg)
    stale = run_copy(pkg, "stock")
    assert stale["hits"] == 1
    assert stale["f"] == VALUE  # stale: the edit is not seen
    # the package's stamp sees it in the same tree
    assert run_copy(pkg)["f"] == EDITED_VALUE


@pytest.mark.parametrize(
    "change",
    ["add kernel/extra.py", "move catalog/objectives/booth.py", "edit catalog/records.py"],
)
def test_adding_moving_or_editing_a_stamped_file_recompiles(tmp_path, change):
    """A change to any stamped folder, even one the function does not use, recompiles."""
    pkg = copy_package(tmp_path)
    assert run_copy(pkg)["misses"] == 1
    verb, name = change.split()
    if verb == "add":
        (pkg / name).write_text("X = 1\n")
    elif verb == "move":
        (pkg / name).rename(pkg / name.replace("booth", "booth_moved"))
    else:
        edit(pkg, name, "def zero(d: int) -> float:", "def zero(d: int, _: int = 0) -> float:")
    after = run_copy(pkg)
    assert after["f"] == VALUE
    assert after["hits"] == 0 and after["misses"] == 1, change


def test_editing_a_docstring_keeps_the_cache(tmp_path):
    """Text no kernel reads: a docstring of a record's module and of the stamped helper."""
    pkg = copy_package(tmp_path)
    assert run_copy(pkg)["misses"] == 1
    edit(
        pkg, "catalog/records.py", "A positive hyperparameter", "A strictly positive hyperparameter"
    )
    edit(pkg, HELPER, "x * x``, bit for bit", "x * x``, bit for bit (edited)")
    warm = run_copy(pkg)
    assert warm["hits"] == 1 and warm["misses"] == 0


# A built-in kernel variant on a tiny batch: sphere, AdaGrad, 3 iterations.
KERNEL_WORKER = """
import json
import numpy as np
import adagrad_lab
from adagrad_lab.kernel.driver import N_HP, RULE_ADAGRAD, advance
from adagrad_lab.catalog import OBJECTIVES

hp = np.zeros((N_HP, 2))
hp[0], hp[1] = 0.1, 1e-8
x0 = np.array([[0.5, -0.5], [0.3, 0.2]])
out = advance(x0, hp, rule=RULE_ADAGRAD, n_iter=3, code=OBJECTIVES["sphere"].code,
              params=OBJECTIVES["sphere"].params(2))
print(json.dumps({"file": adagrad_lab.__file__, "f": out["f_final"].tolist()}))
"""


@pytest.mark.slow  # compiles a kernel variant twice
def test_editing_a_record_module_recompiles_the_kernel(tmp_path):
    """The sphere's module binds its fused term into the kernel variant (compiled in
    kernel/driver.py); tripling the term's gradient instead of doubling it changes f."""
    pkg = copy_package(tmp_path)
    before = run_copy(pkg, script=KERNEL_WORKER)["f"]
    edit(pkg, "catalog/objectives/sphere.py", "xi * lit(xi, 2.0)", "xi * lit(xi, 3.0)")
    after = run_copy(pkg, script=KERNEL_WORKER)["f"]
    assert after != before, f"stale kernel: f_final {after} after editing sphere.py"
