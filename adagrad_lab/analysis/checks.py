"""Argument checks shared by the statistics modules: each raises a one-line ValueError that
names the argument and says what it accepts, before any work."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from adagrad_lab.analysis.values import Array
from adagrad_lab.store.results import Results


def _columns(frame: pd.DataFrame, names: Sequence[str], argument: str) -> list[str]:
    """``names`` as a list, each a column of ``frame``."""
    if isinstance(names, str):
        raise ValueError(f"{argument}: a list of column names, not the string {names!r}")
    names = list(names)
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ValueError(f"{argument}: the frame has no column {', '.join(map(str, missing))}")
    return names


def _count(value: Any, argument: str, least: int = 1) -> int:
    """An integer >= ``least`` (a bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise ValueError(f"{argument}: an integer >= {least}, not {value!r}")
    return int(value)


def _seed(value: Any) -> int:
    """An explicit non-negative integer seed: None (fresh entropy) is refused, so every
    interval can be recomputed."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"seed: a non-negative integer (the draws depend on it), not {value!r}")
    return int(value)


def _open_fraction(value: Any, argument: str) -> float:
    """A number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < float(value) < 1:
        raise ValueError(f"{argument}: a number strictly between 0 and 1, not {value!r}")
    return float(value)


def _floats(values: Sequence[float] | Array, argument: str) -> Array:
    """A non-empty 1-D array of numbers, none NaN."""
    if isinstance(values, str | bytes):
        raise ValueError(f"{argument}: a list of numbers, not {values!r}")
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{argument}: a list of numbers, not {values!r}") from None
    if out.ndim != 1 or out.size == 0 or np.isnan(out).any():
        raise ValueError(f"{argument}: a non-empty list of numbers (no NaN), not {values!r}")
    return out


def _iterations(values: Sequence[int] | Array, argument: str) -> Array:
    """A non-empty, sorted, duplicate-free 1-D array of non-negative whole numbers (int64)."""
    out = _floats(values, argument)
    if not (np.isfinite(out).all() and (out >= 0).all() and (out == np.round(out)).all()):
        raise ValueError(f"{argument}: non-negative whole numbers of iterations, not {values!r}")
    ints: Array = np.unique(out.astype(np.int64))
    return ints


def _choice(value: Any, argument: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"{argument}: {value!r} is not one of {', '.join(map(repr, allowed))}")
    return str(value)


def _data(data: Any, history: bool) -> None:
    """``data`` is what the analysis reads: a `Results`, a trajectories frame, or
    ``(trajectories, history)`` (the history required where ``history``)."""
    pair = (
        isinstance(data, tuple)
        and len(data) == 2
        and all(isinstance(d, pd.DataFrame) for d in data)
    )
    if not (isinstance(data, Results | pd.DataFrame) or pair):
        raise ValueError(
            "data: a Results (adagrad_lab.load), a trajectories frame or (trajectories, history),"
            f" not {type(data).__name__}"
        )
    if history and isinstance(data, pd.DataFrame):
        raise ValueError("data: this needs the history: pass a Results or (trajectories, history)")
