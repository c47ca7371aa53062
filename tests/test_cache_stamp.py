"""The on-disk cache stamp (`_jit._PackageStamp`): a cached function of the package is
recompiled when any module in `KERNEL_SOURCES` changes, not only its own file.

Each test works on a copy of the package in tmp_path and runs it in fresh
processes with NUMBA_CACHE_DIR unset, so Numba writes its cache next to the
copied sources and the repository's own cache is never touched. The function
is `objectives_math.sphere` (called directly, so it is compiled and cached on
its own); it calls `square` from `_jit.py`, and the edit triples what that
helper returns: sphere's value at (1.5, -2) goes from 6.25 to 18.75. The last
test does the same for a whole kernel variant and an edit of the registry.
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
from adagrad_lab import _jit

PACKAGE = Path(adagrad_lab.__file__).resolve().parent
HELPER = "_jit.py"  # a module in KERNEL_SOURCES other than the function's own file
BEFORE, AFTER = "return xm * xm\n", "return xm * xm * 3.0\n"  # in square's jitted form
VALUE, EDITED_VALUE = 6.25, 18.75  # sphere at (1.5, -2): 1.5^2 + 2^2, and 3 times that

# Runs in the child. With "stock", the package's locators are taken out of Numba's list
# and sphere's cache is rebuilt, so it is stamped as Numba stamps it by default.
WORKER = """
import json, sys
import numpy as np
import adagrad_lab
from adagrad_lab import _jit, objectives_math as om

if sys.argv[1] == "stock":
    from numba.core import caching
    kept = [c for c in caching.CacheImpl._locator_classes if not issubclass(c, _jit._PackageStamp)]
    caching.CacheImpl._locator_classes[:] = kept
    om.sphere.enable_caching()
x = np.array([[1.5], [-2.0]])  # one point of dimension 2, as a (d, B) block
g = np.zeros_like(x)
f = np.zeros(1)
om.sphere(x, g, f, np.zeros(1))
print(json.dumps({
    "file": adagrad_lab.__file__,
    "f": float(f[0]),
    "hits": sum(om.sphere.stats.cache_hits.values()),
    "misses": sum(om.sphere.stats.cache_misses.values()),
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


def test_the_helper_is_a_kernel_source():
    assert HELPER in _jit.KERNEL_SOURCES
    assert "objectives_math.py" in _jit.KERNEL_SOURCES


def test_editing_an_inlined_helper_recompiles(tmp_path):
    pkg = copy_package(tmp_path)

    cold = run_copy(pkg)
    assert cold["f"] == VALUE
    assert cold["hits"] == 0 and cold["misses"] == 1
    assert list((pkg / "__pycache__").glob("objectives_math.sphere-*.nbi"))  # cached beside it

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


@pytest.mark.parametrize("name", _jit.KERNEL_SOURCES)
def test_every_kernel_source_exists(name):
    """A name in KERNEL_SOURCES that is not a file would make every stamp fail to compute."""
    assert (PACKAGE / name).is_file()


# A built-in kernel variant on a tiny batch: sphere, AdaGrad, 3 iterations.
KERNEL_WORKER = """
import json
import numpy as np
import adagrad_lab
from adagrad_lab.kernel import N_HP, RULE_ADAGRAD, advance
from adagrad_lab.registry import OBJECTIVES

hp = np.zeros((N_HP, 2))
hp[0], hp[1] = 0.1, 1e-8
x0 = np.array([[0.5, -0.5], [0.3, 0.2]])
out = advance(x0, hp, rule=RULE_ADAGRAD, n_iter=3, code=OBJECTIVES["sphere"].code,
              params=OBJECTIVES["sphere"].params(2))
print(json.dumps({"file": adagrad_lab.__file__, "f": out["f_final"].tolist()}))
"""


@pytest.mark.slow  # compiles a kernel variant twice
def test_editing_the_registry_recompiles_the_kernel(tmp_path):
    """The registry record binds the sphere's fused term into its kernel variant; binding
    the ellipsoid's term instead (weight 0 with the sphere's parameters) changes f."""
    pkg = copy_package(tmp_path)
    before = run_copy(pkg, script=KERNEL_WORKER)["f"]
    edit(pkg, "registry.py", "term=om.sphere_term,", "term=om.ellipsoid_term,")
    after = run_copy(pkg, script=KERNEL_WORKER)["f"]
    assert after != before, f"stale kernel: f_final {after} after editing registry.py"
