"""adagrad-lab: many AdaGrad trajectories at once, from Hydra configs to Parquet."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .api import Result, advance
from .arithmetic import Arithmetic
from .registry import OBJECTIVES, OPTIMIZERS
from .storage import read_history, read_manifest, read_trajectories

if TYPE_CHECKING:
    from . import analysis
    from .results import Results, load

# pandas-backed names, imported on first use: a process that only runs sweeps starts
# without pandas (about 0.3 s of every start)
_LAZY = {"analysis": "analysis", "Results": "results", "load": "results"}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f".{_LAZY[name]}", __name__)
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
