"""Runs as data for analysis: one run, a multirun, or several of either, as one set of frames.

`load` gathers the jobs a path names (a run directory, or each job of a
multirun directory), unions the shards of one sweep into one job, and reads
the finished chunks of each. `Results.trajectories` holds every job's
trajectories with a ``job`` column and a column for each coordinate that
differs between jobs (``objective``, ``optimizer``, ``dim``, ``sweep.n_iter``,
...), and ``f_star``, the known minimum (the manifest's, NaN when unknown);
`Results.history` reads the history of all jobs, only the columns and
rows asked for.
"""

from __future__ import annotations

import functools
import itertools
import operator
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from adagrad_lab.store import ordering, rundir
from adagrad_lab.store import parquet as storage
from adagrad_lab.store.job_columns import job_columns, typed

PathLike = str | Path


class IncompleteRunWarning(UserWarning):
    """A run (or a sweep of shards) whose results are not all there: some chunks are missing."""


class SameRunWarning(UserWarning):
    """Two paths hold the same run (one config hash, one shard): it is loaded once."""


@dataclass(frozen=True)
class Job:
    """One job of the loaded results: a run directory, or the shards of one sweep unioned.

    ``missing`` holds, for each run directory with unfinished chunks, their indices.
    """

    name: str
    paths: tuple[Path, ...]
    manifests: tuple[dict[str, Any], ...]
    missing: Mapping[Path, tuple[int, ...]] = field(default_factory=dict)

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest of the job's (first) run directory."""
        return self.manifests[0]

    @property
    def config(self) -> dict[str, Any]:
        """The resolved config the job ran (the same for every shard)."""
        config: dict[str, Any] = self.manifest["config"]
        return config

    @property
    def complete(self) -> bool:
        return not any(self.missing.values())


@dataclass(frozen=True)
class _Run:
    path: Path
    manifest: dict[str, Any]
    files: dict[str, list[Path]]  # dataset -> part files of the finished chunks
    missing: tuple[int, ...]
    grid: tuple[str, ...] = ()  # the grid's columns of its trajectory tables


class Results:
    """Loaded results: ``trajectories`` (one frame), ``history(...)``, and ``jobs``.

    ``coordinates`` names the swept columns of ``trajectories``: the config keys
    that differ between jobs and the hyperparameters with more than one value.
    """

    def __init__(
        self,
        jobs: list[Job],
        runs: dict[str, list[_Run]],
        trajectories: pd.DataFrame,
        seeds_per_point: int | None = None,
    ):
        self.jobs = jobs
        self._runs = runs
        self.trajectories = trajectories
        # the sample `load(..., seeds_per_point=K)` took: the first K seeds of each grid point
        self.seeds_per_point = seeds_per_point
        grid = [c for c in trajectories.columns if c in _grid(runs)]
        by_job = _job_columns(jobs)
        job_level = [c for c in trajectories.columns[1:] if c in by_job]
        self.coordinates: list[str] = [
            *(c for c in job_level if c not in grid),
            *(c for c in grid if trajectories[c].nunique(dropna=False) > 1),
        ]

    def __repr__(self) -> str:
        return (
            f"Results({len(self.jobs)} job(s), {len(self.trajectories)} trajectories, "
            f"coordinates {self.coordinates})"
        )

    def files(self, job: str, dataset: str) -> list[Path]:
        """The part files of ``dataset`` (`storage.HISTORY` or `TRAJECTORIES`) of ``job``."""
        return [f for run in self._runs[job] for f in run.files[dataset]]

    def history(self, columns: list[str] | None = None, filters: Any = None) -> pd.DataFrame:
        """The history of every job with its ``job`` column, ordered by job, trajectory, iter.

        ``columns`` (history columns; ``job`` is always added) and ``filters``
        (pyarrow filters on history columns, e.g. ``[("iter", "==", 100)]``) are
        pushed down to Parquet, so only what is asked is read. Join with
        ``trajectories`` on ``["job", "trajectory"]``.

        >>> res.history(["trajectory", "iter", "f"], filters=[("iter", ">=", 10)])  # doctest: +SKIP
        """
        wanted = None if columns is None else [c for c in columns if c != "job"]
        frames = []
        for job in self.jobs:
            files = self.files(job.name, storage.HISTORY)
            if files:
                where = _and(filters, _sampled(job, self.seeds_per_point))
                part = storage.read_parts(files, wanted, where)
                frames.append(_with_job(part, job.name, self.trajectories["job"].dtype))
        if not frames:
            where = ", ".join(str(p) for job in self.jobs for p in job.paths)
            raise storage.RunDataError(f"{where}: no history (record.schedule=final)")
        df = _concat(frames, self.trajectories["job"].dtype)
        return ordering.by_keys(df, [k for k in ("job", "trajectory", "iter") if k in df])


