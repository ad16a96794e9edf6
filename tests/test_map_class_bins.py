"""Quantile and equal-interval breaks computed without mapclassify equal mapclassify's own."""

from __future__ import annotations

import warnings

import mapclassify
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_app.mapview.classes import classify, equal_interval_bins, quantile_bins

values = st.lists(
    st.one_of(
        # Subnormal values make mapclassify's own width underflow (see the test below).
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False),
        st.integers(-50, 50).map(float),  # many ties
    ),
    min_size=2,
    max_size=300,
)


def _theirs(cls, data: np.ndarray, k: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(cls(data, k=k).bins, dtype=float)


@settings(max_examples=300, deadline=None)
@given(values, st.integers(2, 9))
def test_quantile_bins_are_mapclassify_quantiles(data, k):
    y = np.asarray(data)
    np.testing.assert_array_equal(quantile_bins(y, k), _theirs(mapclassify.Quantiles, y, k))


@settings(max_examples=300, deadline=None)
@given(values, st.integers(2, 9))
def test_equal_interval_bins_are_mapclassify_equal_interval(data, k):
    y = np.asarray(data)
    if y.min() == y.max():
        return  # mapclassify itself cannot split a constant (zero width)
    np.testing.assert_array_equal(
        equal_interval_bins(y, k), _theirs(mapclassify.EqualInterval, y, k)
    )


def test_equal_interval_of_a_range_too_small_to_split_is_one_class():
    """[0, 5e-324] / 2 underflows to a zero width; mapclassify's arithmetic would fail."""
    np.testing.assert_array_equal(equal_interval_bins(np.array([0.0, 5e-324]), 2), [5e-324])
    np.testing.assert_array_equal(equal_interval_bins(np.array([3.0, 3.0]), 4), [3.0])


@pytest.mark.parametrize("scheme", ["quantiles", "equal_interval", "fisher_jenks"])
def test_classify_on_real_like_values_matches_mapclassify(scheme):
    rng = np.random.default_rng(7)
    y = np.round(rng.gamma(2.0, 10.0, 500), 1)
    cls = {
        "quantiles": mapclassify.Quantiles,
        "equal_interval": mapclassify.EqualInterval,
        "fisher_jenks": mapclassify.FisherJenks,
    }[scheme]
    ours = classify(y, scheme=scheme, k=5)
    bins = np.unique(_theirs(cls, y, 5))
    bins[-1] = max(bins[-1], y.max())
    np.testing.assert_array_equal(ours.bins, bins)
    np.testing.assert_array_equal(ours.index, np.searchsorted(bins, y, side="left"))
