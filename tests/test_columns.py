"""History layout: long-format rows from the kernel's (trajectory, record) arrays."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from adagrad_lab.kernel.columns import _masked_columns, _unmasked_columns, history_columns

KEYS = ("trajectory", "iter", "f", "grad_norm", "x")


@st.composite
def results(draw, stopped_early: bool):
    """Kernel-shaped outputs with random values; last_iter full, or cut short for some."""
    n, r, d = draw(st.integers(0, 40)), draw(st.integers(1, 12)), draw(st.integers(1, 4))
    gn, points = draw(st.booleans()), draw(st.booleans())
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rec = np.sort(rng.choice(1000, r, replace=False)).astype(np.int64)
    last = np.full(n, rec[-1] + draw(st.integers(0, 3)), np.int64)
    if stopped_early and n:
        cut = rng.random(n) < 0.5
        last[cut] = rng.integers(0, rec[-1], cut.sum())
    res = {
        "h_f": rng.standard_normal((n, r)).astype(dtype),
        "h_gn": rng.random((n, r if gn else 0)).astype(dtype),
        "h_x": rng.standard_normal((n, r, d) if points else (0, 0, 0)).astype(dtype),
        "last_iter": last,
    }
    return 1000 + np.arange(n, dtype=np.int64), rec, res


def reference(traj, rec, res) -> dict[str, list]:
    """The rows one by one, as a plain loop writes them."""
    out = {key: [] for key in KEYS}
    for t in range(len(traj)):
        for k, it in enumerate(rec):
            if it > res["last_iter"][t]:
                break
            out["trajectory"].append(traj[t])
            out["iter"].append(it)
            out["f"].append(float(res["h_f"][t, k]))
            if res["h_gn"].shape[1]:
                out["grad_norm"].append(float(res["h_gn"][t, k]))
            if res["h_x"].size:
                out["x"].extend(float(v) for v in res["h_x"][t, k])
    return out


def check(cols: dict[str, np.ndarray], want: dict[str, list]) -> None:
    assert cols["trajectory"].dtype == np.int64 and cols["iter"].dtype == np.int32
    for key in KEYS:
        assert cols[key].dtype != np.float32, key  # stored as float64 columns
        assert np.array_equal(cols[key], np.asarray(want[key], cols[key].dtype)), key


@settings(max_examples=80, deadline=None, database=None)
@given(results(stopped_early=False))
def test_full_histories_use_the_kernel_arrays_and_match_a_plain_loop(case):
    traj, rec, res = case
    cols = history_columns(traj, rec, res)
    check(cols, reference(traj, rec, res))
    check(_masked_columns(traj, rec, res), reference(traj, rec, res))
    if res["h_f"].dtype == np.float64 and res["h_f"].size:
        assert np.shares_memory(cols["f"], res["h_f"])  # no copy of the values


@settings(max_examples=80, deadline=None, database=None)
@given(results(stopped_early=True))
def test_records_after_a_stop_are_left_out(case):
    traj, rec, res = case
    check(history_columns(traj, rec, res), reference(traj, rec, res))


def test_unmasked_layout_is_row_major():
    h_f = np.arange(6.0).reshape(2, 3)
    cols = _unmasked_columns(np.array([7, 9]), np.array([0, 5, 10]), h_f, np.empty((2, 0)),
                             np.empty((0, 0, 0)))  # fmt: skip
    assert cols["trajectory"].tolist() == [7, 7, 7, 9, 9, 9]
    assert cols["iter"].tolist() == [0, 5, 10, 0, 5, 10]
    assert cols["f"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