def load(
    paths: PathLike | Sequence[PathLike],
    columns: Sequence[str] | None = None,
    seeds_per_point: int | None = None,
) -> Results:
    """Load a run directory, a multirun directory, or a list of either, as one `Results`.

    Shards of one sweep (same config hash, different ``shard.index``) become one
    job. A run still running or killed loads its finished chunks and warns
    (`IncompleteRunWarning`) naming the missing chunks; a path that is not a run
    raises `storage.RunDataError` in one line.

    For large runs: ``columns`` reads only those trajectory columns (``trajectory``
    and the grid's columns always, so that no swept hyperparameter is pooled; names
    a job's tables lack are skipped; e.g. leave out the lists ``x0`` and ``x_final``), and
    ``seeds_per_point=K`` keeps a deterministic sample, the trajectories of the
    first K seeds of each grid point of each job (the seeds are innermost in the
    grid, so these are contiguous index ranges: Parquet skips the row groups
    outside them, in ``trajectories`` and in every ``history`` call alike). Every
    grid point runs every seed, so the sample starts from the same K points at
    every step size.

    >>> res = load("outputs/multirun/2026-11-29/12-00-00-3f2a9c")  # doctest: +SKIP
    >>> res.trajectories.groupby(["objective", "step_size"], observed=True)["f_final"].median()
    ... # doctest: +SKIP
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    runs: list[_Run] = []
    seen: set[Path] = set()
    for item in items:
        dirs = rundir.runs_under(Path(item))
        if not dirs:
            raise storage.RunDataError(
                f"{item}: not a run directory nor a multirun directory (no {storage.MANIFEST} "
                "in it or in its subdirectories)"
            )
        for path in dirs:
            if path.resolve() not in seen:
                seen.add(path.resolve())
                runs.append(_open_run(path))
    runs = _once(runs)
    names = _names([run.path for run in runs])
    jobs, members = [], {}
    for group in _shard_groups(runs):
        job = _job(group, "+".join(names[run.path] for run in group))
        jobs.append(job)
        members[job.name] = group
        if not job.complete:
            warnings.warn(_incomplete(job, group), IncompleteRunWarning, stacklevel=2)
        if absent := _shards_missing(group):
            warnings.warn(
                f"job {job.name}: shard(s) {', '.join(map(str, absent))} of "
                f"{_shard(group[0])['count']} not loaded; its trajectories cover only the "
                "shards given",
                IncompleteRunWarning,
                stacklevel=2,
            )
    return Results(
        jobs, members, _trajectories(jobs, members, columns, seeds_per_point), seeds_per_point
    )


def _grid(runs: Mapping[str, list[_Run]]) -> set[str]:
    """The grid's columns of every run's trajectory tables (its hyperparameters)."""
    return {c for group in runs.values() for run in group for c in run.grid}


def _n_seeds(job: Job) -> int:
    """The number of seeds of each grid point of ``job`` (``sweep.seeds``: a count or a list)."""
    seeds = job.config["sweep"]["seeds"]
    return int(seeds) if isinstance(seeds, int) else len(seeds)


def _sampled(job: Job, seeds_per_point: int | None) -> Any:
    """A pyarrow expression keeping the first ``seeds_per_point`` seeds of each grid point of
    ``job`` (None: everything), as ranges of trajectory indices."""
    n_seeds = _n_seeds(job)
    if seeds_per_point is None or seeds_per_point >= n_seeds:
        return None
    import pyarrow.compute as pc

    t = pc.field("trajectory")
    ranges = [
        (t >= g * n_seeds) & (t < g * n_seeds + seeds_per_point) for g in range(_grid_points(job))
    ]
    return functools.reduce(operator.or_, ranges)


def _grid_points(job: Job) -> int:
    """Grid points of ``job``: the product of the lengths of its list-valued hyperparameters."""
    points = 1
    for value in job.config["optimizer"].values():
        if isinstance(value, list):
            points *= len(value)
    return points


def _and(filters: Any, extra: Any) -> Any:
    """``filters`` (pyarrow's list form or an expression, or None) and the expression ``extra``."""
    if extra is None:
        return filters
    if filters is None:
        return extra
    import pyarrow.parquet as pq

    return pq.filters_to_expression(filters) & extra


def _open_run(path: Path) -> _Run:
    """A run directory's manifest and the part files of its finished, intact chunks."""
    manifest = storage.read_manifest(path)
    files: dict[str, list[Path]] = {storage.TRAJECTORIES: [], storage.HISTORY: []}
    missing = []
    for chunk in manifest["chunks"]:
        records = chunk.get("files") if chunk.get("status") == "done" else None
        parts = [(path / name, rec) for name, rec in (records or {}).items()]
        if not parts or any(
            not p.is_file() or p.stat().st_size != rec.get("bytes") for p, rec in parts
        ):
            missing.append(int(chunk["index"]))
            continue
        for p, _ in parts:
            files[p.parent.name].append(p)
    tables = files[storage.TRAJECTORIES]
    grid = storage.grid_columns(pq.read_schema(tables[0]).names) if tables else []
    return _Run(path, manifest, files, tuple(missing), tuple(grid))


def _once(runs: list[_Run]) -> list[_Run]:
    """Each run once: of the paths holding one config hash and shard, the one with the fewest
    unfinished chunks (the first of those), so that no seed is counted twice."""
    kept: dict[object, _Run] = {}
    for i, run in enumerate(runs):
        digest = run.manifest.get("config_hash")
        key = (digest, _shard(run).get("index", 0), _shard(run).get("count", 1)) if digest else i
        other = kept.setdefault(key, run)
        if other is not run:
            keep, drop = (run, other) if len(run.missing) < len(other.missing) else (other, run)
            kept[key] = keep
            warnings.warn(
                f"{drop.path}: the same run as {keep.path} (config hash {str(digest)[:12]}); "
                f"loaded once, from {keep.path}",
                SameRunWarning,
                stacklevel=3,
            )
    return list(kept.values())


def _names(paths: list[Path]) -> dict[Path, str]:
    """Short unique names: the directory's name, with more of its path where two clash."""
    for depth in (1, 2):
        names = {p: "/".join(p.resolve().parts[-depth:]) for p in paths}
        if len(set(names.values())) == len(paths):
            return names
    return {p: str(p) for p in paths}


def _shard_groups(runs: list[_Run]) -> list[list[_Run]]:
    """Runs grouped into jobs: the shards of one sweep together, every other run alone."""
    groups: dict[object, list[_Run]] = {}
    for i, run in enumerate(runs):
        count = int(_shard(run).get("count", 1))
        key = (run.manifest.get("config_hash"), count) if count > 1 else i
        groups.setdefault(key, []).append(run)
    for group in groups.values():
        group.sort(key=lambda r: int(_shard(r).get("index", 0)))
        for a, b in itertools.pairwise(group):
            if _shard(a).get("index") == _shard(b).get("index"):
                raise storage.RunDataError(
                    f"{a.path} and {b.path}: shard {_shard(a).get('index')} of one sweep "
                    "twice; load one of them"
                )
    return list(groups.values())


def _shard(run: _Run) -> dict[str, Any]:
    shard: dict[str, Any] = run.manifest.get("shard") or {}
    return shard


def _job(group: list[_Run], name: str) -> Job:
    missing = {run.path: run.missing for run in group if run.missing}
    return Job(name, tuple(r.path for r in group), tuple(r.manifest for r in group), missing)


def _incomplete(job: Job, group: list[_Run]) -> str:
    parts = [
        f"{path}: chunk(s) {', '.join(map(str, idx))} of {_n_chunks(group, path)} not finished"
        for path, idx in job.missing.items()
    ]
    return (
        f"job {job.name}: {'; '.join(parts)} (still running or killed); "
        "loaded the finished chunks only"
    )


def _n_chunks(group: list[_Run], path: Path) -> int:
    return next(len(r.manifest["chunks"]) for r in group if r.path == path)


def _shards_missing(group: list[_Run]) -> list[int]:
    """The shard indices of a sharded sweep that none of ``group`` holds."""
    have = {int(_shard(r).get("index", 0)) for r in group}
    return [i for i in range(int(_shard(group[0]).get("count", 1))) if i not in have]


def _with_job(df: pd.DataFrame, name: str, dtype: Any) -> pd.DataFrame:
    # categorical from codes: casting a million copies of the name took 0.2 s
    code = np.full(len(df), dtype.categories.get_loc(name), np.int32)
    df.insert(0, "job", pd.Series(pd.Categorical.from_codes(code, dtype=dtype), df.index))
    return df


def _concat(frames: list[pd.DataFrame], job_dtype: Any) -> pd.DataFrame:
    """Frames of several jobs as one, the names categorical again (concat loses that)."""
    categorical = {
        c for f in frames for c in f.columns if isinstance(f[c].dtype, pd.CategoricalDtype)
    }
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    for column in categorical - {"job", "status"}:
        df[column] = df[column].astype("category")
    if "status" in df:
        df["status"] = df["status"].astype(pd.CategoricalDtype(list(storage.STATUS)))
    df["job"] = df["job"].astype(job_dtype)
    return df


def _trajectories(
    jobs: list[Job],
    runs: dict[str, list[_Run]],
    columns: Sequence[str] | None = None,
    seeds_per_point: int | None = None,
) -> pd.DataFrame:
    """Every job's finished trajectories, with ``job`` and the job-level coordinate columns."""
    job_dtype = pd.CategoricalDtype([job.name for job in jobs])
    wanted = None if columns is None else list(dict.fromkeys(["trajectory", *columns]))
    frames = []
    for job in jobs:
        files = [f for run in runs[job.name] for f in run.files[storage.TRAJECTORIES]]
        if files:
            where = _sampled(job, seeds_per_point)
            mine = None
            if wanted is not None:  # the grid's columns always: a swept axis is never pooled
                grid = _grid({job.name: runs[job.name]})
                names = pq.read_schema(files[0]).names
                mine = [c for c in names if c in wanted or c in grid]
            frame = storage.read_parts(files, mine, where)
            if "f_star" not in frame and (wanted is None or "f_star" in wanted):
                frame["f_star"] = _f_star(job)  # per job, from the manifest (the run wrote it)
            frames.append(_with_job(frame, job.name, job_dtype))
    if not frames:
        empty: pd.DataFrame = pd.DataFrame({"job": pd.Series([], dtype=job_dtype)})
        return empty
    df = ordering.by_keys(_concat(frames, job_dtype), ["job", "trajectory"])
    by_job = _job_columns(jobs)
    table = pd.DataFrame(
        {name: typed([values[job.name] for job in jobs]) for name, values in by_job.items()},
        index=pd.RangeIndex(len(jobs)),
    )
    # objective, optimizer, dim and the grid's columns (optimizer.step_size) are there already
    skip = [c for c in table.columns if c in df.columns or c.removeprefix("optimizer.") in df]
    table = table.drop(columns=skip)
    expanded = table.iloc[df["job"].cat.codes.to_numpy()].reset_index(drop=True)
    out: pd.DataFrame = pd.concat([df[["job"]], expanded, df.drop(columns="job")], axis=1)
    return out


def _f_star(job: Job) -> float:
    """The job's known minimum f* from its manifest; NaN when unknown or not recorded."""
    value = job.manifest.get("f_star")
    return float("nan") if value is None else float(value)


def _job_columns(jobs: list[Job]) -> dict[str, dict[str, Any]]:
    return job_columns({job.name: job.config for job in jobs})
