"""adagrad-lab: many AdaGrad trajectories at once, from Hydra configs to Parquet."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from adagrad_lab.catalog import OBJECTIVES, OPTIMIZERS
from adagrad_lab.jit.arithmetic import Arithmetic
from adagrad_lab.run.api import Result, advance
from adagrad_lab.store.parquet import read_history, read_manifest, read_trajectories

if TYPE_CHECKING:
    from adagrad_lab import analysis
    from adagrad_lab.store.results import Results, load

# pandas-backed names, imported on first use: a process that only runs sweeps starts
# without pandas (about 0.3 s of every start)
_LAZY = {
    "analysis": "adagrad_lab.analysis",
    "Results": "adagrad_lab.store.results",
    "load": "adagrad_lab.store.results",
}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    return module if name == "analysis" else getattr(module, name)


__all__ = [
    "OBJECTIVES",
    "OPTIMIZERS",
    "Arithmetic",
    "Result",
    "Results",
    "advance",
    "analysis",
    "load",
    "read_history",
    "read_manifest",
    "read_trajectories",
]
__version__ = "0.1.0"
