"""Which columns of an analysis frame a figure groups by, and how their values are named."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

Hue = str | Sequence[str] | None


OPTIMIZER_LABELS = {"adagrad": "AdaGrad", "gd": "gradient descent"}


AXIS_LABELS = {
    "step_size": "step size",
    "eps": "eps (added to sqrt(s))",
    "initial_accumulator": "initial accumulator s0",
    "optimizer": "optimizer",
    "objective": "objective",
    "dim": "dimension",
    "target": "target",
    "objective.bounds": "start box",
}


VALUE_LABELS = {"f": "f(x)", "gap": "f(x) - f*", "auto": "f(x) - f*"}


# columns of the analysis frames that are values, not group keys
VALUE_COLUMNS = frozenset(
    {"iter", "n", "converged", "diverged", "fraction", "tau", "cost", "ratio"}
)


QUANTILE_COLUMN = re.compile(r"(?:(final|best)_)?q([0-9.eE+-]+)")


def _require(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame lacks {', '.join(missing)}: expected {source}'s frame")
    if frame.empty:
        raise ValueError("the frame has no rows")


def _quantile_columns(frame: pd.DataFrame, which: str) -> dict[float, str]:
    """``{quantile: column}`` of the ``q<q>`` (``which=""``) or ``<which>_q<q>`` columns."""
    out: dict[float, str] = {}
    for c in frame.columns:
        m = QUANTILE_COLUMN.fullmatch(str(c))
        if m and (m.group(1) or "") == which:
            try:
                out[float(m.group(2))] = str(c)
            except ValueError:
                continue
    return out


def _band(quantiles: dict[float, str]) -> tuple[str, str]:
    """The lowest and highest quantile columns around the median, "" where there are none."""
    below = [q for q in quantiles if q < 0.5]
    above = [q for q in quantiles if q > 0.5]
    if not below or not above:
        return "", ""
    return quantiles[min(below)], quantiles[max(above)]


def _hue_keys(frame: pd.DataFrame, hue: Hue) -> list[str]:
    if hue is None:
        return [
            str(c)
            for c in frame.columns
            if c not in VALUE_COLUMNS and not QUANTILE_COLUMN.fullmatch(str(c))
        ]
    keys = [hue] if isinstance(hue, str) else list(hue)
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise ValueError(f"hue: the frame has no column {', '.join(missing)}")
    return keys


def _label_groups(frame: pd.DataFrame, shown: list[str], x: str) -> list[tuple[str, pd.DataFrame]]:
    """(label, rows sorted by ``x``) per group of exactly the keys ``shown``."""
    if not shown:
        groups: list[tuple[str, pd.DataFrame]] = [("all", frame)]
    else:
        groups = [
            (_label(shown, key if isinstance(key, tuple) else (key,)), g)
            for key, g in frame.groupby(shown, observed=True, dropna=False, sort=True)
        ]
    for label, g in groups:
        if g[x].duplicated().any():
            raise ValueError(
                f"group {label!r} has more than one row per {x}: name every group key in hue "
                "or filter the frame"
            )
    return [(label, g.sort_values(x)) for label, g in groups]


def _labelled(frame: pd.DataFrame, shown: list[str]) -> list[str]:
    """The labels of the groups of ``frame`` by the keys ``shown``, in sorted key order."""
    if not shown:
        return ["all"]
    keys = frame[shown].drop_duplicates().sort_values(shown)
    return [_label(shown, tuple(row)) for row in keys.itertuples(index=False, name=None)]


def _label(shown: list[str], values: tuple[Any, ...]) -> str:
    if len(shown) == 1:
        return _format(shown[0], values[0])
    return ", ".join(_named(k, v) for k, v in zip(shown, values, strict=True))


def _format(key: str, value: object) -> str:
    if key == "optimizer":
        return OPTIMIZER_LABELS.get(str(value), str(value))
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    if isinstance(value, tuple | list | np.ndarray):  # e.g. bounds: "[-1, 1]"
        return "[" + ", ".join(_format(key, v) for v in value) + "]"
    return str(value)


def _tick(key: str, value: object) -> str:
    """A short tick label: 3 significant digits for a float."""
    if isinstance(value, float | np.floating):
        return f"{value:.3g}"
    return _format(key, value)


def _named(key: str, value: object) -> str:
    if key == "optimizer":
        return _format(key, value)
    return f"{AXIS_LABELS.get(key, key)} {_format(key, value)}"


def _column_label(column: str, value: str) -> str:
    m = QUANTILE_COLUMN.fullmatch(column)
    if not m:
        return column
    stat = "median" if float(m.group(2)) == 0.5 else f"{m.group(2)} quantile of"
    return f"{stat} {m.group(1) or ''} {VALUE_LABELS.get(value, value)}".replace("  ", " ")
