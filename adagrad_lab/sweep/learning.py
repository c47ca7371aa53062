"""The learning problems' part of the plan: their data keys checked, the data built and
packed, f* solved for every l2 value, and the problem's own grid axes (batch size, noise,
l2). A test function given one of these keys is refused, naming it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from omegaconf import ListConfig

from adagrad_lab.catalog import Objective
from adagrad_lab.catalog.objectives.learning import NOISE_KINDS, PROBLEM_ROWS, SETTINGS
from adagrad_lab.data import optimum
from adagrad_lab.data.problem import Dataset, DataSpec, build, pack
from adagrad_lab.data.sources import DataError
from adagrad_lab.sweep.plan import ConfigError
from adagrad_lab.sweep.values import _is_number

LEARNING_KEYS = tuple(k for k in SETTINGS if k != "log10_condition")
# the problem's grid axes: (table column, config key)
AXES = {
    "batch_size": "objective.batch_size",
    "noise_sigma": "noise.sigma",
    "objective_l2": "objective.l2",
}
MAX_SAMPLES = 10_000_000


@dataclass(frozen=True)
class Learning:
    """What the plan holds of a learning problem."""

    dataset: Dataset
    params: np.ndarray
    iparams: np.ndarray
    axes: dict[str, list[float]]
    noise_kind: str
    optima: dict[float, float] = field(default_factory=dict)  # l2 -> f*
    extras: tuple[str, ...] = ()  # the kernel's extra records, in slot order

    def about(self) -> dict[str, Any]:
        """The dataset and the solved minima, as the manifest records them."""
        return {
            **self.dataset.about,
            "dim": self.dataset.dim,
            "noise": self.noise_kind,
            "f_star": {repr(k): v for k, v in self.optima.items()},
        }


def refuse_learning_keys(obj: dict[str, Any], noise: dict[str, Any], name: str) -> None:
    """A test function (or custom) given a learning problem's key: ConfigError naming it."""
    for key in LEARNING_KEYS:
        if obj.get(key) is not None:
            raise ConfigError(
                f"objective.{key}", f"only least_squares and logistic have it, not {name}"
            )
    if noise.get("kind", "none") != "none" or _values(noise.get("sigma", 0.0)) != [0.0]:
        raise ConfigError(
            "noise.kind", f"gradient noise is for least_squares and logistic, not {name}"
        )


def learning(
    obj: dict[str, Any], noise: dict[str, Any], rec: dict[str, Any], objective: Objective
) -> Learning:
    """Check the data keys, build the data and its kernel arrays, solve for f* and x*."""
    if obj.get("dim") is not None:
        raise ConfigError(
            "objective.dim", "a learning problem's data fix it: set objective.n_features instead"
        )
    spec = _spec(obj, objective.name)
    try:
        dataset = build(spec)
    except DataError as exc:
        raise ConfigError(exc.key, str(exc).partition(": ")[2]) from None
    kind = _noise_kind(noise)
    axes = {
        "batch_size": _batch_sizes(obj.get("batch_size"), dataset.n_train),
        "noise_sigma": _nonnegative("noise.sigma", noise.get("sigma", 0.0)),
        "objective_l2": _nonnegative("objective.l2", obj.get("l2")),
    }
    if kind == "none" and any(s > 0 for s in axes["noise_sigma"]):
        raise ConfigError("noise.sigma", "set noise.kind (additive or multiplicative) to use it")
    solved = [
        optimum.solve(objective.name, dataset.train, dataset.y_train, l2, dataset.intercept)
        for l2 in sorted(set(axes["objective_l2"]))
    ]
    extras = tuple(name for name in ("regret", "average") if rec.get(name))
    params, iparams = pack(dataset, bool(obj.get("replacement")), kind, solved, extras)
    optima = {l2: f for l2, (f, _) in zip(sorted(set(axes["objective_l2"])), solved, strict=True)}
    return Learning(dataset, params, iparams, axes, kind, optima, extras)


