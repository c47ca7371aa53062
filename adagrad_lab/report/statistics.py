"""The statistics the report shows beside its medians: bootstrap intervals on the summary's
median final f and fractions converged and diverged (and as bars on the sensitivity figure),
COCO's aRT per target beside the success rate, and, across the problems of a multirun, the
aggregated runtime ECDF with its area and the fixed-budget view (`analysis` computes them,
docs/analysis.md says how)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from adagrad_lab import analysis, plots
from adagrad_lab.report.render import Save
from adagrad_lab.store.results import Results

RESAMPLES = analysis.DEFAULT_RESAMPLES  # bootstrap resamples per group

LEVEL = analysis.DEFAULT_LEVEL

SEED = 0  # the bootstrap's seed: a report recomputed from the same runs shows the same intervals

BUDGETS = (10, 100, 1000)  # the fixed-budget view's iterations (those within the runs)

# the summary's columns shown as "value [lower, upper]", and how a value is written
INTERVAL_COLUMNS = ("converged", "diverged", "median_f_final")


def outcomes(traj: pd.DataFrame, keys: Sequence[str], value: str = "f") -> pd.DataFrame:
    """Per group of ``keys``: ``n``, the median final value (``value`` as in `analysis`: f
    or f - f*) and the fractions converged and diverged, each with its bootstrap interval
    (`analysis.bootstrap_outcomes`, `RESAMPLES` resamples at `LEVEL` from `SEED`)."""
    return analysis.bootstrap_outcomes(
        traj, by=list(keys), value=value, resamples=RESAMPLES, level=LEVEL, seed=SEED
    )


def median_intervals(summary: pd.DataFrame, traj: pd.DataFrame, value: str = "f") -> pd.DataFrame:
    """The sensitivity figure's intervals (`plots.sensitivity_intervals`): the ``summary``'s
    (`html._summary`'s table, of f) as `outcomes` names them, or recomputed for another
    ``value`` on the same groups."""
    keys = [c for c in summary.columns if c not in ("n", "median_iters_to_target")]
    keys = [c for c in keys if not c.startswith(("converged", "diverged", "median_f_final"))]
    if value != "f":
        return outcomes(traj, keys, value)
    return summary.rename(columns=lambda c: str(c).replace("median_f_final", "median"))


def bars_caption() -> str:
    """The sensitivity figure's caption for its bars."""
    return (
        f"; bars: the {LEVEL:.0%} bootstrap interval of each median and fraction "
        f"({RESAMPLES} resamples over the seeds, seed {SEED})"
    )


def interval_note() -> str:
    """How the intervals in brackets were computed, in a sentence for the page."""
    return (
        f"In brackets: the {LEVEL:.0%} percentile bootstrap interval over the seeds of each "
        f"row ({RESAMPLES} resamples, seed {SEED}; analysis.bootstrap_outcomes). A fraction of "
        "0 or 1 has no width: with n seeds and none diverged, up to about 3/n may still diverge."
    )


def with_intervals(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (`html._summary`'s) with each of `INTERVAL_COLUMNS` written "value [lower,
    upper]" (fractions as percentages), its bound columns dropped; '-' where there is none."""
    shown = {}
    for c in INTERVAL_COLUMNS:
        if c not in frame:
            continue
        write = _percent if c != "median_f_final" else _number
        columns = [frame[c], frame[f"{c}_lower"], frame[f"{c}_upper"]]
        shown[c] = [
            "-" if pd.isna(v) else f"{write(v)} [{write(lo)}, {write(hi)}]"
            for v, lo, hi in zip(*columns, strict=True)
        ]
    bounds = [f"{c}_{end}" for c in INTERVAL_COLUMNS for end in ("lower", "upper")]
    return frame.drop(columns=[c for c in bounds if c in frame]).assign(**shown)


def _percent(share: float) -> str:
    return f"{share:.1%}"


def _number(value: float) -> str:
    return f"{value:.4g}"


def runtime_table(
    res: Results,
    data: tuple[pd.DataFrame, pd.DataFrame],
    times: pd.DataFrame,
    by: Sequence[str],
) -> pd.DataFrame:
    """Per group of ``by`` and target of ``times`` (the runtime ECDF's `analysis.runtimes`
    frame of ``data``): trajectories, the fraction that reached the target, COCO's aRT and
    the median runtime (a failure counting as +inf)."""
    sweeps = [job.config["sweep"] for job in res.jobs]
    n_iter = {int(s["n_iter"]) for s in sweeps}
    stops = {bool(s.get("stop_at_target")) for s in sweeps}
    table = analysis.expected_runtime(
        data,
        by=list(by),
        n_iter=n_iter.pop() if len(n_iter) == 1 else None,
        stop_at_target=stops.pop() if len(stops) == 1 else None,
        times=times,
    )
    return table[[*by, "target", "n", "success", "art", "median_runtime"]]


SHOWN_TARGETS = 6  # the aRT grid's target columns at most: the easiest, the hardest, between


def runtime_grid(table: pd.DataFrame, most: int = SHOWN_TARGETS) -> pd.DataFrame:
    """`runtime_table` as one row per group: ``n`` and, for at most ``most`` of its targets
    (evenly spaced from the easiest to the hardest, both kept), a column named by the
    target holding 'aRT (success)', e.g. '12.5 (80%)'; a group that never met it 'inf (0%)'."""
    by = list(table.columns[: list(table.columns).index("target")])
    targets = sorted(set(table["target"].to_numpy(np.float64).tolist()), reverse=True)
    if len(targets) > most:
        picks = np.unique(np.round(np.linspace(0, len(targets) - 1, most)).astype(int))
        targets = [targets[i] for i in picks]
    rows = []
    groups = table.groupby(by, sort=False, dropna=False) if by else [((), table)]
    for key, g in groups:
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        row["n"] = int(g["n"].max())
        at = g["target"].to_numpy(np.float64)
        arts = dict(zip(at, g["art"].to_numpy(np.float64), strict=True))
        wins = dict(zip(at, g["success"].to_numpy(np.float64), strict=True))
        for t in targets:
            cell = f"{arts[t]:.4g} ({wins[t]:.0%})" if t in arts else "-"
            row[_target_name(t)] = cell
        rows.append(row)
    grid = pd.DataFrame(rows)
    for c in by:
        grid[c] = grid[c].astype(table[c].dtype)
    return grid


def _target_name(target: float) -> str:
    """'1e-2' for a power of ten, else 3 significant digits: a column of `runtime_grid`."""
    exponent = round(math.log10(target)) if target > 0 and math.isfinite(target) else None
    if exponent is not None and math.isclose(10.0**exponent, target, rel_tol=1e-9):
        return f"1e{exponent}"
    return f"{target:.3g}"


def problem_keys(traj: pd.DataFrame) -> list[str]:
    """The columns that tell the runs' problems apart: objective, dimension, data set and the
    other ``objective.*`` settings that take more than one value."""
    keys = ["objective", "dim", *(str(c) for c in traj if str(c).startswith("objective."))]
    return [c for c in keys if c in traj and traj[c].nunique(dropna=False) > 1]


def naming(traj: pd.DataFrame, problem: Sequence[str]) -> list[str]:
    """The fewest of the ``problem`` keys that tell the problems apart, the data set first:
    "data set sklearn:wine", not "dimension 13, data set sklearn:wine"."""
    ordered = sorted(problem, key=lambda k: (k != "objective.data", k != "objective"))
    chosen: list[str] = []
    distinct = 1
    for key in ordered:
        n = len(traj[[*chosen, key]].drop_duplicates())
        if n > distinct:
            chosen, distinct = [*chosen, key], n
    return chosen


def _longest(frame: pd.DataFrame, keys: Sequence[str]) -> int:
    """Characters of the longest legend label of ``frame``'s groups ("data set sklearn:wine,
    AdaGrad"), about."""

    def label(row: dict[Hashable, object]) -> int:
        return sum(
            len(plots.display_name(str(v)))
            if k == "optimizer"
            else len(plots.AXIS_LABELS.get(str(k), str(k))) + len(str(v)) + 3
            for k, v in row.items()
        )

    return max(label(r) for r in frame[list(keys)].drop_duplicates().to_dict("records"))


def across_problems(
    traj: pd.DataFrame,
    hist: pd.DataFrame,
    solver: list[str],
    max_diverged: float,
    save: Save,
    subtitle: str,
) -> None:
    """For runs of several problems: save the runtime ECDF aggregated over (problem, target)
    pairs with its area, and the fixed-budget view at `BUDGETS`, each solver at its best
    step size per problem (`analysis.at_best_step_size`)."""
    problem = problem_keys(traj)
    solver = [s for s in solver if s not in problem] or ["optimizer"]
    tuned = traj
    if "step_size" in traj and traj["step_size"].nunique() > 1:
        tuned = analysis.at_best_step_size(traj, by=[*problem, *solver], max_diverged=max_diverged)
    if tuned.empty:
        return
    named = ", ".join(plots.AXIS_LABELS.get(p, p) for p in problem)
    times = analysis.runtimes((tuned, hist), by=[*problem, *solver])
    ecdf = analysis.aggregated_ecdf(times, by=solver, problem=problem)
    pairs = int(ecdf["pairs"].iloc[0])
    save(
        plots.aggregated_ecdf(
            ecdf,
            hue=solver,
            targets=[float(t) for t in analysis.DEFAULT_TARGETS],
            title="Runtime ECDF over every problem, each solver at its best step size",
            subtitle=subtitle,
        ),
        "aggregated_ecdf",
        f"Runtime ECDF aggregated over {pairs} (problem, target) pairs, a problem being one "
        f"({named}), each pair weighted equally, targets 1e2..1e-8 on f - f*; in the legend "
        "the area under each curve on the log axis (1: every pair solved at once)",
    )
    top = int(hist["iter"].max())
    budgets = [b for b in BUDGETS if b <= top] or [top]
    budget = analysis.fixed_budget((tuned, hist), budgets=budgets, by=[*problem, *solver])
    hue = [*naming(traj, problem), *solver]
    save(
        plots.fixed_budget(
            budget,
            hue=hue,
            figsize=(min(14.0, 6.3 + 0.07 * _longest(budget, hue)), plots.FIGSIZE[1]),
            title="Fixed budget, each solver at its best step size per problem",
            subtitle=subtitle,
        ),
        "fixed_budget",
        "Fixed budget: the median f - f* reached after "
        + ", ".join(map(str, budgets))
        + " iterations, per problem and solver, bars from the 25% to the 75% of seeds",
    )
