"""Where a result came from: config hash, package versions, git revision, CPU."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from adagrad_lab.catalog.objectives.learning import SETTINGS
from adagrad_lab.jit.arithmetic import FASTMATH_FLAGS, Arithmetic

PACKAGES = ("adagrad-lab", "numpy", "numba", "llvmlite", "pandas", "pyarrow", "hydra-core")
DATA_KEYS = ("objective", "optimizer", "sweep", "start", "record")
QUIET_NOISE = {"kind": "none", "sigma": 0.0}  # the default noise: left out of the hash
# a learning problem's objective keys, left out of the hash where null (every test function)
LEARNING_KEYS = frozenset(SETTINGS) - {"log10_condition"}
LEARNING_RECORDS = frozenset({"test", "regret", "average"})  # left out of the hash when off


def config_hash(
    config: dict[str, Any],
    extra: dict[str, Any] | None = None,
    arithmetic: Arithmetic | None = None,
    data_sha256: str | None = None,
) -> str:
    """sha256 of the parts of the resolved config that determine the data.

    Not ``run.*`` (threads, chunks: the bits do not depend on them) except the
    arithmetic (the plan's `Arithmetic`; by default read from ``run.*``), nor
    ``shard`` or ``echo``.
    ``extra``: what else determines the data, e.g. a custom objective's source
    (`objectives.user_source`, the plan's ``user_source``); None leaves the hash as it was.
    Its ``file`` entry is left out: where the module lies does not change the data, its
    bytes (``sha256``) do, so a checkout moved elsewhere still resumes its runs; so is
    a learning problem's data file: ``data_sha256``, its bytes, are hashed.
    Learning keys left null (every test function's), learning records left off and the
    default noise are left out,
    so the hashes of runs made before those keys existed stay as they were.
    """
    relevant = {k: config[k] for k in DATA_KEYS}
    relevant["objective"] = {
        k: v for k, v in config["objective"].items() if not (k in LEARNING_KEYS and v is None)
    }
    relevant["record"] = {
        k: v for k, v in config["record"].items() if not (k in LEARNING_RECORDS and not v)
    }
    if config.get("noise", QUIET_NOISE) != QUIET_NOISE:
        relevant["noise"] = config["noise"]
    if data_sha256 is not None:
        relevant["data_sha256"] = data_sha256
    if arithmetic is None:
        run = config.get("run", {})
        arithmetic = Arithmetic(
            precision=run.get("precision", "float64"),
            fastmath=bool(run.get("fastmath", False)),
            flush_subnormals=bool(run.get("flush_subnormals", False)),
        )
    relevant["fastmath"] = arithmetic.fastmath
    if arithmetic.fastmath:  # which arithmetic it is, so a changed flag set is another config
        relevant["fastmath_flags"] = list(FASTMATH_FLAGS)
    relevant["precision"] = arithmetic.precision
    if arithmetic.flush_subnormals:  # absent when off: default hashes stay as they were
        relevant["flush_subnormals"] = True
    if extra is not None:  # absent for the built-ins: their hashes stay as they were
        relevant["objective_source"] = {k: v for k, v in extra.items() if k != "file"}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_revision() -> dict[str, object] | None:
    """HEAD and dirty flag of the checkout holding this package, or None when installed."""
    here = Path(__file__).resolve().parent
    try:
        top = _git(here, "rev-parse", "--show-toplevel")
        if not (Path(top) / "adagrad_lab" / "__init__.py").exists():
            return None
        return {
            "revision": _git(here, "rev-parse", "HEAD"),
            "dirty": bool(_git(here, "status", "--porcelain", "--untracked-files=no")),
        }
    except (OSError, subprocess.CalledProcessError):
        return None


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=10
    )
    return done.stdout.strip()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
