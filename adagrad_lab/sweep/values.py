"""Checks of single config values, each raising a `ConfigError` that names the key: counts,
threads, iterations, targets, seeds, start points, record schedules."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from omegaconf.errors import OmegaConfBaseException

from adagrad_lab.jit.arithmetic import PRECISIONS, Arithmetic
from adagrad_lab.jit.fp_control import CAN_FLUSH_SUBNORMALS
from adagrad_lab.sweep.plan import ConfigError
from adagrad_lab.sweep.schedule import MAX_N_ITER, record_bound, record_iterations

START_KINDS = ("uniform", "legacy_numpy", "fixed")


SCHEDULES = ("every", "log", "final")


ECHOES = ("summary", "tutorial", "none")


MAX_RECORDS = 1 << 25  # recorded iterations per trajectory (the plan holds them as int64)


LEGACY_SEED_LIMIT = 2**32  # numpy.random.seed takes seeds 0..2**32-1


def _interpolation_error(exc: Exception) -> ConfigError:
    """One line naming the key whose interpolation failed, and why (OmegaConf's first line,
    without its "ValueError raised while resolving interpolation: " preamble)."""
    key = getattr(exc, "full_key", None) if isinstance(exc, OmegaConfBaseException) else None
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else type(exc).__name__
    _, marker, reason = first.partition(" raised while resolving interpolation: ")
    return ConfigError(key or "config", reason if marker else first)


def _choice(key: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(key, f"must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _seeds(seeds: object) -> Sequence[int]:
    """range(n) for a count n (seeds 0..n-1, never materialised), or the list as given."""
    if isinstance(seeds, bool):
        raise ConfigError("sweep.seeds", f"must be a count >= 1 or a list of seeds (got {seeds!r})")
    if isinstance(seeds, int):
        if seeds < 1:
            raise ConfigError("sweep.seeds", f"the count must be >= 1 (got {seeds})")
        if seeds > 2**63 - 1:  # trajectory indices and seeds are int64
            raise ConfigError("sweep.seeds", f"the count must be < 2**63 (got {seeds})")
        return range(seeds)
    if isinstance(seeds, list):
        if not seeds:
            raise ConfigError("sweep.seeds", "an empty list gives an empty grid")
        if not all(
            isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**63 for s in seeds
        ):
            raise ConfigError("sweep.seeds", f"seeds must be integers >= 0 (got {seeds})")
        if len(set(seeds)) != len(seeds):
            raise ConfigError("sweep.seeds", "seeds must be distinct")
        return seeds
    raise ConfigError("sweep.seeds", f"must be a count >= 1 or a list of seeds (got {seeds!r})")


def _positive_int(key: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(key, f"must be an integer >= 1 (got {value!r})")
    return value


def _optional_positive(key: str, value: object) -> int | None:
    return None if value is None else _positive_int(key, value)


def _arithmetic(run: dict[str, Any]) -> Arithmetic:
    return Arithmetic(
        precision=_choice("run.precision", run["precision"], PRECISIONS),
        fastmath=bool(run["fastmath"]),
        flush_subnormals=_flush_subnormals(run["flush_subnormals"]),
    )


def _flush_subnormals(value: object) -> bool:
    if value and not CAN_FLUSH_SUBNORMALS:
        raise ConfigError("run.flush_subnormals", "needs an x86 CPU (its MXCSR flags)")
    return bool(value)


def _threads(value: object) -> int | None:
    from numba.core import config as numba_config

    if value is None:
        return None
    threads = _positive_int("run.threads", value)
    if threads > numba_config.NUMBA_NUM_THREADS:
        raise ConfigError(
            "run.threads",
            f"at most {numba_config.NUMBA_NUM_THREADS} on this machine (got {threads})",
        )
    return threads


def _n_iter(value: object) -> int:
    n_iter = _positive_int("sweep.n_iter", value)
    if n_iter > MAX_N_ITER:
        raise ConfigError(
            "sweep.n_iter",
            f"must be < 2**31 - 1 = {2**31 - 1}: iterations are stored as int32 (got {n_iter})",
        )
    return n_iter


def _stop_at_target(sweep: dict[str, Any]) -> bool:
    stop = bool(sweep["stop_at_target"])
    if stop and sweep["target"] is None:
        raise ConfigError(
            "sweep.stop_at_target", "needs a target to stop at: set sweep.target (e.g. 1e-8)"
        )
    return stop


def _fraction(key: str, value: object) -> float:
    """A share of the seeds: a number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigError(key, f"must be a fraction in [0, 1], e.g. 0.1 (got {value!r})")
    return float(value)


def _target(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ConfigError("sweep.target", f"must be a finite number or null (got {value!r})")
    return None if value is None else float(value)


def _start_point(start: dict[str, Any], dim: int) -> list[float] | None:
    point = start.get("point")
    if start["kind"] != "fixed":
        if point is not None:
            raise ConfigError("start.point", "only start=fixed takes a point")
        return None
    if not isinstance(point, list) or len(point) != dim:
        raise ConfigError(
            "start.point", f"must be a list of {dim} numbers, one per dimension (got {point!r})"
        )
    if not all(_is_number(p) and math.isfinite(p) for p in point):
        raise ConfigError("start.point", f"must hold finite numbers (got {point})")
    return [float(p) for p in point]


def _record(rec: dict[str, Any], n_iter: int) -> np.ndarray:
    schedule = _choice("record.schedule", rec["schedule"], SCHEDULES)
    every = _positive_int("record.every", rec["every"])
    per_decade = _positive_int("record.points_per_decade", rec["points_per_decade"])
    count = record_bound(schedule, n_iter, every, per_decade)  # arithmetic: nothing allocated
    if count > MAX_RECORDS:
        key = "record.every" if schedule == "every" else "record.points_per_decade"
        raise ConfigError(
            key,
            f"records up to {count} iterations of each trajectory, more than {MAX_RECORDS}: "
            "record fewer (a larger record.every, record.schedule=log or final)",
        )
    return record_iterations(schedule, n_iter, every, per_decade)
