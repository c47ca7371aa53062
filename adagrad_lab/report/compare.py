"""Which curves a report figure draws, so that it stays readable whatever the sweep's size:
one panel per objective, one curve per compared group at its best step size (or, for one
group, per step size), the best `MAX_GROUPS` groups beyond that."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from adagrad_lab import analysis, plots

MAX_STEP_CURVES = 8  # one group: curves for at most this many (evenly spread) step sizes

Array = np.ndarray[Any, Any]


MAX_GROUPS = 8  # curves per panel: the groups with the best median final f beyond it


@dataclass(frozen=True)
class _Comparison:
    """What the convergence and runtime figures draw: which trajectories, which curves."""

    trajectories: pd.DataFrame  # the trajectories drawn
    by: list[str]  # the group keys of the analysis frames (facet and hue)
    hue: list[str]  # the keys of the curves within a panel
    groups: pd.DataFrame | None  # the hue values kept (None: all)
    title: str  # appended to a figure's title: ", each at its best step size"
    caption: str  # appended to its caption on the page
    dropped: str  # appended to a caption when groups were left out
    scale_by: pd.DataFrame | None = None  # the curves that set the value axis (None: all)
    tuned: bool = False  # each group drawn at its best step size

    @property
    def by_step(self) -> list[str]:
        """The group keys of the analysis frames with ``step_size`` where each group is drawn
        at its best step, so that a figure's legend says it: "AdaGrad (step 0.0316)"."""
        return list(dict.fromkeys([*self.by, "step_size"])) if self.tuned else self.by


def _compared(traj: pd.DataFrame, facet: str | None, max_diverged: float = 0.0) -> _Comparison:
    """The curves of the convergence and runtime figures of a report.

    Several groups (optimizers, or any other coordinate that differs between
    jobs or grid points, beyond ``facet``): one curve per group, each at its
    admissible step size per panel (`analysis.at_best_step_size` with
    ``max_diverged``); a group with none is left out and named in the caption.
    One group with several step sizes: one curve per step size, at most
    `MAX_STEP_CURVES` evenly spread ones, the value axis set by the admissible
    ones (a diverging step's curve is drawn clipped into it). More than
    `MAX_GROUPS` groups: the `MAX_GROUPS` with the best median final f (by
    their mean rank over the panels).
    """
    keys = _ordered([k for k in analysis.default_by(traj) if k not in ("step_size", facet)])
    hue = _distinguishing(traj, keys, facet) or (["optimizer"] if "optimizer" in traj else [])
    panel = [facet] if facet else []
    steps: Array = (
        np.sort(traj["step_size"].dropna().unique()) if "step_size" in traj else np.zeros(0)
    )
    n_groups = len(traj[hue].drop_duplicates()) if hue else 1
    if len(steps) > 1 and n_groups == 1:
        kept = steps
        if len(steps) > MAX_STEP_CURVES:
            at = np.unique(np.linspace(0, len(steps) - 1, MAX_STEP_CURVES).round().astype(int))
            kept = steps[at]
        chosen = traj[traj["step_size"].isin(kept)]
        which = ", ".join(f"{v:g}" for v in kept)
        thinned = len(kept) < len(steps)
        table = analysis.sensitivity(chosen, by=[*panel, *hue])
        stable = table.loc[table["diverged"] <= max_diverged, ["step_size"]].drop_duplicates()
        return _Comparison(
            chosen,
            [*panel, *hue, "step_size"],
            ["step_size"],
            None,
            f", {len(kept)} of {len(steps)} step sizes (evenly spread)" if thinned else "",
            (
                f"; one curve per step size, {len(kept)} of the {len(steps)} (evenly spread "
                f"on the sorted step sizes): {which}"
                if thinned
                else "; one curve per step size"
            ),
            "",
            stable if len(stable) else None,
        )
    tuned = len(steps) > 1
    chosen, dropped = traj, ""
    if tuned:
        chosen = analysis.at_best_step_size(traj, by=[*panel, *hue], max_diverged=max_diverged)
        dropped = _unstable(traj, chosen, [*panel, *hue], max_diverged)
    groups = None
    if n_groups > MAX_GROUPS:
        groups = _best_groups(traj, panel, hue, max_diverged)
        chosen = _keep_groups(chosen, groups)
        dropped += (
            f"; only the {MAX_GROUPS} of the {n_groups} groups with the lowest median final f "
            "(mean rank over the panels) are drawn"
        )
    return _Comparison(
        chosen,
        [*panel, *hue],
        hue,
        groups,
        ", each at its best step size" if tuned else "",
        (
            "; one curve per group, each at its best step size in that panel (the table "
            "'Best step size per group' says how it is chosen)"
            if tuned
            else ""
        )
        + dropped,
        dropped,
        tuned=tuned,
    )


