"""A 2-D objective's values on a grid, as a run writes them for its report (``landscape.npz``).

The run evaluates the objective where the drawing layers cannot (they never call
jitted code) and stores what a contour needs: the grid's coordinates, the
values, the known minimum f* and every known global minimizer. One NumPy
``.npz`` file in the run directory, written atomically, read without pickles.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from adagrad_lab.store.parquet import RunDataError

Array = np.ndarray[Any, Any]

LANDSCAPE = "landscape.npz"


@dataclass(frozen=True)
class Landscape:
    """f on a grid: ``f[i, j]`` is f at ``(x[j], y[i])`` (meshgrid's order); ``f_star`` the
    known minimum (NaN when unknown); ``minima`` every known global minimizer, ``(k, 2)``;
    ``objective`` its name. ``linthresh``: per coordinate, 0 for a linear axis, else the
    half-width of the linear core of a symmetric-log axis around 0, where an
    ill-conditioned objective's level sets are squeezed (the grid is spaced to match)."""

    x: Array
    y: Array
    f: Array
    f_star: float
    minima: Array
    objective: str = ""
    linthresh: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        x, y, f = (np.asarray(a, np.float64) for a in (self.x, self.y, self.f))
        if x.ndim != 1 or y.ndim != 1 or f.shape != (len(y), len(x)):
            raise ValueError(f"landscape: f must be (len(y), len(x)), got {f.shape}")
        minima = np.asarray(self.minima, np.float64).reshape(-1, 2)
        for name, value in (("x", x), ("y", y), ("f", f), ("minima", minima)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "f_star", float(self.f_star))
        lx, ly = (float(t) for t in self.linthresh)
        object.__setattr__(self, "linthresh", (lx, ly))
        object.__setattr__(self, "objective", str(self.objective))

    @property
    def conditioned(self) -> bool:
        """Whether an axis is symmetric-log: the objective is ill-conditioned there."""
        return any(t > 0 for t in self.linthresh)

    @property
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """((x1_lo, x1_hi), (x2_lo, x2_hi)): the box the grid spans."""
        return (float(self.x[0]), float(self.x[-1])), (float(self.y[0]), float(self.y[-1]))


def write_landscape(run_dir: str | Path, landscape: Landscape) -> Path:
    """Write ``landscape`` into ``run_dir`` (a temporary name, then renamed); its path."""
    path = Path(run_dir) / LANDSCAPE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        np.savez(
            handle,
            x=landscape.x,
            y=landscape.y,
            f=landscape.f,
            f_star=np.float64(landscape.f_star),
            minima=landscape.minima,
            objective=np.str_(landscape.objective),
            linthresh=np.asarray(landscape.linthresh, np.float64),
        )
    os.replace(tmp, path)
    return path


def read_landscape(run_dir: str | Path) -> Landscape | None:
    """The landscape a run wrote, None when it wrote none (not 2-D, a user's objective, or a
    run made before landscapes were written); RunDataError when the file cannot be read."""
    path = Path(run_dir) / LANDSCAPE
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return Landscape(
                data["x"],
                data["y"],
                data["f"],
                float(data["f_star"]),
                data["minima"],
                str(data["objective"]),
                (float(data["linthresh"][0]), float(data["linthresh"][1])),
            )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise RunDataError(f"{path}: not a readable landscape ({exc})") from None
