"""A learning problem's data, ready to run: loaded, checked, split, scaled, and packed into
the two flat arrays the kernel reads (`catalog.objectives.learning`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adagrad_lab.catalog.objectives import learning
from adagrad_lab.data import sources, synthetic
from adagrad_lab.data.matrix import Array, Csr, Matrix, density, take_rows
from adagrad_lab.data.sources import DataError


@dataclass(frozen=True)
class DataSpec:
    """The objective's data keys, as the config gives them."""

    kind: str  # least_squares | logistic
    data: str = "synthetic"
    data_seed: int = 0
    n_samples: int = 1000
    n_features: int = 20
    density: float = 1.0
    noise: float = 0.1
    log10_condition: float = 0.0
    instance: int = 0  # > 0: dense features in random rotated axes (`rotated_ellipsoid.rotation`)
    intercept: bool = False
    standardize: bool = False
    test_fraction: float = 0.2


@dataclass(frozen=True)
class Dataset:
    """Training and held-out data, and what the manifest and the report say about them."""

    train: Matrix
    y_train: Array
    test: Matrix
    y_test: Array
    intercept: bool
    about: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.train.shape[1])

    @property
    def n_train(self) -> int:
        return int(self.train.shape[0])


def build(spec: DataSpec) -> Dataset:
    """The dataset ``spec`` describes, or a `DataError` naming the key."""
    features, labels, about = _source(spec)
    if features.shape[0] < 2:
        raise DataError(
            "objective.data", f"{features.shape[0]} sample(s); a problem needs 2 or more"
        )
    if spec.kind == "logistic":
        labels = _binary(labels)
    train_rows, test_rows = split(features.shape[0], spec.test_fraction, spec.data_seed)
    train, test = take_rows(features, train_rows), take_rows(features, test_rows)
    if spec.standardize:
        train, test = _standardized(train, test)
    if spec.intercept:
        train, test = _with_ones(train), _with_ones(test)
    about = {
        **about,
        "name": about.get("source", spec.data),
        "n_train": int(train.shape[0]),
        "n_test": int(test.shape[0]),
        "n_features": int(features.shape[1]),
        "density": density(features),
        "sparse": isinstance(features, Csr),
    }
    return Dataset(train, labels[train_rows], test, labels[test_rows], spec.intercept, about)


def _source(spec: DataSpec) -> tuple[Matrix, Array, dict[str, Any]]:
    if spec.data == "synthetic":
        features, labels, _ = synthetic.generate(
            spec.n_samples,
            spec.n_features,
            spec.density,
            spec.noise,
            spec.log10_condition,
            spec.data_seed,
            binary=spec.kind == "logistic",
            instance=spec.instance,
        )
        return features, labels, {"source": "synthetic"}
    if spec.data.startswith("sklearn:"):
        return sources.bundled(spec.data.partition(":")[2])
    return sources.from_file(spec.data)


def _binary(labels: Array) -> Array:
    """Two label values as -1 (the smaller) and +1; more than two is refused."""
    values = np.unique(labels)
    if len(values) != 2:
        shown = ", ".join(f"{v:g}" for v in values[:5]) + (", ..." if len(values) > 5 else "")
        raise DataError(
            "objective.data", f"logistic needs binary labels, got {len(values)} values ({shown})"
        )
    return np.where(labels == values[1], 1.0, -1.0)


def split(n: int, test_fraction: float, data_seed: int) -> tuple[Array, Array]:
    """(train rows, test rows): floor(test_fraction * n) rows held out, drawn from a
    stream of ``data_seed`` apart from the generator's; both in increasing order."""
    n_test = int(test_fraction * n)
    order = np.random.default_rng([data_seed, 1]).permutation(n)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def _standardized(train: Matrix, test: Matrix) -> tuple[Matrix, Matrix]:
    """Columns scaled to unit variance by the training set's statistics; dense columns also
    centred (sparse ones are not: centring would fill them in)."""
    if isinstance(train, Csr) and isinstance(test, Csr):
        sq = np.bincount(train.indices, weights=train.values**2, minlength=train.shape[1])
        rms = np.sqrt(sq / max(1, train.shape[0]))
        factor = np.where(rms > 0, 1.0 / np.where(rms > 0, rms, 1.0), 1.0)
        return train.scaled(factor), test.scaled(factor)
    assert isinstance(train, np.ndarray) and isinstance(test, np.ndarray)
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (train - mean) / std, (test - mean) / std


def _with_ones(a: Matrix) -> Matrix:
    if isinstance(a, Csr):
        return a.with_ones()
    return np.hstack([a, np.ones((a.shape[0], 1))])


def pack(
    dataset: Dataset,
    replacement: bool,
    noise_kind: str,
    optima: list[tuple[float, Array]] | None = None,
    extras: tuple[str, ...] = (),
) -> tuple[Array, Array]:
    """The kernel's (float, integer) arrays for the training set (layout: `learning`):
    ``optima`` the (f*, x*) of each l2 value, ``extras`` the recorded extras in slot
    order ("regret", "average")."""
    train = dataset.train
    n, d = train.shape
    sparse = isinstance(train, Csr)
    header = np.zeros(learning.HEADER, np.int64)
    header[learning.SPARSE] = int(sparse)
    header[learning.N], header[learning.D] = n, d
    header[learning.INTERCEPT] = int(dataset.intercept)
    header[learning.REPLACEMENT] = int(replacement)
    header[learning.NOISE_KIND] = learning.NOISE_KINDS.index(noise_kind)
    for slot, name in ((learning.REGRET_SLOT, "regret"), (learning.AVERAGE_SLOT, "average")):
        header[slot] = extras.index(name) if name in extras else -1
    solved = optima or [(float("nan"), np.full(d, np.nan))]
    stars = np.concatenate([x for _, x in solved] + [np.array([f for f, _ in solved])])
    if isinstance(train, Csr):
        header[learning.NNZ] = train.nnz
        floats = np.concatenate([train.values, dataset.y_train, stars])
        ints = np.concatenate([header, train.indptr, train.indices])
    else:
        header[learning.NNZ] = n * d
        floats = np.concatenate([np.ascontiguousarray(train).ravel(), dataset.y_train, stars])
        ints = header
    ints[learning.XSTAR] = header[learning.NNZ] + n
    ints[learning.FSTAR] = ints[learning.XSTAR] + len(solved) * d
    return np.ascontiguousarray(floats, np.float64), np.ascontiguousarray(ints, np.int64)
