"""The wheel, installed into a fresh virtual environment, works from any directory.

The editable install the other tests use reads conf/, experiments/ and the
package from the repository, so a file missing from the wheel would pass them
all. Here the repository is copied (nothing is written into it), built with
`pip wheel`, installed without its dependencies into a new venv that reuses
this environment's packages (a .pth file: no download), and run as a user
would, from a directory outside the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import numpy as np
import pytest
from naive import tutorial_adagrad, tutorial_derivative, tutorial_objective

pytestmark = pytest.mark.slow  # 15-30 s: a build, an install, a kernel compile per process

ROOT = Path(__file__).resolve().parents[1]
FIRST = ">0 f([-0.06595599  0.34064899]) = 0.12039"
# not copied: environments, caches, build and run outputs
SKIP = {".git", ".venv", "outputs", "build", "dist", "__pycache__", ".pytest_cache",
        ".ruff_cache", ".hypothesis", "multirun"}  # fmt: skip


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in SKIP or n.endswith(".egg-info")}


def _run(args: list, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HYDRA_FULL_ERROR")}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    """(wheel file, the new venv's python, its site-packages, a work directory outside the repo)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=_ignore)
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", tmp / "dist", src], tmp)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp / "dist").glob("adagrad_lab-*.whl")

    venv = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     tmp).stdout.strip())  # fmt: skip
    # the dependencies: this environment's site-packages, after the venv's own. A .pth
    # line only appends the folder to sys.path: its own .pth files (the editable
    # install's finder) are not run, so adagrad_lab can come only from the wheel
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "_adagrad_lab_test_deps.pth").write_text("\n".join(ours) + "\n")
    done = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", wheel],
                tmp)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    work = tmp / "work"
    work.mkdir()
    return wheel, python, site, work


def _tree(folder: Path, package: str, suffixes: tuple[str, ...]) -> set[str]:
    """The wheel paths of the files under ``folder`` (shipped as ``package``) ending in suffixes."""
    return {
        f"{package}/{path.relative_to(folder).as_posix()}"
        for path in folder.rglob("*")
        if path.suffix in suffixes and "__pycache__" not in path.parts
    }


def test_wheel_holds_every_module_and_config(wheel_env):
    wheel, *_ = wheel_env
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = (
        _tree(ROOT / "adagrad_lab", "adagrad_lab", (".py",))
        | _tree(ROOT / "conf", "adagrad_lab/conf", (".py", ".yaml"))
        | _tree(ROOT / "experiments", "adagrad_lab/experiments", (".py", ".yaml"))
    )
    assert expected - names == set(), "missing from the wheel"
    assert all(n.startswith(("adagrad_lab/", "adagrad_lab-")) for n in names), "stray top level"


def test_installed_package_is_the_wheels(wheel_env):
    _, python, site, work = wheel_env
    modules = ("adagrad_lab", "adagrad_lab.conf", "adagrad_lab.experiments")
    code = f"import importlib; print(*(importlib.import_module(m).__file__ for m in {modules}))"
    done = _run([python, "-c", code], work)
    assert done.returncode == 0, done.stderr
    files = [Path(f) for f in done.stdout.split()]
    assert len(files) == 3 and all(f.is_relative_to(site) for f in files), done.stdout


def test_tutorial_from_outside_the_repository(wheel_env):
    _, python, _, work = wheel_env
    done = _run([python.parent / "adagrad-lab", "experiment=tutorial"], work)
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    np.random.seed(1)
    bounds = np.asarray([[-1.0, 1.0], [-1.0, 1.0]])
    expected: list[str] = []
    tutorial_adagrad(
        tutorial_objective, tutorial_derivative, bounds, 50, 0.1, report=expected.append
    )
    assert out[0] == FIRST
    assert out[:50] == expected
    assert out[50] == "Done!"
    assert len(list(work.glob("outputs/*/*/trajectories/*.parquet"))) == 1


def test_multirun_from_outside_the_repository(wheel_env):
    _, python, _, work = wheel_env
    command = "adagrad-lab -m objective=sphere,booth sweep.seeds=2 sweep.n_iter=10"
    done = _run([python.parent / "adagrad-lab", *command.split()[1:]], work)
    assert done.returncode == 0, done.stderr
    jobs = {}
    for manifest in work.glob("outputs/multirun/*/*/*/manifest.json"):
        jobs[json.loads(manifest.read_text())["config"]["objective"]["name"]] = manifest.parent
    assert sorted(jobs) == ["booth", "sphere"]
    for job in jobs.values():
        assert list(job.glob("trajectories/*.parquet")), job
