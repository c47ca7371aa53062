"""Arrow arrays built from NumPy buffers (`adagrad_lab.store.arrow`) equal what `pa.array` builds,
and writing a chunk's Parquet files needs no pandas."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from adagrad_lab.store.arrow import numbers, strings

DTYPES = [np.int8, np.int32, np.int64, np.float32, np.float64, np.bool_]


@settings(deadline=None)  # the first pa.array call imports pandas
@given(st.sampled_from(DTYPES).flatmap(lambda t: hnp.arrays(t, st.integers(0, 40))))
def test_numbers_equal_pa_array(values):
    got = numbers(values)
    assert got.type == pa.array(values).type == pa.from_numpy_dtype(values.dtype)
    assert got.null_count == 0  # bit for bit, NaN payloads included (NaN != NaN in equals)
    assert got.to_numpy(zero_copy_only=False).tobytes() == values.tobytes()


@settings(deadline=None)
@given(hnp.arrays(np.int64, st.integers(0, 40), elements=st.integers(-3, 3)))
def test_nulls_where_not_valid(values):
    got = numbers(values.astype(np.int32), valid=values >= 0)
    assert got.equals(pa.array(values.astype(np.int32), mask=values < 0))
    assert got.null_count == int((values < 0).sum())


def test_numbers_of_a_strided_view_and_a_matrix():
    m = np.arange(12.0).reshape(3, 4)
    assert numbers(m[:, 1]).to_pylist() == [1.0, 5.0, 9.0]
    assert numbers(m).to_pylist() == list(np.arange(12.0))


@pytest.mark.parametrize(
    "texts", [(), ("adagrad",), ("converged", "max_iter", "diverged"), ("é", "")]
)
def test_strings_equal_pa_array(texts):
    assert strings(texts).equals(pa.array(list(texts), pa.string()))


def test_writing_a_chunk_imports_no_pandas(tmp_path):
    code = f"""
import sys
import numpy as np
from adagrad_lab.store import parquet as storage
n, d, rec = 5, 2, np.array([0, 1, 2])
grid = {{"trajectory": np.arange(n), "seed": np.arange(n), "step_size": np.full(n, 0.1),
        "nesterov": np.arange(n) % 2 == 0, "x0": np.ones((n, d))}}
res = {{"x_final": np.zeros((n, d)), "f_final": np.zeros(n), "f_best": np.zeros(n),
       "hit_at": np.array([-1, 0, 1, -1, 2]), "died_at": np.full(n, -1),
       "last_iter": np.full(n, 2), "h_f": np.ones((n, 3)), "h_gn": np.empty((n, 0)),
       "h_x": np.empty((n, 3, 0))}}
labels = {{"optimizer": "adagrad", "objective": "sphere"}}
traj = storage.trajectory_table(grid, res, ["step_size", "nesterov"], labels)
hist = storage.history_table(grid["trajectory"], rec, res, False)
storage.write_chunk({str(tmp_path)!r}, 0, traj, hist)
print("pandas" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    from adagrad_lab.store.parquet import read_trajectories

    df = read_trajectories(tmp_path)
    assert df["nesterov"].tolist() == [True, False, True, False, True]
    assert df["iters_to_target"].tolist()[1:3] == [0, 1] and df["iters_to_target"].isna().sum() == 2
    assert df["status"].tolist() == ["max_iter", "converged", "converged", "max_iter", "converged"]
