"""adagrad-lab: many AdaGrad trajectories at once, from Hydra configs to Parquet."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from adagrad_lab.catalog import OBJECTIVES, OPTIMIZERS
from adagrad_lab.jit.arithmetic import Arithmetic
from adagrad_lab.run.api import Result, advance
from adagrad_lab.store.landscape import Landscape
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


def landscape(
    objective: str,
    bounds: tuple[float, float] | tuple[tuple[float, float], tuple[float, float]] | None = None,
    resolution: int = 201,
    log10_condition: float | None = None,
) -> Landscape:
    """A built-in 2-D objective's values on a grid, for `plots.contour` and `plots.surface`.

    The grid a run writes into its ``landscape.npz`` for its report, computed here
    through the catalog's jitted evaluator: ``bounds`` ``(lo, hi)`` or one pair per
    coordinate (default the objective's box), ``log10_condition`` the ellipsoid's.

    >>> from adagrad_lab import plots  # doctest: +SKIP
    >>> plots.contour(landscape("himmelblau")).savefig("himmelblau.png")  # doctest: +SKIP
    """
    from adagrad_lab.run.landscape import evaluate

    return evaluate(objective, bounds, resolution, log10_condition)


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    return module if name == "analysis" else getattr(module, name)


__all__ = [
    "OBJECTIVES",
    "OPTIMIZERS",
    "Arithmetic",
    "Landscape",
    "Result",
    "Results",
    "advance",
    "analysis",
    "landscape",
    "load",
    "read_history",
    "read_manifest",
    "read_trajectories",
]
__version__ = "0.1.0"
