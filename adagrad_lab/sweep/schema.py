"""Config schemas (Hydra ConfigStore), the `logspace` resolver, the experiments' config source.

Hydra checks types against these dataclasses; values are checked by
`validate`. Optimizer hyperparameters are typed ``Any`` because each may be a
number or a list of numbers (a list becomes an axis of the in-kernel grid).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field, fields, is_dataclass, make_dataclass
from typing import Any, cast

import numpy as np
from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf

from adagrad_lab.catalog import OBJECTIVES, OPTIMIZERS, Optimizer
from adagrad_lab.sweep import experiments as experiment_source


@dataclass
class ObjectiveConfig:
    name: str = MISSING
    dim: int | None = 2  # null for a learning problem: its data fix the dimension
    bounds: list[float] | None = None  # [low, high] of the start box; null: the objective's own
    log10_condition: float | None = None  # ellipsoid; synthetic data's feature scales
    target: str | None = None  # custom only: dotted path of value_and_grad(x, grad) -> f
    instance: int | None = None  # rotated_ellipsoid: which random rotation (0: none)
    # learning problems only (least_squares, logistic); null elsewhere
    data: str | None = None  # synthetic | sklearn:NAME | a .npz or svmlight file
    data_seed: int | None = None
    n_samples: int | None = None  # synthetic
    n_features: int | None = None  # synthetic
    density: float | None = None  # synthetic: < 1 makes sparse, power-law features
    noise: float | None = None  # synthetic: label noise (std, or flip probability)
    intercept: bool | None = None
    standardize: bool | None = None
    test_fraction: float | None = None
    batch_size: Any = None  # null: full batch; a number or a list (an axis)
    replacement: bool | None = None  # minibatches drawn with replacement
    l2: Any = None  # a number or a list (an axis)


def _optimizer_schema(optimizer: Optimizer) -> type:
    """The structured config of an optimizer: its name, its hyperparameters, each a number
    or a list of numbers (an axis of the grid), and its choices (a word each, e.g. Keras's
    backend), with the defaults its registry record holds."""
    spec: list[tuple[str, Any, Any]] = [("name", str, field(default=optimizer.name))]
    spec += [(h.name, Any, field(default=h.default)) for h in optimizer.hyperparameters]
    spec += [(c.name, Any, field(default=c.default)) for c in optimizer.choices]
    title = "".join(part.title() for part in optimizer.name.split("_"))
    schema = make_dataclass(f"{title}Config", spec)
    # importable by name (adagrad_lab.sweep.schema.AdagradConfig), so configs holding it pickle by
    # reference into launcher workers (submitit, Ray) whatever their cloudpickle version
    schema.__module__ = __name__
    globals()[schema.__name__] = schema
    return schema


OPTIMIZER_SCHEMAS = {name: _optimizer_schema(o) for name, o in OPTIMIZERS.items()}


@dataclass
class NoiseConfig:
    kind: str = "none"  # none | additive | multiplicative (learning problems)
    sigma: Any = 0.0  # a number or a list (an axis)


@dataclass
class SweepConfig:
    seeds: Any = 100  # a count n (seeds 0..n-1) or a list of seeds
    n_iter: int = 1000
    target: float | None = None  # f <= target (learning: f - f*) counts as converged; null: never
    stop_at_target: bool = False


@dataclass
class StartConfig:
    kind: str = "uniform"  # uniform | legacy_numpy | fixed
    point: list[float] | None = None  # fixed only


@dataclass
class RecordConfig:
    schedule: str = "every"  # every | log | final
    every: int = 1
    points_per_decade: int = 10
    points: bool = False
    grad_norm: bool = True
    test: bool = False  # learning problems: held-out loss and error at each record
    regret: bool = False  # learning problems: the cumulative regret on the sampled losses
    average: bool = False  # learning problems: f at the Polyak average; its final point


@dataclass
class RunConfig:
    chunk_size: int | None = None  # trajectories per chunk; null: sized from memory
    threads: int | None = None  # Numba threads; null: all cores
    block: int | None = None  # trajectories advanced together; null: chosen from the dimension
    progress: bool = True
    dry_run: bool = False  # print the size of the sweep and stop, writing nothing
    overwrite: bool = False  # replace results of another config in the run directory
    fastmath: bool = False  # opt-in FMA contraction: faster, not bit-identical to the default
    precision: str = "float64"  # float64 | float32 (opt-in: twice the lanes, ~1e-6 relative error)
    flush_subnormals: bool = False  # opt-in: values below ~2.2e-308 become 0 (x86 FTZ/DAZ)


@dataclass
class ShardConfig:
    index: int = 0  # run only the index-th of count disjoint slices of the grid
    count: int = 1


@dataclass
class ReportConfig:
    enabled: bool = True  # write RUN_DIR/report/ (figures, index.html) after the run
    # the largest fraction of seeds diverged at which a step size can be a group's best
    max_diverged: float = 0.0
    format: str = "png"  # png | svg | both (REPORT_FORMATS): each figure rendered once per format
    jobs: bool = False  # in a multirun, also each job's own report (the sweep's is written)


@dataclass
class Config:
    objective: ObjectiveConfig = MISSING
    optimizer: Any = MISSING
    sweep: SweepConfig = field(default_factory=SweepConfig)
    start: StartConfig = field(default_factory=StartConfig)
    record: RecordConfig = field(default_factory=RecordConfig)
    run: RunConfig = field(default_factory=RunConfig)
    shard: ShardConfig = field(default_factory=ShardConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    echo: str = "summary"  # summary | tutorial | none


def not_a_key(key: str, names: list[str]) -> str:
    """What is wrong with ``key``, a key its schema lacks: the keys that schema has."""
    where = key.rpartition(".")[0] or "the top level"
    return f"not a config key ({where} has: {', '.join(names)})"


def unknown_key(cfg: DictConfig) -> tuple[str, list[str]] | None:
    """The first key of ``cfg`` that its schema lacks, and the keys that schema has; or None.

    Hydra refuses ``sweep.seed=5`` but lets ``+sweep.seed=5`` add the key, and the
    optimizer is typed ``Any``; so after composition every node typed by one of
    the dataclasses above (the optimizer by its own, from `OPTIMIZER_SCHEMAS`) is
    compared with that dataclass's fields. Values are not resolved. Untyped configs
    (a stored config.yaml) are not checked, nor ``hydra.*``: Hydra's own schema checks those.
    """
    return _unknown_key(cfg, "")


def _unknown_key(node: DictConfig, path: str) -> tuple[str, list[str]] | None:
    schema = OmegaConf.get_type(node)
    names = [f.name for f in fields(schema)] if is_dataclass(schema) else None
    for key, value in node.items_ex(resolve=False):
        full = f"{path}.{key!s}" if path else str(key)
        if names is not None and key not in names and full != "hydra":
            return full, names
        if isinstance(value, DictConfig) and full != "hydra":
            found = _unknown_key(value, full)
            if found:
                return found
    return None


LOGSPACE_MAX = 100_000  # values one ${logspace:...} may write


def logspace(start: float, stop: float, num: int) -> ListConfig:
    """`${logspace:1e-3,1,13}`: num values from start to stop, evenly spaced in log10.

    ``start`` and ``stop`` must be finite numbers > 0, ``num`` an integer in
    1..`LOGSPACE_MAX`; anything else is refused (ValueError) before computing.
    Returns a ListConfig, which OmegaConf can store in place of the
    interpolation (``--cfg job --resolve``, ``OmegaConf.resolve``).
    """
    where = f"${{logspace:{start},{stop},{num}}}"
    for name, value in (("start", start), ("stop", stop)):
        if not _is_real(value) or not (math.isfinite(value) and value > 0):
            raise ValueError(f"{where}: {name} must be a finite number > 0 (got {value!r})")
    integral = _is_real(num) and math.isfinite(num) and num == int(num)
    if not (integral and 1 <= num <= LOGSPACE_MAX):
        raise ValueError(f"{where}: num must be an integer in 1..{LOGSPACE_MAX} (got {num!r})")
    values = np.logspace(np.log10(float(start)), np.log10(float(stop)), int(num))
    return ListConfig([float(v) for v in values])


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def register() -> None:
    """Store the schemas, register the resolvers and the experiments' config source. Idempotent."""
    if not OmegaConf.has_resolver("logspace"):
        OmegaConf.register_new_resolver("logspace", logspace)
    if not OmegaConf.has_resolver("run_tag"):
        OmegaConf.register_new_resolver("run_tag", run_tag, use_cache=True)
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)
    cs.store(group="objective", name="base_objective", node=ObjectiveConfig)
    for name, objective in OBJECTIVES.items():  # each built-in is an option, from its record
        settings = cast("dict[str, Any]", objective.settings)  # keys: ObjectiveConfig's fields
        dim = {"dim": None} if objective.learning else {}
        cs.store(group="objective", name=name, node=ObjectiveConfig(name, **dim, **settings))
    for name, schema in OPTIMIZER_SCHEMAS.items():
        cs.store(group="optimizer", name=name, node=schema)
    cs.store(group="sweep", name="base_sweep", node=SweepConfig)
    cs.store(group="start", name="base_start", node=StartConfig)
    cs.store(group="record", name="base_record", node=RecordConfig)
    cs.store(group="run", name="base_run", node=RunConfig)
    experiment_source.register()  # the group `experiment`: experiments/*.yaml, found by Hydra


def run_tag() -> str:
    """`${run_tag:}`: six random hex digits that tell apart runs started in the same second.

    Registered with ``use_cache=True``: one composed config resolves it once and
    keeps the value (Hydra copies the cache into each multirun job's config, so
    the jobs of a sweep share one sweep directory); another config, or another
    process, draws a new one.
    """
    return secrets.token_hex(3)