def _unstable(traj: pd.DataFrame, chosen: pd.DataFrame, keys: list[str], limit: float) -> str:
    """A caption's note naming the groups of ``traj`` missing from ``chosen``: those with no
    step size where at most ``limit`` of the seeds diverged; '' when there are none."""
    if not keys:
        return (
            ""
            if len(chosen)
            else f"; not drawn, no step size where at most {limit:.0%} of the seeds diverged"
        )
    every = traj[keys].drop_duplicates()
    drawn = _keep_groups(every, chosen[keys].drop_duplicates())
    missing = every.loc[every.index.difference(drawn.index)]
    if missing.empty:
        return ""
    names = "; ".join(
        ", ".join(_named(str(k), v) for k, v in row.items()) for row in missing.to_dict("records")
    )
    return f"; not drawn, no step size where at most {limit:.0%} of the seeds diverged: {names}"


def _ordered(keys: list[str]) -> list[str]:
    """``keys`` with the data set just before the dimension, which it determines: jobs that
    differ by ``objective.data`` alone are named by it, not by "dimension 30"."""
    if "objective.data" not in keys or "dim" not in keys:
        return keys
    rest = [k for k in keys if k != "objective.data"]
    at = rest.index("dim")
    return [*rest[:at], "objective.data", *rest[at:]]


def _named(key: str, value: object) -> str:
    """'gradient descent', 'objective sphere': a group key's value as the page writes it, an
    optimizer by its display name."""
    if key == "optimizer":
        return plots.display_name(str(value))
    return f"{plots.AXIS_LABELS.get(key, key)} {value}"


def _distinguishing(traj: pd.DataFrame, keys: list[str], facet: str | None) -> list[str]:
    """The ``keys`` that tell groups apart within a panel; one the others determine is left
    out (``eps`` when each optimizer has its own, ``objective.log10_condition`` per objective).
    """
    chosen: list[str] = []
    panel = [facet] if facet else []
    distinct = len(traj[panel].drop_duplicates()) if panel else 1
    for key in keys:
        n = len(traj[[*panel, *chosen, key]].drop_duplicates())
        if n > distinct:
            chosen, distinct = [*chosen, key], n
    return chosen


def _best_groups(
    traj: pd.DataFrame, panel: list[str], hue: list[str], max_diverged: float
) -> pd.DataFrame:
    """The `MAX_GROUPS` values of ``hue`` with the best mean rank of their best median final f
    over the panels (a group missing from a panel, or with no admissible step, ranks last)."""
    best = analysis.best_step_size(traj, by=[*panel, *hue], max_diverged=max_diverged)
    median = best["median"].astype(np.float64).fillna(np.inf)
    if panel:
        rank = median.groupby([best[p] for p in panel], observed=True, dropna=False).rank("min")
        n_panels = len(best[panel].drop_duplicates())
    else:
        rank, n_panels = median.rank(method="min"), 1
    per_group = rank.groupby([best[h] for h in hue], observed=True, dropna=False, sort=True)
    total = per_group.agg(["sum", "count"])
    score = (total["sum"] + (float(rank.max()) + 1) * (n_panels - total["count"])) / n_panels
    kept = score.sort_values(kind="stable").index[:MAX_GROUPS]
    return kept.to_frame(index=False)


def _keep_groups(frame: pd.DataFrame, groups: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of ``frame`` whose values of the columns of ``groups`` are one of its rows."""
    if groups is None:
        return frame
    keys = list(groups.columns)
    index = pd.MultiIndex.from_frame(groups[keys])
    return frame[index.get_indexer(pd.MultiIndex.from_frame(frame[keys])) >= 0]


def _size(frame: pd.DataFrame) -> tuple[float, float]:
    """A figure tall enough for a legend of one line per group of ``frame``."""
    keys = [c for c in frame.columns if c not in plots.VALUE_COLUMNS and not c.startswith("q")]
    groups = len(frame[keys].drop_duplicates()) if keys else 1
    return plots.FIGSIZE[0] + 1.5, max(plots.FIGSIZE[1], 1.2 + 0.32 * groups)


def _hue(table: pd.DataFrame, facet: str | None) -> list[str]:
    """The group keys of a sensitivity ``table`` that tell its curves apart within a panel.

    A key is left out when the others already determine it (``eps`` is AdaGrad's
    only, ``objective.log10_condition`` the ellipsoid's), so the legend reads
    "AdaGrad", not "AdaGrad, eps 1e-08, objective.log10_condition nan".
    """
    candidates = _ordered(
        [
            str(c)
            for c in table.columns
            if c not in ("step_size", facet)
            and c not in plots.VALUE_COLUMNS
            and not plots.QUANTILE_COLUMN.fullmatch(str(c))
        ]
    )
    chosen: list[str] = []
    distinct = len(table[[facet]].drop_duplicates()) if facet else 1
    for key in candidates:
        n = len(table[[*([facet] if facet else []), *chosen, key]].drop_duplicates())
        if n > distinct:
            chosen, distinct = [*chosen, key], n
    return chosen or candidates[:1]


def _n(frame: pd.DataFrame, column: str) -> int:
    return int(frame[column].nunique()) if column in frame else 0
