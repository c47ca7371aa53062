"""Which columns of an analysis frame a figure groups by, and how their values are named."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from adagrad_lab.catalog import OBJECTIVES, OPTIMIZERS

Hue = str | Sequence[str] | None


def display_name(optimizer: str) -> str:
    """The one name an optimizer goes by in legends, ticks and the console summary
    ("AdaGrad", "Adam", "AdaGrad (Optax)"): its record's ``display``; an unknown name as is.

    Every place that shows an optimizer asks here, so the names can come from
    elsewhere (the run's manifest) by changing this function alone.
    """
    record = OPTIMIZERS.get(optimizer)
    return record.display if record is not None and record.display else optimizer


# every built-in rule's `display_name`, by its config name
OPTIMIZER_LABELS = {name: display_name(name) for name in OPTIMIZERS}


AXIS_LABELS = {
    "step_size": "step size",
    "eps": "eps (added to sqrt(s))",
    "initial_accumulator": "initial accumulator s0",
    "optimizer": "optimizer",
    "objective": "objective",
    "dim": "dimension",
    "target": "target",
    "objective.bounds": "start box",
    "objective.data": "data set",
    "diverged": "fraction diverged",
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


def _hue_keys(frame: pd.DataFrame, hue: Hue, values: Collection[str] = VALUE_COLUMNS) -> list[str]:
    """The keys that tell the curves apart: ``hue``, or every column but ``values`` and the
    quantile columns."""
    if hue is None:
        return [
            str(c)
            for c in frame.columns
            if c not in values and not QUANTILE_COLUMN.fullmatch(str(c))
        ]
    keys = [hue] if isinstance(hue, str) else list(hue)
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise ValueError(f"hue: the frame has no column {', '.join(missing)}")
    return keys


@dataclass(frozen=True)
class _Groups:
    """The curves of a figure: the keys that tell them apart, their labels in sorted key
    order (a curve's colour is its place here, the same in every panel), and how the
    labels are written."""

    shown: list[str]
    labels: list[str]
    digits: dict[str, int]  # significant digits per float key: 3, more where 3 would merge
    numeric: bool  # one numeric key (a step size, a batch size): drawn in sequential colours
    step: bool  # each curve is at one step size per panel, which its legend entry says

    @property
    def title(self) -> str | None:
        """The legend's title: the name of the one key, None for several."""
        return AXIS_LABELS.get(self.shown[0], self.shown[0]) if len(self.shown) == 1 else None

    def label(self, values: tuple[Any, ...]) -> str:
        if not self.shown:
            return "all"
        digits = [self.digits.get(k, 3) for k in self.shown]
        if len(self.shown) == 1:
            return _format(self.shown[0], values[0], digits[0])
        return ", ".join(
            _named(k, v, d) for k, v, d in zip(self.shown, values, digits, strict=True)
        )


def _groups(frame: pd.DataFrame, hue: Hue, leave_out: Sequence[str], panel: list[str]) -> _Groups:
    """The curves of ``frame`` by ``hue`` (default: every key column), without the keys
    ``leave_out`` (the x axis, the facet); the keys taking one value are left out of the
    labels. A ``step_size`` that the other keys determine in each ``panel`` (each curve at
    its chosen step) is not a key: the curve's legend entry carries it."""
    keys = [k for k in _hue_keys(frame, hue) if k not in leave_out]
    shown = [k for k in keys if frame[k].nunique(dropna=False) > 1] or keys
    base = [k for k in shown if k != "step_size"]
    step = False
    if base and "step_size" in frame.columns and "step_size" not in leave_out:
        per_curve = frame.groupby([*panel, *base], observed=True, dropna=False)["step_size"]
        step = bool((per_curve.nunique(dropna=False) <= 1).all())
        shown = base if step else shown
    digits = {k: _digits(frame[k]) for k in shown}
    numeric = len(shown) == 1 and _is_number(frame[shown[0]])
    found = _Groups(shown, [], digits, numeric, step)
    if shown:
        rows = frame[shown].drop_duplicates().sort_values(shown)
        labels = [found.label(tuple(r)) for r in rows.itertuples(index=False, name=None)]
    else:
        labels = ["all"]
    return _Groups(shown, labels, digits, numeric, step)


def _label_groups(frame: pd.DataFrame, groups: _Groups, x: str) -> list[tuple[str, pd.DataFrame]]:
    """(label, rows sorted by ``x``) per group of exactly the keys ``groups.shown``."""
    shown = groups.shown
    if not shown:
        found: list[tuple[str, pd.DataFrame]] = [("all", frame)]
    else:
        found = [
            (groups.label(key if isinstance(key, tuple) else (key,)), g)
            for key, g in frame.groupby(shown, observed=True, dropna=False, sort=True)
        ]
    for label, g in found:
        if g[x].duplicated().any():
            raise ValueError(
                f"group {label!r} has more than one row per {x}: name every group key in hue "
                "or filter the frame"
            )
    return [(label, g.sort_values(x)) for label, g in found]


def _step_of(rows: pd.DataFrame) -> float:
    """The one step size of a curve's rows (`_Groups.step`)."""
    return float(rows["step_size"].iloc[0])


def _with_step(label: str, steps: Sequence[float]) -> str:
    """'AdaGrad (step 0.0316)': a legend entry with the curve's step size, or 'AdaGrad
    (step per panel)' where it differs from panel to panel."""
    distinct = sorted(set(steps))
    if len(distinct) == 1:
        return f"{label} (step {distinct[0]:.3g})"
    return f"{label} (step per panel)"


def _is_number(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _digits(column: pd.Series) -> int:
    """Significant digits that write the distinct floats of ``column`` apart: 3, or more
    where 3 would give two of them one label."""
    if not pd.api.types.is_float_dtype(column):
        return 3
    values = pd.unique(column.dropna())
    for digits in range(3, 18):
        if len({f"{v:.{digits}g}" for v in values}) == len(values):
            return digits
    return 17


def _format(key: str, value: object, digits: int = 3) -> str:
    """A key's value as a label: an optimizer's display name, a float to ``digits``
    significant digits."""
    if key == "optimizer":
        return display_name(str(value))
    if isinstance(value, float | np.floating):
        return f"{value:.{digits}g}"
    if isinstance(value, tuple | list | np.ndarray):  # e.g. bounds: "[-1, 1]"
        return "[" + ", ".join(_format(key, v, digits) for v in value) + "]"
    return str(value)


def _tick(key: str, value: object, digits: int = 3) -> str:
    """A short tick label: 3 significant digits for a float (more with ``digits``)."""
    return _format(key, value, digits)


def _named(key: str, value: object, digits: int = 3) -> str:
    if key == "optimizer":
        return _format(key, value)
    return f"{AXIS_LABELS.get(key, key)} {_format(key, value, digits)}"


def _column_label(column: str, value: str) -> str:
    m = QUANTILE_COLUMN.fullmatch(column)
    if not m:
        return AXIS_LABELS.get(column, column)
    stat = "median" if float(m.group(2)) == 0.5 else f"{m.group(2)} quantile of"
    return f"{stat} {m.group(1) or ''} {VALUE_LABELS.get(value, value)}".replace("  ", " ")


Config = Mapping[str, Any]


def describe_run(trajectories: pd.DataFrame, configs: Config | Sequence[Config] = ()) -> str:
    """What was run, in one line for a figure's subtitle or a page's header.

    The objective, its dimension, its condition number or data set (where its
    record has one), the iterations, the seeds and the target, e.g.
    "ellipsoid, d = 2, condition 1e6; 1000 iterations, 100 seeds, target f <= 1e-8"
    (a learning problem's target is on f - f*: "target f - f* <= 1e-8").
    Read from the ``trajectories`` frame (objective, dim, seed and swept
    ``objective.*`` columns) and the resolved ``configs`` of its runs (one, or one
    per job; what differs between them is listed, comma-separated); a part with
    neither is left out.

    >>> res = adagrad_lab.load(run)  # doctest: +SKIP
    >>> describe_run(res.trajectories, [job.config for job in res.jobs])  # doctest: +SKIP
    """
    cfgs = [configs] if isinstance(configs, Mapping) else list(configs)
    names = _values_of(trajectories, "objective", cfgs, ("objective", "name"))
    problem = [", ".join(str(n) for n in names)] if names else []
    dims = _values_of(trajectories, "dim", cfgs, ("objective", "dim"))
    if dims:
        problem.append("d = " + ", ".join(str(int(d)) for d in dims))
    records = [OBJECTIVES[str(n)] for n in names if str(n) in OBJECTIVES]
    data = _values_of(trajectories, "objective.data", cfgs, ("objective", "data"))
    for key, word in (("log10_condition", "condition"), ("data", "data"), ("batch_size", "batch")):
        if not any(key in r.settings for r in records):
            continue
        if key == "log10_condition" and data and "synthetic" not in data:
            continue  # a data set's conditioning is its own, not the synthetic knob
        found = (
            _batch_sizes(trajectories, cfgs)
            if key == "batch_size"
            else _values_of(trajectories, f"objective.{key}", cfgs, ("objective", key))
        )
        if not found:
            found = sorted({r.settings[key] for r in records if r.settings.get(key) is not None})
        if found and key == "log10_condition":
            problem.append(f"{word} " + ", ".join(_short(10.0 ** float(v)) for v in found))
        elif found:
            problem.append(f"{word} " + ", ".join(str(v) for v in found))
    run = []
    iters = _values_of(trajectories, "", cfgs, ("sweep", "n_iter"))
    if iters:
        run.append(", ".join(str(int(n)) for n in iters) + " iterations")
    if "seed" in trajectories.columns:
        n = int(trajectories["seed"].nunique())
        run.append(f"{n} seed{'' if n == 1 else 's'}")
    targets = _values_of(trajectories, "", cfgs, ("sweep", "target"))
    if targets:
        run.append(describe_target([str(n) for n in names], targets))
    return "; ".join(", ".join(part) for part in (problem, run) if part)


def describe_target(objectives: Sequence[str], targets: Sequence[float]) -> str:
    """'target f <= 1e-8', or 'target f - f* <= 1e-8' where every objective is a learning
    problem: there the kernel and the analysis measure the target from its solved f*."""
    learning = [OBJECTIVES[n].evaluate_data is not None for n in objectives if n in OBJECTIVES]
    value = "f"
    if learning and all(learning):
        value = "f - f*"
    elif any(learning):
        value = "f (f - f* for learning problems)"
    return f"target {value} <= " + ", ".join(_short(float(t)) for t in targets)


def _values_of(
    frame: pd.DataFrame, column: str, configs: list[Config], path: tuple[str, str]
) -> list[Any]:
    """The distinct values of ``column`` in ``frame``, else of ``path`` in the configs
    (None left out), in sorted order."""
    values: list[Any] = (
        list(pd.unique(frame[column].dropna()))
        if column and column in frame.columns
        else [(c.get(path[0]) or {}).get(path[1]) for c in configs]
    )
    found = {v for v in values if v is not None}
    return sorted(found, key=lambda v: (str(type(v)), v))


def _batch_sizes(frame: pd.DataFrame, configs: list[Config]) -> list[Any]:
    """The batch sizes run, from the grid's ``batch_size`` column (0: the full batch, written
    "full" beside minibatches, left out alone) or the configs (a list there is an axis)."""
    if "batch_size" in frame.columns:
        sizes = sorted({int(b) for b in frame["batch_size"].dropna()})
    else:
        given = [(c.get("objective") or {}).get("batch_size") for c in configs]
        listed = [b for g in given for b in (g if isinstance(g, list | tuple) else [g])]
        sizes = sorted({0 if b is None else int(b) for b in listed})
    return [] if sizes in ([], [0]) else ["full" if b == 0 else b for b in sizes]


def _short(value: float) -> str:
    """3 significant digits, exponents without padding: 1e6, 1e-8, 0.0316."""
    return re.sub(
        r"e([+-])0*(\d)", lambda m: "e" + m.group(1).lstrip("+") + m.group(2), f"{value:.3g}"
    )
