"""Which jobs a Hydra multirun directory should hold, and which of them are missing.

Hydra's sweeper writes ``multirun.yaml`` into the sweep directory before the
first job starts. With the basic sweeper (the one every launcher here uses),
its sweep parameters and task overrides expand, as the sweeper expands them,
to a known number of jobs numbered 0..n-1, each in the folder
``hydra.sweep.subdir`` names (by default its number). With another sweeper, or
overrides that cannot be expanded here, the numbering alone tells: every
number up to the highest one found should be there.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from adagrad_lab.store import parquet as storage

MULTIRUN_YAML = "multirun.yaml"
BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"
JOB_NUM = "${hydra.job.num}"


@dataclass(frozen=True)
class MissingJob:
    """A job the multirun should hold and does not: its number, its folder and one line saying so.

    ``number`` is None when the folders are not named by job number (then one
    entry says how many jobs are missing).
    """

    number: int | None
    path: Path
    line: str


def missing_jobs(path: Path) -> list[MissingJob]:
    """The jobs of the multirun directory ``path`` that hold no run, so commands can say so.

    A job is missing when its folder is gone or holds no ``manifest.json``.
    Empty for a run directory and for a folder without ``multirun.yaml`` (not
    a Hydra sweep: nothing says which runs it should hold).
    """
    path = Path(path)
    if (path / storage.MANIFEST).exists() or not (path / MULTIRUN_YAML).is_file():
        return []
    hydra = _hydra_section(path / MULTIRUN_YAML)
    subdir = str(_get(hydra, "sweep", "subdir") or JOB_NUM)
    total = _expected(hydra)
    rest = subdir.replace(JOB_NUM, "", 1)
    if JOB_NUM not in subdir or "${" in rest or "/" in rest:
        return _counted(path, subdir, total)
    known = total is not None
    if total is None:  # the numbering alone: every number up to the highest one found
        folder = _folder_pattern(subdir)
        found = [int(m.group(1)) for p in path.iterdir() if (m := folder.fullmatch(p.name))]
        if not found:
            return []
        total = max(found) + 1
    out = []
    for number in range(total):
        job = path / subdir.replace(JOB_NUM, str(number))
        if (job / storage.MANIFEST).exists():
            continue
        reason = "no manifest.json in it" if job.is_dir() else "no such folder"
        of = f"of {total}" if known else f"of at least {total}"
        out.append(MissingJob(number, job, f"job {number} {of} is missing ({job}): {reason}"))
    return out


def _hydra_section(path: Path) -> dict[str, Any]:
    """The ``hydra`` mapping of a multirun.yaml, unresolved (its ``${now:}`` and job keys
    mean nothing after the sweep); empty when the file cannot be read."""
    try:
        data = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    except Exception:  # a damaged multirun.yaml: fall back on the numbering
        return {}
    hydra = data.get("hydra") if isinstance(data, dict) else None
    return hydra if isinstance(hydra, dict) else {}


def _get(mapping: dict[str, Any], *keys: str) -> Any:
    node: Any = mapping
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _expected(hydra: dict[str, Any]) -> int | None:
    """How many jobs the basic sweeper launches for these overrides; None when unknown."""
    if _get(hydra, "sweeper", "_target_") != BASIC_SWEEPER:
        return None
    task = _get(hydra, "overrides", "task")
    params = _get(hydra, "sweeper", "params") or {}
    if not isinstance(task, list) or not isinstance(params, dict):
        return None
    arguments = [f"{key}={value}" for key, value in params.items()] + [str(t) for t in task]
    try:
        from hydra.core.override_parser.overrides_parser import OverridesParser

        overrides = OverridesParser.create().parse_overrides(arguments)
        sizes: dict[
            str, int
        ] = {}  # as the basic sweeper: one axis per key, the last override of a key wins
        for override in overrides:
            key = override.get_key_element()
            if not override.is_sweep_override():
                sizes[key] = 1
            elif override.is_discrete_sweep():
                sizes[key] = sum(1 for _ in override.sweep_string_iterator())
            else:  # interval(): not a sweep the basic sweeper runs
                return None
    except Exception:  # glob() needs the config tree; a value the parser refuses
        return None
    return math.prod(sizes.values()) or None


def _folder_pattern(subdir: str) -> re.Pattern[str]:
    head, _, tail = subdir.partition(JOB_NUM)
    return re.compile(re.escape(head) + r"(0|[1-9]\d*)" + re.escape(tail))


def _counted(path: Path, subdir: str, total: int | None) -> list[MissingJob]:
    """Job folders not named by number: only how many are missing can be told."""
    present = len({p.parent for p in path.glob(f"*/{storage.MANIFEST}")})
    if total is None or present >= total:
        return []
    line = (
        f"{total - present} of {total} jobs are missing ({path}): only {present} hold a "
        f"manifest.json, and hydra.sweep.subdir={subdir} does not say which"
    )
    return [MissingJob(None, path, line)]
