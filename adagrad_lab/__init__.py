"""adagrad-lab: many AdaGrad trajectories at once, from Hydra configs to Parquet."""

from .kernel import RULE_ADAGRAD, RULE_GD, advance
from .objectives import BUILTINS
from .storage import read_history, read_manifest, read_trajectories

__all__ = [
    "BUILTINS",
    "RULE_ADAGRAD",
    "RULE_GD",
    "advance",
    "read_history",
    "read_manifest",
    "read_trajectories",
]
__version__ = "0.1.0"
