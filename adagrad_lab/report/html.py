"""The report's index.html: figures, the summary and best-step tables, the commands that
made the data, and what was read; every value escaped."""

from __future__ import annotations

import html
import shlex
from collections.abc import Sequence

import numpy as np
import pandas as pd

from adagrad_lab import analysis, plots
from adagrad_lab.report import statistics
from adagrad_lab.store.results import Results

SUMMARY_ROWS = 40  # a summary table of more rows is folded (HTML <details>) on the page


def best_rule(max_diverged: float) -> str:
    """How the report picks a group's best step size (`analysis.best_step_size`), in words."""
    return (
        "A group's best step size has the lowest median final f among the step sizes where at "
        f"most {max_diverged:.0%} of the seeds diverged (report.max_diverged); medians at or "
        f"below {analysis.FLOOR:g} tie, and ties go to fewer diverged, then fewer median "
        "iterations to the target, then the smaller step. A group where no step size qualifies "
        "is listed with '-' and drawn in no comparison."
    )


def _summary(traj: pd.DataFrame, max_diverged: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per group and step size: n, fractions converged and diverged and the median final f,
    each with its bootstrap interval (`statistics.outcomes`: ``<column>_lower``,
    ``<column>_upper``; a diverged trajectory's final f is +inf), the median iterations to
    the target; and those rows at each group's best admissible step size
    (`analysis.best_step_size`), a group with none shown with step size "-"."""
    by = analysis.default_by(traj)
    keys = list(dict.fromkeys([*(b for b in by if b != "step_size"), "step_size"]))
    found = statistics.outcomes(traj, keys)
    found.columns = [str(c).replace("median", "median_f_final") for c in found.columns]
    iters = traj.groupby(keys, observed=True, sort=True, dropna=False)["iters_to_target"]
    median = iters.median().astype(np.float64).rename("median_iters_to_target")  # NA as NaN
    table = found.merge(median.reset_index(), on=keys)
    shares = [f"{c}{end}" for c in ("converged", "diverged") for end in ("", "_lower", "_upper")]
    medians = [f"median_f_final{end}" for end in ("", "_lower", "_upper")]
    table = table[[*keys, "n", *shares, *medians, "median_iters_to_target"]]
    if "step_size" not in traj:
        return table, table.iloc[:0]
    groups = [k for k in keys if k != "step_size"]
    best = analysis.best_step_size(traj, by=groups, max_diverged=max_diverged)
    # the summary's row at each group's best step size (empty where none is admissible)
    best = best[[*groups, "step_size"]].merge(table, on=[*groups, "step_size"], how="left")
    return table, best


def command(overrides: Sequence[str], multirun: bool = False) -> str:
    """The command line that runs ``overrides``: ``adagrad-lab [-m] KEY=VALUE ...``."""
    return " ".join(["adagrad-lab", *(["-m"] if multirun else []), *map(shlex.quote, overrides)])


WIDTH = 88  # a command longer than this is shown on several lines, as a shell continues it


def wrapped(line: str, width: int = WIDTH) -> str:
    """A command line broken between its words into lines of at most ``width`` characters
    where it can be (a longer word stands alone), each but the last ending in " \\"."""
    words = shlex.split(line)
    lines: list[str] = []
    for word in map(shlex.quote, words):
        if lines and len(lines[-1]) + 1 + len(word) + 2 <= width:
            lines[-1] += " " + word
        else:
            lines.append(word if not lines else "    " + word)
    return " \\\n".join(lines)


def _commands(res: Results) -> list[str]:
    """The multirun's command (from its multirun.yaml) or each job's command."""
    out = []
    for parent in dict.fromkeys(p.parent for job in res.jobs for p in job.paths):
        yaml = parent / "multirun.yaml"
        if yaml.is_file():
            try:
                from omegaconf import OmegaConf

                task = OmegaConf.load(yaml).hydra.overrides.task
                out.append(command([str(t) for t in task], multirun=True))
            except Exception:  # an unreadable multirun.yaml: the jobs' commands below
                pass
    if not out:
        out = [command([str(o) for o in job.manifest.get("overrides") or []]) for job in res.jobs]
    return list(dict.fromkeys(out))


def _page(
    res: Results,
    figures: list[tuple[str, str]],
    summary: tuple[pd.DataFrame, pd.DataFrame],
    used: str,
    notes: list[str],
    max_diverged: float = 0.0,
    formats: Sequence[str] = ("png",),
    what: str = "",
    runtimes: pd.DataFrame | None = None,
    datasets: Sequence[str] = (),
) -> str:
    """The page: what was run (``what``, e.g. `plots.describe_run`'s line), the data sets of
    a learning problem (``datasets``, `learning.datasets`' lines) and the commands in its
    header, the figures shown in the first of ``formats``, a link to each other one."""
    e = html.escape
    table, best = summary
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>adagrad-lab report</title>',
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
        "img{max-width:100%}figure{margin:1em 0}</style></head><body>",
        "<h1>adagrad-lab report</h1>",
        *([f'<p id="what">{e(what)}</p>'] if what else []),
        *(f'<p class="dataset">Data set {e(line)}</p>' for line in datasets),
        "<h2>Command</h2>",
        *(f"<pre><code>{e(wrapped(c))}</code></pre>" for c in _commands(res)),
        "<h2>Data</h2>",
        "<ul>",
        *(f"<li>{e(job.name)}: {e(', '.join(str(p) for p in job.paths))}</li>" for job in res.jobs),
        "</ul>",
        f"<p>Used: {e(used)}.</p>",
        *(f"<p>{e(n)}</p>" for n in notes),
        "<h2>Summary</h2>",
        '<div id="summary">',
        *_tables(table, best, max_diverged),
        "</div>",
        *_runtimes(runtimes),
        "<h2>Figures</h2>",
    ]
    shown, *linked = formats
    for stem, caption in figures:
        links = ", ".join(f'<a href="{e(stem)}.{ext}">{ext.upper()}</a>' for ext in linked)
        parts.append(
            f'<figure><img src="{e(stem)}.{shown}" alt="{e(caption)}">'
            f"<figcaption>{e(caption)}{f' ({links})' if links else ''}</figcaption></figure>"
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _tables(table: pd.DataFrame, best: pd.DataFrame, max_diverged: float) -> list[str]:
    """The summary's HTML: each group at its best step size first when there are several step
    sizes; every (group, step size) row after it, folded away when there are many."""

    def html_table(frame: pd.DataFrame) -> str:
        return _html_table(statistics.with_intervals(frame))

    note = f"<p>{html.escape(statistics.interval_note())}</p>"
    several = "step_size" in table and table["step_size"].nunique() > 1
    if not several:
        return [note, html_table(table)]
    parts = [
        f"<h3>Best step size per group</h3><p>{html.escape(best_rule(max_diverged))}</p>",
        html_table(best),
        "<h3>Every group and step size</h3>",
        note,
    ]
    if len(table) <= SUMMARY_ROWS:
        return [*parts, html_table(table)]
    return [
        *parts,
        f"<details><summary>{len(table)} rows (show)</summary>",
        html_table(table),
        "</details>",
    ]


def _html_table(frame: pd.DataFrame) -> str:
    """A table as the page shows it: optimizers by display name, shares as percentages,
    numbers to 4 significant digits, '-' for none."""
    shares = {
        c: frame[c].map(_percent)
        for c in ("converged", "diverged", "success")
        if c in frame and pd.api.types.is_float_dtype(frame[c])
    }
    return (
        _named(frame)
        .assign(**shares)
        .to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="-", border=0)
    )


def _runtimes(table: pd.DataFrame | None) -> list[str]:
    """The expected running time per target (`statistics.runtime_table`): one row per curve
    with a column per shown target (`statistics.runtime_grid`), every target folded below."""
    if table is None or table.empty:
        return []
    grid = statistics.runtime_grid(table)
    n_targets = table["target"].nunique()
    shown = len(grid.columns) - list(grid.columns).index("n") - 1
    some = "every one" if shown == n_targets else "some"
    parts = [
        "<h3>Runtime per target</h3>",
        f"<p>Per curve of the runtime ECDF, at {some} of its {n_targets} targets (on "
        "f - f*, a column each): COCO's aRT (the iterations of every trajectory, a failed "
        "one's whole run, divided by the successes: inf with none) and, in brackets, the "
        "share of trajectories that reached the target. Every target, with the median "
        "iterations to it (inf once half fail), is in the table below it.</p>",
        _html_table(grid),
        f"<details><summary>Every target, {len(table)} rows (show)</summary>",
        _html_table(table.rename(columns={"art": "aRT"})),
        "</details>",
    ]
    return parts


def _named(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each optimizer by its display name ("AdaGrad", "gradient descent")."""
    if "optimizer" not in frame:
        return frame
    return frame.assign(optimizer=frame["optimizer"].astype(str).map(plots.display_name))


def _percent(share: float) -> str:
    """A share as the console prints it: '3.0%'; '-' where there is none."""
    return "-" if pd.isna(share) else f"{share:.1%}"
