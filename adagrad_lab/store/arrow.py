"""NumPy arrays as Arrow arrays, built from their buffers.

``pa.array`` imports pandas the first time it sees a NumPy array or a list
(to check for pandas objects): 0.3 s before a run's first chunk is written.
These build the same arrays from the NumPy buffers directly, without copying
numbers and without pandas.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def _bits(flags: np.ndarray) -> pa.Buffer:
    """Arrow's bit-packed booleans: least significant bit first."""
    return pa.py_buffer(np.packbits(np.asarray(flags, bool), bitorder="little"))


def numbers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A 1-D numeric or bool array as an Arrow array; null where ``valid`` is False."""
    values = np.ascontiguousarray(values).reshape(-1)
    nulls = None if valid is None else _bits(valid)
    if values.dtype == np.bool_:
        return pa.Array.from_buffers(pa.bool_(), len(values), [nulls, _bits(values)])
    kind = pa.from_numpy_dtype(values.dtype)
    return pa.Array.from_buffers(kind, len(values), [nulls, pa.py_buffer(values)])


def strings(texts: Sequence[str]) -> pa.Array:
    """A short list of str as an Arrow string array (UTF-8 bytes and int32 offsets)."""
    encoded = [t.encode() for t in texts]
    offsets = np.zeros(len(encoded) + 1, np.int32)
    offsets[1:] = np.cumsum(np.array([len(b) for b in encoded], np.int64))
    data = pa.py_buffer(b"".join(encoded))
    return pa.Array.from_buffers(pa.string(), len(encoded), [None, pa.py_buffer(offsets), data])
