"""`store.ordering.by_keys` is pandas' sort, whether or not the frame was in order."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from adagrad_lab.store.ordering import by_keys

KEYS = ["job", "trajectory", "iter"]


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 30))
    small = st.lists(st.integers(0, 3), min_size=n, max_size=n)
    df = pd.DataFrame(
        {
            "job": pd.Categorical(
                [("b", "a", "c")[i % 3] for i in draw(small)], categories=["b", "a", "c"]
            ),
            "trajectory": np.array(draw(small), dtype=np.int64),
            "iter": np.array(draw(small), dtype=np.int32),
            "f": draw(st.lists(st.floats(allow_nan=True), min_size=n, max_size=n)) or [],
        }
    )
    if draw(st.booleans()):  # a frame already in order, as a run writes it
        df = df.drop_duplicates(KEYS).sort_values(KEYS)
    return df


@settings(max_examples=200, deadline=None)
@given(frames(), st.sampled_from([KEYS, KEYS[1:], ["trajectory"], ["f"], []]))
def test_by_keys_is_the_sort_pandas_does(df, keys):
    expected = df.sort_values(keys, ignore_index=True) if keys else df.reset_index(drop=True)
    pd.testing.assert_frame_equal(by_keys(df, keys), expected)


def test_a_frame_in_order_is_not_sorted_again():
    df = pd.DataFrame({"trajectory": [0, 0, 1], "iter": [0, 1, 0]})
    assert by_keys(df, ["trajectory", "iter"]) is df


def test_ties_and_missing_values_are_left_to_pandas():
    tied = pd.DataFrame({"trajectory": [0, 0], "f": [2.0, 1.0]})
    assert by_keys(tied, ["trajectory"]) is not tied
    missing = pd.DataFrame({"f": [1.0, np.nan, 3.0]})
    pd.testing.assert_frame_equal(
        by_keys(missing, ["f"]), missing.sort_values("f", ignore_index=True)
    )
