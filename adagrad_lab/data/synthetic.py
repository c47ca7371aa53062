"""Synthetic regression and classification data, generated from ``data_seed`` alone.

Features: dense Gaussian (``density`` 1) or sparse with power-law feature
frequencies (feature i appears in a sample with probability proportional to
(i + 1)^-1, scaled so the mean density is ``density``, capped at 1): a few
frequent features and a long tail of rare ones, the case AdaGrad was made
for. Column i is scaled by 10^(-c i / (2 (d - 1))), so the features' second
moments span ``log10_condition`` = c decades. Labels come from a planted
weight vector w* ~ N(0, I): y = a.w* + noise * N(0, 1) for regression;
y = sign(a.w*) with each label flipped with probability ``noise`` for
classification. NumPy's PCG64 stream (`numpy.random.default_rng`) draws
everything, in a fixed order.
"""

from __future__ import annotations

import numpy as np

from adagrad_lab.catalog.objectives.rotated_ellipsoid import rotation
from adagrad_lab.data.matrix import Array, Csr, Matrix


def generate(
    n_samples: int,
    n_features: int,
    density: float,
    noise: float,
    log10_condition: float,
    data_seed: int,
    binary: bool,
    instance: int = 0,
) -> tuple[Matrix, Array, Array]:
    """(features, labels, planted weights) for a regression or (``binary``) classification;
    ``instance`` > 0 rotates dense features by that instance's random orthogonal matrix, so
    the principal axes of their covariance are not the coordinates."""
    rng = np.random.default_rng(data_seed)
    scale = 10.0 ** (-log10_condition * np.arange(n_features) / (2 * max(1, n_features - 1)))
    w_star = rng.standard_normal(n_features)
    features: Matrix
    if density >= 1.0:
        dense = rng.standard_normal((n_samples, n_features)) * scale
        if instance:
            dense = dense @ rotation(n_features, instance).T
        features, z = dense, dense @ w_star
    else:
        features = _sparse(rng, n_samples, n_features, density).scaled(scale)
        z = _product(features, w_star)
    if binary:
        labels = np.where(z >= 0, 1.0, -1.0)
        flip = rng.random(n_samples) < noise
        labels = np.where(flip, -labels, labels)
    else:
        labels = z + noise * rng.standard_normal(n_samples)
    return features, labels, w_star


def frequencies(n_features: int, density: float) -> Array:
    """Each feature's probability of appearing: proportional to 1/(i + 1), mean ``density``."""
    raw = 1.0 / np.arange(1, n_features + 1)
    p = raw * density * n_features / raw.sum()
    for _ in range(64):  # cap at 1 and spread the excess over the rest
        over = p > 1.0
        if not over.any():
            break
        excess = (p[over] - 1.0).sum()
        p[over] = 1.0
        rest = ~over & (p < 1.0)
        p[rest] += excess * p[rest] / p[rest].sum()
    capped: Array = np.minimum(p, 1.0)
    return capped


def _sparse(rng: np.random.Generator, n: int, d: int, density: float) -> Csr:
    present = rng.random((n, d)) < frequencies(d, density)[None, :]
    rows, cols = np.nonzero(present)  # row-major: columns sorted within each row
    values = rng.standard_normal(len(rows))
    indptr = np.concatenate([[0], np.cumsum(present.sum(axis=1))]).astype(np.int64)
    return Csr(values, cols.astype(np.int64), indptr, (n, d))


def _product(a: Csr, w: Array) -> Array:
    row = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    out = np.zeros(a.shape[0])
    np.add.at(out, row, a.values * w[a.indices])
    return out
