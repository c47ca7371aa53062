"""adagrad-lab: many AdaGrad trajectories at once, from Hydra configs to Parquet."""

from . import analysis
from .api import Result, advance
from .arithmetic import Arithmetic
from .registry import OBJECTIVES, OPTIMIZERS
from .results import Results, load
from .storage import read_history, read_manifest, read_trajectories

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