def hp_rows(n_hp: int) -> dict[str, int]:
    """The hyperparameter-matrix row of each problem axis (the seed's is ``n_hp``)."""
    return {name: n_hp + PROBLEM_ROWS.index(name) for name in AXES}


def _spec(obj: dict[str, Any], kind: str) -> DataSpec:
    data = obj.get("data") or "synthetic"
    if not isinstance(data, str):
        raise ConfigError("objective.data", f"synthetic, sklearn:NAME or a file (got {data!r})")
    density = _number("objective.density", obj.get("density", 1.0))
    if not 0.0 < density <= 1.0:
        raise ConfigError("objective.density", f"must be in (0, 1] (got {density!r})")
    fraction = _number("objective.test_fraction", obj.get("test_fraction", 0.2))
    if not 0.0 <= fraction < 1.0:
        raise ConfigError("objective.test_fraction", f"must be in [0, 1) (got {fraction!r})")
    noise = _number("objective.noise", obj.get("noise", 0.1))
    if noise < 0 or (kind == "logistic" and noise >= 0.5):
        limit = "in [0, 0.5) (a label-flip probability)" if kind == "logistic" else ">= 0"
        raise ConfigError("objective.noise", f"must be {limit} (got {noise!r})")
    instance = _count("objective.instance", obj.get("instance") or 0, 0)
    if instance and density < 1.0:
        raise ConfigError(
            "objective.instance", "rotating fills sparse features in: use objective.density=1"
        )
    condition = _number("objective.log10_condition", obj.get("log10_condition") or 0.0)
    if not 0.0 <= condition <= 300.0:
        raise ConfigError("objective.log10_condition", f"must be in [0, 300] (got {condition!r})")
    return DataSpec(
        kind=kind,
        data=data,
        data_seed=_count("objective.data_seed", obj.get("data_seed", 0), 0),
        n_samples=_count("objective.n_samples", obj.get("n_samples", 1000), 2, MAX_SAMPLES),
        n_features=_count("objective.n_features", obj.get("n_features", 20), 1, 100_000),
        density=density,
        noise=noise,
        log10_condition=condition,
        instance=instance,
        intercept=bool(obj.get("intercept")),
        standardize=bool(obj.get("standardize")),
        test_fraction=fraction,
    )


def _noise_kind(noise: dict[str, Any]) -> str:
    kind = noise.get("kind", "none")
    if kind not in NOISE_KINDS:
        raise ConfigError("noise.kind", f"must be one of {', '.join(NOISE_KINDS)} (got {kind!r})")
    return str(kind)


def _values(value: object) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple, ListConfig)) else [value]


def _batch_sizes(value: object, n_train: int) -> list[float]:
    """Batch sizes as an axis: 0 (null) is the full batch."""
    out = []
    for v in _values(value):
        if v is None:
            out.append(0.0)
            continue
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= n_train:
            raise ConfigError(
                "objective.batch_size",
                f"must be null (full batch) or integers in 1..{n_train}, the training set's "
                f"size (got {v!r})",
            )
        out.append(float(v))
    return _nonempty("objective.batch_size", out)


def _nonnegative(key: str, value: object) -> list[float]:
    values = [0.0 if v is None else v for v in _values(value)]
    for v in values:
        if not _is_number(v) or not math.isfinite(v) or v < 0:
            raise ConfigError(key, f"must be finite numbers >= 0 (got {v!r})")
    return _nonempty(key, [float(v) for v in values])


def _nonempty(key: str, values: list[float]) -> list[float]:
    if not values:
        raise ConfigError(key, "an empty list gives an empty grid; give at least one value")
    return values


def _number(key: str, value: object) -> float:
    if not _is_number(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise ConfigError(key, f"must be a finite number (got {value!r})")
    return float(value)  # type: ignore[arg-type]


def _count(key: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(key, f"must be an integer >= {low} (got {value!r})")
    if high is not None and value > high:
        raise ConfigError(key, f"must be at most {high} (got {value})")
    return value
