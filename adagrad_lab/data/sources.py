"""Where a learning problem's data come from, never downloaded: the synthetic generator,
a dataset bundled with scikit-learn, or the user's own svmlight/LIBSVM or .npz file.

Each source returns (features, labels, description); a file's description
holds its path, size and SHA-256, so an edited file is another config.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from adagrad_lab.data.matrix import Array, Matrix, from_scipy

# scikit-learn's bundled datasets: (loader name, label rule). A multi-class one is made
# binary as its first class against the rest (digits: the digit 0 against 1-9).
BUNDLED = {
    "breast_cancer": ("load_breast_cancer", "classes"),
    "digits": ("load_digits", "first_vs_rest"),
    "diabetes": ("load_diabetes", "values"),
    "wine": ("load_wine", "first_vs_rest"),
}
SVMLIGHT_SUFFIXES = (".svm", ".svmlight", ".libsvm", ".txt", ".dat")


class DataError(ValueError):
    """Data that cannot be used, with the config key it came from."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


def bundled(name: str) -> tuple[Matrix, Array, dict[str, Any]]:
    """scikit-learn's dataset ``name``: features, labels (+1/-1 for a classification)."""
    if name not in BUNDLED:
        raise DataError("objective.data", f"sklearn:{name} is not one of {_bundled_names()}")
    try:
        from sklearn import datasets
    except ImportError:
        raise DataError(
            "objective.data", "scikit-learn is not installed: pip install 'adagrad-lab[data]'"
        ) from None
    loader, rule = BUNDLED[name]
    bunch = getattr(datasets, loader)()
    target = np.asarray(bunch.target, np.float64)
    if rule == "classes":
        target = np.where(target == target.max(), 1.0, -1.0)
    elif rule == "first_vs_rest":
        target = np.where(target == target.min(), 1.0, -1.0)
    return np.asarray(bunch.data, np.float64), target, {"source": f"sklearn:{name}"}


def _bundled_names() -> str:
    return ", ".join(f"sklearn:{n}" for n in BUNDLED)


def from_file(path_text: str) -> tuple[Matrix, Array, dict[str, Any]]:
    """A .npz (arrays X and y; or data, indices, indptr, shape and y) or svmlight file."""
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise DataError(
            "objective.data", f"no such file: {path_text} (or use synthetic, sklearn:NAME)"
        )
    blob = path.read_bytes()
    about = {
        "source": "file",
        "path": str(path.resolve()),
        "bytes": len(blob),
        "sha256": hashlib.sha256(blob).hexdigest(),
    }
    if path.suffix == ".npz":
        features, labels = _npz(path)
    else:
        features, labels = _svmlight(path, blob)
    return features, labels, about


def _npz(path: Path) -> tuple[Matrix, Array]:
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as exc:
        raise DataError("objective.data", f"{path}: not a readable .npz ({exc})") from None
    if "y" not in arrays:
        raise DataError("objective.data", f"{path}: no array 'y' (labels) in the .npz")
    labels = np.asarray(arrays["y"], np.float64).ravel()
    features: Matrix
    if "X" in arrays:
        dense = np.asarray(arrays["X"], np.float64)
        if dense.ndim != 2:
            raise DataError("objective.data", f"{path}: X must be 2-D, got shape {dense.shape}")
        features = dense
    elif {"data", "indices", "indptr", "shape"} <= set(arrays):
        from adagrad_lab.data.matrix import Csr

        shape = tuple(int(v) for v in arrays["shape"])
        features = Csr(
            np.asarray(arrays["data"], np.float64),
            np.asarray(arrays["indices"], np.int64),
            np.asarray(arrays["indptr"], np.int64),
            (shape[0], shape[1]),
        )
    else:
        raise DataError(
            "objective.data", f"{path}: needs X and y, or data, indices, indptr, shape and y"
        )
    if features.shape[0] != len(labels):
        raise DataError(
            "objective.data", f"{path}: {features.shape[0]} rows of features, {len(labels)} labels"
        )
    return features, labels


def _svmlight(path: Path, blob: bytes) -> tuple[Matrix, Array]:
    bad = malformed_line(blob.decode("utf-8", errors="replace"))
    if bad is not None:
        number, why = bad
        raise DataError("objective.data", f"{path} line {number}: {why} (svmlight: LABEL I:V ...)")
    try:
        from sklearn.datasets import load_svmlight_file
    except ImportError:
        raise DataError(
            "objective.data", "reading svmlight needs scikit-learn: pip install 'adagrad-lab[data]'"
        ) from None
    try:
        features, labels = load_svmlight_file(str(path), dtype=np.float64)
    except Exception as exc:
        raise DataError("objective.data", f"{path}: not svmlight ({exc})") from None
    return from_scipy(features), np.asarray(labels, np.float64)


def malformed_line(text: str) -> tuple[int, str] | None:
    """The first line of an svmlight text that is not ``LABEL [qid:Q] I:V ...``, and why."""
    for number, line in enumerate(text.splitlines(), start=1):
        body = line.split("#", 1)[0].split()
        if not body:
            continue
        if not _is_float(body[0]):
            return number, f"label {body[0]!r} is not a number"
        for token in body[1:]:
            index, sep, value = token.partition(":")
            if index == "qid" and sep:
                continue
            if not (sep and index.isdigit() and _is_float(value)):
                return number, f"{token!r} is not INDEX:VALUE"
    return None


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
