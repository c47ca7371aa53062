"""The columns that tell loaded jobs apart: each config key whose value differs by job, named
as the trajectories name it, typed as a number, a bool or a category (never text)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

# a config key becomes a column named after what the trajectories already call it
ALIASES = {"objective.name": "objective", "optimizer.name": "optimizer", "objective.dim": "dim"}
# config keys that say how a job runs, not what it computes, or that the grid already holds
EXECUTION = frozenset(
    {
        "run.chunk_size",
        "run.threads",
        "run.block",
        "run.progress",
        "run.dry_run",
        "run.overwrite",
        "report.enabled",
        "report.max_diverged",
    }
)
SKIPPED_PREFIXES = ("shard.", "echo", "sweep.seeds")


def job_columns(configs: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Column name -> value per job name, for every config key whose value differs by job
    (``configs``: each job's resolved config by its name)."""
    flat = {name: dict(_flatten(config)) for name, config in configs.items()}
    keys = dict.fromkeys(k for values in flat.values() for k in values)
    out = {}
    for key in keys:
        if key in EXECUTION or key.startswith(SKIPPED_PREFIXES):
            continue
        values = {name: flat[name].get(key) for name in flat}
        if len({repr(v) for v in values.values()}) > 1:
            out[ALIASES.get(key, key)] = values
    return out


def _flatten(config: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in config.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", tuple(value) if isinstance(value, list) else value


def typed(values: list[Any]) -> pd.Series:
    """A job-level column: categorical names, int or float numbers, bools; never numbers as text."""
    present = [v for v in values if v is not None]
    gaps = len(present) < len(values)
    dtype: Any = object  # lists (bounds, a fixed start point), as tuples
    if present and all(isinstance(v, bool) for v in present):
        dtype = "boolean" if gaps else bool
    elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        dtype = "Int64" if gaps else "int64"
    elif present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        values, dtype = [float("nan") if v is None else v for v in values], "float64"
    elif present and all(isinstance(v, str) for v in present):
        dtype = "category"
    series: pd.Series = pd.Series(values, dtype=dtype)
    return series
